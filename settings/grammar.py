"""The grammars of the programs that finally read a setting, as predicates.

Each check returns None when the value is valid, else what is wrong (never the value itself
when it may be a secret). Every pattern is matched against the whole string
(`re.fullmatch`): `$` in Python also matches before a final newline, so it is never used.
Each grammar names the program whose parser it follows; tests/config/test_grammar_consumers.py
feeds the same values to the real program where Debian has it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

# Durations and sizes (settings/grammar_numbers.py), re-exported: every check is reached as grammar.<name>.
from settings.grammar_numbers import ES_ROLLOVER_FLOOR_SECONDS as ES_ROLLOVER_FLOOR_SECONDS
from settings.grammar_numbers import ES_SIZE_FLOOR as ES_SIZE_FLOOR
from settings.grammar_numbers import FLUENT_BIT_SIZE_FLOOR as FLUENT_BIT_SIZE_FLOOR
from settings.grammar_numbers import PROMETHEUS_INTERVAL_FLOOR_SECONDS as PROMETHEUS_INTERVAL_FLOOR_SECONDS
from settings.grammar_numbers import PROMETHEUS_SIZE_FLOOR as PROMETHEUS_SIZE_FLOOR
from settings.grammar_numbers import duration_seconds as duration_seconds
from settings.grammar_numbers import es_size as es_size
from settings.grammar_numbers import es_time as es_time
from settings.grammar_numbers import es_time_seconds as es_time_seconds
from settings.grammar_numbers import fluent_bit_size as fluent_bit_size
from settings.grammar_numbers import prometheus_duration as prometheus_duration
from settings.grammar_numbers import prometheus_interval as prometheus_interval
from settings.grammar_numbers import prometheus_size as prometheus_size
from settings.grammar_numbers import prometheus_size_bytes as prometheus_size_bytes

Check = Callable[[object], str | None]


# Control characters (C0, DEL, C1) and Unicode line/paragraph separators: no consumer wants them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

def control_characters(value: str) -> str | None:
    return "must not contain control characters (newline, tab, ...)" if _CONTROL.search(value) else None


def _fullmatch(name: str, pattern: str, message: str, flags: int = 0) -> Callable[[str], str | None]:
    """A check that is one pattern over the whole value, named for the README's tables."""
    compiled = re.compile(pattern, flags)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else message

    check.__name__ = name
    return check


# RFC 1123 host name label, plus `_`: Docker's DNS resolves container names such as
# `christmas_api_1`; a name may be a single label (a container name such as `api`).
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")

def dotted_name(label: re.Pattern[str], value: str) -> bool:
    """At most 253 characters of `label`s joined by dots, the last not all digits (not an address)."""
    labels = value.split(".")
    return len(value) <= 253 and all(label.fullmatch(part) for part in labels) and not labels[-1].isdigit()


def hostname(value: str) -> str | None:
    return None if dotted_name(_LABEL, value) else "must be a host name such as postgres or db.example.com"


def _host(value: str) -> bool:
    if value.startswith("[") and value.endswith("]"):
        try:
            ipaddress.IPv6Address(value[1:-1])
        except ValueError:
            return False
        return True
    if re.fullmatch(r"[\d.]+", value):
        return ipv4(value) is None
    return hostname(value) is None


def host(value: str) -> str | None:
    """A host name, an IPv4 address or a bracketed IPv6 address."""
    return None if _host(value) else "must be a host name or IP address such as postgres or 10.0.0.5"


def port_text(value: str) -> bool:
    return re.fullmatch(r"[1-9]\d{0,4}", value) is not None and int(value) <= 65535


def host_port(value: str) -> str | None:
    """host:port as Prometheus static targets and Alertmanager's smarthost read it."""
    host, sep, port = value.rpartition(":")
    if not sep or not _host(host) or not port_text(port):
        return "must be host:port such as api:8000 (port 1-65535)"
    return None


def ipv4(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "must be an IPv4 address such as 127.0.0.1"
    return None


# A URL path as RFC 3986 allows it, without `$` (Grafana's and Kibana's variable expansion) and
# without `{ }` (Go templates), `'` and `"` (quoting in the files that carry it).
_URL_PATH = re.compile(r"(/[A-Za-z0-9._~!&()*+,;=:@%-]*)*")

_PCT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

def http_url(value: str, *, https_only: bool = False, path: bool = True) -> str | None:
    """An http(s) URL with a host, no credentials, query or fragment, nothing a template reads."""
    scheme = "https" if https_only else "http or https"
    wanted = f"must be an {scheme} URL such as https://host.example.com" + ("/path" if path else "")
    if control_characters(value) or " " in value:
        return wanted + " (no spaces or control characters)"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return wanted
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.netloc or "@" in parts.netloc:
        return wanted
    host = parts.netloc.rsplit(":", 1)[0] if port else parts.netloc
    if not _host(host) or (port is not None and not 1 <= port <= 65535) or parts.netloc.endswith(":"):
        return wanted
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return wanted + " (no ?query or #fragment)"
    if not _URL_PATH.fullmatch(parts.path) or _PCT_ESCAPE.search(parts.path):
        return wanted + " (a path of letters, digits and -._~/; no $ { } quotes)"
    if parts.path.endswith("/"):
        return wanted + " (without a trailing slash)"
    if not path and parts.path:
        return wanted + " (no path: Kibana's publicBaseUrl takes protocol, host and port only)"
    return None


# E-mail as Alertmanager and Grafana send it: a dot-atom local part without the characters a Go
# template or a shell would read ({ } $ ` | and quotes), and a domain of host name labels.
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*")

def email(value: str) -> str | None:
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or not _EMAIL_LOCAL.fullmatch(local) or len(local) > 64 \
            or hostname(domain) is not None or "." not in domain or "_" in domain:
        return "must be an e-mail address such as alerts@example.com"
    return None


# Slack channel names: lower-case letters, digits, - and _, at most 80 (Slack's naming rules).
slack_channel = _fullmatch("slack_channel", r"#[a-z0-9_-][a-z0-9._-]{0,79}",
                           "must be a Slack channel such as #alerts (lower-case letters, digits, - _ .; at most 80)")


# Docker image reference (distribution/reference) with an exact version tag or a digest.
_IMAGE_NAME = re.compile(r"[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*")

_EXACT_TAG = re.compile(r"v?\d+\.\d+\.\d+([.+_-][A-Za-z0-9._-]*)?")

_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")

def pinned_image(value: str) -> str | None:
    wanted = "must be an image with an exact version tag such as grafana/grafana:11.6.3 (or @sha256:<digest>)"
    name, _, digest = value.partition("@")
    if digest:
        return None if _DIGEST.fullmatch(digest) and _IMAGE_NAME.fullmatch(name.rsplit(":", 1)[0]) else wanted
    repository, colon, tag = value.rpartition(":")
    if not colon or "/" in tag or not _IMAGE_NAME.fullmatch(repository) or not _EXACT_TAG.fullmatch(tag):
        return wanted
    return None


# The sslmode values of lib/pq (v1.10.9 ssl.go), postgres-exporter's driver: libpq's allow and
# prefer are "unsupported sslmode" there, and the exporter never connects.
PG_SSLMODES = ("disable", "require", "verify-ca", "verify-full")

# PostgreSQL identifiers as the platform names them (unquoted, at most 63 bytes).
pg_identifier = _fullmatch("pg_identifier", r"[a-z_][a-z0-9_]{0,62}",
                           "must be a PostgreSQL name of lower-case letters, digits and _ (at most 63)")


_SAFE_PATH = re.compile(r"(/[A-Za-z0-9._-]+)+")

def absolute_path(value: str) -> str | None:
    if not _SAFE_PATH.fullmatch(value) or any(part in (".", "..") for part in value.split("/")):
        return "must be an absolute path of letters, digits and . _ - (no .. or spaces)"
    return None


def user_name(value: str) -> str | None:
    """A login: no `:` (HTTP basic auth splits on it), nothing a shell, template or expansion reads."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", value):
        return "must be a user name of letters, digits and . _ @ - (no ':' or spaces; at most 64)"
    return None


# Elasticsearch index names: lower case, none of \ / * ? " < > | space , # : (Elasticsearch's
# MetadataCreateIndexService.validateIndexOrAliasName); a Pulumi stack name lands in one.
es_name_part = _fullmatch("es_name_part", r"[a-z0-9][a-z0-9_.-]{0,99}",
                          "must be lower case (letters, digits, - _ .): Elasticsearch builds index names from it")


def es_name_suggestion(value: str) -> str:
    """A name es_name_part accepts, close to `value` (for the rename a message suggests)."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", value.lower()).lstrip("_.-")[:100]
    return name if es_name_part(name) is None else "prod"


def between(low: float, high: float, *, low_open: bool = False,
            high_open: bool = False) -> Callable[[float], str | None]:
    """A number in a range; an open end excludes the bound (an alert threshold at 100% never fires)."""
    def check(value: float) -> str | None:
        ok = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
        if ok:
            return None
        if not (low_open or high_open):
            return f"must be between {low:g} and {high:g}"
        above = f"more than {low:g}" if low_open else f"at least {low:g}"
        below = f"less than {high:g}" if high_open else f"at most {high:g}"
        return f"must be {above} and {below}"

    check.__name__ = f"range {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    return check


# A TCP port as Docker publishes it and every client dials it.
tcp_port = between(1, 65535)


def optional(check: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """`check`, or the empty string (the setting is off)."""
    def empty_or(value: str) -> str | None:
        return None if value == "" else check(value)

    empty_or.__name__ = f"empty or {check.__name__}"
    return empty_or


def one_of(*choices: str) -> Callable[[str], str | None]:
    def member(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    member.__name__ = f"one of {'/'.join(choices)}"
    return member
