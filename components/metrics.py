"""Metrics: Prometheus and the exporters it scrapes (node-exporter, cAdvisor, postgres-exporter)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.auth import authenticated_healthcheck, password_upload, web_config_upload
from components.context import StackContext
from components.service import (
    TYPE_PREFIX,
    HostMount,
    NetworkAttachment,
    Upload,
    VolumeMount,
    http_healthcheck,
    secret_uploads,
)
from components.swarm_service import Workload, workload
from render import postgres_exporter as pg
from render import prometheus as prom
from render.prometheus_swarm import render_swarm_prometheus_yml
from render.web_config import PROMETHEUS_WEB_CONFIG
from settings.catalog import SERVICE_LABEL, STACK_LABEL


class Metrics(pulumi.ComponentResource):
    """Prometheus with its rule files, its TSDB volume, and the exporters of the host and the database."""

    prometheus: Workload
    prometheus_url: str | None

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Metrics", name, None, opts)
        s = ctx.settings
        self.node_exporter = self._node_exporter(ctx)
        self.cadvisor = self._cadvisor(ctx)
        self.postgres_exporter = self._postgres_exporter(ctx)
        self.docker_api = self._docker_api(ctx) if s.swarm else None
        self.prometheus = self._prometheus(ctx, depends_on)
        self.prometheus_url = s.url_of("prometheus")
        self.register_outputs({"prometheus_url": self.prometheus_url})

    def _prometheus(self, ctx: StackContext, depends_on: Sequence[pulumi.Resource]) -> Workload:
        s = ctx.settings
        p = s.prometheus
        volume = ctx.data_volume("prometheus", parent=self)
        # On a Swarm, targets are discovered through the Engine API instead of listed.
        config = render_swarm_prometheus_yml(s) if s.swarm else prom.render_prometheus_yml(s)
        uploads = [Upload(prom.CONFIG_PATH, config)]
        uploads += [Upload(f"{prom.RULES_DIR}/{file}", text) for file, text in prom.render_rule_files(s).items()]
        uploads += [
            # Its own basic auth, and the passwords it sends (self-scrape; Alertmanager).
            web_config_upload(ctx, "prometheus", prom.PROMETHEUS_USER, "prometheusPassword", PROMETHEUS_WEB_CONFIG),
            password_upload(ctx, "prometheusPassword", prom.PROMETHEUS_PASSWORD_FILE),
            password_upload(ctx, "alertmanagerPassword", prom.ALERTMANAGER_PASSWORD_FILE),
        ]
        external_url = (s.edge.prometheus_url or s.url_of("prometheus")
                        or f"http://prometheus:{ctx.port('prometheus')}")
        return workload(ctx.settings.target, "prometheus", ctx.service_args(
            "prometheus",
            command=[
                f"--config.file={prom.CONFIG_PATH}",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={p.retention_time}",
                f"--storage.tsdb.retention.size={p.retention_size}",
                f"--web.external-url={external_url}",
                f"--web.config.file={PROMETHEUS_WEB_CONFIG}",
            ],
            healthcheck=authenticated_healthcheck(ctx.port("prometheus"), "/-/healthy", prom.PROMETHEUS_USER,
                                                  prom.PROMETHEUS_PASSWORD_FILE),
            uploads=uploads,
            # The only service of the stack on the platform's network: it scrapes the platform there.
            networks=[NetworkAttachment(ctx.targets_network_name)],
            volumes=[VolumeMount(volume.name, "/prometheus")],
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _docker_api(self, ctx: StackContext) -> Workload:
        """Swarm only: the Engine API, read-only and limited to what discovery reads, for Prometheus
        (docker-socket-proxy v0.4.1: every API section is off unless enabled, POST is off)."""
        sections = ("NODES", "SERVICES", "TASKS", "NETWORKS", "VERSION", "PING")
        return workload(ctx.settings.target, "docker-api", ctx.service_args(
            "docker-api",
            envs=[*(f"{section}=1" for section in sections), "EVENTS=0", "POST=0"],
            healthcheck=http_healthcheck(ctx.port("docker-api"), "/_ping"),
            host_mounts=[HostMount("/var/run/docker.sock", "/var/run/docker.sock",
                                   why="the manager's Engine API, proxied read-only to Prometheus' discovery")],
        ), opts=pulumi.ResourceOptions(parent=self))

    def _node_exporter(self, ctx: StackContext) -> Workload:
        # A Swarm service cannot join the host PID namespace: node-exporter reads the host's own
        # /proc and /sys through the read-only host mount instead (the same counters).
        swarm_paths = ["--path.procfs=/host/proc", "--path.sysfs=/host/sys"] if ctx.settings.swarm else []
        return workload(ctx.settings.target, "node-exporter", ctx.service_args(
            "node-exporter",
            command=["--path.rootfs=/host", *swarm_paths, "--collector.filesystem.mount-points-exclude="
                     "^/(dev|proc|sys|run|var/lib/docker/.+)($|/)"],
            healthcheck=http_healthcheck(ctx.port("node-exporter"), "/metrics"),
            # The host's filesystems, read-only, so disk and filesystem metrics are the host's.
            host_mounts=[HostMount("/", "/host", why="host CPU, memory, disk and filesystem metrics")],
            # The host's PID namespace so process and CPU counters are the host's, not the container's.
            pid_mode="host",
            read_only_rootfs=True,
            user="65534:65534",
        ), opts=pulumi.ResourceOptions(parent=self))

    def _cadvisor(self, ctx: StackContext) -> Workload:
        why = "per-container CPU, memory, network and restarts"
        return workload(ctx.settings.target, "cadvisor", ctx.service_args(
            "cadvisor",
            command=["--docker_only=true", "--housekeeping_interval=15s", "--store_container_labels=false",
                     f"--whitelisted_container_labels={SERVICE_LABEL},{STACK_LABEL}",
                     "--disable_metrics=percpu,sched,tcp,udp,disk,hugetlb,referenced_memory,cpu_topology,resctrl"],
            healthcheck=http_healthcheck(ctx.port("cadvisor"), "/healthz"),
            # Read-only views of the host that cAdvisor needs instead of `privileged`:
            # cgroups (/sys), the Docker socket directory (container names) and Docker's state.
            host_mounts=[
                HostMount("/", "/rootfs", why=why),
                HostMount("/var/run", "/var/run", why="Docker socket, to name containers"),
                HostMount("/sys", "/sys", why="cgroup statistics"),
                HostMount("/var/lib/docker", "/var/lib/docker", why="container layers and metadata"),
            ],
            devices=["/dev/kmsg"],
            read_only_rootfs=True,
        ), opts=pulumi.ResourceOptions(parent=self))

    def _postgres_exporter(self, ctx: StackContext) -> Workload:
        dsn = ctx.secret("postgresExporterDsn") or pulumi.Output.secret(pg.postgres_exporter_dsn(ctx.settings.database))
        files: pulumi.Output[dict[str, str]] = dsn.apply(pg.connection_files)
        return workload(ctx.settings.target, "postgres-exporter", ctx.service_args(
            "postgres-exporter",
            # The DSN holds the database password: the exporter reads it from files (mode 0400),
            # its environment only names them.
            envs=[f"{k}={v}" for k, v in pg.environment().items()],
            uploads=secret_uploads(files, pg.CONNECTION_FILES, pg.UID),
            # Query time per database (Database Performance dashboard) comes from pg_stat_statements;
            # the database needs `CREATE EXTENSION pg_stat_statements` (docs/metrics.md).
            command=["--collector.stat_statements"],
            healthcheck=http_healthcheck(ctx.port("postgres-exporter"), "/metrics"),
            # The database is the platform's: reached on the targets network.
            networks=[NetworkAttachment(ctx.targets_network_name)],
            # Docker refuses uploads into a read-only root filesystem (see ServiceArgs), and the
            # connection files are uploads: a writable root, where nobody can write only /tmp.
            user=pg.UID,
        ), opts=pulumi.ResourceOptions(parent=self))

