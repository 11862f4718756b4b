"""The Engine API proxy's HAProxy configuration, run by Debian's HAProxy against a stand-in Engine socket.

Proves what Prometheus' Swarm discovery gets through the proxy and what nobody gets: the list endpoints
and the version handshake, with their query strings, pass; a service's or task's own path, logs,
containers, secrets, and any POST are refused (docker-socket-proxy's SERVICES/TASKS sections allowed all
of those under /services and /tasks).
"""

from __future__ import annotations

import http.client
import http.server
import shutil
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from render.docker_api import render_haproxy_cfg
from tests.integration.processes import free_ports


def _haproxy() -> str:
    path = shutil.which("haproxy")
    if not path:
        pytest.fail("haproxy is not installed: run `make tools`", pytrace=False)
    return path


class _Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Answer(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b'{"asked": "' + self.path.encode() + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer  # noqa: N815 - http.server's method names

    def address_string(self) -> str:  # a unix socket has no client address
        return "engine"

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("proxy")
    socket = tmp / "docker.sock"
    engine = _Engine(str(socket), _Answer)
    threading.Thread(target=engine.serve_forever, daemon=True).start()
    (port,) = free_ports(1)
    config = tmp / "haproxy.cfg"
    config.write_text(render_haproxy_cfg(port, socket=str(socket)).replace(f"bind :{port}", f"bind 127.0.0.1:{port}"))
    check = subprocess.run([_haproxy(), "-c", "-f", str(config)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    proc = subprocess.Popen([_haproxy(), "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        engine.shutdown()
        engine.server_close()


def status(port: int, path: str, method: str = "GET") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path)
    return connection.getresponse().status


@pytest.mark.parametrize("path", ["/_ping", "/version", "/v1.41/nodes", "/v1.41/services", "/v1.41/networks",
                                  '/v1.41/tasks?filters={"desired-state":["running"]}', "/nodes"])
def test_what_swarm_discovery_reads_passes(proxy: int, path: str) -> None:
    assert status(proxy, path) == 200


@pytest.mark.parametrize("path", ["/v1.41/services/abc123", "/v1.41/services/abc123/logs", "/v1.41/tasks/t1",
                                  "/v1.41/tasks/t1/logs", "/v1.41/containers/json", "/v1.41/containers/c1/json",
                                  "/v1.41/secrets", "/v1.41/configs", "/v1.41/info", "/v1.41/events",
                                  "/v1.41/nodes/n1", "/v1.41/services%2Fabc/logs", "/v1.41/swarm"])
def test_anything_else_is_refused(proxy: int, path: str) -> None:
    assert status(proxy, path) == 403


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_no_write_passes_even_on_an_allowed_path(proxy: int, method: str) -> None:
    assert status(proxy, "/v1.41/services", method) == 403
    assert status(proxy, "/v1.41/services/create", method) == 403


def test_the_image_gets_the_docker_socket_and_the_well_known_port() -> None:
    text = render_haproxy_cfg(2375)
    assert "bind :2375" in text and "server engine /var/run/docker.sock" in text
