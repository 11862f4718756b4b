"""One private engine for the engine tests (tests/engine/daemon.py), its test images, and timings.

Nothing here skips: without root, dockerd or a buildable image the fixtures raise and every test
that needs the engine fails with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.engine.daemon import Bridge, PrivateDaemon
from tests.engine.images import build_all

TIMINGS: list[str] = []


@pytest.fixture(scope="session")
def engine() -> Iterator[PrivateDaemon]:
    started = time.monotonic()
    bridge = Bridge("cme-tests").create()
    daemon = PrivateDaemon("cme-tests", bridge, 1)
    try:
        daemon.start()
        TIMINGS.append(f"dockerd started in {time.monotonic() - started:.1f}s "
                       f"(storage driver {daemon.client.get('/info')['Driver']})")
        yield daemon
    finally:
        stopping = time.monotonic()
        daemon.stop()
        bridge.remove()
        TIMINGS.append(f"dockerd stopped and removed in {time.monotonic() - stopping:.1f}s")


@pytest.fixture(scope="session")
def images(engine: PrivateDaemon) -> dict[str, str]:
    started = time.monotonic()
    mapping = build_all(engine, TIMINGS)
    TIMINGS.append(f"test images ready in {time.monotonic() - started:.0f}s")
    return mapping


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("engine timings")
        for line in TIMINGS:
            terminalreporter.write_line(line)
