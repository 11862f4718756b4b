"""The policy pack on the swarm example stack: the program passes, each broken Swarm service is caught."""

from __future__ import annotations

import copy
from typing import Any

from offline.mocks import DeclaredResource, ProgramRun, unwrap
from tests.policy.harness import Violation, analyze, variant

SERVICE = "docker:index/service:Service"
POLICY = "swarm-service-hardening"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}




def service(run: ProgramRun, name: str) -> DeclaredResource:
    return run.named(f"{name}-service")


def broken(resource: DeclaredResource, change: Any, as_secret: bool = False) -> DeclaredResource:
    """The service with its (unwrapped) task spec changed by `change(task_spec)`, sent as a secret if asked."""
    task = copy.deepcopy(unwrap(resource.inputs["taskSpec"]))
    change(task)
    return variant(resource, taskSpec={**SECRET_SIG, "value": task} if as_secret else task)


def only(violations: list[Violation], urn: str) -> str:
    assert [(v.policy, v.urn) for v in violations] == [(POLICY, urn)], violations
    assert violations[0].mandatory
    return violations[0].message


def test_the_swarm_stack_passes_every_policy(swarm_run):
    assert len(swarm_run.of_type(SERVICE)) >= 10 and swarm_run.of_type("docker:index/secret:Secret")
    assert analyze(swarm_run.resources) == []


def test_an_unpinned_image_is_caught(swarm_run):
    s = service(swarm_run, "prometheus")
    message = only(analyze([broken(s, lambda t: t["containerSpec"].update(image="prom/prometheus:latest"))]), s.urn)
    assert "`latest`" in message and "images.prometheus" in message


def test_a_missing_memory_limit_is_caught(swarm_run):
    s = service(swarm_run, "kibana")
    message = only(analyze([broken(s, lambda t: t["resources"].pop("limits"))]), s.urn)
    assert "memoryMb.kibana" in message



def test_a_secret_in_a_service_spec_is_caught(swarm_run):
    s = service(swarm_run, "kibana")
    message = only(analyze([broken(s, lambda t: None, as_secret=True)]), s.urn)
    assert "docker service inspect" in message
    nested = broken(s, lambda t: t["containerSpec"].update(args=["--password", {**SECRET_SIG, "value": "x" * 16}]))
    message = only(analyze([nested]), s.urn)
    assert "docker service inspect" in message and "x" * 16 not in message


def test_a_missing_healthcheck_is_caught_but_not_on_a_one_shot_job(swarm_run):
    s = service(swarm_run, "alertmanager")
    only(analyze([broken(s, lambda t: t["containerSpec"].pop("healthcheck"))]), s.urn)
    job = service(swarm_run, "elastic-setup")
    assert analyze([broken(job, lambda t: t["containerSpec"].pop("healthcheck", None))]) == []


def test_a_plain_password_in_env_is_caught(swarm_run):
    s = service(swarm_run, "cadvisor")
    message = only(analyze([broken(s, lambda t: t["containerSpec"].update(env={"DB_PASSWORD": "hunter2-hunter2"}))]),
                   s.urn)
    assert "DB_PASSWORD" in message and "hunter2" not in message
    # The same advice as for a container: a file, since `docker service inspect` shows the environment.
    assert "`docker service inspect` shows" in message and "upload the value as a file" in message


def test_only_node_exporter_may_use_the_host_network(swarm_run):
    s = service(swarm_run, "cadvisor")
    only(analyze([broken(s, lambda t: t.update(networksAdvanceds=[{"id": "host"}]))]), s.urn)


def test_a_swarm_secret_with_plain_data_is_caught(swarm_run):
    secret = swarm_run.of_type("docker:index/secret:Secret")[0]
    only(analyze([variant(secret, data=unwrap(secret.inputs["data"]))]), secret.urn)


def test_a_host_network_agent_listening_on_every_interface_is_caught(swarm_run):
    s = service(swarm_run, "node-exporter")
    # The image's own entrypoint: --web.listen-address=:9100 on every interface of every node.
    message = only(analyze([broken(s, lambda t: t["containerSpec"].pop("commands"))]), s.urn)
    assert "every interface" in message and "swarmNodeSubnet" in message
    only(analyze([broken(s, lambda t: t["containerSpec"]["args"].append("--web.listen-address=0.0.0.0:9100"))]),
         s.urn)
