"""Debian's real Caddy, run with the stack's rendered Caddyfile in front of the integration stack.

What the test copy changes, and nothing else (test_1_edge.py proves it):
- settings (through `parse_settings`): edge.prometheusUrl / edge.alertmanagerUrl set (they are
  optional), every public URL on `*.localhost` at the test's HTTPS port, edge ports free loopback
  ports, `tls: internal` (dev's own value);
- the Caddy configuration: upstreams remapped to the loopback processes (Grafana, which cannot
  run here, to a stand-in answering with the headers Grafana sets; Kibana to a closed port;
  the datasource guard's to the loopback Prometheus), the health listener and the guard on free
  ports, `bind` loopback.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from render.caddy import CaddyConfig, GuardCredentials, edge_config, render_caddyfile
from render.web_config import bcrypt_hash, derive_password
from settings.model import CONTAINER_PORTS, PROJECT, StackSettings, parse_settings
from settings.names import ALERTMANAGER_USER, GRAFANA_GUARD_PURPOSE, PROMETHEUS_USER
from tests.integration.config_copy import on_loopback
from tests.integration.processes import Auth, Process, Processes, auth_headers, free_ports, require_program
from tests.integration.stack import Stack, integration_raw

CADDY = "/usr/bin/caddy"
HOSTS = {"grafana": "grafana.localhost", "kibana": "kibana.localhost", "prometheus": "prometheus.localhost",
         "alertmanager": "alertmanager.localhost"}


# What Grafana sends on every answer (pkg/middleware/middleware.go AddDefaultResponseHeaders:
# X-Frame-Options deny unless allow_embedding, X-Content-Type-Options nosniff), which the
# edge's own values must replace, not join.
UPSTREAM_HEADERS = {"X-Frame-Options": "deny", "X-Content-Type-Options": "nosniff"}


class UiStandIn:
    """Grafana's place behind the edge: 200 with Grafana's security headers, on loopback."""

    def __init__(self, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                for name, value in UPSTREAM_HEADERS.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Edge:
    process: Process
    http_port: int
    https_port: int
    root_ca: Path
    settings: StackSettings
    config: CaddyConfig
    ui: UiStandIn


def edge_settings(stack: Stack, http_port: int, https_port: int) -> StackSettings:
    raw, secret_keys = integration_raw(stack.ports)
    url = {name: f"https://{host}:{https_port}" for name, host in HOSTS.items()}
    raw["edge"] = json.dumps({**json.loads(raw.get("edge", "{}")), "httpPort": http_port, "httpsPort": https_port,
                              "prometheusUrl": url["prometheus"], "alertmanagerUrl": url["alertmanager"]})
    raw["grafana"] = json.dumps({**json.loads(raw.get("grafana", "{}")), "rootUrl": url["grafana"]})
    raw["logging"] = json.dumps({**json.loads(raw.get("logging", "{}")), "kibanaPublicBaseUrl": url["kibana"]})
    return on_loopback(parse_settings(PROJECT, "dev", raw, frozenset(secret_keys)), stack.ports)


def loopback_upstreams(stack: Stack, ui_port: int) -> dict[str, str]:
    closed = f"127.0.0.1:{stack.ports.closed}"
    return {f"prometheus:{CONTAINER_PORTS['prometheus']}": f"127.0.0.1:{stack.ports.prometheus}",
            f"alertmanager:{CONTAINER_PORTS['alertmanager']}": f"127.0.0.1:{stack.ports.alertmanager[0]}",
            f"grafana:{CONTAINER_PORTS['grafana']}": f"127.0.0.1:{ui_port}",
            f"kibana:{CONTAINER_PORTS['kibana']}": closed}


def loopback_edge_config(rendered: CaddyConfig, upstreams: dict[str, str], health_port: int,
                         guard_port: int) -> CaddyConfig:
    sites = [dataclasses.replace(site, upstream=upstreams[site.upstream]) for site in rendered.sites]
    assert rendered.guard is not None
    guard = dataclasses.replace(rendered.guard, upstream=upstreams[rendered.guard.upstream], port=guard_port)
    return dataclasses.replace(rendered, sites=sites, health_port=health_port, bind="127.0.0.1", guard=guard)


def guard_credentials(stack: Stack) -> GuardCredentials:
    """The guard's as the program makes them: the hash of Grafana's derived password, Prometheus' password."""
    return GuardCredentials(bcrypt_hash(grafana_guard_password(stack), "it/edge/grafana"),
                            stack.credentials.prometheus)


def grafana_guard_password(stack: Stack) -> str:
    """What Grafana's datasource sends to the guard (components/grafana.py): derived from prometheusPassword."""
    return derive_password(stack.credentials.prometheus, f"{PROJECT}/{GRAFANA_GUARD_PURPOSE}")


def start_edge(stack: Stack, procs: Processes, work: Path) -> Edge:
    caddy = require_program(CADDY)
    http_port, https_port, health_port, ui_port, guard_port = free_ports(5)
    settings = edge_settings(stack, http_port, https_port)
    creds = stack.credentials
    hashes = {PROMETHEUS_USER: bcrypt_hash(creds.prometheus, "it/edge/prometheus"),
              ALERTMANAGER_USER: bcrypt_hash(creds.alertmanager, "it/edge/alertmanager")}
    config = loopback_edge_config(edge_config(settings, hashes, guard_credentials(stack)),
                                  loopback_upstreams(stack, ui_port), health_port, guard_port)
    ui = UiStandIn(ui_port)
    work.mkdir(parents=True, exist_ok=True)
    caddyfile = work / "Caddyfile"
    caddyfile.write_text(render_caddyfile(config))
    env = {"HOME": str(work), "XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config")}
    try:
        process = procs.start("caddy", [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"], env=env)
        procs.wait_http(process, f"http://127.0.0.1:{health_port}/healthz")
    except BaseException:
        ui.stop()
        raise
    return Edge(process, http_port, https_port, work / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
                settings, config, ui)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class _HostConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with the site's name as SNI and Host (no resolver needed for *.localhost)."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext) -> None:
        super().__init__(host, port, context=context, timeout=10)
        self._context = context

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def https_get(edge: Edge, host: str, path: str, auth: Auth = None, cafile: Path | None = None,
              method: str = "GET") -> Answer:
    context = ssl.create_default_context(cafile=str(cafile or edge.root_ca))
    connection = _HostConnection(host, edge.https_port, context)
    try:
        connection.request(method, path, headers=auth_headers(auth))
        response = connection.getresponse()
        return Answer(response.status, _headers(response.getheaders()), response.read())
    finally:
        connection.close()


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased names; a header sent twice keeps both values, joined by ", " (as HTTP folds them)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def http_get_plain(port: int, host: str, path: str) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"{host}:{port}"})
        response = connection.getresponse()
        return Answer(response.status, _headers(response.getheaders()), response.read())
    finally:
        connection.close()
