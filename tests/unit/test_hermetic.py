"""The tests' own guard: a name beyond localhost never reaches the resolver, an address beyond loopback
is never connected to, and loopback works as usual."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import hermetic


@pytest.mark.parametrize("host", ["example.com", "hooks.slack.com", "prometheus", "10.0.0.1"])
def test_a_name_or_address_beyond_loopback_is_not_reached(host: str) -> None:
    before = len(hermetic.attempts)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://{host}:9/", timeout=2)
    assert len(hermetic.attempts) == before + 1


@pytest.mark.parametrize("address", [("192.0.2.1", 53), ("8.8.8.8", 53)])
def test_a_connection_beyond_loopback_fails_as_without_a_route(address: tuple[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError) as refused:
        sock.connect(address)
    assert "no route" in str(refused.value)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert sock.connect_ex(address) != 0


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=5):
            pass
    assert hermetic.is_local_name("grafana.localhost") and hermetic.is_local_name("::1")


def test_make_test_runs_pytest_where_no_route_leaves_loopback() -> None:
    # Child processes (curl, caddy, promtool...) are outside the guard: `make test` runs pytest in a
    # network namespace of its own, with loopback up and nothing else.
    script = Path(__file__).resolve().parents[2] / "scripts/hermetic.sh"
    result = subprocess.run(["bash", str(script), sys.executable, "-c",
                             "import socket; print(sorted({a[4][0] for a in socket.getaddrinfo('localhost', 1)}))"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    routes = subprocess.run(["bash", str(script), "ip", "-4", "route", "show"], capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert routes == ""
