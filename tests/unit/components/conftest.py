"""The program under mocks for the component areas' tests: both single-host stacks, and the Swarm one."""

from __future__ import annotations

import pytest

from offline.mocks import ProgramRun, run_program
from tests.conftest import stack_config


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    """Both single-host stacks: a test taking `run` holds for each."""
    return dev_run if request.param == "dev" else prod_run


@pytest.fixture(scope="session")
def swarm_run() -> ProgramRun:
    config, secret_keys = stack_config("swarm")
    return run_program("swarm", config, secret_keys)
