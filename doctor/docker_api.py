"""A small Docker Engine API client: the endpoints `doctor` needs, over unix://, tcp:// or ssh://.

Reference: Docker Engine API v1.41 to v1.43 (https://docs.docker.com/reference/api/engine/version/v1.43/):
GET /containers/json, GET /containers/{id}/json, GET /containers/{id}/logs,
POST /containers/{id}/exec, POST /exec/{id}/start, GET /exec/{id}/json.
ssh:// works as the docker CLI does it: `ssh <host> docker system dial-stdio` carries the HTTP.
The API version is negotiated as the docker CLI does (`GET /_ping`, its `API-Version` header): the
engine's own when older than v1.43 (Docker 20.10, Debian bookworm's docker.io, serves 1.41 and answers
400 to a request for 1.43), refused below v1.41.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import subprocess
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from settings.catalog import SERVICE_LABEL, STACK_LABEL

# The newest API doctor is written against, and the oldest it was run against (tests/engine: Docker 20.10).
NEWEST_API = (1, 43)
OLDEST_API = (1, 41)


def negotiated_version(server: str | None) -> str:
    """The API version to speak with an engine that announced `server` (the `API-Version` of `/_ping`)."""
    try:
        major, minor = (int(part) for part in (server or "").split("."))
    except ValueError:
        raise DockerError(f"the Docker Engine did not announce its API version (API-Version: {server!r}); "
                          f"doctor needs Docker 20.10 or newer (API {OLDEST_API[0]}.{OLDEST_API[1]})") from None
    if (major, minor) < OLDEST_API:
        raise DockerError(f"the Docker Engine speaks API {major}.{minor}, older than doctor supports "
                          f"({OLDEST_API[0]}.{OLDEST_API[1]}, Docker 20.10): upgrade Docker on that host")
    return "v{}.{}".format(*min((major, minor), NEWEST_API))


class DockerError(Exception):
    pass


class _SocketConnection(http.client.HTTPConnection):
    """HTTP over an already connected socket (a unix socket, or one end of the ssh pipe)."""

    def __init__(self, sock_factory: SocketFactory, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self._factory = sock_factory

    def connect(self) -> None:
        self.sock = self._factory()
        self.sock.settimeout(self.timeout)


SocketFactory = Callable[[], socket.socket]


def _unix_socket(path: str) -> SocketFactory:
    def connect() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return sock
    return connect


def ssh_destination(netloc: str) -> str:
    """What ssh is given for `ssh://[user@]host[:port]`: the URI itself (OpenSSH >= 7.7 reads it, port
    included); the bare `user@host:port` would be taken as a host name with a colon, on port 22."""
    return f"ssh://{netloc}"


def _ssh_socket(destination: str) -> SocketFactory:
    def connect() -> socket.socket:
        ours, theirs = socket.socketpair()
        # The remote docker CLI bridges stdin/stdout to its daemon's socket (what `docker -H ssh://` does).
        # One ssh connection per request: ControlMaster/ControlPersist in ~/.ssh/config makes them cheap.
        bridge = subprocess.Popen(["ssh", "-o", "BatchMode=yes", "--", destination, "docker", "system", "dial-stdio"],
                                  stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        theirs.close()
        # Reaped when the connection ends (no zombie per request).
        threading.Thread(target=bridge.wait, daemon=True).start()
        return ours
    return connect


def demultiplex(raw: bytes, streams: tuple[int, ...] = (1, 2)) -> str:
    """The stdout (1) / stderr (2) stream of a non-TTY exec or log: 8-byte frame headers (stream, 0, 0, 0, size)."""
    out: list[bytes] = []
    offset = 0
    while offset + 8 <= len(raw):
        stream, size = struct.unpack(">BxxxL", raw[offset:offset + 8])
        if stream in streams:
            out.append(raw[offset + 8:offset + 8 + size])
        offset += 8 + size
    return b"".join(out).decode(errors="replace")


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    service: str
    state: str  # running, exited, restarting, ...
    labels: dict[str, str]


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    # stdout and stderr in the order they came.
    output: str
    stdout: str


class DockerClient:
    def __init__(self, host: str, timeout: float = 30) -> None:
        self.host = host
        self.timeout = timeout
        self._connection = self._connector(urllib.parse.urlparse(host), timeout)
        self._version: str | None = None

    def _connector(self, parsed: urllib.parse.ParseResult,
                   timeout: float) -> Callable[[], http.client.HTTPConnection]:
        if parsed.scheme == "unix":
            factory = _unix_socket(parsed.path)
            return lambda: _SocketConnection(factory, timeout)
        if parsed.scheme == "tcp":
            return lambda: http.client.HTTPConnection(parsed.hostname or "", parsed.port or 2375, timeout=timeout)
        if parsed.scheme == "ssh":
            ssh = _ssh_socket(ssh_destination(parsed.netloc))
            return lambda: _SocketConnection(ssh, timeout)
        raise DockerError(f"unsupported docker host {self.host!r} (unix://, tcp:// or ssh://)")

    def api_version(self) -> str:
        """`v1.NN`, asked of the engine once (an unversioned `/_ping`, as the docker CLI negotiates)."""
        if self._version is None:
            self._version = negotiated_version(self._send("GET", "/_ping", None)[1].get("API-Version"))
        return self._version

    def _send(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = self._connection()
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, url, body=payload, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        except OSError as error:
            raise DockerError(f"cannot reach the Docker Engine at {self.host}: {error}") from error
        finally:
            connection.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        status, _, data = self._send(method, f"/{self.api_version()}{path}", body)
        return status, data

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, data = self._request(method, path, body)
        if status >= 300:
            raise DockerError(f"{method} {path}: HTTP {status} {data[:200].decode(errors='replace')}")
        return json.loads(data) if data else None

    def containers(self, stack: str) -> list[Container]:
        """Every container (running or not) labelled with the stack."""
        filters = urllib.parse.quote(json.dumps({"label": [f"{STACK_LABEL}={stack}"]}))
        found = self._json("GET", f"/containers/json?all=1&filters={filters}")
        return [Container(id=c["Id"], name=c["Names"][0].lstrip("/"),
                          service=c.get("Labels", {}).get(SERVICE_LABEL, ""), state=c["State"],
                          labels=c.get("Labels", {})) for c in found]

    def stacks(self) -> set[str]:
        """Every stack of the project with a container (running or not) on this engine."""
        filters = urllib.parse.quote(json.dumps({"label": [STACK_LABEL]}))
        found = self._json("GET", f"/containers/json?all=1&filters={filters}")
        return {c.get("Labels", {}).get(STACK_LABEL, "") for c in found} - {""}

    def inspect(self, container_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/containers/{container_id}/json")
        return found

    def exec(self, container_id: str, argv: list[str]) -> ExecResult:
        """Run `argv` in the container (no TTY, no stdin) and return its exit code and output."""
        created = self._json("POST", f"/containers/{container_id}/exec",
                             {"Cmd": argv, "AttachStdout": True, "AttachStderr": True, "Tty": False})
        status, raw = self._request("POST", f"/exec/{created['Id']}/start", {"Detach": False, "Tty": False})
        if status >= 300:
            raise DockerError(f"exec {argv[0]}: HTTP {status} {raw[:200].decode(errors='replace')}")
        state = self._json("GET", f"/exec/{created['Id']}/json")
        return ExecResult(exit_code=int(state.get("ExitCode") or 0), output=demultiplex(raw),
                          stdout=demultiplex(raw, streams=(1,)))

    def logs(self, container_id: str, since: int = 0, tail: int = 500) -> str:
        status, raw = self._request(
            "GET", f"/containers/{container_id}/logs?stdout=1&stderr=1&since={since}&tail={tail}")
        if status >= 300:
            raise DockerError(f"logs: HTTP {status}")
        return demultiplex(raw)
