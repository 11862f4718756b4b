"""A stand-in for the Docker Engine API (the endpoints `doctor` uses), serving the loopback stack's processes.

Each stand-in container maps to what runs here: its state follows a real process (or a fixed state),
`exec` runs the real program (promtool, amtool, df, curl) on this machine with the container's paths
and URLs rewritten to the test's, and `logs` serves the real process's log. Frames follow the Engine
API's multiplexed stream format (8-byte header: stream, 0, 0, 0, big-endian size).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import threading
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from settings.catalog import SERVICE_LABEL, STACK_LABEL
from tests.integration.processes import Process


@dataclass
class FakeContainer:
    name: str
    service: str
    stack: str
    process: Process | None = None
    # Used when there is no process: "running" or "exited".
    fixed_state: str = "running"
    health: str = "healthy"
    restart_count: int = 0
    exit_code: int = 0
    # Volume name -> (path in the container, path here).
    volumes: Mapping[str, tuple[str, Path]] = field(default_factory=dict)
    # Path or URL prefix in the container -> its counterpart here.
    rewrite: Mapping[str, str] = field(default_factory=dict)
    # Lines served as its log when it has no process (a stand-in service's own log lines).
    log_lines: list[str] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def state(self) -> str:
        if self.process is not None:
            return "running" if self.process.alive() else "exited"
        return self.fixed_state

    def rewritten(self, argv: list[str]) -> list[str]:
        table = {**self.rewrite, **{inside: str(here) for inside, here in self.volumes.values()}}
        return [self._rewrite_arg(arg, table) for arg in argv]

    @staticmethod
    def _rewrite_arg(arg: str, table: Mapping[str, str]) -> str:
        flag, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
        for inside, here in sorted(table.items(), key=lambda kv: -len(kv[0])):
            if value == inside or value.startswith(inside + "/") or (inside.startswith("http") and
                                                                      value.startswith(inside)):
                value = here + value[len(inside):]
                break
        return f"{flag}{sep}{value}"

    def summary(self) -> dict[str, Any]:
        return {"Id": self.id, "Names": [f"/{self.name}"], "State": self.state,
                "Labels": {STACK_LABEL: self.stack, SERVICE_LABEL: self.service}}

    def inspect(self) -> dict[str, Any]:
        running = self.state == "running"
        state: dict[str, Any] = {"Status": self.state, "Running": running,
                                 "ExitCode": self.exit_code if self.process is None else
                                 (self.process.popen.returncode or 0)}
        if self.health != "none":
            state["Health"] = {"Status": self.health if running else "unhealthy"}
        mounts = [{"Type": "volume", "Name": name, "Destination": inside}
                  for name, (inside, _) in self.volumes.items()]
        return {**self.summary(), "State": state, "RestartCount": self.restart_count, "Mounts": mounts}


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


class DockerStandIn:
    """Serves /_ping (API 1.43) and /v1.43/... on 127.0.0.1:<port>; `doctor` reaches it as docker host tcp://127.0.0.1:<port>."""

    def __init__(self, port: int, containers: list[FakeContainer]) -> None:
        self.containers = containers
        self.execs: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin.handle(self, "GET", None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                standin.handle(self, "POST", json.loads(self.rfile.read(length) or b"null"))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"tcp://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _container(self, ref: str) -> FakeContainer | None:
        return next((c for c in self.containers if ref in (c.id, c.name)), None)

    def handle(self, h: BaseHTTPRequestHandler, method: str, body: Any) -> None:
        url = urllib.parse.urlparse(h.path)
        with self.lock:
            self.requests.append(f"{method} {url.path}")
        query = urllib.parse.parse_qs(url.query)
        path = re.sub(r"^/v[\d.]+", "", url.path)
        if method == "GET" and url.path == "/_ping":  # the version handshake, unversioned
            h.send_response(200)
            h.send_header("API-Version", "1.43")
            h.send_header("Content-Length", "2")
            h.end_headers()
            h.wfile.write(b"OK")
            return None
        if method == "GET" and path == "/containers/json":
            wanted = json.loads(query.get("filters", ["{}"])[0]).get("label", [])
            # As Docker's label filter: `key=value`, or `key` alone (any value; every container has the stack's).
            found = [c.summary() for c in self.containers
                     if all(w in (STACK_LABEL, f"{STACK_LABEL}={c.stack}", f"{SERVICE_LABEL}={c.service}")
                            for w in wanted)]
            return self._json(h, 200, found)
        match = re.fullmatch(r"/containers/([^/]+)/(json|exec|logs)", path)
        if match:
            container = self._container(match[1])
            if container is None:
                return self._json(h, 404, {"message": f"No such container: {match[1]}"})
            if match[2] == "json":
                return self._json(h, 200, container.inspect())
            if match[2] == "exec":
                if container.state != "running":
                    return self._json(h, 409, {"message": f"container {container.id} is not running"})
                exec_id = uuid.uuid4().hex
                self.execs[exec_id] = {"container": container, "cmd": body["Cmd"], "ExitCode": None}
                return self._json(h, 201, {"Id": exec_id})
            return self._raw(h, frame(2, self._log(container)))
        match = re.fullmatch(r"/exec/([^/]+)/(start|json)", path)
        if match and match[1] in self.execs:
            entry = self.execs[match[1]]
            if match[2] == "json":
                return self._json(h, 200, {"ExitCode": entry["ExitCode"], "Running": False})
            return self._raw(h, self._run(entry))
        return self._json(h, 404, {"message": f"stand-in has no {method} {path}"})

    @staticmethod
    def _log(container: FakeContainer) -> bytes:
        if container.process is None:
            return "".join(f"{line}\n" for line in container.log_lines).encode()
        if not container.process.log.exists():
            return b""
        return container.process.log.read_bytes()[-200_000:]

    @staticmethod
    def _run(entry: dict[str, Any]) -> bytes:
        argv = entry["container"].rewritten(list(entry["cmd"]))
        try:
            done = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
            entry["ExitCode"] = done.returncode
            return frame(1, done.stdout) + frame(2, done.stderr)
        except FileNotFoundError as error:  # as Docker answers an exec of a missing program
            entry["ExitCode"] = 127
            return frame(2, f"exec failed: {error}".encode())

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def _raw(h: BaseHTTPRequestHandler, data: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/vnd.docker.multiplexed-stream")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
