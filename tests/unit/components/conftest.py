"""The component areas' tests run on both single-host stacks (`run`); the Swarm stack is `swarm_run`
(tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    """Both single-host stacks: a test taking `run` holds for each."""
    return dev_run if request.param == "dev" else prod_run


