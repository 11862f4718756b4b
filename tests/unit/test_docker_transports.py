"""The Engine API client over each `docker:host` scheme doctor supports: unix:// (the default socket)
and ssh:// (`ssh <host> docker system dial-stdio`, as the docker CLI does), against a small Engine API
stand-in; plus the multiplexed stream format of exec and logs."""

from __future__ import annotations

import json
import os
import re
import socketserver
import stat
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from doctor.docker_api import DockerClient, DockerError, demultiplex

CONTAINERS = [{"Id": "abc", "Names": ["/christmas-monitoring-dev-prometheus"], "State": "running",
               "Labels": {"com.christmas.monitoring.stack": "dev", "com.christmas.monitoring.service": "prometheus"}}]


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []
    # What the engine announces at /_ping (Docker 20.10: 1.41); None: no header.
    announces: ClassVar[str | None] = "1.43"

    def do_GET(self) -> None:
        Handler.seen.append(self.path)
        if self.path == "/_ping":
            self.send_response(200)
            if Handler.announces is not None:
                self.send_header("API-Version", Handler.announces)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")
            return
        asked = tuple(int(n) for n in self.path.split("/")[1][1:].split("."))
        if asked > tuple(int(n) for n in (Handler.announces or "0.0").split(".")):
            # As dockerd answers a version newer than its own.
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(CONTAINERS).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:  # a unix socket peer has no host
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def unix_engine(tmp_path):
    path = str(tmp_path / "docker.sock")
    server = socketserver.ThreadingUnixStreamServer(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Handler.seen = []
    Handler.announces = "1.43"
    yield path
    server.shutdown()
    server.server_close()


def test_unix_socket(unix_engine):
    found = DockerClient(f"unix://{unix_engine}").containers("dev")
    assert [(c.name, c.service, c.state) for c in found] == [("christmas-monitoring-dev-prometheus", "prometheus",
                                                               "running")]
    assert Handler.seen[0] == "/_ping"
    assert Handler.seen[1].startswith("/v1.43/containers/json?all=1&filters=")
    assert "com.christmas.monitoring.stack%3Ddev" in Handler.seen[1]


@pytest.mark.parametrize(("announced", "spoken"), [("1.41", "/v1.41/"), ("1.42", "/v1.42/"), ("1.43", "/v1.43/"),
                                                   ("1.47", "/v1.43/"), ("2.0", "/v1.43/")])
def test_the_api_version_is_the_engines_up_to_the_newest_doctor_knows(unix_engine, announced, spoken):
    """Docker 20.10 (Debian bookworm's docker.io) serves API 1.41 and answers 400 to /v1.43/: doctor speaks
    the engine's version when it is older, its own when the engine's is newer, and asks once per client."""
    Handler.announces = announced
    client = DockerClient(f"unix://{unix_engine}")
    assert [c.service for c in client.containers("dev")] == ["prometheus"]
    client.containers("dev")
    assert Handler.seen[0] == "/_ping" and Handler.seen.count("/_ping") == 1
    assert all(path.startswith(spoken) for path in Handler.seen[1:]), Handler.seen


@pytest.mark.parametrize(("announced", "message"), [
    ("1.40", "speaks API 1.40, older than doctor supports (1.41, Docker 20.10): upgrade Docker"),
    (None, "did not announce its API version"), ("one.two", "did not announce its API version")])
def test_an_engine_older_than_docker_20_10_is_named(unix_engine, announced, message):
    Handler.announces = announced
    with pytest.raises(DockerError, match=re.escape(message)):
        DockerClient(f"unix://{unix_engine}").containers("dev")


def test_ssh_runs_docker_dial_stdio_on_the_host(unix_engine, tmp_path, monkeypatch):
    # A stand-in `ssh` that checks its arguments, then bridges stdin/stdout to the engine's socket.
    ssh = tmp_path / "bin" / "ssh"
    ssh.parent.mkdir()
    ssh.write_text(f"""#!{sys.executable}
import socket, sys, threading
expected = ["-o", "BatchMode=yes", "--", "ssh://ops@docker-host", "docker", "system", "dial-stdio"]
assert sys.argv[1:] == expected, sys.argv
s = socket.socket(socket.AF_UNIX); s.connect({unix_engine!r})
def up():
    while data := sys.stdin.buffer.read1(65536):
        s.sendall(data)
threading.Thread(target=up, daemon=True).start()
while data := s.recv(65536):
    sys.stdout.buffer.write(data); sys.stdout.buffer.flush()
""")
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{ssh.parent}{os.pathsep}{os.environ['PATH']}")
    found = DockerClient("ssh://ops@docker-host").containers("dev")
    assert [c.service for c in found] == ["prometheus"]


def test_demultiplex_keeps_streams_apart():
    raw = struct.pack(">BxxxL", 1, 3) + b"out" + struct.pack(">BxxxL", 2, 3) + b"err"
    assert demultiplex(raw) == "outerr"
    assert demultiplex(raw, streams=(1,)) == "out"


def test_an_unknown_scheme_is_refused():
    with pytest.raises(Exception, match="unix://, tcp:// or ssh://"):
        DockerClient("npipe:////./pipe/docker_engine")




def test_the_stacks_on_an_engine_are_asked_with_the_label_key_alone(unix_engine):
    """Every container with the project's stack label, whatever its value (Docker's `label=<key>` filter)."""
    assert DockerClient(f"unix://{unix_engine}").stacks() == {"dev"}
    filters = json.loads(urllib.parse.unquote(Handler.seen[1].partition("filters=")[2]))
    assert filters == {"label": ["com.christmas.monitoring.stack"]}
