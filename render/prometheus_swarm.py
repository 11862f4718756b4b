"""Renders prometheus.yml for a Docker Swarm stack (pure): targets found by `dockerswarm_sd_configs`.

Nothing is listed by address: Prometheus asks the Swarm manager's Engine API for the cluster's
nodes and tasks every `refresh_interval`, so a node that joins, a task that moves, or a
platform service scaled from 2 to 4 replicas needs no change here.

- node-exporter runs on the host network of every node (its docs require host network and PID),
  so a Swarm task of it has no overlay address: it is found with `role: nodes`, at
  `<node address>:9100`. A node that goes down stays a target, so `up == 0` names the lost node.
- Every other service is found with `role: tasks`, at the task's address on the stack's overlay
  network; a task is a target while Docker both wants it and reports it running.
- The platform's services opt in with service labels (`deploy.labels` in a compose file):
  SCRAPE_LABEL=true, PORT_LABEL=<port>, and optionally PATH_LABEL and JOB_LABEL; they are scraped
  on the targets overlay (`<project>-<stack>-targets`), the stack's own services on its own one.

Labels every target gets: `node` (the node's hostname), `service` (the Swarm service),
`task` (`<service>.<slot>` for a replicated service, `<service>.<node>` for a global one:
stable when Swarm replaces a task) and `instance` (the node for a per-node agent, else the task).

Reference: Prometheus v2.42.0 discovery/moby/{nodes,tasks,services,network}.go (the `__meta_dockerswarm_*`
labels and how `__address__` is built); docs/configuration/configuration.md#dockerswarm_sd_config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from formats.yamlout import dump_yaml
from render import scrape
from render.prometheus import global_and_rules
from settings import names
from settings.catalog import LABEL_PREFIX, scrape_of
from settings.model import CONTAINER_PORTS, StackSettings

# The service labels a platform service sets to be scraped (documented in the README).
SCRAPE_LABEL = f"{LABEL_PREFIX}.scrape"
PORT_LABEL = f"{LABEL_PREFIX}.port"
PATH_LABEL = f"{LABEL_PREFIX}.path"
JOB_LABEL = f"{LABEL_PREFIX}.job"

# The Engine API, read-only, through the socket proxy on a manager node (components/swarm_service.py):
# Prometheus never holds the Docker socket itself.
DOCKER_API_URL = "http://docker-api:2375"
PLATFORM_JOB = "platform"


@dataclass(frozen=True)
class SwarmDiscovery:
    """Where and how often Prometheus asks the Engine API, and the ports of the stack's services."""

    docker_api_url: str = DOCKER_API_URL
    refresh_interval: str = "15s"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(CONTAINER_PORTS))


# The stack's own overlay (its services are scraped there) and the platform's (settings/names.py).
overlay_network_name = names.stack_network_name
targets_network_name = names.targets_network_name


def meta(name: str) -> str:
    return f"__meta_dockerswarm_{name}"


def service_label_meta(label: str) -> str:
    """The meta label Prometheus makes of a service label (strutil.SanitizeLabelName)."""
    return meta("service_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label))


def _exactly(value: str) -> str:
    # Relabel regexes are anchored; escape so a stack name with '.' matches only itself
    # ('-' needs no escape outside a character class; leaving it keeps the file readable).
    return re.escape(value).replace("\\-", "-")


def _sd(discovery: SwarmDiscovery, role: str) -> list[dict[str, Any]]:
    # Identical blocks across jobs: Prometheus runs one discoverer for all of them.
    return [{"host": discovery.docker_api_url, "role": role, "refresh_interval": discovery.refresh_interval}]


def _with_port(port: int) -> dict[str, Any]:
    """`__address__` is `<task address>:80` (no published port): the service's own port instead."""
    return {"source_labels": ["__address__"], "regex": "(.+):\\d+", "replacement": f"${{1}}:{port}",
            "target_label": "__address__"}


def _running_tasks_on(network: str) -> list[dict[str, Any]]:
    return [
        # Docker wants it running and it is running: a stopped, failed or replaced task is no target.
        {"source_labels": [meta("task_desired_state"), meta("task_state")], "regex": "running;running",
         "action": "keep"},
        # One target per network a task is attached to: keep only the address Prometheus can reach.
        {"source_labels": [meta("network_name")], "regex": _exactly(network), "action": "keep"},
    ]


def _task_identity() -> list[dict[str, Any]]:
    return [
        {"source_labels": [meta("node_hostname")], "target_label": "node"},
        {"source_labels": [meta("service_name")], "target_label": "service"},
        {"source_labels": [meta("service_mode"), meta("service_name"), meta("task_slot")],
         "regex": "replicated;(.+);(\\d+)", "replacement": "${1}.${2}", "target_label": "task"},
        {"source_labels": [meta("service_mode"), meta("service_name"), meta("node_hostname")],
         "regex": "global;(.+);(.+)", "replacement": "${1}.${2}", "target_label": "task"},
        # One per node: the node names it (as node-exporter's does); a replica: its task.
        {"source_labels": [meta("service_mode"), "task"], "regex": "replicated;(.+)", "target_label": "instance"},
        {"source_labels": [meta("service_mode"), "node"], "regex": "global;(.+)", "target_label": "instance"},
    ]


def _node_exporter_job(settings: StackSettings, discovery: SwarmDiscovery,
                       row: str = "node-exporter") -> dict[str, Any]:
    """A workload on each node's host network (node-exporter): at the node's address."""
    service = settings.name(row)
    return {
        "job_name": scrape_of(row).job,
        **scrape.auth_of(row),
        **scrape.path_and_scheme(row),
        "dockerswarm_sd_configs": _sd(discovery, "nodes"),
        "relabel_configs": [
            # A drained node runs no task, not even a global one: nothing to scrape there.
            {"source_labels": [meta("node_availability")], "regex": "drain", "action": "drop"},
            {"source_labels": [meta("node_address")], "replacement": f"${{1}}:{discovery.ports[row]}",
             "target_label": "__address__"},
            # A manager can report 0.0.0.0 (prometheus/prometheus#11060): its manager address (host:2377) instead.
            {"source_labels": [meta("node_address"), meta("node_manager_address")],
             "regex": "0\\.0\\.0\\.0;(.+):\\d+", "replacement": f"${{1}}:{discovery.ports['node-exporter']}",
             "target_label": "__address__"},
            {"source_labels": [meta("node_hostname")], "target_label": "node"},
            {"source_labels": [meta("node_hostname")], "target_label": "instance"},
            {"target_label": "service", "replacement": service},
            {"source_labels": [meta("node_hostname")], "replacement": f"{service}.${{1}}", "target_label": "task"},
        ],
    }


def _task_job(service: str, settings: StackSettings, discovery: SwarmDiscovery) -> dict[str, Any]:
    """A stack service, at each of its running tasks on the stack's overlay."""
    return {
        "job_name": scrape_of(service).job,
        **scrape.path_and_scheme(service, always_path=True),
        **scrape.auth_of(service),
        "dockerswarm_sd_configs": _sd(discovery, "tasks"),
        "relabel_configs": [
            {"source_labels": [meta("service_name")], "regex": _exactly(settings.name(service)), "action": "keep"},
            *_running_tasks_on(overlay_network_name(settings)),
            _with_port(discovery.ports[service]),
            *_task_identity(),
        ],
    }


def _platform_job(settings: StackSettings, discovery: SwarmDiscovery) -> dict[str, Any]:
    """Every task of a service labelled SCRAPE_LABEL=true, at PORT_LABEL, PATH_LABEL (default /metrics)."""
    port, path, job = (service_label_meta(label) for label in (PORT_LABEL, PATH_LABEL, JOB_LABEL))
    return {
        "job_name": PLATFORM_JOB,
        "dockerswarm_sd_configs": _sd(discovery, "tasks"),
        "relabel_configs": [
            {"source_labels": [service_label_meta(SCRAPE_LABEL)], "regex": "true", "action": "keep"},
            # Without a valid port label there is nothing to scrape (port 80 would be a guess).
            {"source_labels": [port], "regex": "[1-9][0-9]{0,4}", "action": "keep"},
            *_running_tasks_on(targets_network_name(settings)),
            {"source_labels": ["__address__", port], "regex": "(.+):\\d+;(\\d+)", "replacement": "${1}:${2}",
             "target_label": "__address__"},
            {"source_labels": [path], "regex": "(/.*)", "target_label": "__metrics_path__"},
            # The job the rules and dashboards know (api, trading-engine), else the service's name.
            {"source_labels": [meta("service_name")], "target_label": "job"},
            {"source_labels": [job], "regex": "(.+)", "target_label": "job"},
            *_task_identity(),
        ],
    }


def _alertmanagers(settings: StackSettings, discovery: SwarmDiscovery) -> dict[str, Any]:
    """Every running Alertmanager peer: Prometheus sends each alert to all of them."""
    return {
        **scrape.auth_of("alertmanager"),
        "dockerswarm_sd_configs": _sd(discovery, "tasks"),
        "relabel_configs": [
            {"source_labels": [meta("service_name")], "regex": _exactly(settings.name("alertmanager")),
             "action": "keep"},
            *_running_tasks_on(overlay_network_name(settings)),
            _with_port(discovery.ports["alertmanager"]),
        ],
    }


def render_swarm_prometheus_config(settings: StackSettings, discovery: SwarmDiscovery | None = None
                                   ) -> dict[str, Any]:
    d = discovery or SwarmDiscovery()
    return {
        **global_and_rules(settings),
        "alerting": {"alertmanagers": [_alertmanagers(settings, d)]},
        "scrape_configs": scrape.scrape_configs(settings, {
            "self": lambda service: scrape.self_job(d.ports[service]),
            "host": lambda service: _node_exporter_job(settings, d, service),
            "service": lambda service: _task_job(service, settings, d),
        }, lambda: [_platform_job(settings, d)]),
    }


def render_swarm_prometheus_yml(settings: StackSettings, discovery: SwarmDiscovery | None = None) -> str:
    return dump_yaml(render_swarm_prometheus_config(settings, discovery))
