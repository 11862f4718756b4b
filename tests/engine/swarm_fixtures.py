"""The Swarm of a module's engine tests (a manager, two workers), and the program's plan.

Test modules import the fixture functions (`swarm_cluster`, `swarm_plan`); tests ask for `swarm` and `plan`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from offline.mocks import ProgramRun, run_program, unwrap
from tests.conftest import stack_config
from tests.engine.swarm import ALERTMANAGER_IMAGE, NODE_EXPORTER_IMAGE, Swarm, start_swarm

SERVICE = "docker:index/service:Service"
LABEL = "com.christmas.monitoring.service"


@pytest.fixture(name="swarm", scope="module")
def swarm_cluster(request: pytest.FixtureRequest) -> Iterator[Swarm]:
    # One Swarm per test module (a fixture imported into two modules is two fixtures), each with names
    # of its own: a second Swarm under the same names would stop the first one's daemons.
    prefix = "cmsw-" + hashlib.sha1(request.module.__name__.encode()).hexdigest()[:4]
    cluster = start_swarm(prefix, images=(ALERTMANAGER_IMAGE, NODE_EXPORTER_IMAGE))
    print(f"\nswarm of {len(cluster.nodes)} nodes formed in {cluster.formed_seconds:.1f}s")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(name="plan", scope="module")
def swarm_plan() -> ProgramRun:
    config, secret_keys = stack_config("swarm")
    return run_program("swarm", config, secret_keys)


def planned_service(run: ProgramRun, name: str) -> dict[str, Any]:
    for resource in run.of_type(SERVICE):
        inputs = unwrap(resource.inputs)
        if {item["label"]: item["value"] for item in inputs["labels"]}[LABEL] == name:
            found: dict[str, Any] = inputs
            return found
    raise KeyError(name)


