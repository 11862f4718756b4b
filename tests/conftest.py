"""Shared fixtures: the real program run under mocks once per stack, and parsed settings."""

from __future__ import annotations

import pytest

from offline.mocks import ProgramRun, run_program
from settings.model import StackSettings, parse_settings
from settings.stack_file import stack_config as stack_config  # the tests import it from here


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
def swarm_run() -> ProgramRun:
    config, secret_keys = stack_config("swarm")
    return run_program("swarm", config, secret_keys)


@pytest.fixture(scope="session")
def dev_settings() -> StackSettings:
    return stack_settings("dev")


@pytest.fixture(scope="session")
def prod_settings() -> StackSettings:
    return stack_settings("prod")
