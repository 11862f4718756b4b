"""The Swarm service component (components/swarm_service.py, components/swarm_placement.py) under mocks, on
the swarm example stack: how every service is updated and rolled back, how long `pulumi up` waits for it,
what it reserves, where it may run, and the files and volumes its tasks get."""

from __future__ import annotations

import pytest

from components.swarm_placement import constraints, placement_of
from components.swarm_service import _object_base, _tmpfs_size
from offline.mocks import unwrap
from settings.catalog import LABEL_PREFIX
from settings.grammar_numbers import duration_seconds
from settings.workload import Placement
from tests.conftest import stack_settings
from tests.unit.components.program import services

ONE_SHOT = {"elastic-setup", "kibana-setup", "elasticsearch-snapshots-init", "backups-volume-init"}


def _seconds(duration: str) -> int:
    return int(duration_seconds(duration))


def test_every_service_updates_one_task_at_a_time_and_rolls_back_a_task_that_fails_within_30s(swarm_run):
    for name, svc in services(swarm_run).items():
        order = placement_of(name).update_order
        assert svc["updateConfig"] == {"parallelism": 1, "order": order, "failureAction": "rollback",
                                       "monitor": "30s", "delay": "10s"}, name
        # A rollback is itself watched as long, one task at a time, in the same order (stop-first where
        # two tasks must never open the same volume).
        assert svc["rollbackConfig"] == {"parallelism": 1, "order": order, "monitor": "30s"}, name


def test_pulumi_waits_for_a_service_as_long_as_docker_may_take_to_call_it_unhealthy(swarm_run):
    """The provider deletes a new service that has not converged before `converge_config.timeout`: with a
    fixed 3m, a Kibana still in its five-minute start period would be removed by the first `pulumi up`
    (fixed: the wait follows the healthcheck, as a container's `wait_timeout` does)."""
    for name, svc in services(swarm_run).items():
        if name in ONE_SHOT:  # a job that runs once never reaches a running state to wait for
            assert "convergeConfig" not in svc, name
            continue
        hc = svc["taskSpec"]["containerSpec"]["healthcheck"]
        until_unhealthy = _seconds(hc["startPeriod"]) + (hc["retries"] + 1) * (
            _seconds(hc["interval"]) + _seconds(hc["timeout"]))
        timeout = _seconds(svc["convergeConfig"]["timeout"])
        assert timeout >= until_unhealthy and timeout >= 180, (name, timeout, until_unhealthy)
    waits = {name: svc["convergeConfig"]["timeout"] for name, svc in services(swarm_run).items()
             if name in ("kibana", "elasticsearch", "backups", "prometheus")}
    # Kibana: 300 s start period + 11 x (15 s + 10 s); Elasticsearch 60 s + 11 x 25 s; backups 60 s + 4 x 40 s.
    assert waits == {"kibana": "575s", "elasticsearch": "335s", "backups": "220s", "prometheus": "3m"}


def test_every_service_reserves_the_memory_it_is_limited_to_from_the_stack_settings(swarm_run):
    s = stack_settings("swarm")
    checked = 0
    for name, svc in services(swarm_run).items():
        if name not in s.services:
            continue
        resources = svc["taskSpec"]["resources"]
        memory = s.service(name).memory_mb * 1024 * 1024
        # Reserved as much as the limit: Swarm places a task only on a node that has that memory free.
        assert resources == {"limits": {"memoryBytes": memory, "nanoCpus": int(s.service(name).cpus * 1e9)},
                             "reservation": {"memoryBytes": memory}}, name
        checked += 1
    assert checked >= 14
    assert services(swarm_run)["elasticsearch"]["taskSpec"]["resources"]["reservation"] == {"memoryBytes": 8 << 30}


@pytest.mark.parametrize(("placement", "expected"), [
    (Placement(), []),
    (Placement(manager_only=True), ["node.role==manager"]),
    (Placement(node_label="prometheus", with_labels=("grafana",)),
     ["node.labels.christmas-monitoring.prometheus==true", "node.labels.christmas-monitoring.grafana==true"]),
    (Placement(node_label="elasticsearch-1", avoid_labels=("elasticsearch-2", "elasticsearch-3")),
     ["node.labels.christmas-monitoring.elasticsearch-1==true",
      "node.labels.christmas-monitoring.elasticsearch-2!=true",
      "node.labels.christmas-monitoring.elasticsearch-3!=true"]),
])
def test_placement_constraints_name_the_labels_the_operator_sets_on_nodes(placement, expected):
    # `docker node update --label-add christmas-monitoring.<label>=true <node>` (README, docs/scale-out.md).
    assert constraints(placement) == expected


def test_each_service_is_placed_by_its_catalog_row(swarm_run):
    for name, svc in services(swarm_run).items():
        placement = svc["taskSpec"]["placement"]
        assert placement.get("constraints", []) == constraints(placement_of(name)), name
        assert placement.get("maxReplicas", 0) == placement_of(name).max_replicas_per_node, name
        assert ("global" in svc["mode"]) == placement_of(name).global_mode, name
    # The edge holds its certificates on a volume: it runs where the operator labelled a node for it.
    assert services(swarm_run)["edge"]["taskSpec"]["placement"]["constraints"] == [
        "node.labels.christmas-monitoring.edge==true"]


def test_configuration_files_are_read_only_and_owned_by_the_user_the_service_runs_as(swarm_run):
    for name, svc in services(swarm_run).items():
        container = svc["taskSpec"]["containerSpec"]
        for config in container.get("configs") or []:
            # No file is writable or executable: scripts are run by /bin/sh.
            assert config["fileMode"] == 0o444, (name, config["fileName"])
    prometheus = services(swarm_run)["prometheus"]["taskSpec"]["containerSpec"]
    owners = {(c["fileUid"], c["fileGid"]) for c in prometheus["configs"]}
    assert owners == {("65534", "65534")}  # the image's `nobody`, from the catalog row


def test_config_and_secret_names_fit_swarms_64_characters_and_never_collide(swarm_run):
    names = [unwrap(r.inputs)["name"] for r in (*swarm_run.of_type("docker:index/serviceConfig:ServiceConfig"),
                                                *swarm_run.of_type("docker:index/secret:Secret"))]
    assert len(names) == 46
    assert max(len(n) for n in names) <= 64 and len(set(names)) == len(names)
    # A long path is cut, never the stack's prefix: `docker config ls --filter name=<prefix>` finds them all.
    base = _object_base("christmas-monitoring-swarm-elastic-setup", "/tmp/christmas-setup-password-kibana_system.json")
    # Cut at 51 characters (64 less `-<12 hex>`), without a dangling `-`.
    assert base == "christmas-monitoring-swarm-elastic-setup-christmas"


def test_volumes_are_made_by_the_node_that_runs_the_task_and_labelled_like_one_hosts(swarm_run):
    assert swarm_run.of_type("docker:index/volume:Volume") == []
    prometheus = services(swarm_run)["prometheus"]["taskSpec"]["containerSpec"]["mounts"]
    assert prometheus == [{"type": "volume", "source": "christmas-monitoring-swarm-prometheus-data",
                           "target": "/prometheus", "readOnly": False, "volumeOptions": {"labels": [
                               {"label": f"{LABEL_PREFIX}.stack", "value": "swarm"},
                               {"label": f"{LABEL_PREFIX}.service", "value": "prometheus"}]}}]
    tmpfs = {(name, m["target"]): m["tmpfsOptions"]["sizeBytes"] for name, svc in services(swarm_run).items()
             for m in svc["taskSpec"]["containerSpec"].get("mounts") or [] if m["type"] == "tmpfs"}
    assert tmpfs == {("edge", "/config"): 16 << 20, ("grafana", "/tmp"): 64 << 20}


@pytest.mark.parametrize(("options", "size"), [
    ("rw,noexec,nosuid,size=16m", 16 << 20), ("size=1g", 1 << 30), ("size=512k,mode=1777", 512 << 10),
    ("size=4096", 4096), ("rw,noexec", None)])
def test_a_containers_tmpfs_size_becomes_the_swarm_mounts_size_in_bytes(options, size):
    assert _tmpfs_size(options) == size

