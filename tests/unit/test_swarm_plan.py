"""`make plan STACK=swarm`: every Swarm service, config and secret; files at their paths, no secret
(promtool: tests/config/test_plan_checkers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.mocks import PLACEHOLDERS
from settings.catalog import SERVICES


@pytest.fixture(scope="module")
def plan(planned) -> tuple[Path, str]:
    result: tuple[Path, str] = planned("swarm")
    return result


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
