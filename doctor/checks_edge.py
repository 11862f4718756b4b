"""The entry point's TLS certificate: days left, read from a real handshake (the chain verified as a browser would)."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse

from doctor.report import Result, skipped, verdict
from doctor.stack import Target

# Let's Encrypt renews 30 days ahead; two weeks left means renewal has failed for two weeks.
MIN_DAYS_LEFT = 14


def days_left(url: str, cafile: str | None = None, timeout: float = 10) -> float:
    parsed = urllib.parse.urlparse(url)
    host, port = parsed.hostname or "", parsed.port or 443
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        certificate = tls.getpeercert() or {}
    not_after = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
    return (not_after - time.time()) / 86400


def check_certificates(t: Target, cafile: str | None = None) -> list[Result]:
    if not t.endpoints.entry_points:
        return [skipped("TLS certificates", "no https entry point in this stack")]
    link = t.link("operations.md", "8-tls-certificates")
    results = []
    for url in t.endpoints.entry_points:
        try:
            left = days_left(url, cafile)
            ok, saw = left >= MIN_DAYS_LEFT, f"{url}: {left:.0f} days left"
        except (OSError, ssl.SSLError) as error:
            ok, saw = False, f"{url}: handshake failed ({error})"
        results.append(verdict("TLS certificate", ok, saw,
                               f"renew the certificate (at least {MIN_DAYS_LEFT} days must be left) and check "
                               "the proxy's ACME logs", link))
    return results
