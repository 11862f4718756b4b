"""The grammars of what the edge (Caddy) and Docker's networks read: site names, public URLs, the
ACME directory, a subnet. Same conventions as settings/grammar.py (None when valid, fullmatch only).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from settings.grammar import dotted_name, email, http_url

# Caddy's site addresses (render/caddy.py): a DNS name of letters, digits and hyphens (no `_`,
# which public CAs refuse), labels of 1-63, not all-numeric at the end.
_DNS_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

def dns_name(value: str) -> str | None:
    return None if dotted_name(_DNS_LABEL, value) else \
        "must be a DNS name such as grafana.example.com (letters, digits, -)"


def edge_url(value: str) -> str | None:
    """A URL the edge (Caddy) serves: https, a DNS name, an optional port, no path."""
    wanted = "must be an https URL on a DNS name, such as https://grafana.example.com (no path)"
    if http_url(value, https_only=True, path=False):
        return wanted
    parts = urlsplit(value)
    return wanted if dns_name(parts.hostname or "") else None


def edge_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def edge_port(url: str) -> int:
    return urlsplit(url).port or 443


# A token the Caddyfile renderer writes as is (no quotes, braces, spaces: render/caddy.py _PLAIN).
_CADDY_TOKEN = re.compile(r"[A-Za-z0-9._:/@+=-]+")

def acme_directory(value: str) -> str | None:
    """An ACME directory URL, written into the Caddyfile as one plain token."""
    if http_url(value, https_only=True) or not _CADDY_TOKEN.fullmatch(value):
        return "must be an https ACME directory URL such as https://acme-staging-v02.api.letsencrypt.org/directory"
    return None


def ipv4_subnet(value: str) -> str | None:
    """A Docker network subnet (CIDR) with room for the gateway and five Alertmanager peers."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        network = None
    if network is None or "/" not in value or network.num_addresses - 2 < 6:
        return "must be an IPv4 subnet in CIDR form with room for 6 hosts, such as 172.16.94.0/28"
    return None


def swarm_pool(value: str) -> str | None:
    """A Swarm address pool (`docker swarm init --default-addr-pool`): an IPv4 CIDR holding at least one
    /24, the size Swarm gives each overlay network by default (--default-addr-pool-mask-length 24)."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        network = None
    if network is None or "/" not in value or network.prefixlen > 24:
        return "must be an IPv4 subnet in CIDR form of /24 or larger, such as 10.0.0.0/8"
    return None


def acme_email(value: str) -> str | None:
    """The ACME account's e-mail: Caddy writes it as one plain Caddyfile token (render/caddy.py) and the
    ACME client sends it as a `mailto:` URI (RFC 6068), where `%` would start an escape."""
    wrong = email(value)
    if wrong is None and "%" in value:
        return "must be an e-mail address without '%' (it becomes the ACME account's mailto: URI)"
    return wrong
