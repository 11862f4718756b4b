"""The integration stack: started once per test session, stopped (every process) even when a test fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    running = start_stack()
    try:
        yield running
    finally:
        running.stop()
