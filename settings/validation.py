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
