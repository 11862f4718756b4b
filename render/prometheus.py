"""Renders prometheus.yml from the stack settings (pure: no Pulumi resources)."""

from __future__ import annotations

from typing import Any

from formats.yamlout import dump_yaml
from render import scrape
from settings import names
from settings.catalog import PLATFORM_JOBS, scrape_of
from settings.model import CONTAINER_PORTS, StackSettings

RULES_DIR = "/etc/prometheus/rules"
CONFIG_PATH = "/etc/prometheus/prometheus.yml"
# node-exporter runs in the host's network namespace (the host's interfaces, not a container's):
# Prometheus reaches it at the stack network's gateway, the host's address on that bridge.
NODE_EXPORTER_GATEWAY_PLACEHOLDER = "172.17.0.1"
# Where Prometheus reads the passwords it sends (render/scrape.py), for the users each server accepts
# (settings/names.py); the components upload them there.
PROMETHEUS_PASSWORD_FILE = scrape.password_file(names.PROMETHEUS_USER)
ALERTMANAGER_PASSWORD_FILE = scrape.password_file(names.ALERTMANAGER_USER)


def alertmanager_targets(settings: StackSettings) -> list[str]:
    """Every Alertmanager peer: Prometheus sends each alert to all of them."""
    return _targets(settings, "alertmanager")


def _targets(settings: StackSettings, service: str) -> list[str]:
    port = CONTAINER_PORTS[service]
    return [f"{host}:{port}" for host in names.hosts_of(service, settings.alerting.alertmanager_peers)]


def node_exporter_target(gateway: str) -> str:
    return f"{gateway}:{CONTAINER_PORTS['node-exporter']}"


def _static(service: str, targets: list[str], **extra: Any) -> dict[str, Any]:
    return {"job_name": scrape_of(service).job, **scrape.auth_of(service), **extra,
            **scrape.path_and_scheme(service), "static_configs": [{"targets": targets}]}


def _host_job(service: str, gateway: str) -> dict[str, Any]:
    """A workload on the host's network (node-exporter), at the host's address on the stack network.
    The instance label stays `<service>:<port>` whatever the gateway: stable series."""
    port = CONTAINER_PORTS[service]
    return _static(service, [f"{gateway}:{port}"], relabel_configs=[
        {"target_label": "instance", "replacement": f"{service}:{port}"}])


def _platform_jobs(settings: StackSettings) -> list[dict[str, Any]]:
    """The platform's services, listed by address in the settings."""
    p = settings.prometheus
    return [{"job_name": job, "static_configs": [{"targets": list(targets)}]}
            for job, targets in ((PLATFORM_JOBS["api"], p.app_targets), (PLATFORM_JOBS["trading"], p.trading_targets))]


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
    return {
        **global_and_rules(settings),
        "alerting": {"alertmanagers": [{
            **scrape.auth_of("alertmanager"),
            "static_configs": [{"targets": alertmanager_targets(settings)}],
        }]},
        "scrape_configs": scrape.scrape_configs(settings, {
            "self": lambda _: scrape.self_job(),
            "host": lambda service: _host_job(service, gateway),
            "service": lambda service: _static(service, _targets(settings, service)),
        }, lambda: _platform_jobs(settings)),
    }


def render_prometheus_yml(settings: StackSettings, gateway: str = NODE_EXPORTER_GATEWAY_PLACEHOLDER) -> str:
    return dump_yaml(render_prometheus_config(settings, gateway))
