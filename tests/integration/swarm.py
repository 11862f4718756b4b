"""A 3-node Swarm on loopback: the Engine API stand-in, a real node-exporter behind every task, real Prometheus.

Node addresses are 127.0.0.1-3 (node-exporter on the host network listens there); every task's
overlay address is its own 127.0.1.x, where a real `prometheus-node-exporter` answers on the
service's port and metrics path. Prometheus runs the rendered swarm configuration; the test copy
differs only in: the Engine API URL (the stand-in), `refresh_interval` 1s, the services' ports
(free loopback ports, through `SwarmDiscovery.ports`), 1s scrape interval (a setting), the basic-auth
`password_file`s in a temp dir, and no rule files (rules are tested on the single-host stack). The
stack's services are on its own overlay, the platform's on the targets overlay, postgres-exporter on
both (as components/ attach them).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats.yamlout import dump_yaml
from render.prometheus_swarm import (
    JOB_LABEL,
    PATH_LABEL,
    PORT_LABEL,
    SCRAPE_LABEL,
    SwarmDiscovery,
    overlay_network_name,
    render_swarm_prometheus_config,
    targets_network_name,
)
from settings.catalog import scrape_of
from settings.model import CONTAINER_PORTS, PROJECT, StackSettings, parse_settings
from settings.stack_file import stack_config
from tests.integration.processes import Process, Processes, free_ports, http_json, require_program
from tests.integration.swarm_api import Cluster, EngineApi, Network, Node, Service, Task

STACK = "swarm"
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "integration-swarm"
PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
# The stack's services Prometheus finds as tasks, their mode and replicas in this cluster.
STACK_SERVICES: dict[str, tuple[str, int]] = {
    "cadvisor": ("global", 0), "fluent-bit": ("global", 0), "postgres-exporter": ("replicated", 1),
    "alertmanager": ("replicated", 2), "grafana": ("replicated", 1), "elasticsearch-exporter": ("replicated", 1),
    "blackbox-exporter": ("replicated", 1),
}
# Where each serves its metrics (settings/catalog.py): the stand-in tasks answer there.
METRICS_PATHS = {service: scrape_of(service).metrics_path for service in STACK_SERVICES}


@dataclass(frozen=True)
class Expected:
    """A target as the test expects Prometheus to show it."""

    job: str
    instance: str
    node: str
    service: str
    task: str
    scrape_url: str


def swarm_settings() -> StackSettings:
    raw, secret_keys = stack_config(STACK)
    prometheus = {**json.loads(raw.get("prometheus", "{}")), "scrapeInterval": "1s", "evaluationInterval": "1s"}
    raw["prometheus"] = json.dumps(prometheus)
    # At 1s the swarm stack's 50,000 series would need 562 GiB for 30 days (settings/sizing_checks.py);
    # the test's Prometheus lives minutes and scrapes a few targets.
    raw["sizing"] = json.dumps({**json.loads(raw.get("sizing", "{}")), "expectedSeries": 500})
    return parse_settings(PROJECT, STACK, raw, frozenset(secret_keys))


@dataclass
class SwarmStack:
    settings: StackSettings
    ports: dict[str, int]
    cluster: Cluster
    api: EngineApi
    processes: Processes
    work: Path
    overlay: Network
    ingress: Network
    targets_net: Network
    expected: dict[str, Expected] = field(default_factory=dict)  # task id (or node id) -> target
    exporters: dict[str, Process] = field(default_factory=dict)
    _addresses: itertools.count[int] = field(default_factory=lambda: itertools.count(2))

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    def _exporter(self, key: str, address: str, path: str) -> None:
        # Only the uname collector: what is proven is discovery and scraping, and 20 exporters stay cheap.
        self.exporters[key] = self.processes.start(f"node-exporter-{key}", [
            require_program(NODE_EXPORTER), f"--web.listen-address={address}", f"--web.telemetry-path={path}",
            "--collector.disable-defaults", "--collector.uname"])

    def add_node(self, hostname: str, address: str, role: str = "worker", availability: str = "active",
                 reported_address: str | None = None) -> Node:
        node = Node(id=self.cluster.new_id("node"), hostname=hostname, address=address, role=role,
                    availability=availability, reported_address=reported_address)
        with self.cluster.lock:
            self.cluster.nodes.append(node)
        if availability != "drain":
            port = self.ports["node-exporter"]
            service = self.settings.name("node-exporter")
            self._exporter(node.id, f"{address}:{port}", "/metrics")
            self.expected[node.id] = Expected(scrape_of("node-exporter").job, hostname, hostname, service,
                                              f"{service}.{hostname}", f"http://{address}:{port}/metrics")
        return node

    def add_service(self, name: str, mode: str, labels: dict[str, str] | None = None,
                    published: tuple[int, ...] = ()) -> Service:
        service = Service(id=self.cluster.new_id("svc"), name=name, mode=mode, replicas=0, labels=labels or {},
                          published=published)
        with self.cluster.lock:
            self.cluster.services.append(service)
        return service

    def add_task(self, service: Service, node: Node, job: str | None, port: int, path: str = "/metrics",
                 slot: int | None = None) -> Task:
        """A running task on `node` (next free slot unless given); when `job` is set, a real exporter
        behind it and the target it must give."""
        address = f"127.0.1.{next(self._addresses)}"
        platform = service.labels.get(SCRAPE_LABEL) == "true"
        networks = {(self.targets_net if platform else self.overlay).id: f"{address}/8"}
        if service.name == self.settings.name("postgres-exporter"):  # it also reaches the platform's database
            networks[self.targets_net.id] = f"127.0.3.{next(self._addresses)}/8"  # nothing listens there
        if service.published:
            networks[self.ingress.id] = f"127.0.2.{next(self._addresses)}/8"  # nothing listens there
        with self.cluster.lock:
            if slot is None:
                slot = 0 if service.mode == "global" else 1 + max(
                    (t.slot for t in self.cluster.tasks if t.service_id == service.id), default=0)
            task = Task(id=self.cluster.new_id("task"), service_id=service.id, node_id=node.id, slot=slot,
                        addresses=networks)
            if service.mode == "replicated":
                service.replicas = len({t.slot for t in self.cluster.tasks
                                        if t.service_id == service.id and t.desired_state == "running"} | {slot})
        if job is not None:
            self._exporter(task.id, f"{address}:{port}", path)
            name = f"{service.name}.{slot}" if slot else f"{service.name}.{node.hostname}"
            instance = node.hostname if service.mode == "global" else name
            self.expected[task.id] = Expected(job, instance, node.hostname, service.name, name,
                                              f"http://{address}:{port}{path}")
        with self.cluster.lock:
            self.cluster.tasks.append(task)
        return task

    def stop_task(self, task: Task) -> None:
        """As Swarm does when a task is stopped or replaced: desired and actual state `shutdown`."""
        with self.cluster.lock:
            task.desired_state = task.state = "shutdown"
        self.expected.pop(task.id, None)
        if task.id in self.exporters:
            self.processes.stop(self.exporters.pop(task.id))

    # ----------------------------------------------------------------- what Prometheus shows

    def targets(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = http_json(f"{self.prometheus_url}/api/v1/targets")["data"]["activeTargets"]
        # Listed, not discovered: Prometheus itself and the public endpoints' probes.
        return [t for t in active if t["labels"]["job"] not in ("prometheus", "blackbox-https")]

    def shown(self) -> set[Expected]:
        return {Expected(t["labels"]["job"], t["labels"]["instance"], t["labels"].get("node", ""),
                         t["labels"].get("service", ""), t["labels"].get("task", ""), t["scrapeUrl"])
                for t in self.targets()}

    def up(self) -> dict[tuple[str, str], str]:
        query = urllib.parse.quote('up{job!~"prometheus|blackbox-https"}')
        result = http_json(f"{self.prometheus_url}/api/v1/query?query={query}")["data"]["result"]
        return {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in result}

    def alertmanagers(self) -> set[str]:
        data = http_json(f"{self.prometheus_url}/api/v1/alertmanagers")["data"]
        return {a["url"] for a in data["activeAlertmanagers"]}

    def stop(self) -> None:
        try:
            self.processes.stop_all()
        finally:
            self.api.stop()
            shutil.rmtree(self.work, ignore_errors=True)


def _platform_labels(port: int, job: str | None = None, path: str | None = None) -> dict[str, str]:
    labels = {SCRAPE_LABEL: "true", PORT_LABEL: str(port), "com.docker.stack.namespace": "christmas"}
    if job:
        labels[JOB_LABEL] = job
    if path:
        labels[PATH_LABEL] = path
    return labels


def build_cluster(stack: SwarmStack) -> dict[str, Service]:
    """3 active nodes and a drained one; the stack's services; labelled and unlabelled platform services."""
    p, name = stack.ports, stack.settings.name
    # The manager reports 0.0.0.0 as its address, as managers can (prometheus/prometheus#11060).
    nodes = [stack.add_node("node-1", "127.0.0.1", role="manager", reported_address="0.0.0.0"),
             stack.add_node("node-2", "127.0.0.2"), stack.add_node("node-3", "127.0.0.3")]
    stack.add_node("node-4", "127.0.0.4", availability="drain")
    host = stack.add_service(name("node-exporter"), "global")
    for node in nodes:  # on the host network: no overlay address, found through the nodes
        with stack.cluster.lock:
            stack.cluster.tasks.append(Task(id=stack.cluster.new_id("task"), service_id=host.id, node_id=node.id,
                                            slot=0, addresses={}))
    for service, (mode, replicas) in STACK_SERVICES.items():
        swarm_service = stack.add_service(name(service), mode)
        on = nodes if mode == "global" else nodes[:replicas]
        for node in on:
            stack.add_task(swarm_service, node, service, p[service], METRICS_PATHS[service])
    services = {
        "api": stack.add_service("christmas_api", "replicated", _platform_labels(p["api"], "api"), published=(8000,)),
        "trading": stack.add_service("christmas_trading-engine", "replicated",
                                     _platform_labels(p["trading"], "trading-engine", "/internal/metrics")),
        "worker": stack.add_service("christmas_worker", "replicated", _platform_labels(p["worker"])),
        "postgres": stack.add_service("christmas_postgres", "replicated", {"com.docker.stack.namespace": "christmas"}),
    }
    old = stack.add_task(services["api"], nodes[2], "api", p["api"])
    # Replaced (a failed health check, an update): Swarm keeps the old task in slot 1's history, shut down,
    # and starts a new one in the same slot.
    stack.stop_task(old)
    for node in nodes[:2]:
        stack.add_task(services["api"], node, "api", p["api"], slot=1 if node is nodes[0] else None)
        stack.add_task(services["trading"], node, "trading-engine", p["trading"], "/internal/metrics")
    stack.add_task(services["worker"], nodes[2], "christmas_worker", p["worker"])
    stack.add_task(services["postgres"], nodes[2], None, 5432)  # not labelled: never a target
    return services


def prometheus_config(stack: SwarmStack) -> dict[str, Any]:
    discovery = SwarmDiscovery(docker_api_url=stack.api.url, refresh_interval="1s", ports=stack.ports)
    config = render_swarm_prometheus_config(stack.settings, discovery)
    config["rule_files"] = []
    # The passwords Prometheus sends (node-exporter ignores them): files in the temp dir instead.
    sections = [*config["scrape_configs"], *config["alerting"]["alertmanagers"]]
    for section in sections:
        if "basic_auth" in section:
            path = stack.work / "secrets" / Path(section["basic_auth"]["password_file"]).name
            path.parent.mkdir(exist_ok=True)
            path.write_text("not-checked-by-node-exporter")
            section["basic_auth"]["password_file"] = str(path)
    return config


def start_swarm() -> SwarmStack:
    prometheus = require_program(PROMETHEUS)
    require_program(NODE_EXPORTER)
    names = ["prometheus", "docker-api", "node-exporter", *STACK_SERVICES, "api", "trading", "worker"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    settings = swarm_settings()
    cluster = Cluster()
    overlay = Network(id=cluster.new_id("net"), name=overlay_network_name(settings))
    ingress = Network(id=cluster.new_id("net"), name="ingress", ingress=True)
    targets = Network(id=cluster.new_id("net"), name=targets_network_name(settings))
    cluster.networks += [overlay, ingress, targets]
    work = Path(tempfile.mkdtemp(prefix="christmas-swarm-"))
    stack = SwarmStack(settings=settings, ports={**CONTAINER_PORTS, **ports}, cluster=cluster,
                       api=EngineApi(cluster, ports["docker-api"]), processes=Processes(BUILD_DIR / str(os.getpid())),
                       work=work, overlay=overlay, ingress=ingress, targets_net=targets)
    try:
        stack.api.start()
        build_cluster(stack)
        config = work / "prometheus.yml"
        config.write_text(dump_yaml(prometheus_config(stack)))
        process = stack.processes.start("prometheus", [
            prometheus, f"--config.file={config}", f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}"])
        stack.processes.wait_http(process, f"{stack.prometheus_url}/-/ready")
    except BaseException:
        stack.stop()
        raise
    return stack
