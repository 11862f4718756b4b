"""The edge on loopback: Debian's Caddy (internal CA) in front of the real Prometheus and Alertmanager.

Prometheus and Alertmanager run with the generated web configuration (tests/integration/stack.py);
Caddy runs the Caddyfile rendered from the dev settings, changed only as tests/integration/edge.py
lists (test_the_caddy_config_differs_only_in_upstreams_health_port_and_bind proves it). It runs
before test_2_alerts, which stops an Alertmanager peer.
"""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.auth import authenticated_healthcheck
from components.edge import edge_healthcheck
from render.caddy import GuardCredentials, edge_config
from tests.expected import SECURITY_HEADERS
from tests.integration.edge import (
    HOSTS,
    UPSTREAM_HEADERS,
    Edge,
    edge_settings,
    grafana_guard_password,
    http_get_plain,
    https_get,
    loopback_edge_config,
    loopback_upstreams,
    start_edge,
)
from tests.integration.processes import Processes, auth_headers, http_get, require_program, wait_until
from tests.integration.stack import BUILD_DIR, Stack

pytestmark = pytest.mark.integration

# A path each server answers with 200 once authenticated.
PATHS = {"prometheus": "/api/v1/status/buildinfo", "alertmanager": "/api/v2/status"}


@pytest.fixture(scope="module")
def edge(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    procs = Processes(BUILD_DIR / "logs" / "edge")
    running: Edge | None = None
    try:
        running = start_edge(stack, procs, tmp_path_factory.mktemp("caddy"))
        edge = running
        # Caddy issues the internal certificates just after start: wait for the first handshake.
        wait_until(lambda: https_get(edge, HOSTS["prometheus"], "/-/healthy",
                                     stack.credentials.prometheus_auth).status == 200, 30,
                   "Caddy to serve prometheus.localhost over HTTPS")
        yield running
    finally:
        procs.stop_all()
        if running is not None:
            running.ui.stop()


def credentials(stack: Stack, service: str) -> tuple[str, str] | None:
    c = stack.credentials
    return c.prometheus_auth if service == "prometheus" else c.alertmanager_auth


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_https_with_the_ca_and_credentials_reaches_the_service(edge: Edge, stack: Stack, service: str):
    answer = https_get(edge, HOSTS[service], PATHS[service], credentials(stack, service))
    assert answer.status == 200, answer
    assert answer.body.startswith(b"{")


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_no_or_wrong_credentials_get_401_at_the_edge(edge: Edge, service: str):
    for auth in (None, (service, "not-the-password"), ("admin", "admin")):
        answer = https_get(edge, HOSTS[service], PATHS[service], auth)
        assert answer.status == 401, (auth, answer)
        assert answer.headers.get("www-authenticate", "").startswith("Basic")


# The admin endpoints as a client could spell them: case, doubled or dot segments, an escaped letter.
ADMIN_SPELLINGS = ("/api/v1/admin/tsdb/snapshot", "/API/v1/admin/tsdb/snapshot", "/api/v1/ADMIN/tsdb/snapshot",
                   "//api/v1/admin/tsdb/snapshot", "/api/v1//admin/tsdb/snapshot", "/api/v1/./admin/tsdb/snapshot",
                   "/api/v1/x/../admin/tsdb/snapshot", "/api/v1/%61dmin/tsdb/snapshot",
                   "/api/v1/admin/tsdb/delete_series?match[]=up", "/api/v1/admin/tsdb/clean_tombstones")


def test_prometheus_admin_api_is_refused_at_the_edge_even_with_prometheus_password(edge: Edge, stack: Stack):
    """Prometheus runs with the admin API on (the backups' snapshots); delete_series must never be reachable
    from outside the stack network, whoever holds the password the edge asks for."""
    auth = credentials(stack, "prometheus")
    assert https_get(edge, HOSTS["prometheus"], ADMIN_SPELLINGS[0], auth, method="POST").status == 403
    for path in ADMIN_SPELLINGS:
        for method in ("POST", "PUT", "GET"):
            answer = https_get(edge, HOSTS["prometheus"], path, auth, method=method)
            assert not 200 <= answer.status < 300, (method, path, answer)
    # Without the password it is the login, as everywhere on that site.
    assert https_get(edge, HOSTS["prometheus"], ADMIN_SPELLINGS[0], None, method="POST").status == 401


def test_grafanas_own_metrics_are_not_public(edge: Edge):
    for path in ("/metrics", "/METRICS", "/metrics/", "//metrics"):
        answer = https_get(edge, HOSTS["grafana"], path)
        assert answer.status == 403, (path, answer)
    assert https_get(edge, HOSTS["grafana"], "/api/health").status == 200  # the rest is proxied


def test_one_services_password_does_not_open_the_other(edge: Edge, stack: Stack):
    wrong = ("alertmanager", stack.credentials.prometheus)
    answer = https_get(edge, HOSTS["alertmanager"], PATHS["alertmanager"], wrong)
    assert answer.status == 401


def test_a_client_without_the_ca_refuses_the_certificate(edge: Edge, tmp_path: Path):
    # The connection is real TLS: a client trusting another CA refuses it.
    other_ca = tmp_path / "other.pem"
    other_ca.write_text(_self_signed(tmp_path))
    with pytest.raises(ssl.SSLCertVerificationError):
        https_get(edge, HOSTS["prometheus"], "/-/healthy", cafile=other_ca)


def _self_signed(tmp_path: Path) -> str:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=other-ca", "-keyout", str(tmp_path / "k.pem"),
                    "-out", str(tmp_path / "c.pem")], check=True, capture_output=True, timeout=30)
    return (tmp_path / "c.pem").read_text()


@pytest.mark.parametrize("service", ["prometheus", "alertmanager", "grafana", "kibana"])
def test_plain_http_is_redirected_to_https(edge: Edge, service: str):
    answer = http_get_plain(edge.http_port, HOSTS[service], "/graph?x=1")
    assert answer.status in (301, 308), answer
    assert answer.headers["location"] == f"https://{HOSTS[service]}:{edge.https_port}/graph?x=1"


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_every_answer_carries_hsts_and_the_security_headers(edge: Edge, stack: Stack, service: str):
    for auth in (credentials(stack, service), None):
        answer = https_get(edge, HOSTS[service], PATHS[service], auth)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name.lower()) == value, (auth, name, answer.headers)


def test_grafanas_own_security_headers_are_replaced_not_doubled(edge: Edge):
    # Grafana sends X-Frame-Options: deny; two different values would make browsers ignore both.
    answer = https_get(edge, HOSTS["grafana"], "/login")
    assert answer.status == 200 and answer.body == b"ok"
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name.lower()) == value, (name, answer.headers)
    assert set(UPSTREAM_HEADERS) <= set(SECURITY_HEADERS)


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_the_services_themselves_refuse_requests_without_credentials(stack: Stack, service: str):
    url = stack.prometheus_url if service == "prometheus" else stack.alertmanager_url(0)
    with pytest.raises(urllib.error.HTTPError) as refused:
        http_get(url + PATHS[service])
    assert refused.value.code == 401
    assert http_get(url + PATHS[service], auth=credentials(stack, service)).startswith(b"{")


def test_prometheus_scrapes_itself_and_alertmanager_with_credentials(stack: Stack):
    up = {r["metric"]["instance"]: r["value"][1] for r in stack.query('up{job=~"prometheus|alertmanager"}')}
    assert len(up) == 1 + len(stack.alertmanagers) and set(up.values()) == {"1"}, up


def test_prometheus_delivers_alerts_to_alertmanager_through_its_credentials(stack: Stack):
    # Deliveries that succeeded: attempts minus errors (a 401 from Alertmanager counts as an error).
    # The first alerts go out once the Alertmanagers are discovered, the Watchdog after the 1m resend delay.
    def delivered() -> float:
        sent = stack.query("sum(prometheus_notifications_sent_total)")
        errors = stack.query("sum(prometheus_notifications_errors_total)")
        return float(sent[0]["value"][1]) - float(errors[0]["value"][1]) if sent and errors else 0.0

    wait_until(delivered, max(5.0, stack.started_at + 80 - time.monotonic()), "an alert delivered to Alertmanager")
    assert stack.query("sum(prometheus_notifications_errors_total)")[0]["value"][1] == "0"


def test_the_caddy_config_differs_only_in_upstreams_health_port_and_bind(edge: Edge, stack: Stack):
    assert edge.config.guard is not None
    rendered = edge_config(edge_settings(stack, edge.http_port, edge.https_port),
                           {site.basic_auth.user: site.basic_auth.bcrypt_hash
                            for site in edge.config.sites if site.basic_auth},
                           GuardCredentials(edge.config.guard.basic_auth.bcrypt_hash, stack.credentials.prometheus))
    ui_port = int(next(s.upstream for s in edge.config.sites if s.host == HOSTS["grafana"]).rpartition(":")[2])
    copy = loopback_edge_config(rendered, loopback_upstreams(stack, ui_port), edge.config.health_port,
                                edge.config.guard.port)
    assert copy == edge.config
    assert [dataclasses.replace(s, upstream="") for s in copy.sites] == [
        dataclasses.replace(s, upstream="") for s in rendered.sites]
    assert rendered.guard is not None and copy.guard is not None
    assert dataclasses.replace(copy.guard, upstream="", port=0) == dataclasses.replace(rendered.guard, upstream="",
                                                                                       port=0)
    assert dataclasses.replace(copy, sites=rendered.sites, health_port=rendered.health_port, bind="",
                               guard=rendered.guard) == rendered


# --------------------------------------------------------------------------- Grafana's datasource guard

def plain_request(url: str, auth: tuple[str, str] | None, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, headers=auth_headers(auth))
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def guard_get(edge: Edge, path: str, auth: tuple[str, str] | None, method: str = "GET") -> tuple[int, bytes]:
    assert edge.config.guard is not None
    return plain_request(f"http://127.0.0.1:{edge.config.guard.port}{path}", auth, method)


def test_grafanas_credential_queries_prometheus_through_the_guard(edge: Edge, stack: Stack):
    """What Grafana's datasource sends (user `grafana`, its password derived from prometheusPassword) reaches
    the real Prometheus through the guard, which adds Prometheus' own credential."""
    status, body = guard_get(edge, "/api/v1/query?query=up", ("grafana", grafana_guard_password(stack)))
    assert status == 200 and json.loads(body)["data"]["result"], body[:300]


def test_grafanas_credential_cannot_delete_series_or_snapshot(edge: Edge, stack: Stack):
    """The admin API is on for the backups' snapshots; with Grafana's credential, neither through the guard
    (ten spellings, three methods) nor at Prometheus itself (which does not know the user) is it reachable."""
    grafana = ("grafana", grafana_guard_password(stack))
    for path in ADMIN_SPELLINGS:
        for method in ("POST", "PUT", "GET"):
            status, body = guard_get(edge, path, grafana, method)
            assert not 200 <= status < 300, (method, path, status, body[:200])
    assert guard_get(edge, ADMIN_SPELLINGS[0], grafana, "POST")[0] == 403
    prometheus = f"http://127.0.0.1:{stack.ports.prometheus}"
    direct = plain_request(f"{prometheus}/api/v1/admin/tsdb/delete_series?match[]=up", grafana, "POST")
    assert direct[0] == 401, direct
    assert plain_request(f"{prometheus}/api/v1/query?query=up", grafana)[0] == 401


def test_the_guard_wants_grafanas_credential_and_no_other(edge: Edge, stack: Stack):
    for auth in (None, ("grafana", "not-the-password"), ("prometheus", stack.credentials.prometheus),
                 ("grafana", stack.credentials.prometheus)):
        assert guard_get(edge, "/api/v1/query?query=up", auth)[0] == 401, auth


# --------------------------------------------------------------------------- the containers' healthchecks

BUSYBOX = "/bin/busybox"


def run_healthcheck(test: list[str], tmp_path: Path) -> int:
    """A Docker healthcheck (`CMD-SHELL` or `CMD`) run with busybox, whose sh and wget the images ship."""
    busybox = require_program(BUSYBOX)
    # The images' wget and nc are busybox applets: the same here, first on PATH.
    applets = tmp_path / "busybox-applets"
    applets.mkdir(exist_ok=True)
    for applet in ("wget", "nc"):
        if not (applets / applet).exists():
            (applets / applet).symlink_to(busybox)
    env = {**os.environ, "PATH": f"{applets}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    argv = [busybox, "sh", "-c", test[1]] if test[0] == "CMD-SHELL" else [busybox, *test[1:]]
    return subprocess.run(argv, capture_output=True, timeout=30, check=False, cwd=tmp_path, env=env).returncode


@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_the_authenticated_healthcheck_passes_with_the_password_file_and_fails_with_another(
        stack: Stack, service: str, tmp_path: Path):
    user, password = credentials(stack, service) or ("", "")
    port = stack.ports.prometheus if service == "prometheus" else stack.ports.alertmanager[0]
    password_file = tmp_path / "password"
    check = authenticated_healthcheck(port, "/-/healthy", user, str(password_file))
    password_file.write_text(password)
    assert run_healthcheck(list(check.test), tmp_path) == 0
    password_file.write_text("wrong-password")
    assert run_healthcheck(list(check.test), tmp_path) != 0


def test_the_edge_healthcheck_passes_on_its_loopback_listener(edge: Edge, tmp_path: Path):
    assert run_healthcheck(list(edge_healthcheck(edge.config.health_port).test), tmp_path) == 0
