"""Renders prometheus.yml from the stack settings (pure: no Pulumi resources)."""

from __future__ import annotations

from typing import Any

from mixin.alerts import render_alert_files
from mixin.rules import RECORDING_FILE, render_recording_rules
from render import blackbox, fluent_bit
from render.yamlout import dump_yaml
from settings.model import CONTAINER_PORTS, StackSettings

RULES_DIR = "/etc/prometheus/rules"
CONFIG_PATH = "/etc/prometheus/prometheus.yml"
# node-exporter runs in the host's network namespace (the host's interfaces, not a container's):
# Prometheus reaches it at the stack network's gateway, the host's address on that bridge.
NODE_EXPORTER_GATEWAY_PLACEHOLDER = "172.17.0.1"
# Basic auth (render/web_config.py): the user each server accepts, and where Prometheus reads the
# passwords it sends (files uploaded from secret Outputs; never in prometheus.yml itself).
PROMETHEUS_USER = "prometheus"
ALERTMANAGER_USER = "alertmanager"
SECRETS_DIR = "/etc/prometheus/secrets"
PROMETHEUS_PASSWORD_FILE = f"{SECRETS_DIR}/prometheus-password"
ALERTMANAGER_PASSWORD_FILE = f"{SECRETS_DIR}/alertmanager-password"


def basic_auth(user: str, password_file: str) -> dict[str, str]:
    return {"username": user, "password_file": password_file}


def alertmanager_targets(settings: StackSettings) -> list[str]:
    """Every Alertmanager peer: Prometheus sends each alert to all of them."""
    port = CONTAINER_PORTS["alertmanager"]
    return [f"{alertmanager_host(i)}:{port}" for i in range(settings.alerting.alertmanager_peers)]


def alertmanager_host(index: int) -> str:
    return "alertmanager" if index == 0 else f"alertmanager-{index}"


def _job(name: str, targets: list[str], **extra: Any) -> dict[str, Any]:
    return {"job_name": name, **extra, "static_configs": [{"targets": targets}]}


def node_exporter_target(gateway: str) -> str:
    return f"{gateway}:{CONTAINER_PORTS['node-exporter']}"


def global_and_rules(settings: StackSettings) -> dict[str, Any]:
    """What every Prometheus of the stack shares, on one host or a Swarm: intervals, labels, rules."""
    p = settings.prometheus
    return {
        "global": {
            "scrape_interval": p.scrape_interval,
            "evaluation_interval": p.evaluation_interval,
            "external_labels": {"stack": settings.stack, "project": settings.project},
        },
        "rule_files": [f"{RULES_DIR}/*.yml"],
    }


def render_prometheus_config(settings: StackSettings,
                             gateway: str = NODE_EXPORTER_GATEWAY_PLACEHOLDER) -> dict[str, Any]:
    """`gateway`: the host's address on the stack network (known once Docker created the network)."""
    p = settings.prometheus
    return {
        **global_and_rules(settings),
        "alerting": {"alertmanagers": [{
            "basic_auth": basic_auth(ALERTMANAGER_USER, ALERTMANAGER_PASSWORD_FILE),
            "static_configs": [{"targets": alertmanager_targets(settings)}],
        }]},
        "scrape_configs": [
            _job("prometheus", [f"localhost:{CONTAINER_PORTS['prometheus']}"],
                 basic_auth=basic_auth(PROMETHEUS_USER, PROMETHEUS_PASSWORD_FILE)),
            # The instance label stays "node-exporter:9100" whatever the gateway: stable series.
            _job("node-exporter", [node_exporter_target(gateway)], relabel_configs=[
                {"target_label": "instance", "replacement": f"node-exporter:{CONTAINER_PORTS['node-exporter']}"}]),
            _job("cadvisor", [f"cadvisor:{CONTAINER_PORTS['cadvisor']}"]),
            _job("api", list(p.app_targets)),
            _job("trading-engine", list(p.trading_targets)),
            _job("postgres-exporter", [f"postgres-exporter:{CONTAINER_PORTS['postgres-exporter']}"]),
            _job("alertmanager", alertmanager_targets(settings),
                 basic_auth=basic_auth(ALERTMANAGER_USER, ALERTMANAGER_PASSWORD_FILE)),
            _job("grafana", [f"grafana:{CONTAINER_PORTS['grafana']}"]),
            _job("fluent-bit", [f"fluent-bit:{CONTAINER_PORTS['fluent-bit']}"],
                 metrics_path=fluent_bit.METRICS_PATH),
            _job("elasticsearch-exporter",
                 [f"elasticsearch-exporter:{CONTAINER_PORTS['elasticsearch-exporter']}"]),
            _job("blackbox-exporter", [blackbox.ADDRESS]),
            *([probes] if (probes := blackbox.scrape_job(settings)) else []),
        ],
    }


def render_prometheus_yml(settings: StackSettings, gateway: str = NODE_EXPORTER_GATEWAY_PLACEHOLDER) -> str:
    return dump_yaml(render_prometheus_config(settings, gateway))


def render_rule_files(settings: StackSettings) -> dict[str, str]:
    """File name -> content of each rule file under RULES_DIR (recording rules, then alerts per area)."""
    return {RECORDING_FILE: render_recording_rules(), **render_alert_files(settings)}
