"""The alerting area (components/alerting.py) under mocks: one Alertmanager per peer, each with its own
notification log, gossiping on their own network; on a Swarm one service, one task per node."""

from __future__ import annotations

from offline.mocks import ProgramRun
from settings.catalog import CATALOG
from settings.names import alertmanager_hosts, gossip_network_name, stack_network_name, volume_name
from tests.conftest import stack_settings
from tests.unit.components.program import inputs, services


def _stack(run: ProgramRun) -> str:
    return "prod" if any(r.protect for r in run.resources) else "dev"


def test_each_peer_keeps_its_notification_log_on_its_own_volume(run):
    s = stack_settings(_stack(run))
    hosts = alertmanager_hosts(s.alerting.alertmanager_peers)
    path = CATALOG["alertmanager"].data_path
    for host in hosts:
        peer = inputs(run, host)
        assert peer["volumes"] == [{"volumeName": volume_name(s, host), "readOnly": False, "containerPath": path}]
        assert f"--storage.path={path}" in peer["command"]


def test_only_the_first_peer_is_published_and_peers_gossip_on_their_own_network(run):
    s = stack_settings(_stack(run))
    hosts = alertmanager_hosts(s.alerting.alertmanager_peers)
    published = [host for host in hosts if inputs(run, host).get("ports")]
    assert published == ([hosts[0]] if s.service("alertmanager").publish else [])
    for host in hosts:
        networks = [n["name"] for n in inputs(run, host)["networksAdvanced"]]
        expected = [stack_network_name(s), *([gossip_network_name(s)] if len(hosts) > 1 else [])]
        assert networks == expected


def test_on_a_swarm_the_peers_are_one_service_with_one_task_per_node(swarm_run):
    s = stack_settings("swarm")
    alertmanager = services(swarm_run)["alertmanager"]
    assert alertmanager["mode"] == {"replicated": {"replicas": s.alerting.alertmanager_peers}}
    per_node = CATALOG["alertmanager"].placement.max_replicas_per_node
    assert alertmanager["taskSpec"]["placement"]["maxReplicas"] == per_node == 1
