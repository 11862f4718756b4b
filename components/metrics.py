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
    Service,
    Upload,
    VolumeMount,
    http_healthcheck,
    secret_uploads,
)
from render import postgres_exporter as pg
from render import prometheus as prom
from render.web_config import PROMETHEUS_WEB_CONFIG
from settings.catalog import SERVICE_LABEL, STACK_LABEL


class Metrics(pulumi.ComponentResource):
    """Prometheus with its rule files, its TSDB volume, and the exporters of the host and the database."""

    prometheus: Service
    prometheus_url: str | None

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Metrics", name, None, opts)
        s = ctx.settings
        self.node_exporter = self._node_exporter(ctx)
        self.cadvisor = self._cadvisor(ctx)
        self.postgres_exporter = self._postgres_exporter(ctx)
        self.prometheus = self._prometheus(ctx, depends_on)
        self.prometheus_url = s.url_of("prometheus")
        self.register_outputs({"prometheus_url": self.prometheus_url})

    def _prometheus(self, ctx: StackContext, depends_on: Sequence[pulumi.Resource]) -> Service:
        s = ctx.settings
        p = s.prometheus
        volume = ctx.data_volume("prometheus", parent=self)
        uploads = [Upload(prom.CONFIG_PATH, prom.render_prometheus_yml(s))]
        uploads += [Upload(f"{prom.RULES_DIR}/{file}", text) for file, text in prom.render_rule_files(s).items()]
        uploads += [
            # Its own basic auth, and the passwords it sends (self-scrape; Alertmanager).
            web_config_upload(ctx, "prometheus", prom.PROMETHEUS_USER, "prometheusPassword", PROMETHEUS_WEB_CONFIG),
            password_upload(ctx, "prometheusPassword", prom.PROMETHEUS_PASSWORD_FILE),
            password_upload(ctx, "alertmanagerPassword", prom.ALERTMANAGER_PASSWORD_FILE),
        ]
        external_url = (s.edge.prometheus_url or s.url_of("prometheus")
                        or f"http://prometheus:{ctx.port('prometheus')}")
        return Service("prometheus", ctx.service_args(
            "prometheus",
            command=[
                f"--config.file={prom.CONFIG_PATH}",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={p.retention_time}",
                f"--storage.tsdb.retention.size={p.retention_size}",
                f"--web.external-url={external_url}",
                f"--web.config.file={PROMETHEUS_WEB_CONFIG}",
                # For the backups scheduler's TSDB snapshots (components/backups.py); who can reach
                # the admin API: docs/operations.md, section 6.
                "--web.enable-admin-api",
            ],
            healthcheck=authenticated_healthcheck(ctx.port("prometheus"), "/-/healthy", prom.PROMETHEUS_USER,
                                                  prom.PROMETHEUS_PASSWORD_FILE),
            uploads=uploads,
            # The only service of the stack on the platform's network: it scrapes the platform there.
            networks=[NetworkAttachment(ctx.targets_network_name)],
            volumes=[VolumeMount(volume.name, "/prometheus")],
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _node_exporter(self, ctx: StackContext) -> Service:
        return Service("node-exporter", ctx.service_args(
            "node-exporter",
            command=["--path.rootfs=/host", "--collector.filesystem.mount-points-exclude="
                     "^/(dev|proc|sys|run|var/lib/docker/.+)($|/)"],
            healthcheck=http_healthcheck(ctx.port("node-exporter"), "/metrics"),
            # The host's filesystems, read-only, so disk and filesystem metrics are the host's.
            host_mounts=[HostMount("/", "/host", why="host CPU, memory, disk and filesystem metrics")],
            # The host's PID namespace so process and CPU counters are the host's, not the container's.
            pid_mode="host",
            read_only_rootfs=True,
            user="65534:65534",
        ), opts=pulumi.ResourceOptions(parent=self))

    def _cadvisor(self, ctx: StackContext) -> Service:
        why = "per-container CPU, memory, network and restarts"
        return Service("cadvisor", ctx.service_args(
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

    def _postgres_exporter(self, ctx: StackContext) -> Service:
        dsn = ctx.secret("postgresExporterDsn") or pulumi.Output.secret(pg.postgres_exporter_dsn(ctx.settings.database))
        files: pulumi.Output[dict[str, str]] = dsn.apply(pg.connection_files)
        return Service("postgres-exporter", ctx.service_args(
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

