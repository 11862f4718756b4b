"""The edge's own certificate and key (`edge.tls: files`), parsed as Caddy will parse them.

Caddy loads `tlsCertificate` (the chain, leaf first) and `tlsKey` with Go's crypto/tls
(X509KeyPair): a key that is encrypted, or that belongs to another certificate, stops the edge;
a certificate that has expired, does not name the edge's hosts, or whose chain is out of order
is served and refused by every browser. Here they are read with a real X.509/PEM parser (the
`cryptography` package) before anything is deployed. Messages never quote the key.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from settings import grammar_edge as ge
from settings.problems import Problems
from settings.stand_ins import PLACEHOLDERS

if TYPE_CHECKING:
    from settings.stack import StackSettings

CERTIFICATE, KEY = "tlsCertificate", "tlsKey"
_FIX = {CERTIFICATE: "pulumi config set --secret tlsCertificate < fullchain.pem",
        KEY: "pulumi config set --secret tlsKey < privkey.pem"}

# CertificateExpiringSoon warns this many days before a public certificate expires (ACME renews 30 days
# ahead); an edge certificate of files must outlive it (mixin/alerts_certificates.py reads it).
CERTIFICATE_DAYS = 14


def edge_hosts(s: StackSettings) -> list[str]:
    """The host names the edge serves (render/caddy.py edge_config: one site per public URL)."""
    urls = (s.grafana.root_url, s.logging.kibana_public_base_url, s.edge.prometheus_url, s.edge.alertmanager_url)
    return [ge.edge_host(url) for url in urls if url and ge.edge_url(url) is None]


def covers(names: list[str], host: str) -> bool:
    """RFC 6125 as Go's VerifyHostname applies it: an exact name, or `*.` for exactly one left-most label."""
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _spki(holder: x509.Certificate | PrivateKeyTypes) -> bytes:
    """The DER SubjectPublicKeyInfo of a certificate's or a private key's public key."""
    public = holder.public_key()
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _chain_problem(chain: list[x509.Certificate]) -> str | None:
    for position, (cert, issuer) in enumerate(itertools.pairwise(chain), start=1):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, InvalidSignature, TypeError, UnsupportedAlgorithm):
            return (f"is out of order: certificate {position + 1} did not issue certificate {position} (the leaf "
                    "comes first, then each issuer in turn, as in Let's Encrypt's fullchain.pem)")
    return None


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(extension.value.get_values_for_type(x509.DNSName))


def check_tls_material(s: StackSettings, raw: Mapping[str, str], problems: Problems,
                       now: datetime.datetime | None = None) -> None:
    """With edge.tls files: the chain and key parse, belong together, are valid long enough, name the hosts."""
    if s.edge.tls != "files" or not raw.get(CERTIFICATE) or not raw.get(KEY) or problems.about(CERTIFICATE, KEY):
        return
    # The offline plan's stand-ins (PEM-shaped, never real material): nothing to parse.
    if (raw[CERTIFICATE], raw[KEY]) == (PLACEHOLDERS[CERTIFICATE], PLACEHOLDERS[KEY]):
        return
    now = now or datetime.datetime.now(datetime.UTC)
    try:
        chain = x509.load_pem_x509_certificates(raw[CERTIFICATE].encode())
    except ValueError:
        problems.add(CERTIFICATE, "is not a PEM certificate chain that parses (X.509)", _FIX[CERTIFICATE])
        chain = []
    try:
        key: PrivateKeyTypes | None = serialization.load_pem_private_key(raw[KEY].encode(), password=None)
    except TypeError:
        problems.add(KEY, "is encrypted: Caddy reads an unencrypted key (decrypt it first: openssl pkey -in "
                     "privkey.pem -out plain.pem)", _FIX[KEY])
        key = None
    except (ValueError, UnsupportedAlgorithm):
        problems.add(KEY, "is not a PEM private key that parses (PKCS#1, PKCS#8 or SEC 1)", _FIX[KEY])
        key = None
    if not chain:
        return
    # Out of order, the first certificate may not be the leaf at all: the other checks would each
    # report the same root cause.
    if wrong := _chain_problem(chain):
        problems.add(CERTIFICATE, wrong, _FIX[CERTIFICATE])
        return
    leaf = chain[0]
    if key is not None and _spki(key) != _spki(leaf):
        problems.add(KEY, "does not belong to the first certificate of tlsCertificate (the leaf): Caddy would "
                     "refuse the pair", _FIX[KEY])
    expires, starts = leaf.not_valid_after_utc, leaf.not_valid_before_utc
    if expires <= now:
        problems.add(CERTIFICATE, f"expired on {expires:%Y-%m-%d}", _FIX[CERTIFICATE])
    elif expires - now < datetime.timedelta(days=CERTIFICATE_DAYS):
        problems.add(CERTIFICATE, f"expires on {expires:%Y-%m-%d}, within CertificateExpiringSoon's "
                     f"{CERTIFICATE_DAYS} days: renew it first", _FIX[CERTIFICATE])
    elif starts > now:
        problems.add(CERTIFICATE, f"is not valid before {starts:%Y-%m-%d %H:%M} UTC", _FIX[CERTIFICATE])
    names = _dns_names(leaf)
    missing = [host for host in edge_hosts(s) if not covers(names, host)]
    if missing:
        shown = ", ".join(names) if names else "none (no subjectAltName; browsers ignore the common name)"
        problems.add(CERTIFICATE, f"does not name {', '.join(missing)}, which the edge serves (its DNS names: "
                     f"{shown})", _FIX[CERTIFICATE])
