"""Shared fixtures: the real program run under mocks once per stack, and parsed settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from offline.mocks import ProgramRun, run_program
from settings.model import StackSettings, parse_settings
from settings.stack_file import stack_config as stack_config  # the tests import it from here
from tests import hermetic

# tests/engine/ starts private Docker daemons as root and builds images: `make test-engine` runs it
# (CHRISTMAS_ENGINE_TESTS=1), `make test` does not collect it.
ENGINE = os.environ.get("CHRISTMAS_ENGINE_TESTS") == "1"
collect_ignore = [] if ENGINE else ["engine"]

# Before any test: no name resolves and no connection leaves loopback (tests/hermetic.py). The engine
# tests reach their own daemons' namespaces, which they create and remove (and no other address).
if not ENGINE:
    hermetic.install()


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


@pytest.fixture(scope="session")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, str]]:
    """`make plan STACK=<stack>` run once per stack for the whole session: its directory and its summary."""
    done: dict[str, tuple[Path, str]] = {}

    def plan(stack: str) -> tuple[Path, str]:
        if stack not in done:
            out = tmp_path_factory.mktemp(f"plan-{stack}")
            result = subprocess.run([sys.executable, "-m", "offline.plan", stack, "--out", str(out)],
                                    cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                                    timeout=120, check=False)
            assert result.returncode == 0, result.stderr
            done[stack] = (out, result.stdout)
        return done[stack]

    return plan
