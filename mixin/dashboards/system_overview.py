"""System Overview: the host and every container of the stack (node-exporter, cAdvisor, scrape health)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    host = 'instance=~"$instance"'
    service = 'name=~"$service"'
    ev = settings.prometheus.evaluation_interval
    return (
        c.new_dashboard(c.SYSTEM_OVERVIEW, "Host and container resources of the Christmas platform.", runbook)
        .with_variable(c.variable("instance", "Host", "label_values(node_uname_info, instance)"))
        .with_variable(c.variable("service", "Service (container)", "label_values(container_last_seen, name)"))
        .with_panel(c.single("Host CPU", "percentunit",
                             Query(f"max({rec.INSTANCE_CPU_UTILISATION}{{{host}}})"),
                             c.warn_crit(t.cpu_percent / 100 * 0.8, t.cpu_percent / 100),
                             "Busiest selected host, all cores.",
                             links=[c.runbook_link(runbook, "HighCpuUsage")], min_interval=ev))
        .with_panel(c.single("Host memory", "percentunit",
                             Query(f"max({rec.INSTANCE_MEMORY_UTILISATION}{{{host}}})"),
                             c.warn_crit(t.memory_percent / 100 * 0.9, t.memory_percent / 100),
                             "Memory in use (not available to new processes) on the fullest selected host.",
                             links=[c.runbook_link(runbook, "HighMemoryUsage")], min_interval=ev))
        .with_panel(c.single("Lowest free disk", "percent",
                             Query(f'min(node_filesystem_avail_bytes{{{host}, fstype!~"tmpfs|overlay"}}'
                                   f' / node_filesystem_size_bytes{{{host}, fstype!~"tmpfs|overlay"}}) * 100'),
                             c.thresholds((t.disk_free_percent, "yellow"), (t.disk_free_percent * 2, "green"),
                                          base="red"),
                             "Free space on the fullest real filesystem.",
                             links=[c.runbook_link(runbook, "DiskSpaceLow")]))
        .with_panel(c.single("Scrape targets down", "short",
                             Query("count(up == 0) or vector(0)"), c.thresholds((1, "red")),
                             "Targets Prometheus cannot scrape right now.",
                             links=[c.runbook_link(runbook, "TargetDown")]))
        .with_panel(c.graph("CPU per service", "percentunit",
                            [Query(f"{rec.CONTAINER_CPU}{{{service}}}", "{{name}}")],
                            c.warn_crit(0.8, 1.0),
                            "CPU of each container; 100% is one full core.", min_interval=ev))
        .with_panel(c.graph("Memory per service", "bytes",
                            [Query(f"{rec.CONTAINER_MEMORY}{{{service}}}", "{{name}}")],
                            description="Working set of each container (what the OOM killer counts).",
                            links=[c.runbook_link(runbook, "ContainerMemoryNearLimit")], min_interval=ev))
        .with_panel(c.graph("Host CPU and memory", "percentunit",
                            [Query(f"{rec.INSTANCE_CPU_UTILISATION}{{{host}}}", "CPU {{instance}}"),
                             Query(f"{rec.INSTANCE_MEMORY_UTILISATION}{{{host}}}", "memory {{instance}}")],
                            c.warn_crit(t.cpu_percent / 100 * 0.8, t.cpu_percent / 100), width=24, min_interval=ev))
        .with_panel(c.graph("Disk I/O", "Bps",
                            [Query(f"sum by (instance) ({rec.INSTANCE_DISK_READ}{{{host}}})", "read {{instance}}"),
                             Query(f"sum by (instance) ({rec.INSTANCE_DISK_WRITTEN}{{{host}}})", "write {{instance}}")],
                            description="Bytes read from and written to the host's disks.", min_interval=ev))
        .with_panel(c.graph("Network", "Bps",
                            [Query(f"sum by (instance) ({rec.INSTANCE_NETWORK_RECEIVE}{{{host}}})", "in {{instance}}"),
                             Query(f"sum by (instance) ({rec.INSTANCE_NETWORK_TRANSMIT}{{{host}}})",
                                   "out {{instance}}")],
                            description="Traffic in and out of the host's physical interfaces.", min_interval=ev))
        .with_panel(c.graph("Network per service", "Bps",
                            [Query(f"sum by (name) ({rec.CONTAINER_NETWORK_RECEIVE}{{{service}}})", "in {{name}}"),
                             Query(f"sum by (name) ({rec.CONTAINER_NETWORK_TRANSMIT}{{{service}}})", "out {{name}}")],
                            width=24, min_interval=ev))
        .with_panel(c.states("Container states", "s",
                             # last_over_time: cAdvisor stops exporting a container that is gone, so its
                             # own series would just end (no band, never red); its last value stays an hour.
                             [Query(f"max by (name) (time() - last_over_time(container_last_seen{{{service}}}[1h]))",
                                    "{{name}}")],
                             c.thresholds((60, "red")),
                             description="Seconds since cAdvisor last saw each container: green while it "
                                         "runs, red once it has been gone for a minute (for an hour after it "
                                         "went; the ContainerAbsent alert keeps watching).",
                             width=12))
        .with_panel(c.states("Scrape targets", "none",
                             [Query("up", "{{job}} {{instance}}")],
                             c.thresholds((1, "green"), base="red"),
                             [c.value_names({"1": ("up", "green"), "0": ("down", "red")})],
                             "Whether Prometheus reaches each exporter and service.", width=12))
        .with_panel(c.error_logs())
    )
