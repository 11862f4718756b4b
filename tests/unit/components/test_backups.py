"""Backups under mocks and as rendered: what Elasticsearch, Prometheus and the scheduler receive.

The Elasticsearch bodies are checked against the 8.x reference (cited in render/backups.py):
- fs repository: `type: "fs"`, `settings.location` required and inside `path.repo`, `compress` a boolean;
- SLM policy: `schedule`, `name`, `repository`, `config` required; `config.indices` a list;
  `retention.expire_after` a time value, `min_count` <= `max_count`; snapshot names lowercase.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from components.service import TYPE_PREFIX
from offline.mocks import ProgramRun
from render import backups as bk
from render import elasticsearch
from settings import log_pipeline as logs
from settings.model import StackSettings
from tests.conftest import stack_settings
from tests.shell import POSIX_SH, assert_script_passes
from tests.unit.components.program import container, env, inputs, uploads

# Elasticsearch's cron: seconds minutes hours day-of-month month day-of-week [year]; `?` in one day field.
ES_CRON = re.compile(r"^\S+ \S+ \S+ \S+ \S+ \S+( \S+)?$")


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def volumes(run: ProgramRun, service: str) -> dict[str, tuple[str, bool]]:
    return {v["containerPath"]: (v["volumeName"], bool(v.get("readOnly"))) for v in inputs(run, service)["volumes"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_slm_policy_keeps_snapshots_as_long_as_the_logs(stack: str):
    s: StackSettings = stack_settings(stack)
    policy = bk.slm_policy(s)
    assert {"schedule", "name", "repository", "config"} <= set(policy)
    assert ES_CRON.match(policy["schedule"]) and "?" in policy["schedule"].split()[3:6]
    assert policy["repository"] == bk.ES_REPOSITORY
    # Date math in angle brackets; snapshot names must be lowercase.
    assert re.fullmatch(r"<[a-z0-9-]+\{now/d\}>", policy["name"]), policy["name"]
    assert policy["config"]["indices"] == [logs.data_stream_name(s)]
    assert policy["config"]["include_global_state"] is False
    retention = policy["retention"]
    assert retention["expire_after"] == f"{s.logging.retention_days}d"
    assert 1 <= retention["min_count"] <= retention["max_count"]


def test_repository_is_a_file_system_repository_inside_path_repo(dev_settings):
    repository = bk.snapshot_repository(dev_settings)
    assert repository["type"] == "fs"
    assert isinstance(repository["settings"]["compress"], bool)
    assert repository["settings"]["location"] == elasticsearch.environment(dev_settings)["path.repo"]


def test_elasticsearch_mounts_its_repository_volume_made_writable_before_it_starts(run):
    mounted = volumes(run, "elasticsearch")
    snapshots_volume, read_only = mounted[elasticsearch.SNAPSHOT_DIR]
    assert snapshots_volume.endswith("-elasticsearch-snapshots") and not read_only
    assert env(run, "elasticsearch")["path.repo"] == elasticsearch.SNAPSHOT_DIR
    init = inputs(run, "elasticsearch-snapshots-init")
    # First mounted on the image's own data directory (owned 1000:0): the new volume takes its owner.
    assert volumes(run, "elasticsearch-snapshots-init") == {elasticsearch.DATA_DIR: (snapshots_volume, False)}
    assert init["command"] == ["true"] and init["restart"] == "no" and not init.get("ports")
    assert container(run, "elasticsearch-snapshots-init").urn in container(run, "elasticsearch").dependencies


def test_prometheus_admin_api_is_on_and_published_only_where_the_stack_says(run):
    command = inputs(run, "prometheus")["command"]
    assert "--web.enable-admin-api" in command
    # Reachable on the stack network, and on the host only at the loopback address (docs/operations.md §6).
    assert all(p["ip"] == "127.0.0.1" for p in inputs(run, "prometheus").get("ports", []))


def test_the_scheduler_reads_prometheus_and_grafana_volumes_and_writes_its_own(run):
    mounted = volumes(run, "backups")
    assert mounted[bk.BACKUP_DIR][0].endswith("-backups-data")
    assert mounted[bk.TSDB_MOUNT] == (volumes(run, "prometheus")["/prometheus"][0], False)
    assert mounted[bk.GRAFANA_MOUNT] == (volumes(run, "grafana")["/var/lib/grafana"][0], True)
    scheduler = inputs(run, "backups")
    assert scheduler["user"] == "65534:0" and scheduler["command"] == ["sh", bk.SCRIPT_PATH]
    files = uploads(run, "backups")
    assert files[bk.SCRIPT_PATH] == bk.render_backup_script()
    # Prometheus' basic auth for the admin API: a secret file, never in the script or on a command line.
    assert set(files) == {bk.SCRIPT_PATH, bk.PROMETHEUS_CURLRC}
    assert files[bk.PROMETHEUS_CURLRC].startswith('user = "prometheus:')
    assert scheduler["healthcheck"]["tests"] == bk.healthcheck_command()
    # It starts once the volumes it mounts by name exist.
    waits_for = set(container(run, "backups").dependencies)
    assert {container(run, "prometheus").urn, container(run, "grafana").urn} <= waits_for


def test_backups_is_a_component_with_its_children_parented(run):
    [component] = run.of_type(f"{TYPE_PREFIX}:Backups")
    children = [r for r in run.resources if r.parent == component.urn]
    assert {r.name for r in children} == {"backups-data", "backups", "backups-volume-init"}


def test_backups_volume_is_first_mounted_on_prometheus_data_directory(run):
    """Docker gives a new volume the owner of the image's directory it is first mounted on; the curl
    image has no /backups (root 0755 volume, uid 65534 could not write: tests/engine proves it)."""
    init = inputs(run, "backups-volume-init")
    assert volumes(run, "backups-volume-init") == {"/prometheus": (volumes(run, "backups")[bk.BACKUP_DIR][0], False)}
    assert init["entrypoints"] == ["/bin/true"] and init["restart"] == "no" and init["mustRun"] is False
    image = next(r for r in run.of_type("docker:index/remoteImage:RemoteImage")
                 if r.name == "backups-volume-init-image")
    assert image.inputs["name"] == "prom/prometheus:v3.5.0"
    assert container(run, "backups-volume-init").urn in set(container(run, "backups").dependencies)


@pytest.mark.parametrize("tool", POSIX_SH)
def test_scheduler_script_is_valid_posix_sh(tmp_path, tool):
    assert_script_passes(tool, bk.render_backup_script(), tmp_path)


def _aged(path: Path, days: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("old backup")
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def test_one_round_keeps_two_days_of_prometheus_archives_and_a_week_of_grafana_copies(tmp_path):
    """The rendered script, one round (BACKUP_ONCE), with a stand-in for Prometheus' snapshot API."""
    out, tsdb, bin_dir = tmp_path / "backups", tmp_path / "tsdb", tmp_path / "bin"
    (tsdb / "snapshots/20261207T000000Z-0a1b").mkdir(parents=True)
    (tsdb / "snapshots/20261207T000000Z-0a1b/chunk").write_text("chunk")
    (tmp_path / "grafana.db").write_text("sqlite")
    bin_dir.mkdir()
    (bin_dir / "curl").write_text('#!/bin/sh\necho \'{"status":"success","data":{"name":"20261207T000000Z-0a1b"}}\'\n')
    (bin_dir / "curl").chmod(0o755)
    # find -mtime +N: whole days of age above N. Just inside and just past each limit.
    ages = {"prometheus/p-2.5d.tar": 2.5, "prometheus/p-3.5d.tar": 3.5,
            "grafana/g-7.5d.db": 7.5, "grafana/g-8.5d.db": 8.5}
    for name, days in ages.items():
        _aged(out / name, days)
    script = tmp_path / "backup.sh"
    script.write_text(bk.render_backup_script())
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PROMETHEUS_CURLRC": "/dev/null", "TSDB_DIR": str(tsdb),
           "GRAFANA_DB": str(tmp_path / "grafana.db"), "BACKUP_DIR": str(out), "BACKUP_ONCE": "1"}
    result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert (out / "last-success").is_file(), result.stderr
    kept = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.parent != out)
    [new_copy] = [k for k in kept if k.startswith("grafana/grafana-")]
    assert kept == sorted(["prometheus/p-2.5d.tar", "prometheus/20261207T000000Z-0a1b.tar",
                           "grafana/g-7.5d.db", new_copy])
