"""No test reaches a resolver or an address beyond loopback, whatever the machine (issue 26).

In the test process, a name other than localhost (or *.localhost) does not resolve and a
connection to an address other than loopback does not leave: both fail as they would in a
network namespace without DNS or routes, so code that handles an unreachable host is tested the
same way, and nothing is sent. Every attempt is recorded (`attempts`) so a test can assert that
it made none. Child processes are covered by `make test`, which runs pytest in a network
namespace of its own (scripts/hermetic.sh).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

attempts: list[str] = []
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def is_local_name(host: Any) -> bool:
    """localhost, *.localhost (RFC 6761: always loopback), a loopback or unspecified address, or none."""
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.rstrip(".").lower()
    if name in ("", "localhost") or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_local_name(host):
        attempts.append(f"resolve {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"hermetic tests: {host!r} is not resolved (loopback only)")
    return _real_getaddrinfo(host, *args, **kwargs)


def _outside(sock: socket.socket, address: Any) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return False
    return not is_local_name(address[0])


def _connect(self: socket.socket, address: Any) -> None:
    if _outside(self, address):
        attempts.append(f"connect {address!r}")
        raise OSError(errno.ENETUNREACH, f"hermetic tests: no route to {address!r} (loopback only)")
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if _outside(self, address):
        attempts.append(f"connect {address!r}")
        return errno.ENETUNREACH
    return _real_connect_ex(self, address)


def install() -> None:
    socket.getaddrinfo = _getaddrinfo
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
