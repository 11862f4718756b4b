"""The edge's Caddyfile, judged by Debian's `caddy` (validate and adapt), hostile values included."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offline.mocks import unwrap
from render.caddy import (
    CONFIG_PATH,
    BasicAuth,
    CaddyConfig,
    Site,
    is_site_host,
    render_caddyfile,
)
from render.web_config import bcrypt_hash
from settings.model import PROJECT, SettingsError, parse_settings
from tests.expected import SECURITY_HEADERS
from tests.unit.test_edge_settings import raw

PASSWORD = "Zq8xW2vN5kT7-a-long-random-password"
SITES = (
    Site("grafana.christmas-trading.com", "grafana:3000"),
    Site("kibana.christmas-trading.com", "kibana:5601"),
    Site("prometheus.christmas-trading.com", "prometheus:9090",
         BasicAuth("prometheus", bcrypt_hash(PASSWORD, "christmas-monitoring/prod/prometheus"))),
)


def caddy(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("caddy")
    assert exe, "caddy is missing: run `make tools` (Debian package caddy)"
    # Caddy keeps its storage (the internal CA's keys) under these: a private temp dir per test.
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "PATH": "/usr/bin:/bin"}
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False, env=env)


def validate(config: CaddyConfig, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "Caddyfile"
    path.write_text(render_caddyfile(config))
    return caddy(tmp_path, "validate", "--config", str(path), "--adapter", "caddyfile")


def adapt(config: CaddyConfig, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "Caddyfile"
    path.write_text(render_caddyfile(config))
    return adapt_file(path, tmp_path)


def adapt_file(path: Path, tmp_path: Path) -> dict[str, Any]:
    result = caddy(tmp_path, "adapt", "--config", str(path), "--adapter", "caddyfile")
    assert result.returncode == 0, result.stderr
    adapted: dict[str, Any] = json.loads(result.stdout)
    return adapted


def self_signed(tmp_path: Path) -> Path:
    """A certificate and key where `tls: files` expects them (the operator's own certificate)."""
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    # Valid beyond CertificateExpiringSoon's window, for every host the edge serves
                    # (settings/material.py refuses less).
                    "-days", "90", "-subj", "/CN=grafana.christmas-trading.com",
                    "-addext", "subjectAltName=" + ",".join(f"DNS:{site.host}" for site in SITES),
                    "-keyout", str(tls_dir / "key.pem"), "-out", str(tls_dir / "cert.pem")],
                   check=True, capture_output=True, timeout=30)
    return tls_dir


def https_server(adapted: dict[str, Any], port: int = 443) -> dict[str, Any]:
    servers = adapted["apps"]["http"]["servers"].values()
    [server] = [s for s in servers if f":{port}" in s["listen"]]
    found: dict[str, Any] = server
    return found


def routes_by_host(server: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """host -> the handlers of its route, in order."""
    out = {}
    for route in server["routes"]:
        [host] = route["match"][0]["host"]
        out[host] = [h for sub in route["handle"][0]["routes"] for h in sub["handle"]]
    return out


@pytest.mark.parametrize("tls", ["acme", "internal"])
def test_the_caddyfile_is_valid(tls: str, tmp_path: Path) -> None:
    config = CaddyConfig(sites=SITES, tls=tls, acme_email="ops+acme@christmas-trading.com")  # type: ignore[arg-type]
    result = validate(config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_the_caddyfile_with_a_given_certificate_is_valid(tmp_path: Path) -> None:
    config = CaddyConfig(sites=SITES, tls="files", tls_dir=str(self_signed(tmp_path)))
    result = validate(config, tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_missing_certificate_fails_validation(tmp_path: Path) -> None:
    # validate loads the certificate: the check is not vacuous.
    config = CaddyConfig(sites=SITES, tls="files", tls_dir=str(tmp_path / "nowhere"))
    assert validate(config, tmp_path).returncode != 0


def test_each_public_host_is_proxied_to_its_upstream_with_the_security_headers(tmp_path: Path) -> None:
    routes = routes_by_host(https_server(adapt(CaddyConfig(sites=SITES, tls="acme"), tmp_path)))
    assert set(routes) == {s.host for s in SITES}
    for site in SITES:
        handlers = routes[site.host]
        proxy = handlers[-1]
        assert (proxy["handler"], proxy["upstreams"]) == ("reverse_proxy", [{"dial": site.upstream}])
        # The upstream's own copies are dropped, so ours are the only values.
        assert sorted(proxy["headers"]["response"]["delete"]) == sorted(SECURITY_HEADERS)
        [headers] = [h for h in handlers if h["handler"] == "headers"]
        # Not deferred: set before the handlers run, so error answers (401) carry them too.
        assert "deferred" not in headers["response"]
        assert headers["response"]["set"] == {name: [value] for name, value in SECURITY_HEADERS.items()}


def test_only_the_site_with_basic_auth_asks_for_credentials(tmp_path: Path) -> None:
    routes = routes_by_host(https_server(adapt(CaddyConfig(sites=SITES, tls="acme"), tmp_path)))
    auth = {host: [h for h in handlers if h["handler"] == "authentication"] for host, handlers in routes.items()}
    assert auth["grafana.christmas-trading.com"] == [] and auth["kibana.christmas-trading.com"] == []
    [prometheus] = auth["prometheus.christmas-trading.com"]
    [account] = prometheus["providers"]["http_basic"]["accounts"]
    assert account["username"] == "prometheus"
    # Authentication comes before the proxy: an unauthenticated request never reaches Prometheus.
    kinds = [h["handler"] for h in routes["prometheus.christmas-trading.com"]]
    assert kinds.index("authentication") < kinds.index("reverse_proxy")


def test_the_ports_are_the_stacks_and_the_health_listener_stays_on_loopback(tmp_path: Path) -> None:
    # The HTTP->HTTPS redirect listener is added by Caddy at run time (on http_port): the integration
    # test (tests/integration/test_3_edge.py) proves the redirect itself.
    config = CaddyConfig(sites=SITES, tls="internal", http_port=8080, https_port=8443)
    adapted = adapt(config, tmp_path)
    http = adapted["apps"]["http"]
    # https_port stays Caddy's default: the port is in each site address, so the redirect names it.
    assert http["http_port"] == 8080 and "https_port" not in http
    assert "automatic_https" not in https_server(adapted, 8443)  # redirects stay on (Caddy's default)
    listens = sorted(address for s in http["servers"].values() for address in s["listen"])
    assert listens == ["127.0.0.1:8081", ":8443"]
    assert adapted["admin"] == {"disabled": True}


def test_acme_email_and_ca_reach_the_issuer(tmp_path: Path) -> None:
    staging = "https://acme-staging-v02.api.letsencrypt.org/directory"
    adapted = adapt(CaddyConfig(sites=SITES, tls="acme", acme_email="ops@christmas-trading.com",
                                acme_ca=staging), tmp_path)
    [policy] = adapted["apps"]["tls"]["automation"]["policies"]
    [issuer] = policy["issuers"]
    assert issuer == {"module": "acme", "ca": staging, "email": "ops@christmas-trading.com"}


def test_internal_tls_uses_the_internal_issuer_for_every_site(tmp_path: Path) -> None:
    adapted = adapt(CaddyConfig(sites=SITES, tls="internal"), tmp_path)
    [policy] = adapted["apps"]["tls"]["automation"]["policies"]
    assert sorted(policy["subjects"]) == sorted(s.host for s in SITES)
    assert [i["module"] for i in policy["issuers"]] == ["internal"]


# --------------------------------------------------------------------------- hostile values

HOSTILE = [
    "grafana.example.com {",
    "grafana.example.com\n}\nevil.example.com",
    "{$HOME}.example.com",
    "{http.request.host}",
    'graf"ana.example.com',
    "grafana.example.com #comment",
    "grafana.example.com\\",
    "`grafana`",
    "import /etc/passwd",
    "-grafana.example.com",
    "grafana..example.com",
    "",
]


@pytest.mark.parametrize("host", HOSTILE)
def test_a_hostile_host_is_refused_before_it_reaches_caddy(host: str) -> None:
    assert not is_site_host(host)
    with pytest.raises(ValueError):
        render_caddyfile(CaddyConfig(sites=[Site(host, "grafana:3000")], tls="internal"))


@pytest.mark.parametrize("email", ["ops@x.com {", "{$HOME}@x.com", 'a"b@x.com', "a b@x.com", "a@x.com\nadmin on"])
def test_a_hostile_acme_email_is_refused(email: str) -> None:
    with pytest.raises(ValueError):
        render_caddyfile(CaddyConfig(sites=SITES, tls="acme", acme_email=email))


@pytest.mark.parametrize("host", ["xn--bcher-kva.example", "a-b.c", "a" * 63 + ".example.com", "grafana.localhost",
                                  "localhost", "1.example.com"])
def test_an_unusual_but_valid_host_arrives_in_caddy_as_written(host: str, tmp_path: Path) -> None:
    assert is_site_host(host)
    config = CaddyConfig(sites=[Site(host, "grafana:3000")], tls="internal")
    assert list(routes_by_host(https_server(adapt(config, tmp_path)))) == [host]


def test_two_sites_on_one_host_are_refused() -> None:
    with pytest.raises(ValueError):
        render_caddyfile(CaddyConfig(sites=[SITES[0], dataclasses.replace(SITES[1], host=SITES[0].host)],
                                     tls="internal"))


# --------------------------------------------------------------------------- what the program uploads


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_caddyfile_the_program_uploads_is_valid(stack: str, request: pytest.FixtureRequest,
                                                    tmp_path: Path) -> None:
    run = request.getfixturevalue(f"{stack}_run")
    [edge] = [c for c in run.containers() if c.name == "edge-container"]
    [text] = [u["content"] for u in unwrap(edge.inputs)["uploads"] if u["file"] == CONFIG_PATH]
    path = tmp_path / "Caddyfile"
    path.write_text(text)
    result = caddy(tmp_path, "validate", "--config", str(path), "--adapter", "caddyfile")
    assert result.returncode == 0, result.stderr
    hosts = set(routes_by_host(https_server(adapt_file(path, tmp_path), 18443 if stack == "dev" else 443)))
    expected = {"dev": {"grafana.localhost", "kibana.localhost"},
                "prod": {"grafana.christmas-trading.com", "kibana.christmas-trading.com"}}
    assert hosts == expected[stack]


def test_the_operators_own_pem_files_pass_the_settings_and_caddy_loads_them(tmp_path: Path) -> None:
    """`pulumi config set --secret tlsCertificate < cert.pem` stores the file's text, line breaks and all:
    settings accept it (CRLF too, as Go's encoding/pem reads it), and Caddy loads exactly that text."""
    tls_dir = self_signed(tmp_path)
    pem = {"tlsCertificate": (tls_dir / "cert.pem").read_text(), "tlsKey": (tls_dir / "key.pem").read_text()}
    for text in (pem, {k: v.replace("\n", "\r\n") for k, v in pem.items()}):
        config, secret_keys = raw("prod", edge={"tls": "files"})
        parse_settings(PROJECT, "prod", {**config, **text}, secret_keys | set(text))
    caddy_config = CaddyConfig(sites=SITES, tls="files", tls_dir=str(tls_dir))
    assert validate(caddy_config, tmp_path).returncode == 0
    # Any other control character is still refused, and the message never shows the value.
    config_text, secret_keys = raw("prod", edge={"tls": "files"})
    broken = {**pem, "tlsKey": pem["tlsKey"].replace("\n", "\x00", 1)}
    with pytest.raises(SettingsError) as caught:
        parse_settings(PROJECT, "prod", {**config_text, **broken}, secret_keys | set(broken))
    assert "tlsKey: must not contain control characters" in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)
