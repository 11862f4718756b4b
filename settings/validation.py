"""Small predicates for setting values, and the collector of problems."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|PB|EB|K|M|G|T|k|kb|mb|gb|tb|b)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_SLACK_CHANNEL = re.compile(r"^[#@][a-z0-9._-]{1,80}$")


def is_duration(value: str) -> bool:
    """A Prometheus duration: 15s, 1m30s, 15d (no zero-length duration)."""
    return bool(_DURATION.match(value)) and any(ch in "123456789" for ch in value)


def is_size(value: str) -> bool:
    return bool(_SIZE.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def is_hostport(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep) and bool(_HOST.match(host)) and port.isdigit() and 1 <= int(port) <= 65535


def is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.hostname) and not value.endswith("/") \
        and " " not in value


_DNS_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                       r"[A-Za-z0-9])?)*")


def is_edge_url(value: str) -> bool:
    """An https URL the edge (Caddy) serves: a DNS name as host, optional port, no path, no user."""
    parsed = urlparse(value)
    try:
        parsed.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return False
    return (parsed.scheme == "https" and parsed.path in ("", "/") and not parsed.query and not parsed.fragment
            and not parsed.username and "@" not in parsed.netloc and not value.endswith("/")
            and bool(_DNS_NAME.fullmatch(parsed.hostname or "")) and parsed.netloc.lower() in (
                (parsed.hostname or "").lower(), f"{parsed.hostname}:{parsed.port}".lower()))


def edge_host(url: str) -> str:
    return urlparse(url).hostname or ""


def edge_port(url: str) -> int:
    return urlparse(url).port or 443


def is_ipv4_subnet(value: str, hosts: int = 7) -> bool:
    """An IPv4 network in CIDR form with room for the gateway and `hosts - 1` peers."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return False
    return "/" in value and network.num_addresses - 2 >= hosts


def is_slack_channel(value: str) -> bool:
    return bool(_SLACK_CHANNEL.match(value))


class SettingsError(Exception):
    """A user mistake in the stack configuration; the message lists every problem."""


@dataclass
class Problems:
    """Every problem found in a stack's settings, reported together."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, key: str, what: str, fix: str) -> None:
        self.items.append((key, what, fix))

    def raise_if_any(self, stack: str) -> None:
        if not self.items:
            return
        lines = [f"stack '{stack}' has {len(self.items)} configuration problem(s):"]
        for key, what, fix in self.items:
            lines.append(f"  - {key}: {what}\n      fix: {fix}")
        raise SettingsError("\n".join(lines))
