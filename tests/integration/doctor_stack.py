"""The loopback stack as `doctor` sees a deployed one: a Docker host (stand-in) listing the real processes
as the stack's containers, Grafana / Elasticsearch / Fluent Bit / cAdvisor stand-ins, and Pulumi replaced
by a function answering `stack output` with generated passwords."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from doctor.docker_api import DockerClient
from doctor.stack import Endpoints, StackCredentials, Target
from mixin.alerts import expected_containers
from mixin.dashboards.common import ALERTMANAGER_UID, ELASTICSEARCH_UID, PROMETHEUS_UID
from render import backups as bk
from render import elasticsearch
from render.alertmanager import CONFIG_PATH as AM_CONFIG
from render.prometheus import CONFIG_PATH as PROM_CONFIG
from settings import log_pipeline as logs
from settings.names import alertmanager_host
from tests.integration.docker_standin import DockerStandIn, FakeContainer
from tests.integration.processes import Process, free_ports, http_json, wait_until
from tests.integration.service_standins import ServiceStandIns
from tests.integration.stack import Stack, start_stack

BACKUP_FLAGS = ("--web.enable-admin-api",)  # as components/metrics.py starts Prometheus


@dataclass
class PulumiStandIn:
    """Answers `pulumi stack output --json --show-secrets` as a dev stack with generated passwords does."""

    outputs: dict[str, str]
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, args: Sequence[str]) -> str:
        self.calls.append(list(args))
        if list(args[:2]) == ["stack", "output"]:
            return json.dumps(self.outputs)
        raise subprocess.CalledProcessError(255, ["pulumi", *args], "", "error: configuration key not found")


@dataclass
class DoctorStack:
    stack: Stack
    docker: DockerStandIn
    services: ServiceStandIns
    pulumi: PulumiStandIn
    target: Target
    scratch: Path

    @property
    def passwords(self) -> list[str]:
        return [v for k, v in self.pulumi.outputs.items() if k.endswith("Password")]

    @property
    def backup_dir(self) -> Path:
        return self.scratch / "backups"

    def run_backup_once(self) -> subprocess.CompletedProcess[str]:
        """The rendered scheduler script, one round, against the loopback Prometheus and a Grafana database."""
        script = self.scratch / "backup.sh"
        script.write_text(bk.render_backup_script())
        curlrc = self.scratch / "prometheus.curlrc"
        curlrc.write_text(bk.prometheus_curlrc(self.stack.credentials.prometheus))
        curlrc.chmod(0o400)
        env = {"PATH": os.environ["PATH"], "PROMETHEUS_URL": self.stack.prometheus_url,
               "PROMETHEUS_CURLRC": str(curlrc),
               "TSDB_DIR": str(self.stack.work / "tsdb"), "GRAFANA_DB": str(self.grafana_db),
               "BACKUP_DIR": str(self.backup_dir), "BACKUP_ONCE": "1"}
        return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)

    @property
    def grafana_db(self) -> Path:
        return self.scratch / "grafana" / "grafana.db"

    def stop(self) -> None:
        try:
            self.docker.stop()
            self.services.stop()
        finally:
            self.stack.stop()
            shutil.rmtree(self.scratch, ignore_errors=True)


def stack_peer_order(stack: Stack) -> list[int]:
    """Indexes of the loopback peers in the cluster's order (Alertmanager sorts the members' names)."""
    names = [http_json(f"{stack.alertmanager_url(i)}/api/v2/status", auth=stack.credentials.alertmanager_auth)
             ["cluster"]["name"] for i in range(len(stack.alertmanagers))]
    return sorted(range(len(names)), key=lambda i: names[i])


def _process(stack: Stack, name: str) -> Process:
    return next(p for p in stack.processes.started if p.name == name)


def _containers(stack: Stack, scratch: Path, services_url: str) -> list[FakeContainer]:
    s = stack.settings
    dev = s.stack

    def volume(service: str, inside: str, here: Path) -> dict[str, tuple[str, Path]]:
        here.mkdir(parents=True, exist_ok=True)
        return {f"{s.name(service)}-data": (inside, here)}

    containers = [
        FakeContainer(s.name("prometheus"), "prometheus", dev, process=_process(stack, "prometheus"),
                      volumes=volume("prometheus", "/prometheus", stack.work / "tsdb"),
                      rewrite={PROM_CONFIG: str(stack.work / "prometheus.yml")}),
        FakeContainer(s.name("node-exporter"), "node-exporter", dev, process=_process(stack, "node-exporter")),
        FakeContainer(s.name("postgres-exporter"), "postgres-exporter", dev,
                      process=_process(stack, "postgres-exporter")),
        FakeContainer(s.name("blackbox-exporter"), "blackbox-exporter", dev,
                      process=_process(stack, "blackbox-exporter")),
        FakeContainer(s.name("cadvisor"), "cadvisor", dev),
        FakeContainer(s.name("elasticsearch-exporter"), "elasticsearch-exporter", dev),
        FakeContainer(s.name("edge"), "edge", dev),
        FakeContainer(s.name("kibana"), "kibana", dev),
        FakeContainer(s.name("grafana"), "grafana", dev, volumes=volume("grafana", "/var/lib/grafana",
                                                                          scratch / "grafana")),
        FakeContainer(s.name("elasticsearch"), "elasticsearch", dev,
                      volumes=volume("elasticsearch", elasticsearch.DATA_DIR, scratch / "elasticsearch")),
        FakeContainer(s.name("fluent-bit"), "fluent-bit", dev, rewrite={"http://localhost:2020": services_url}),
        FakeContainer(s.name("backups"), "backups", dev, volumes=volume("backups", bk.BACKUP_DIR, scratch / "backups")),
        FakeContainer(s.name("elasticsearch-snapshots-init"), "elasticsearch-snapshots-init", dev,
                      fixed_state="exited", health="none"),
        FakeContainer(s.name("backups-volume-init"), "backups-volume-init", dev, fixed_state="exited", health="none"),
        FakeContainer(s.name("elastic-setup"), "elastic-setup", dev, fixed_state="exited", health="none"),
        FakeContainer(s.name("kibana-setup"), "kibana-setup", dev, fixed_state="exited", health="none"),
    ]
    # The published peer ("alertmanager") is the one first in the cluster's order, as a deployed stack's
    # first peer may be: it notifies at once (the other waits --cluster.peer-timeout), so test-alert's timings
    # do not depend on which peer won the order at start.
    for host, i in zip((alertmanager_host(0), alertmanager_host(1)), stack_peer_order(stack), strict=True):
        containers.append(FakeContainer(s.name(host), host, dev, process=_process(stack, f"alertmanager-{i}"),
                                        volumes=volume(host, "/alertmanager", stack.work / f"am{i}"),
                                        rewrite={AM_CONFIG: str(stack.work / "alertmanager.yml")}))
    return containers


def start_doctor_stack() -> DoctorStack:
    # Its own log files (it runs beside the session stack), and a log pipeline that delivers.
    stack = start_stack(BACKUP_FLAGS, logs="doctor", healthy_logs=True)
    scratch = Path(tempfile.mkdtemp(prefix="christmas-doctor-"))
    try:
        s = stack.settings
        first = stack_peer_order(stack)[0]
        pulumi = PulumiStandIn({"grafana_url": s.grafana.root_url, "prometheus_url": stack.prometheus_url,
                                "alertmanager_url": stack.alertmanager_url(first),
                                "grafanaAdminPassword": secrets.token_urlsafe(16),
                                "elasticPassword": secrets.token_urlsafe(16),
                                "prometheusPassword": stack.credentials.prometheus,
                                "alertmanagerPassword": stack.credentials.alertmanager})
        # Prometheus scrapes cAdvisor, Grafana and Fluent Bit at the `closed` port: the stand-ins serve it.
        services = ServiceStandIns(
            stack.ports.closed,
            grafana_auth=(s.grafana.admin_user, pulumi.outputs["grafanaAdminPassword"]),
            elastic_auth=("elastic", pulumi.outputs["elasticPassword"]),
            # As Grafana's datasources are declared: each backend with its basic auth.
            datasource_backends={
                PROMETHEUS_UID: (f"{stack.prometheus_url}/-/ready", stack.credentials.prometheus_auth),
                ALERTMANAGER_UID: (f"{stack.alertmanager_url(first)}/api/v2/status",
                                   stack.credentials.alertmanager_auth),
                ELASTICSEARCH_UID: (f"http://127.0.0.1:{stack.ports.closed}/metrics", None)},
            stream=logs.data_stream_name(s), slm_policy=bk.SLM_POLICY,
            # What cAdvisor reports of a healthy stack: every container it should run, seen now.
            containers=expected_containers(s))
        services.start()
        docker = DockerStandIn(free_ports(1)[0], _containers(stack, scratch, services.url))
        docker.start()
    except BaseException:
        stack.stop()
        raise
    endpoints = Endpoints(prometheus=stack.prometheus_url, alertmanager=stack.alertmanager_url(first),
                          grafana=services.url, elasticsearch=services.url)
    target = Target(s, endpoints, DockerClient(docker.host), StackCredentials(s.stack, runner=pulumi))
    doctor = DoctorStack(stack, docker, services, pulumi, target, scratch)
    _grafana_database(doctor.grafana_db)
    wait_until(lambda: all(t["health"] == "up" for t in stack.targets()), 15, "every target up (stand-ins serving)")
    return doctor


def _grafana_database(path: Path) -> None:
    """A SQLite database in Grafana's place (a table and a row, as Grafana's own would have)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE dashboard (id INTEGER PRIMARY KEY, uid TEXT, title TEXT)")
        db.execute("INSERT INTO dashboard (uid, title) VALUES ('christmas-overview', 'System Overview')")
    db.close()
