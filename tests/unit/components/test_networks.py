"""The stack's networks (components/networks.py, declared by components/stack.py, components/alerting.py and
components/metrics.py) under mocks: which networks each stack has and what each is for, which have no route
out, and which services join which."""

from __future__ import annotations

from typing import Any

import pytest

from offline.mocks import ProgramRun, unwrap
from settings.catalog import PURPOSE_LABEL, SERVICE_LABEL, STACK_LABEL
from settings.names import stack_network_name
from tests.conftest import stack_settings
from tests.unit.components.program import stack_of

NETWORK = "docker:index/network:Network"

# name -> (purpose label, Docker `internal`: no route out of the network). The stack's own network and the
# targets network keep their route out: Alertmanager and Grafana reach Slack and SMTP, Prometheus scrapes
# the platform. Only Alertmanager's gossip and (Swarm) the Engine API proxy's network are closed.
EXPECTED = {
    "dev": {"christmas-monitoring-dev": ("internal", None),
            "christmas-monitoring-dev-targets": ("targets", None)},
    "prod": {"christmas-monitoring-prod": ("internal", None),
             "christmas-monitoring-prod-targets": ("targets", None),
             "christmas-monitoring-prod-alertmanager-gossip": ("alertmanager-gossip", True)},
    "swarm": {"christmas-monitoring-swarm": ("internal", None),
              "christmas-monitoring-swarm-targets": ("targets", None),
              "christmas-monitoring-swarm-alertmanager-gossip": ("alertmanager-gossip", True),
              "christmas-monitoring-swarm-discovery": ("discovery", True)},
}


def _networks(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {unwrap(n.inputs)["name"]: unwrap(n.inputs) for n in run.of_type(NETWORK)}


def _labels(network: dict[str, Any]) -> dict[str, str]:
    return {item["label"]: item["value"] for item in network["labels"]}


@pytest.mark.parametrize("stack", ["dev", "prod", "swarm"])
def test_each_stack_declares_its_networks_by_purpose_and_only_gossip_and_discovery_have_no_route_out(
        stack, request):
    run: ProgramRun = request.getfixturevalue(f"{stack}_run")
    networks = _networks(run)
    found = {name: (_labels(n)[PURPOSE_LABEL], n.get("internal")) for name, n in networks.items()}
    assert found == EXPECTED[stack]
    # `docker network ls --filter label=com.christmas.monitoring.stack=<stack>` lists exactly these.
    assert {_labels(n)[STACK_LABEL] for n in networks.values()} == {stack}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_on_one_host_networks_are_plain_bridges_read_back_as_declared(stack, request):
    run: ProgramRun = request.getfixturevalue(f"{stack}_run")
    for network in run.of_type(NETWORK):
        inputs = unwrap(network.inputs)
        # No overlay option Docker would add to, so nothing of the network is ignored on a second `pulumi up`.
        assert inputs["driver"] == "bridge" and "options" not in inputs and "attachable" not in inputs, network.name
        assert network.ignore_changes == [], network.name


def _members(run: ProgramRun) -> dict[str, set[str]]:
    """network name -> the services whose containers join it."""
    found: dict[str, set[str]] = {}
    for container in run.containers():
        inputs = unwrap(container.inputs)
        service = next(item["value"] for item in inputs["labels"] if item["label"] == SERVICE_LABEL)
        for network in inputs.get("networksAdvanced") or []:
            found.setdefault(network["name"], set()).add(service)
    return found


def test_every_container_but_node_exporter_is_on_the_stack_network_and_none_on_a_network_of_another(run):
    members = _members(run)
    declared = set(_networks(run))
    # A container never joins a network the stack does not declare (the platform's own, the default bridge).
    assert set(members) == declared
    stack_network = stack_network_name(stack_settings(stack_of(run)))
    containers = {next(item["value"] for item in unwrap(c.inputs)["labels"] if item["label"] == SERVICE_LABEL)
                  for c in run.containers()}
    assert members[stack_network] == containers - {"node-exporter"}
    # node-exporter reads the host's network counters from the host's own namespace: on no Docker network.
    [node_exporter] = [c for c in run.containers() if unwrap(c.inputs)["name"].endswith("-node-exporter")]
    assert unwrap(node_exporter.inputs)["networkMode"] == "host"
    assert "networksAdvanced" not in unwrap(node_exporter.inputs)


def test_the_stack_network_admits_every_service_under_its_own_name(prod_run):
    # Services find each other by service name (http://prometheus:9090), each alias on the stack network.
    for container in prod_run.containers():
        inputs = unwrap(container.inputs)
        service = next(item["value"] for item in inputs["labels"] if item["label"] == SERVICE_LABEL)
        stack = [n for n in inputs.get("networksAdvanced") or [] if n["name"] == "christmas-monitoring-prod"]
        if service != "node-exporter":
            assert [n["aliases"] for n in stack] == [[service]], service
