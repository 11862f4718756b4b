"""`make plan STACK=swarm`: every Swarm service, config and secret; files at their paths, no secret; promtool."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.mocks import PLACEHOLDERS

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
    # 12 services (10 long-running, 2 setup jobs); configs: prometheus.yml + 9 rule files + kibana.yml + 2 Fluent
    # Bit files + Alertmanager's entrypoint + the env loaders of Kibana, Fluent Bit and postgres-exporter;
    # secrets: the three files holding secrets and every password the services read (Grafana 2,
    # Elasticsearch 1, Kibana 2, Fluent Bit 1, postgres-exporter's DSN); one overlay network.
    assert count == {"docker:index/service:Service": 12, "docker:index/serviceConfig:ServiceConfig": 17,
                     "docker:index/secret:Secret": 10, "docker:index/network:Network": 1}
    assert "node.labels.christmas-monitoring.prometheus==true" in stdout and "global" in stdout


def test_configs_and_secrets_are_written_where_the_service_reads_them_without_secrets(plan):
    out, stdout = plan
    assert "dockerswarm_sd_configs" in (out / "prometheus/etc/prometheus/prometheus.yml").read_text()
    secret_file = out / "alertmanager/run/secrets/alertmanager.yml"
    assert "REDACTED" in secret_file.read_text()
    everything = stdout + "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert not [key for key, value in PLACEHOLDERS.items() if value in everything]


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
    assert "SUCCESS: 9 rule files found" in result.stdout
