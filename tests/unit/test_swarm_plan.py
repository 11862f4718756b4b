"""`make plan STACK=swarm`: every Swarm service, config and secret; files at their paths, no secret; promtool."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.mocks import PLACEHOLDERS
from render.prometheus import render_rule_files
from settings.catalog import SERVICES
from tests.conftest import stack_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("swarm")
    result = subprocess.run([sys.executable, "-m", "offline.plan", "swarm", "--out", str(out)],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_the_plan_lists_every_service_config_secret_and_the_network(plan):
    out, stdout = plan
    resources = json.loads((out / "resources.json").read_text())["resources"]
    count = {t: sum(r["type"] == t for r in resources) for t in (
        "docker:index/service:Service", "docker:index/serviceConfig:ServiceConfig", "docker:index/secret:Secret",
        "docker:index/network:Network")}
    # Every service of the catalog, the second setup job, the backups scheduler, the snapshot
    # repository's and the backups volume's first mounts (all run the images of others); configs:
    # prometheus.yml, its rule files, Alertmanager's entrypoint and every other file the containers
    # get as uploads; every secret file a Swarm secret; the stack's two overlays, Alertmanager's gossip one
    # and the Engine API proxy's (Prometheus and the proxy only).
    assert count["docker:index/service:Service"] == len(SERVICES) + 4 and count["docker:index/network:Network"] == 4
    assert count["docker:index/serviceConfig:ServiceConfig"] >= 13 and count["docker:index/secret:Secret"] >= 10
    assert "node.labels.christmas-monitoring.prometheus==true" in stdout and "global" in stdout


def test_configs_and_secrets_are_written_where_the_service_reads_them(plan):
    out, _ = plan
    assert "dockerswarm_sd_configs" in (out / "prometheus/etc/prometheus/prometheus.yml").read_text()
    # A secret file at the path the single-host container gets it, holding the plan's placeholder.
    slack = out / "alertmanager/etc/alertmanager/secrets/slack-api-url"
    assert slack.read_text() == PLACEHOLDERS["slackWebhookUrl"]
    assert "api_url_file: /etc/alertmanager/secrets/slack-api-url" in (
        out / "alertmanager/etc/alertmanager/alertmanager.yml").read_text()
    assert (out / "grafana/run/secrets/grafana/admin-password").read_text().startswith("REDACTED-")


def test_promtool_accepts_the_planned_swarm_prometheus_config(plan, tmp_path):
    out, _ = plan
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run `make tools`"
    # Rule files from where the plan wrote them (the image reads them from /etc/prometheus/rules).
    text = (out / "prometheus/etc/prometheus/prometheus.yml").read_text()
    config = tmp_path / "prometheus.yml"
    config.write_text(text.replace("/etc/prometheus/rules", str(out / "prometheus/etc/prometheus/rules")))
    result = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(render_rule_files(stack_settings('swarm')))} rule files found" in result.stdout
