"""The Engine API client over each `docker:host` scheme doctor supports: unix:// (the default socket)
and ssh:// (`ssh <host> docker system dial-stdio`, as the docker CLI does), against a small Engine API
stand-in; plus the multiplexed stream format of exec and logs."""

from __future__ import annotations

import json
import os
import socketserver
import stat
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from doctor.docker_api import DockerClient, demultiplex

CONTAINERS = [{"Id": "abc", "Names": ["/christmas-monitoring-dev-prometheus"], "State": "running",
               "Labels": {"com.christmas.monitoring.stack": "dev", "com.christmas.monitoring.service": "prometheus"}}]


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Handler.seen.append(self.path)
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
    yield path
    server.shutdown()
    server.server_close()


def test_unix_socket(unix_engine):
    found = DockerClient(f"unix://{unix_engine}").containers("dev")
    assert [(c.name, c.service, c.state) for c in found] == [("christmas-monitoring-dev-prometheus", "prometheus",
                                                               "running")]
    assert Handler.seen[0].startswith("/v1.43/containers/json?all=1&filters=")
    assert "com.christmas.monitoring.stack%3Ddev" in Handler.seen[0]


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


