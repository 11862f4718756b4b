"""The edge's Caddyfile pinned as stated: the stack's sites from its settings, the health listener, addresses,
refusals with their reason, and one site's Caddyfile line by line (the mutants of render/caddy.py that
survived tests/config/test_caddy.py, issue 26)."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest

from render.caddy import (
    BasicAuth,
    CaddyConfig,
    DatasourceGuard,
    GuardCredentials,
    Site,
    basic_auth_users,
    edge_config,
    guard_port,
    render_caddyfile,
)
from render.caddyfile import quoted, token
from settings.model import PROJECT, parse_settings
from tests.config.test_caddy import SITES, adapt
from tests.unit.test_edge_settings import raw


def test_the_stacks_edge_serves_each_public_url_on_its_upstream_with_its_settings() -> None:
    """From the settings: Grafana and Kibana open, Prometheus and Alertmanager behind their own users."""
    config, secret_keys = raw("prod", edge={"prometheusUrl": "https://prometheus.christmas-trading.com",
                                            "alertmanagerUrl": "https://alertmanager.christmas-trading.com",
                                            "acmeCa": "https://acme-staging-v02.api.letsencrypt.org/directory",
                                            "httpPort": 8080})
    settings = parse_settings(PROJECT, "prod", config, secret_keys)
    edge = edge_config(settings, {"prometheus": "$2b$hash-p", "alertmanager": "$2b$hash-a"},
                       GuardCredentials("$2b$hash-g", "prometheus-pw"))
    assert [(site.host, site.upstream, site.basic_auth) for site in edge.sites] == [
        ("grafana.christmas-trading.com", "grafana:3000", None),
        ("kibana.christmas-trading.com", "kibana:5601", None),
        ("prometheus.christmas-trading.com", "prometheus:9090", BasicAuth("prometheus", "$2b$hash-p")),
        ("alertmanager.christmas-trading.com", "alertmanager:9093", BasicAuth("alertmanager", "$2b$hash-a")),
    ]
    assert (edge.tls, edge.http_port, edge.https_port) == ("acme", 8080, 443)
    assert (edge.acme_email, edge.acme_ca) == ("ops@christmas-trading.com",
                                               "https://acme-staging-v02.api.letsencrypt.org/directory")
    assert basic_auth_users(settings) == ["prometheus", "alertmanager"]
    # Grafana's way to Prometheus: its own user, Prometheus' credential added upstream, the admin API refused.
    assert edge.guard == DatasourceGuard(
        port=9091, basic_auth=BasicAuth("grafana", "$2b$hash-g"), upstream="prometheus:9090",
        upstream_authorization="Basic cHJvbWV0aGV1czpwcm9tZXRoZXVzLXB3", refused_paths=("/api/v1/admin/*",))


GUARD = DatasourceGuard(9091, BasicAuth("grafana", "$2b$12$abcdefghijklmnopqrstuv"), "prometheus:9090",
                        "Basic cHJvbWV0aGV1czpzM2NyZXQ=", ("/api/v1/admin/*",))


def test_the_datasource_guard_is_written_as_an_operator_reads_it() -> None:
    text = render_caddyfile(CaddyConfig(sites=[], tls="internal", guard=GUARD))
    hashed = base64.b64encode(b"$2b$12$abcdefghijklmnopqrstuv").decode()
    assert ("http://:9091 {\n"
            "\tbasicauth {\n"
            f"\t\tgrafana {hashed}\n"
            "\t}\n"
            "\t@refused path /api/v1/admin/*\n"
            "\trespond @refused 403\n"
            "\treverse_proxy prometheus:9090 {\n"
            '\t\theader_up Authorization "Basic cHJvbWV0aGV1czpzM2NyZXQ="\n'
            "\t}\n"
            "}\n") in text


def test_the_guard_answers_the_admin_api_itself_and_sends_prometheus_credential(tmp_path: Path) -> None:
    """As Caddy (Debian's 2.6) reads it: one server on :9091 whose routes authenticate, answer the admin
    paths 403, and proxy the rest with the Authorization header replaced."""
    adapted = adapt(CaddyConfig(sites=[], tls="internal", guard=GUARD), tmp_path)
    [guard] = [s for s in adapted["apps"]["http"]["servers"].values() if s["listen"] == [":9091"]]
    handlers = json.dumps(guard["routes"])
    assert '"handler": "authentication"' in handlers and '"grafana"' in handlers
    assert '"path": ["/api/v1/admin/*"]' in handlers and '"status_code": 403' in handlers
    assert '"Authorization": ["Basic cHJvbWV0aGV1czpzM2NyZXQ="]' in handlers
    assert '"dial": "prometheus:9090"' in handlers


@pytest.mark.parametrize(("http_port", "https_port", "port"), [(80, 443, 9091), (9091, 443, 9092),
                                                              (9091, 9092, 9093), (80, 9091, 9092)])
def test_the_guard_moves_off_the_edges_own_ports(http_port: int, https_port: int, port: int) -> None:
    assert guard_port(http_port, https_port) == port


def test_a_guard_on_a_port_another_listener_has_is_refused() -> None:
    with pytest.raises(ValueError, match="the datasource guard's port 8081 is taken by another listener"):
        render_caddyfile(CaddyConfig(sites=[], tls="internal", guard=dataclasses.replace(GUARD, port=8081)))


def test_the_health_listener_answers_200_on_its_path_only(tmp_path: Path) -> None:
    adapted = adapt(CaddyConfig(sites=SITES, tls="internal"), tmp_path)
    [health] = [s for s in adapted["apps"]["http"]["servers"].values() if s["listen"] == ["127.0.0.1:8081"]]
    [route] = health["routes"]
    assert route["match"] == [{"path": ["/healthz"]}]
    assert route["handle"] == [{"handler": "static_response", "status_code": 200}]


def test_a_site_on_443_is_addressed_by_its_name_alone_and_elsewhere_with_its_port() -> None:
    site = Site("grafana.christmas-trading.com", "grafana:3000")
    assert "\ngrafana.christmas-trading.com {\n" in render_caddyfile(CaddyConfig(sites=[site], tls="acme"))
    assert "\ngrafana.christmas-trading.com:444 {\n" in render_caddyfile(CaddyConfig(sites=[site], tls="acme",
                                                                                    https_port=444))


def test_a_header_value_caddy_would_interpret_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'a\{b' cannot be written into the Caddyfile as a quoted token"):
        quoted("a{b")
    assert quoted("max-age=1; x") == '"max-age=1; x"'


# What an operator reads in build/<stack>/edge/etc/caddy/Caddyfile for one site: every line stated.
ONE_SITE = """\
# Generated by christmas-monitoring (render/caddy.py).
{
\tadmin off
\thttp_port 80
\tservers {
\t\tprotocols h1 h2
\t}
\temail ops@example.com
}
grafana.example.com {
\theader {
\t\tStrict-Transport-Security "max-age=31536000; includeSubDomains"
\t\tX-Content-Type-Options "nosniff"
\t\tX-Frame-Options "SAMEORIGIN"
\t\tReferrer-Policy "strict-origin-when-cross-origin"
\t}
\treverse_proxy grafana:3000 {
\t\theader_down -Strict-Transport-Security
\t\theader_down -X-Content-Type-Options
\t\theader_down -X-Frame-Options
\t\theader_down -Referrer-Policy
\t}
}
http://:8081 {
\tbind 127.0.0.1
\trespond /healthz 200
}
"""


def test_the_caddyfile_of_one_site_reads_as_stated() -> None:
    config = CaddyConfig(sites=[Site("grafana.example.com", "grafana:3000")], tls="acme", acme_email="ops@example.com")
    assert render_caddyfile(config) == ONE_SITE


def test_a_bound_edge_listens_on_that_address_only_over_http1_and_http2(tmp_path: Path) -> None:
    adapted = adapt(CaddyConfig(sites=SITES, tls="internal", https_port=8443, bind="127.0.0.1"), tmp_path)
    servers = adapted["apps"]["http"]["servers"].values()
    assert sorted(address for s in servers for address in s["listen"]) == ["127.0.0.1:8081", "127.0.0.1:8443"]
    # No HTTP/3: nothing listens on UDP.
    assert [s["protocols"] for s in servers] == [["h1", "h2"], ["h1", "h2"]]


def test_a_token_caddy_would_interpret_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'\{\$HOME\}' cannot be written into the Caddyfile as a plain token"):
        token("{$HOME}")


def test_the_internal_ca_is_never_installed_into_a_trust_store(tmp_path: Path) -> None:
    adapted = adapt(CaddyConfig(sites=SITES, tls="internal"), tmp_path)
    assert adapted["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False
    (tmp_path / "acme").mkdir()
    assert "pki" not in adapt(CaddyConfig(sites=SITES, tls="acme"), tmp_path / "acme")["apps"]


@pytest.mark.parametrize(("config", "message"), [
    (CaddyConfig(sites=SITES, tls="self-signed"),  # type: ignore[arg-type]
     "tls must be one of acme, internal, files"),
    (CaddyConfig(sites=[*SITES, Site("grafana.christmas-trading.com", "x:1")], tls="acme"),
     "two sites share a host name: ['grafana.christmas-trading.com', 'kibana.christmas-trading.com', "
     "'prometheus.christmas-trading.com', 'grafana.christmas-trading.com']"),
    (CaddyConfig(sites=[Site("grafana..example.com", "x:1")], tls="acme"),
     "'grafana..example.com' is not a host name Caddy can serve"),
])
def test_a_configuration_caddy_cannot_serve_is_refused_with_its_reason(config: CaddyConfig, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        render_caddyfile(config)
    assert str(refused.value) == message
