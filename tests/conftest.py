"""Shared fixtures: the real program run under mocks once per stack, and parsed settings."""

from __future__ import annotations

import os

import pytest

from offline.mocks import ProgramRun, run_program
from offline.plan import plan_config
from settings.model import StackSettings, parse_settings

# tests/engine/ starts private Docker daemons as root and builds images: `make test-engine` runs it
# (CHRISTMAS_ENGINE_TESTS=1), `make test` does not collect it.
collect_ignore = [] if os.environ.get("CHRISTMAS_ENGINE_TESTS") == "1" else ["engine"]


def stack_config(stack: str) -> tuple[dict[str, str], set[str]]:
    """A stack file's settings with the plan's placeholders for secrets."""
    return plan_config(stack)


def stack_settings(stack: str) -> StackSettings:
    config, secret_keys = stack_config(stack)
    return parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    config, secret_keys = stack_config("dev")
    return run_program("dev", config, secret_keys)


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    config, secret_keys = stack_config("prod")
    return run_program("prod", config, secret_keys)


@pytest.fixture(scope="session")
def dev_settings() -> StackSettings:
    return stack_settings("dev")


@pytest.fixture(scope="session")
def prod_settings() -> StackSettings:
    return stack_settings("prod")
