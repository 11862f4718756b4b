#!/usr/bin/python3
"""STAND-IN server for an image Debian has no package for (Grafana, Elasticsearch, Kibana, Fluent Bit, cAdvisor).

It is not the software. It reproduces only what the stack relies on in the pinned image, so that
what the *engine* decides (the user the process runs as, which files and volumes it can read and
write, DNS, health, published ports) is proven: at start it reads every file the real program would
read and writes where the real program writes, and exits non-zero if it cannot (as the real one
would fail); then it serves the health endpoint the program's healthcheck calls.

    standin.py grafana|elasticsearch|kibana|fluent-bit|cadvisor [args...]
"""

from __future__ import annotations

import base64
import http.server
import os
import socketserver
import sys
import time
from pathlib import Path
from typing import ClassVar


def fail(message: str) -> None:
    print(f"stand-in: FATAL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def log(message: str) -> None:
    print(f"stand-in: {message}", file=sys.stderr, flush=True)


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as error:
        fail(f"cannot read {path}: {error}")
    raise AssertionError


def write_probe(directory: str, name: str) -> None:
    """Write and fsync a file where the real program keeps its data (its database, its buffer)."""
    path = Path(directory) / name
    try:
        with open(path, "a") as handle:
            handle.write(f"{time.time():.0f} pid {os.getpid()} uid {os.getuid()}\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        fail(f"cannot write {path} as uid {os.getuid()} gid {os.getgid()}: {error}")
    log(f"wrote {path} as uid {os.getuid()}")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, tuple[int, str, str]]] = {}
    default: tuple[int, str, str] = (404, "text/plain", "not found\n")
    password: str | None = None  # Basic auth for every path but the open ones
    open_paths: tuple[str, ...] = ()
    redirect: str | None = None

    def log_message(self, format: str, *args: object) -> None:
        return

    def _authorized(self) -> bool:
        if self.password is None or self.path.split("?")[0] in self.open_paths:
            return True
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user_pass = base64.b64decode(header[6:]).decode(errors="replace")
        return user_pass.split(":", 1)[1:] == [self.password]

    def _answer(self, with_body: bool) -> None:
        if self.redirect is not None and self.path.split("?")[0] == "/":
            self.send_response(302, "Found")
            self.send_header("Location", self.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self._authorized():
            body = b'{"error":"unauthorized"}\n'
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="stand-in"')
        else:
            status, kind, text = self.routes.get(self.path.split("?")[0], self.default)
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)

    def _read_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_POST(self) -> None:
        self._read_body()
        self._answer(True)

    def do_PUT(self) -> None:
        self._read_body()
        self._answer(True)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port: int) -> None:
    log(f"serving on :{port}")
    Server(("0.0.0.0", port), Handler).serve_forever()


def env_files() -> None:
    """Grafana's run.sh and Elasticsearch's entrypoint: every *__FILE / *_FILE variable's file is read."""
    for name, value in sorted(os.environ.items()):
        if name.endswith("_FILE") and value.startswith("/"):
            read(value)
            log(f"read {name} -> {value}")


def grafana(_: list[str]) -> None:
    env_files()
    write_probe(os.environ.get("GF_PATHS_DATA", "/var/lib/grafana"), "grafana.db")
    # Grafana serves its own metrics at /metrics without authentication (Prometheus scrapes it there).
    Handler.routes = {"/api/health": (200, "application/json", '{"database":"ok","version":"stand-in"}\n'),
                      "/metrics": (200, "text/plain", 'grafana_build_info{version="stand-in"} 1\n')}
    Handler.default = (200, "text/html", "grafana stand-in\n")
    serve(3000)


def elasticsearch(_: list[str]) -> None:
    password = os.environ.get("ELASTIC_PASSWORD")
    if not password:
        fail("ELASTIC_PASSWORD is unset (the entrypoint reads ELASTIC_PASSWORD_FILE)")
    write_probe("/usr/share/elasticsearch/data", "node.lock")
    repo = os.environ.get("path.repo")  # noqa: SIM112 - Elasticsearch's own setting name
    if repo:
        write_probe(repo, "standin-repository-check")
    Handler.password = password
    Handler.routes = {"/_cluster/health": (200, "application/json", '{"status":"green"}\n')}
    Handler.default = (200, "application/json", '{"acknowledged":true}\n')
    serve(9200)


def kibana(_: list[str]) -> None:
    config = read("/usr/share/kibana/config/kibana.yml")
    log(f"read kibana.yml ({len(config)} bytes)")
    Handler.redirect = "/spaces/enter"
    # kibana-setup reads the import's reply for "success":true (Kibana's saved objects API).
    Handler.routes = {"/api/saved_objects/_import": (200, "application/json", '{"success":true,"successCount":1}\n')}
    Handler.default = (200, "text/html", "kibana stand-in\n")
    serve(5601)


def fluent_bit(args: list[str]) -> None:
    config = args[args.index("-c") + 1] if "-c" in args else "/fluent-bit/etc/fluent-bit.conf"
    for line in read(config).splitlines():
        words = line.split()
        if words[:1] == ["@INCLUDE"]:
            read(words[1])
            log(f"read {words[1]}")
    write_probe("/fluent-bit/data", "standin-buffer")
    logs = Path("/var/lib/docker/containers")
    if logs.is_dir():
        log(f"{len(list(logs.iterdir()))} container log directories visible")
    metrics = "fluentbit_uptime 1\n"
    Handler.routes = {"/api/v1/health": (200, "text/plain", "ok\n"),
                      "/api/v2/metrics/prometheus": (200, "text/plain", metrics),
                      "/api/v1/metrics/prometheus": (200, "text/plain", metrics)}
    serve(2020)


def cadvisor(_: list[str]) -> None:
    Handler.routes = {"/healthz": (200, "text/plain", "ok"),
                      "/metrics": (200, "text/plain", "cadvisor_version_info{cadvisorVersion=\"stand-in\"} 1\n")}
    serve(8080)


MODES = {"grafana": grafana, "elasticsearch": elasticsearch, "kibana": kibana, "fluent-bit": fluent_bit,
         "cadvisor": cadvisor}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        fail(f"usage: standin.py {'|'.join(MODES)} [args]")
    log(f"{sys.argv[1]} STAND-IN (not the real software) as uid {os.getuid()} gid {os.getgid()}")
    MODES[sys.argv[1]](sys.argv[2:])
