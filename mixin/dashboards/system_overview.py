"""System Overview: the host and every container of the stack (node-exporter, cAdvisor, scrape health).

One function per panel; `build` composes them. The graphs that draw a line per container or host
read copies of their recorded series, the 5-minute one up to 36 hours and the hourly one beyond
(`c.at_resolution`, the hidden `resolution` variable), with the copy's interval as their min
interval: over 7 days a panel reads a sixtieth of the samples (issue 14, `make bench`).
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, statetimeline, timeseries

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query, per_step
from settings.model import StackSettings

HOST = 'instance=~"$instance"'
SERVICE = 'name=~"$service"'


@dataclass(frozen=True)
class Containers:
    """How the container panels select and name a container. On a Swarm every series also carries
    the node it runs on (render/prometheus_swarm.py): a `node` variable filters, legends name it."""

    selector: str = SERVICE
    legend: str = "{{name}}"


ONE_HOST = Containers()
SWARM = Containers(f'{SERVICE},node=~"$node"', "{{name}} on {{node}}")
COARSE = c.RESOLUTION_REF  # min interval: the copy's interval the zoom picks
RES = c.COPY_RESOLUTION
_mean = c.mean_of_copy


def host_cpu(*, threshold: float, runbook: str, interval: str) -> stat.Panel:
    return c.single("Host CPU", "percentunit", Query(f"max({rec.INSTANCE_CPU_UTILISATION}{{{HOST}}})"),
                    c.warn_crit(threshold * 0.8, threshold), "Busiest selected host, all cores.",
                    links=[c.runbook_link(runbook, "HighCpuUsage")], min_interval=interval)


def host_memory(*, threshold: float, runbook: str, interval: str) -> stat.Panel:
    return c.single("Host memory", "percentunit", Query(f"max({rec.INSTANCE_MEMORY_UTILISATION}{{{HOST}}})"),
                    c.warn_crit(threshold * 0.9, threshold),
                    "Memory in use (not available to new processes) on the fullest selected host.",
                    links=[c.runbook_link(runbook, "HighMemoryUsage")], min_interval=interval)


def lowest_free_disk(*, free_percent: float, runbook: str, interval: str) -> stat.Panel:
    return c.single("Lowest free disk", "percent", Query(f"min({rec.INSTANCE_FILESYSTEM_FREE}{{{HOST}}}) * 100"),
                    c.thresholds((free_percent, "yellow"), (free_percent * 2, "green"), base="red"),
                    "Free space on the fullest real filesystem (tmpfs, overlay, squashfs and the like not counted, as "
                    "in the DiskSpaceLow alert).",
                    links=[c.runbook_link(runbook, "DiskSpaceLow")], min_interval=interval)


def targets_down(*, runbook: str) -> stat.Panel:
    return c.single("Scrape targets down", "short", Query("count(up == 0) or vector(0)"), c.thresholds((1, "red")),
                    "Targets Prometheus cannot scrape right now.", links=[c.runbook_link(runbook, "TargetDown")])


def cpu_per_service(k: Containers) -> timeseries.Panel:
    return c.graph("CPU per service", "percentunit", [Query(_mean(rec.CONTAINER_CPU, k.selector), k.legend)],
                   c.warn_crit(0.8, 1.0), "CPU of each container; 100% is one full core (mean of each "
                   f"point's step, {RES}).", min_interval=COARSE)


def memory_per_service(k: Containers, *, runbook: str) -> timeseries.Panel:
    return c.graph("Memory per service", "bytes", [Query(_mean(rec.CONTAINER_MEMORY, k.selector), k.legend)],
                   description="Working set of each container (what the OOM killer counts); mean of each "
                               f"point's step, {RES}.",
                   links=[c.runbook_link(runbook, "ContainerMemoryNearLimit")], min_interval=COARSE)


def host_cpu_and_memory(*, threshold: float) -> timeseries.Panel:
    return c.graph("Host CPU and memory", "percentunit",
                   [Query(_mean(rec.INSTANCE_CPU_UTILISATION, HOST), "CPU {{instance}}"),
                    Query(_mean(rec.INSTANCE_MEMORY_UTILISATION, HOST), "memory {{instance}}")],
                   c.warn_crit(threshold * 0.8, threshold), f"Mean of each point's step, {RES}.",
                   width=24, min_interval=COARSE)


def disk_io() -> timeseries.Panel:
    return c.graph("Disk I/O", "Bps", [Query(_mean(rec.INSTANCE_DISK_READ, HOST), "read {{instance}}"),
                                       Query(_mean(rec.INSTANCE_DISK_WRITTEN, HOST), "write {{instance}}")],
                   description="Bytes read from and written to the host's disks.", min_interval=COARSE)


def network() -> timeseries.Panel:
    return c.graph("Network", "Bps", [Query(_mean(rec.INSTANCE_NETWORK_RECEIVE, HOST), "in {{instance}}"),
                                      Query(_mean(rec.INSTANCE_NETWORK_TRANSMIT, HOST), "out {{instance}}")],
                   description="Traffic in and out of the host's physical interfaces.", min_interval=COARSE)


def network_per_service(k: Containers) -> timeseries.Panel:
    return c.graph("Network per service", "Bps",
                   [Query(_mean(rec.CONTAINER_NETWORK_RECEIVE, k.selector), f"in {k.legend}"),
                    Query(_mean(rec.CONTAINER_NETWORK_TRANSMIT, k.selector), f"out {k.legend}")],
                   width=24, min_interval=COARSE)


def container_states(k: Containers) -> statetimeline.Panel:
    return c.states("Container states", "s",
                    [Query(per_step("max_over_time", f"{c.at_resolution(rec.CONTAINER_UNSEEN)}{{{k.selector}}}"),
                           k.legend)],
                    c.thresholds((60, "red")),
                    description="The longest each container went unseen by cAdvisor in each step (checked "
                                f"every minute, {RES}): green while it runs, red once it has "
                                "been gone for a minute (for an hour after it went; the ContainerAbsent "
                                "alert keeps watching).",
                    width=12, min_interval=COARSE)


def scrape_targets() -> statetimeline.Panel:
    return c.states("Scrape targets", "none",
                    [Query(per_step("min_over_time", c.at_resolution(rec.TARGET_UP_WORST)), "{{job}} {{instance}}")],
                    c.thresholds((1, "green"), base="red"),
                    [c.value_names({"1": ("up", "green"), "0": ("down", "red")})],
                    "Whether Prometheus reaches each exporter and service: down when any scrape in the "
                    f"step failed ({RES}).", width=12, min_interval=COARSE)


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    ev = settings.prometheus.evaluation_interval
    cpu = t.cpu_percent / 100
    k = SWARM if settings.swarm else ONE_HOST
    board = c.new_dashboard(c.SYSTEM_OVERVIEW, runbook)
    if settings.swarm:
        # node-exporter's `instance` is already the node; the containers are filtered by it too.
        board = board.with_variable(c.variable("node", "Node", "label_values(up, node)"))
    return (
        board
        .with_variable(c.variable("instance", "Host", "label_values(node_uname_info, instance)"))
        .with_variable(c.variable("service", "Service (container)", "label_values(container_last_seen, name)"))
        .with_variable(c.resolution_variable())
        .with_panel(host_cpu(threshold=cpu, runbook=runbook, interval=ev))
        .with_panel(host_memory(threshold=t.memory_percent / 100, runbook=runbook, interval=ev))
        .with_panel(lowest_free_disk(free_percent=t.disk_free_percent, runbook=runbook, interval=ev))
        .with_panel(targets_down(runbook=runbook))
        .with_panel(cpu_per_service(k))
        .with_panel(memory_per_service(k, runbook=runbook))
        .with_panel(host_cpu_and_memory(threshold=cpu))
        .with_panel(disk_io())
        .with_panel(network())
        .with_panel(network_per_service(k))
        .with_panel(container_states(k))
        .with_panel(scrape_targets())
        .with_panel(c.error_logs())
    )
