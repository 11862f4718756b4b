"""The entry point's TLS certificate: days left, read from a real handshake (the chain verified as a browser would)."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse

from doctor.docker_api import DockerError
from doctor.report import Result, failed, skipped, verdict
from doctor.stack import Target

# Let's Encrypt renews 30 days ahead; two weeks left means renewal has failed for two weeks.
MIN_DAYS_LEFT = 14
# Caddy's internal CA issues 12-hour certificates and renews them with a third of that left (4 h; caddypki
# defaultInternalCertLifetime, certmagic DefaultRenewalWindowRatio): under 2 h, renewal has failed for 2 h.
MIN_HOURS_LEFT_INTERNAL = 2
# The root of Caddy's internal CA (`edge.tls: internal`) in the edge container: what a browser is told to trust.
INTERNAL_ROOT = "/data/caddy/pki/authorities/local/root.crt"


def connect_address(host: str) -> str:
    """RFC 6761 §6.3: `localhost` and every `*.localhost` name are loopback. glibc resolves only the bare
    name (browsers and curl answer the rest themselves), so dev's https://grafana.localhost did not resolve
    on a host without systemd-resolved: doctor connects to 127.0.0.1 and still sends the name (SNI, check)."""
    return "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host


def days_left(url: str, cafile: str | None = None, timeout: float = 10, cadata: str | None = None) -> float:
    parsed = urllib.parse.urlparse(url)
    host, port = parsed.hostname or "", parsed.port or 443
    context = ssl.create_default_context(cafile=cafile, cadata=cadata)
    with socket.create_connection((connect_address(host), port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        certificate = tls.getpeercert() or {}
    not_after = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
    return (not_after - time.time()) / 86400


def check_certificates(t: Target, cafile: str | None = None) -> list[Result]:
    if not t.endpoints.entry_points:
        return [skipped("TLS certificates", "no https entry point in this stack")]
    link = t.link("operations.md", "8-tls-certificates")
    cadata = None
    if cafile is None and t.settings.edge.tls == "internal":
        try:
            cadata = internal_root(t)
        except (DockerError, RuntimeError) as error:
            return [failed("TLS certificate", f"could not read the edge's internal CA root: {error}",
                           "is the edge container running?", link)]
    results = []
    for url in t.endpoints.entry_points:
        try:
            left = days_left(url, cafile, cadata=cadata)
            if cadata is None:
                ok, saw = left >= MIN_DAYS_LEFT, f"{url}: {left:.0f} days left"
            else:
                ok, saw = left * 24 >= MIN_HOURS_LEFT_INTERNAL, f"{url}: {left * 24:.1f} hours left (internal CA)"
        except (OSError, ssl.SSLError) as error:
            ok, saw = False, f"{url}: handshake failed ({error})"
        fix = (f"renew the certificate (at least {MIN_DAYS_LEFT} days must be left) and check the proxy's ACME logs"
               if cadata is None else f"Caddy renews its internal certificates itself (at least "
               f"{MIN_HOURS_LEFT_INTERNAL} hours must be left): check the edge's logs")
        results.append(verdict("TLS certificate", ok, saw, fix, link))
    return results


def internal_root(t: Target) -> str:
    """The PEM of the edge's internal CA root, read in the edge container: the certificates Caddy issues
    itself are checked against the CA that signed them, as a browser that trusts it would."""
    edge = t.container("edge")
    if edge is None:
        raise RuntimeError("no edge container")
    read = t.docker.exec(edge.id, ["cat", INTERNAL_ROOT])
    if read.exit_code != 0 or "BEGIN CERTIFICATE" not in read.stdout:
        raise RuntimeError(f"cat {INTERNAL_ROOT} in the edge container: {read.output.strip()[:200]}")
    return read.stdout
