"""The edge's Caddyfile: HTTPS for Grafana, Kibana (and, on request, Prometheus and Alertmanager).

Why a Caddyfile and not Caddy's JSON: it is what operators read in review and what Caddy's
documentation shows; the Caddyfile adapter sets up what JSON would spell out by hand (the
HTTP->HTTPS redirect listener, the ACME issuers with their fallback, certificate automation);
and it is short enough to diff. Its weakness, a grammar with quoting, `{$ENV}` substitution
on the raw text and `{placeholders}`, is closed here: the file is built as data (blocks of
tokens) and serialised once, and every token must be a plain word or a quoted header value
(render/caddyfile.py); anything else is refused, never escaped. Settings validation rejects such
values earlier with a fix; the tests run `caddy adapt`/`caddy validate` on the output, hostile values
included.

Versions: the image runs Caddy 2.11 (settings/images), Debian's checker is 2.6.2, so only syntax
both read: `basicauth` (2.11 keeps it as the deprecated name of `basic_auth`, which 2.6 lacks)
with a base64-encoded bcrypt hash (2.6 requires base64; 2.11 still decodes it:
modules/caddyhttp/caddyauth/basicauth.go at v2.11.2).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, cast

from render.caddyfile import Block, Line, nested, quoted, render_block, token
from settings.grammar_edge import dns_name, edge_host
from settings.model import CONTAINER_PORTS, StackSettings
from settings.names import ALERTMANAGER_USER, GRAFANA_GUARD_USER, PROMETHEUS_USER

TlsMode = Literal["acme", "internal", "files"]
TLS_MODES: tuple[str, ...] = ("acme", "internal", "files")

CONFIG_PATH = "/etc/caddy/Caddyfile"
# Where a given certificate and key are uploaded (tls: files).
TLS_DIR = "/etc/caddy/tls"
# The healthcheck's listener: plain HTTP on the container's loopback only, never published.
HEALTH_PORT = 8081


def health_port(http_port: int, https_port: int) -> int:
    """HEALTH_PORT, or the next port when the edge's own ports take it: with `edge.httpPort` 8081 the
    loopback health listener held 127.0.0.1:8081 and Caddy served HTTP nowhere else, so the published
    port reached no listener and plain HTTP was never redirected (seen with Caddy 2.6.2: "server is
    listening only on the HTTP port"); with `edge.httpsPort` 8081 `caddy adapt` put the TLS sites on :8081
    and the health listener on 127.0.0.1:8081 (tests/config/test_caddy_readback.py)."""
    return _first_free(HEALTH_PORT, (http_port, https_port))


def _first_free(port: int, taken: tuple[int, int]) -> int:
    """`port`, or the next one the edge's own two ports leave free (three candidates hold one)."""
    return next(p for p in range(port, port + 3) if p not in taken)
HEALTH_PATH = "/healthz"

# HSTS for a year; the other headers keep browsers from sniffing types, framing the UIs from
# other sites, and leaking paths in Referer. Grafana and Kibana set their own CSP.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)

def is_site_host(host: str) -> bool:
    """A host name Caddy serves as a site address and can get a certificate for (settings' grammar)."""
    return dns_name(host) is None


class BasicAuth(NamedTuple):
    """Who may pass the edge: Caddy's basic_auth takes the user and a bcrypt hash."""

    user: str
    bcrypt_hash: str


@dataclass(frozen=True)
class Site:
    """One public hostname, proxied to one upstream on the stack network."""

    host: str
    upstream: str
    basic_auth: BasicAuth | None = None
    # Paths the edge answers 403 itself, whoever asks (after basic auth): never proxied.
    refused_paths: tuple[str, ...] = ()


# Grafana's way to Prometheus (see DatasourceGuard); the next port when the edge's own ports take it.
GUARD_PORT = 9091


def guard_port(http_port: int, https_port: int) -> int:
    return _first_free(GUARD_PORT, (http_port, https_port))


@dataclass(frozen=True)
class DatasourceGuard:
    """Grafana's datasource reaches Prometheus through the edge, never with Prometheus' own password.

    Prometheus' web configuration has users, not permissions: whoever holds `prometheusPassword` can call
    the admin API, which is on for the backups' snapshots (`delete_series`, `clean_tombstones`). Grafana
    gets a credential of its own that only this listener accepts; the listener answers the admin paths
    403 itself and adds Prometheus' credential to what it proxies. The listener is plain HTTP on the stack
    network (the edge's container port, never published)."""

    port: int
    basic_auth: BasicAuth
    upstream: str
    # `Basic <base64 of prometheus:password>`: the edge's Caddyfile holds it, so the file is a secret.
    upstream_authorization: str
    refused_paths: tuple[str, ...]


@dataclass(frozen=True)
class CaddyConfig:
    sites: Sequence[Site]
    tls: TlsMode
    http_port: int = 80
    https_port: int = 443
    acme_email: str = ""
    # Another ACME directory (e.g. Let's Encrypt staging); empty = Caddy's defaults.
    acme_ca: str = ""
    tls_dir: str = TLS_DIR
    health_port: int = HEALTH_PORT
    # Listen on this address only (the integration test: loopback); empty = every interface.
    bind: str = ""
    guard: DatasourceGuard | None = None


def _global_options(config: CaddyConfig) -> Block:
    options: Block = [
        # No admin API: the configuration only changes by replacing the container.
        ("admin", "off"),
        ("http_port", str(config.http_port)),
        # No `https_port`: Caddy treats it as internal and leaves it out of the HTTP->HTTPS redirect
        # (modules/caddyhttp/autohttps.go makeRedirRoute, v2.6.2 and v2.11.2); a non-standard HTTPS
        # port is written into each site address instead (`_site_address`), so redirects carry it.
        *([("default_bind", token(config.bind))] if config.bind else []),
        # HTTP/1.1 and HTTP/2 only: the firewall opens TCP 80/443, no UDP for HTTP/3.
        nested(("servers",), ("protocols", "h1", "h2")),
    ]
    if config.tls == "acme":
        if config.acme_email:
            options.append(("email", token(config.acme_email)))
        if config.acme_ca:
            options.append(("acme_ca", token(config.acme_ca)))
    if config.tls == "internal":
        # The internal CA's root stays in Caddy's storage; nothing is installed into a trust store.
        options.append(("skip_install_trust",))
    return options


def _tls_line(config: CaddyConfig) -> list[Line]:
    if config.tls == "internal":
        return [("tls", "internal")]
    if config.tls == "files":
        return [("tls", token(f"{config.tls_dir}/cert.pem"), token(f"{config.tls_dir}/key.pem"))]
    return []  # ACME: Caddy's automatic HTTPS with the global email / CA


def _site_block(site: Site, config: CaddyConfig) -> Block:
    # Set at once, not deferred: a deferred header is lost on an error answer (basicauth's 401
    # goes through Caddy's error path), and every answer must carry HSTS.
    headers: Block = [(name, quoted(value)) for name, value in SECURITY_HEADERS]
    block: Block = [*_tls_line(config), (("header",), headers)]
    if site.basic_auth is not None:
        block.append(_basic_auth(site.basic_auth))
    if site.refused_paths:
        # Caddy runs `respond` before `reverse_proxy` (its directive order), so these never reach the upstream.
        block.append(("@refused", "path", *(token(path) for path in site.refused_paths)))
        block.append(("respond", "@refused", "403"))
    # The proxy adds the upstream's headers to ours: drop the upstream's copies of the same names
    # (Grafana sends X-Frame-Options: deny), so each header has exactly one value.
    block.append(nested(("reverse_proxy", token(site.upstream)),
                        *(("header_down", f"-{name}") for name, _ in SECURITY_HEADERS)))
    return block


def _site_address(site: Site, config: CaddyConfig) -> str:
    return site.host if config.https_port == 443 else f"{site.host}:{config.https_port}"


def _basic_auth(auth: BasicAuth) -> Line:
    encoded = base64.b64encode(auth.bcrypt_hash.encode()).decode()
    return nested(("basicauth",), (token(auth.user), token(encoded)))


def _guard_block(guard: DatasourceGuard) -> Block:
    # basicauth, then respond, then reverse_proxy: Caddy's directive order, whatever the order written.
    return [_basic_auth(guard.basic_auth),
            ("@refused", "path", *(token(path) for path in guard.refused_paths)),
            ("respond", "@refused", "403"),
            nested(("reverse_proxy", token(guard.upstream)),
                   ("header_up", "Authorization", quoted(guard.upstream_authorization)))]


def basic_authorization(user: str, password: str) -> str:
    """The Authorization header value the guard sends upstream."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _health_block() -> Block:
    return [("bind", "127.0.0.1"), ("respond", HEALTH_PATH, "200")]


def caddyfile_blocks(config: CaddyConfig) -> Block:
    if config.tls not in TLS_MODES:
        raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
    hosts = [site.host for site in config.sites]
    if len(set(hosts)) != len(hosts):
        raise ValueError(f"two sites share a host name: {hosts}")
    blocks: Block = [((), _global_options(config))]
    for site in config.sites:
        if not is_site_host(site.host):
            raise ValueError(f"{site.host!r} is not a host name Caddy can serve")
        blocks.append(((token(_site_address(site, config)),), _site_block(site, config)))
    if config.guard is not None:
        if config.guard.port in (config.http_port, config.https_port, config.health_port):
            raise ValueError(f"the datasource guard's port {config.guard.port} is taken by another listener")
        blocks.append(((f"http://:{config.guard.port}",), _guard_block(config.guard)))
    blocks.append(((f"http://:{config.health_port}",), _health_block()))
    return blocks


# Grafana's own metrics (no authentication in Grafana) are for Prometheus on the stack network, not the public.
GRAFANA_REFUSED = ("/metrics", "/metrics/*")
# Prometheus runs with --web.enable-admin-api (the backups' snapshots): its admin endpoints, delete_series
# included, are for the stack network only, whoever holds Prometheus' password at the edge.
PROMETHEUS_REFUSED = ("/api/v1/admin/*",)


def public_sites(s: StackSettings) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    """(host, upstream, basic-auth user or None, refused paths) for each service the stack's edge serves."""
    sites: list[tuple[str, str, str | None, tuple[str, ...]]] = [
        (edge_host(s.grafana.root_url), f"grafana:{CONTAINER_PORTS['grafana']}", None, GRAFANA_REFUSED),
        (edge_host(s.logging.kibana_public_base_url), f"kibana:{CONTAINER_PORTS['kibana']}", None, ()),
    ]
    if s.edge.prometheus_url:
        sites.append((edge_host(s.edge.prometheus_url), f"prometheus:{CONTAINER_PORTS['prometheus']}",
                      PROMETHEUS_USER, PROMETHEUS_REFUSED))
    if s.edge.alertmanager_url:
        sites.append((edge_host(s.edge.alertmanager_url), f"alertmanager:{CONTAINER_PORTS['alertmanager']}",
                      ALERTMANAGER_USER, ()))
    return sites


def basic_auth_users(s: StackSettings) -> list[str]:
    """The users whose bcrypt hash the Caddyfile needs (the caller hashes their passwords)."""
    return [user for _, _, user, _ in public_sites(s) if user is not None]


class GuardCredentials(NamedTuple):
    """What the datasource guard needs: the hash of Grafana's credential, and Prometheus' password."""

    grafana_hash: str
    prometheus_password: str


def datasource_guard(s: StackSettings, credentials: GuardCredentials) -> DatasourceGuard:
    e = s.edge
    return DatasourceGuard(
        port=guard_port(e.http_port, e.https_port),
        basic_auth=BasicAuth(GRAFANA_GUARD_USER, credentials.grafana_hash),
        upstream=f"prometheus:{CONTAINER_PORTS['prometheus']}",
        upstream_authorization=basic_authorization(PROMETHEUS_USER, credentials.prometheus_password),
        refused_paths=PROMETHEUS_REFUSED)


def edge_config(s: StackSettings, hashes: Mapping[str, str], guard: GuardCredentials) -> CaddyConfig:
    """The stack's edge; `hashes`: user -> bcrypt hash for each of `basic_auth_users(s)`; `guard`: the
    datasource guard's credentials."""
    e = s.edge
    return CaddyConfig(
        sites=[Site(host, upstream, BasicAuth(user, hashes[user]) if user else None, refused)
               for host, upstream, user, refused in public_sites(s)],
        tls=cast(TlsMode, e.tls),  # settings accept only acme | internal | files
        http_port=e.http_port, https_port=e.https_port, acme_email=e.acme_email, acme_ca=e.acme_ca,
        health_port=health_port(e.http_port, e.https_port), guard=datasource_guard(s, guard))


def render_caddyfile(config: CaddyConfig) -> str:
    return "# Generated by christmas-monitoring (render/caddy.py).\n" + "\n".join(
        render_block(caddyfile_blocks(config), 0)) + "\n"
