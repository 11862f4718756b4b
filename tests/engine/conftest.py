"""One private engine for the engine tests (tests/engine/daemon.py), its test images, and timings.

Nothing here skips: without root, dockerd or a buildable image the fixtures raise and every test
that needs the engine fails with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.engine.daemon import Bridge, PrivateDaemon
from tests.engine.deploy import Deployment, deploy_side_by_side, remove_stack
from tests.engine.images import build_all

TIMINGS: list[str] = []
DEPLOY_BUDGET_S = 420  # one stack, cold: the slowest healthcheck (Elasticsearch's stand-in) within it


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


@pytest.fixture(scope="session")
def stacks(engine: PrivateDaemon, images: dict[str, str]) -> Iterator[dict[str, Deployment]]:
    """Dev and prod deployed side by side, at the same time (test_2_deploy, test_2a_doctor, test_2b_alerts;
    test_3 and later clean dev)."""
    try:
        for stack in ("dev", "prod"):
            remove_stack(engine, stack)
        started = time.monotonic()
        deployed = deploy_side_by_side(("dev", "prod"), engine, images)
        TIMINGS.append(f"dev and prod deployed at once in {time.monotonic() - started:.0f}s")
        for stack, deployment in deployed.items():
            TIMINGS.append(f"{stack} deployed in {deployment.seconds:.0f}s: " + ", ".join(
                f"{o.name.removeprefix('christmas-monitoring-')} {o.seconds:.0f}s"
                for o in sorted(deployment.outcomes.values(), key=lambda o: -o.seconds)[:4]) + " (slowest)")
        yield deployed
    finally:
        for stack in ("prod", "dev"):
            remove_stack(engine, stack)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("engine timings")
        for line in TIMINGS:
            terminalreporter.write_line(line)
