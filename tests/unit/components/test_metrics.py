"""The metrics area (components/metrics.py) under mocks, on one host and on a Swarm: Prometheus, its
rule files and TSDB, and node-exporter, each as its catalog row says."""

from __future__ import annotations

from mixin.rule_files import render_rule_files
from render.prometheus import CONFIG_PATH, RULES_DIR
from settings.catalog import CATALOG
from tests.conftest import stack_settings
from tests.unit.components.program import inputs, task_spec, uploads

# node-exporter reads the host through its root, and leaves out the kernel's and Docker's filesystems.
HOST_FLAGS = ("--path.rootfs=/host",
              "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)")


def test_node_exporter_reads_the_same_host_on_one_host_and_on_a_swarm(run, swarm_run):
    one_host, swarm = inputs(run, "node-exporter"), task_spec(swarm_run, "node-exporter")["containerSpec"]
    for flags in (one_host["command"], swarm["args"]):
        assert (flags[0], flags[-1]) == HOST_FLAGS
    # One host: it listens on the stack network's gateway only; a Swarm task cannot join the host
    # PID namespace, so it reads the host's /proc and /sys through the mount instead.
    assert one_host["command"][1].startswith("--web.listen-address=") and one_host["networkMode"] == "host"
    assert swarm["args"][1:3] == ["--path.procfs=/host/proc", "--path.sysfs=/host/sys"]
    assert one_host["user"] == swarm["user"] == CATALOG["node-exporter"].user


def test_prometheus_keeps_its_tsdb_on_its_volume_at_the_catalog_path(run, swarm_run):
    path = CATALOG["prometheus"].data_path
    one_host, swarm = inputs(run, "prometheus"), task_spec(swarm_run, "prometheus")["containerSpec"]
    for flags in (one_host["command"], swarm["args"]):
        assert f"--storage.tsdb.path={path}" in flags
    assert [v["containerPath"] for v in one_host["volumes"]] == [path]
    assert [m["target"] for m in swarm["mounts"] if m["type"] == "volume"] == [path]


def test_prometheus_gets_its_config_and_every_rule_file_of_the_mixin(run):
    stack = "prod" if any(r.protect for r in run.resources) else "dev"
    files = uploads(run, "prometheus")
    assert CONFIG_PATH in files
    rules = render_rule_files(stack_settings(stack))
    assert {f"{RULES_DIR}/{name}": text for name, text in rules.items()} == {
        path: text for path, text in files.items() if path.startswith(f"{RULES_DIR}/")}
