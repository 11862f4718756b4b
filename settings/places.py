"""Where a value lands: which process reads a setting, and where that process runs.

A setting's grammar says what its consumer can parse; its place says what the value *means*
there. A host name read by a process inside a container is resolved in that container, where
`localhost` and 127.0.0.1 are the container itself: an SMTP smarthost, a scrape target, a
database host, a webhook or an S3 endpoint on loopback reaches nothing (or the wrong thing).
The places are declared beside each setting (`setting(..., read_by=...)` in settings/sections.py,
`SecretSpec.read_by` in settings/secrets.py) and checked here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from settings import grammar as g

# Names every container's /etc/hosts (Docker writes it) maps to its own loopback.
_LOOPBACK_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")


def is_loopback(host: str) -> bool:
    """Whether `host` names the reader itself: localhost (RFC 6761: *.localhost too), 127/8, ::1,
    and the unspecified addresses (0.0.0.0, ::), which a client dials as its own host."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def host_of(value: str) -> str:
    """The host a URL, a DSN, `host:port` or a bare host names ("" when there is none)."""
    if "://" in value:
        try:
            return urlsplit(value).hostname or ""
        except ValueError:
            return ""
    if value.startswith("[") and "]" in value:
        return value[1:value.index("]")]
    host, sep, port = value.rpartition(":")
    return host if sep and port.isdigit() else value


def in_container(reader: str) -> Callable[[str], str | None]:
    """A check for a value read by `reader`, a process in a container of the stack (bridge or overlay
    network): its host must not be the container itself. Never echoes the value (secrets use it)."""
    def reachable(value: str) -> str | None:
        if is_loopback(host_of(value)):
            return (f"names loopback, which inside the {reader} container is that container itself: use a name "
                    "or address the container reaches (a service on the stack's network, or a host's DNS name)")
        return None

    reachable.__name__ = f"reached from {reader}"
    return reachable


# Services the program runs on the host's network (components/metrics.py: node-exporter, so its
# counters are the host's). Docker discards a published port with network_mode host, and the
# service already listens on a host address.
HOST_NETWORK_SERVICES: tuple[str, ...] = ("node-exporter",)


# Host trees a log directory may not be: the host's configuration and secrets (/etc/shadow into a
# root container), kernel interfaces, binaries and libraries, and the runtime sockets.
_SYSTEM_TREES = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/usr", "/bin", "/sbin", "/lib", "/lib32",
                 "/lib64", "/libx32", "/run", "/var/run", "/snap")
# Fluent Bit's own paths inside its container (render/fluent_bit.py: CONFIG_DIR, DATA_DIR and the
# binary): the log directory is mounted at the same path, so one of these would hide them.
FLUENT_BIT_OWN_TREE = "/fluent-bit"


def _under(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree + "/")


def docker_log_dir(value: str) -> str | None:
    """Docker's json-file logs: `<data-root>/containers/<id>/<id>-json.log`, mounted read-only into the
    Fluent Bit container (which runs as root) at the same path."""
    wrong = g.absolute_path(value)
    if wrong:
        return wrong
    if value.rstrip("/").rsplit("/", 1)[-1] != "containers":
        return "must be the 'containers' directory of Docker's data root (Docker keeps each container's log there)"
    for tree in (*_SYSTEM_TREES, FLUENT_BIT_OWN_TREE):
        if _under(value, tree) or _under(tree, value):
            why = "Fluent Bit's own configuration and data" if tree == FLUENT_BIT_OWN_TREE else \
                "the host's system files, which a root container must not read"
            return f"must not be or hide {tree} ({why})"
    return None


# The longest service name a Swarm stack creates after `<project>-<stack>-` (components/swarm_service.py,
# components/logging.py; tests/unit/test_value_rules.py checks it against the swarm plan). Swarm refuses
# a service name over 63 characters or one that is not a DNS label (swarmkit controlapi validateAnnotations:
# "name must be valid as a DNS name component", "63 characters or fewer"): no dots.
LONGEST_SWARM_SERVICE = "elasticsearch-snapshots-init"
SWARM_NAME_LIMIT = 63

# What a client dials as "this machine": `localhost` resolves to 127.0.0.1 and ::1 and Go's dialer tries
# both; 0.0.0.0 and :: connect to a local listener. Another 127/8 address may be another daemon.
_LOCAL_HOST_NAMES = ("localhost", "ip6-localhost", "ip6-loopback", "127.0.0.1", "::1", "0.0.0.0", "::")
# Debian (and every systemd host) links /var/run to /run: one path, two spellings.
_RUN_LINK = ("/var/run/", "/run/")


def daemon_identity(url: str) -> str:
    """The Docker daemon `docker:host` reaches, independent of how the URL is written: the local socket
    however spelled (empty, /var/run or /run, `unix:` with or without `//`, trailing slashes), an ssh://
    host with any user and the default port 22, tcp:// with its default port (2375, 2376 with https),
    host names in any case and without a final dot, and localhost, 127.0.0.1 and ::1 as the one
    machine that runs `pulumi` for every stack of this directory.

    This is the identity the URL can tell; the daemon's own ID (`docker info` .ID) is known only by
    asking the daemon at deploy time, which neither the plan nor `doctor` does."""
    text = url.strip()
    if not text:
        return "unix:/run/docker.sock"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if parts.scheme == "unix":
        path = "/" + "/".join(p for p in (parts.netloc + parts.path).split("/") if p)
        if path.startswith(_RUN_LINK[0]):
            path = _RUN_LINK[1] + path.removeprefix(_RUN_LINK[0])
        return f"unix:{path}"
    host = (parts.hostname or "").rstrip(".").lower()
    if host in _LOCAL_HOST_NAMES or host.endswith(".localhost"):
        host = "localhost"
    if parts.scheme == "ssh" and host:
        return f"ssh:{host}:{port or 22}"
    if parts.scheme in ("tcp", "http", "https") and host:
        return f"tcp:{host}:{port or (2376 if parts.scheme == 'https' else 2375)}"
    return text
