"""Reading the real program's declared resources under mocks (tests/conftest.py and
tests/unit/components/conftest.py run it once per stack):
the containers of one host and the Swarm services, by the service label every workload carries."""

from __future__ import annotations

from typing import Any

from offline.mocks import DeclaredResource, ProgramRun, unwrap
from settings.catalog import SERVICE_LABEL
from tests.conftest import stack_config

SWARM_SERVICE = "docker:index/service:Service"


def container(run: ProgramRun, service: str) -> DeclaredResource:
    found = [c for c in run.containers()
             if {"label": SERVICE_LABEL, "value": service} in unwrap(c.inputs.get("labels", []))]
    assert len(found) == 1, f"{service}: {len(found)} containers"
    return found[0]


def inputs(run: ProgramRun, service: str) -> dict[str, Any]:
    result: dict[str, Any] = unwrap(container(run, service).inputs)
    return result


def env(run: ProgramRun, service: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in inputs(run, service).get("envs", []))


def uploads(run: ProgramRun, service: str) -> dict[str, str]:
    return {u["file"]: u["content"] for u in inputs(run, service).get("uploads", [])}


def secret_uploads(run: ProgramRun, service: str) -> dict[str, dict[str, Any]]:
    """The uploads that hold a secret (mode 0400), by path: content, permissions, owner, group."""
    return {u["file"]: u for u in inputs(run, service).get("uploads", []) if u.get("permissions") == "0400"}


def secret_value(run: ProgramRun, stack: str, key: str) -> str:
    """The value the program got for a secret: the plan's placeholder, or the mock's generated one."""
    config, _ = stack_config(stack)
    if key in config:
        return config[key]
    [generated] = [v for v in run.generated_secret_values if v.endswith(f"-{key}")]
    return generated


def stack_of(run: ProgramRun) -> str:
    return "prod" if any(r.protect for r in run.resources) else "dev"


def services(run: ProgramRun) -> dict[str, dict[str, Any]]:
    """Every Swarm service's inputs, by its service label."""
    return {next(str(label["value"]) for label in unwrap(r.inputs["labels"]) if label["label"] == SERVICE_LABEL):
            unwrap(r.inputs) for r in run.of_type(SWARM_SERVICE)}


def task_spec(run: ProgramRun, name: str) -> dict[str, Any]:
    found: dict[str, Any] = services(run)[name]["taskSpec"]
    return found
