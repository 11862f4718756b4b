"""Metrics: Prometheus and the exporters it scrapes (node-exporter, cAdvisor, postgres-exporter)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.auth import authenticated_healthcheck, password_upload, web_config_upload
from components.context import StackContext
from components.networks import network_ref, stack_network
from components.service import TYPE_PREFIX
from components.service_args import Healthcheck, HostMount, NetworkAttachment, Upload, VolumeMount, secret_uploads
from components.swarm_service import Workload, workload
from mixin.rule_files import render_rule_files
from render import blackbox, docker_api, node_exporter_swarm
from render import postgres_exporter as pg
from render import prometheus as prom
from render.prometheus_swarm import render_swarm_prometheus_yml
from render.web_config import PROMETHEUS_WEB_CONFIG
from settings.catalog import SERVICE_LABEL, STACK_LABEL
from settings.names import PROMETHEUS_USER, discovery_network_name

# cAdvisor metric kinds (container/factory.go): cpu, memory (working set, limit), network (in/out),
# oom_event (container_oom_events_total). Spec series (start time, limits, last seen) are always on.
CADVISOR_METRICS: tuple[str, ...] = ("cpu", "memory", "network", "oom_event")
NODE_EXPORTER_ADDRESS_ENV = "NODE_EXPORTER_ADDRESS"
# node-exporter reads the host through its root filesystem, read-only at HOST_ROOT; rslave so a disk
# mounted later is seen too (node_exporter README, "Docker").
HOST_ROOT = "/host"
_HOST_ROOT_MOUNT = HostMount("/", HOST_ROOT, propagation="rslave", why="host CPU, memory, disk and filesystem metrics")


def _node_exporter_flags(where: list[str]) -> list[str]:
    """node-exporter's flags on one host and on a Swarm: the host's root, `where` it reads or listens,
    and the filesystems it leaves out (the kernel's, Docker's layers)."""
    return [f"--path.rootfs={HOST_ROOT}", *where,
            "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+)($|/)"]


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
        self.blackbox_exporter = self._blackbox_exporter(ctx)
        self.docker_api = self._docker_api(ctx) if s.swarm else None
        self.prometheus = self._prometheus(ctx, depends_on)
        self.prometheus_url = s.url_of("prometheus")
        self.register_outputs({"prometheus_url": self.prometheus_url})

    def _prometheus(self, ctx: StackContext, depends_on: Sequence[pulumi.Resource]) -> Workload:
        s = ctx.settings
        p = s.prometheus
        volume = ctx.data_volume("prometheus", parent=self)
        # On a Swarm, targets are discovered through the Engine API instead of listed.
        config: pulumi.Input[str] = render_swarm_prometheus_yml(s) if s.swarm else pulumi.Output.from_input(
            ctx.network_gateway).apply(lambda gateway: prom.render_prometheus_yml(s, gateway))
        uploads = [Upload(prom.CONFIG_PATH, config)]
        uploads += [Upload(f"{prom.RULES_DIR}/{file}", text) for file, text in render_rule_files(s).items()]
        uploads += [
            # Its own basic auth, and the passwords it sends (self-scrape; Alertmanager).
            web_config_upload(ctx, "prometheus", PROMETHEUS_USER, "prometheusPassword", PROMETHEUS_WEB_CONFIG),
            password_upload(ctx, "prometheusPassword", prom.PROMETHEUS_PASSWORD_FILE),
            password_upload(ctx, "alertmanagerPassword", prom.ALERTMANAGER_PASSWORD_FILE),
        ]
        external_url = (s.edge.prometheus_url or s.url_of("prometheus")
                        or f"http://prometheus:{ctx.port('prometheus')}")
        return workload(ctx.settings.target, "prometheus", ctx.service_args(
            "prometheus",
            command=[
                f"--config.file={prom.CONFIG_PATH}",
                f"--storage.tsdb.path={ctx.data_path('prometheus')}",
                f"--storage.tsdb.retention.time={p.retention_time}",
                f"--storage.tsdb.retention.size={p.retention_size}",
                f"--web.external-url={external_url}",
                f"--web.config.file={PROMETHEUS_WEB_CONFIG}",
                # For the backups scheduler's TSDB snapshots (components/backups.py); who can reach
                # the admin API: docs/operations.md, section 6.
                "--web.enable-admin-api",
            ],
            healthcheck=authenticated_healthcheck(ctx.port("prometheus"), ctx.health_path("prometheus"),
                                                  PROMETHEUS_USER, prom.PROMETHEUS_PASSWORD_FILE),
            uploads=uploads,
            # The only service of the stack on the platform's network: it scrapes the platform there
            # (on a Swarm it also reaches the Engine API proxy on the discovery network).
            networks=[NetworkAttachment(ctx.targets_network_name),
                      *([NetworkAttachment(network_ref(s, self.discovery_network))] if s.swarm else [])],
            volumes=[VolumeMount(volume.name, ctx.data_path("prometheus"))],
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _docker_api(self, ctx: StackContext) -> Workload:
        """Swarm only: the Engine API for Prometheus' discovery, on a network only Prometheus shares (an
        internal, encrypted overlay, not attachable), allowing only the GETs discovery makes
        (render/docker_api.py replaces docker-socket-proxy's wider sections)."""
        s = ctx.settings
        self.discovery_network = stack_network("discovery-network", s, discovery_network_name(s),
                                               "discovery", pulumi.ResourceOptions(parent=self), internal=True)
        return workload(s.target, "docker-api", ctx.service_args(
            "docker-api",
            network_name=network_ref(s, self.discovery_network),
            command=list(docker_api.COMMAND),
            uploads=[Upload(docker_api.CONFIG_PATH, docker_api.render_haproxy_cfg(ctx.port("docker-api")))],
            healthcheck=ctx.http_health("docker-api"),
            host_mounts=[HostMount(docker_api.SOCKET, docker_api.SOCKET,
                                   why="the manager's Engine API, proxied read-only to Prometheus' discovery")],
        ), opts=pulumi.ResourceOptions(parent=self))

    def _swarm_node_exporter(self, ctx: StackContext) -> Workload:
        """One task per node on the host network, found by Prometheus at `<node address>:9100`
        (render/prometheus_swarm.py) and listening there only: the entrypoint binds the node's address in
        `swarmNodeSubnet` (render/node_exporter_swarm.py), never every interface. A Swarm service cannot
        join the host PID namespace: it reads the host's own /proc and /sys through the read-only host
        mount instead (the same counters)."""
        s = ctx.settings
        port = ctx.port("node-exporter")
        return workload(s.target, "node-exporter", ctx.service_args(
            "node-exporter",
            entrypoint=["/bin/sh", node_exporter_swarm.ENTRYPOINT_PATH],
            command=_node_exporter_flags([f"--path.procfs={HOST_ROOT}/proc", f"--path.sysfs={HOST_ROOT}/sys"]),
            uploads=[Upload(node_exporter_swarm.ENTRYPOINT_PATH,
                            node_exporter_swarm.render_swarm_entrypoint(s.swarm_node_subnet, port))],
            healthcheck=Healthcheck(test=["CMD", "/bin/sh", node_exporter_swarm.ENTRYPOINT_PATH, "--health"]),
            host_mounts=[_HOST_ROOT_MOUNT],
            network_mode="host",
            read_only_rootfs=True,
            user=ctx.user("node-exporter"),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _node_exporter(self, ctx: StackContext) -> Workload:
        if ctx.settings.swarm:
            return self._swarm_node_exporter(ctx)
        # Listens only on the host's address on the stack network: reachable by Prometheus, not
        # from outside the host, and the dev and prod stacks (two networks) do not collide.
        address: pulumi.Output[str] = pulumi.Output.from_input(ctx.network_gateway).apply(prom.node_exporter_target)
        return workload(ctx.settings.target, "node-exporter", ctx.service_args(
            "node-exporter",
            command=address.apply(lambda where: _node_exporter_flags([f"--web.listen-address={where}"])),
            # The address is known once Docker made the network: the healthcheck (busybox sh and
            # wget) reads it from the environment, which holds nothing else.
            envs=address.apply(lambda where: [f"{NODE_EXPORTER_ADDRESS_ENV}={where}"]),
            healthcheck=Healthcheck(test=["CMD-SHELL",
                                          f'wget -q --spider "http://${NODE_EXPORTER_ADDRESS_ENV}/metrics"']),
            host_mounts=[_HOST_ROOT_MOUNT],
            # The host's PID and network namespaces: process counters and network interfaces are
            # the host's, not this container's (on the bridge, the Network panel showed only
            # node-exporter's own traffic).
            pid_mode="host",
            network_mode="host",
            container_port=ctx.port("node-exporter"),
            read_only_rootfs=True,
            user=ctx.user("node-exporter"),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _cadvisor(self, ctx: StackContext) -> Workload:
        why = "per-container CPU, memory, network and restarts"
        return workload(ctx.settings.target, "cadvisor", ctx.service_args(
            "cadvisor",
            command=["--docker_only=true", "--housekeeping_interval=15s", "--store_container_labels=false",
                     f"--whitelisted_container_labels={SERVICE_LABEL},{STACK_LABEL}",
                     # The metric kinds the dashboards and alerts read, and no others: --enable_metrics
                     # overrides --disable_metrics, whose value *replaces* the default list
                     # (cmd/cadvisor.go, container/factory.go MetricSet.Set).
                     f"--enable_metrics={','.join(CADVISOR_METRICS)}"],
            healthcheck=ctx.http_health("cadvisor"),
            # Read-only views of the host that cAdvisor needs instead of `privileged`:
            # cgroups (/sys), the Docker and containerd sockets (/var/run), Docker's state.
            host_mounts=[
                HostMount("/", "/rootfs", why=why),
                HostMount("/var/run", "/var/run", why="Docker socket (container names), containerd socket "
                          "(containerd image store)"),
                HostMount("/sys", "/sys", why="cgroup statistics"),
                HostMount("/var/lib/docker", "/var/lib/docker", why="container layers and metadata"),
            ],
            # OOM kills are read from the kernel log; where kernel.dmesg_restrict=1 (Debian, Ubuntu)
            # opening /dev/kmsg needs CAP_SYSLOG, and without it cAdvisor only logs "Could not configure
            # a source for OOM detection, disabling OOM events" (manager/manager.go).
            devices=["/dev/kmsg"],
            cap_add=["SYSLOG"],
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
            healthcheck=ctx.http_health("postgres-exporter"),
            # The database is the platform's: reached on the targets network.
            networks=[NetworkAttachment(ctx.targets_network_name)],
            # Docker refuses uploads into a read-only root filesystem (see ServiceArgs), and the
            # connection files are uploads: a writable root, where nobody can write only /tmp.
            user=pg.UID,
        ), opts=pulumi.ResourceOptions(parent=self))

    def _blackbox_exporter(self, ctx: StackContext) -> Workload:
        """Probes the public HTTPS endpoints: certificate expiry (render/blackbox.py)."""
        return workload(ctx.settings.target, "blackbox-exporter", ctx.service_args(
            "blackbox-exporter",
            command=[f"--config.file={blackbox.CONFIG_PATH}"],
            uploads=[Upload(blackbox.CONFIG_PATH, blackbox.render_blackbox_yml())],
            healthcheck=ctx.http_health("blackbox-exporter"),
            # The image has no USER (root, Dockerfile at v0.28.0); the HTTP prober needs no privilege.
            user=ctx.user("blackbox-exporter"),
        ), opts=pulumi.ResourceOptions(parent=self))
