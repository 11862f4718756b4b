"""`promtool test rules` cases for the host, container and monitoring alerts (see rule_cases.py)."""

from __future__ import annotations

from mixin.alerts import expected_containers
from settings.model import StackSettings
from tests.config.alert_case import AlertCase, JustAbove, Series, at_minute, s

HOST = 'instance="host-a",job="node-exporter"'
FS = f'{HOST},device="/dev/sda1",fstype="ext4",mountpoint="/"'
BOOT = f'{HOST},device="/dev/sda2",fstype="ext4",mountpoint="/boot"'
FS_LABELS = {"instance": "host-a", "job": "node-exporter", "device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"}


def _grafana_container(settings: StackSettings) -> tuple[str, dict[str, str], str]:
    """Grafana's container as cAdvisor 0.56 labels a Docker container's series: id (its cgroup), image, name."""
    grafana = settings.name("grafana")
    labels = {"name": grafana, "instance": "cadvisor:8080", "job": "cadvisor",
              "id": "/system.slice/docker-0123.scope", "image": "grafana/grafana:11.6.3"}
    return grafana, labels, ",".join(f'{k}="{v}"' for k, v in labels.items())


def host_cases(settings: StackSettings) -> list[AlertCase]:
    return [*_guide_host_cases(settings), _disk_space_case(settings)]


def _guide_host_cases(settings: StackSettings) -> list[AlertCase]:
    """The guide's HighCpuUsage and HighMemoryUsage, each pinned to its `for: 5m`."""
    t = settings.thresholds
    cases: list[AlertCase] = []
    cpu = (t.cpu_percent + 100) / 2
    cases.append(AlertCase(
        "HighCpuUsage",
        [s(f'node_cpu_seconds_total{{{HOST},cpu="0",mode="idle"}}', f"0+{60 * (100 - cpu) / 100:g}x20")],
        # The 5m rate has two samples at 1m, so `for: 5m` ends at 6m: silent a minute before.
        "6m", {"severity": "warning", "component": "host", "instance": "host-a"}, "High CPU usage detected",
        f"CPU usage on host-a is {cpu:.2f}% (threshold {t.cpu_percent:g}%).", silent_at=["5m"],
        quiet=[([s(f'node_cpu_seconds_total{{{HOST},cpu="0",mode="idle"}}',
                   f"0+{60 * (100 - t.cpu_percent / 2) / 100:g}x20")], "10m")]))

    mem = (t.memory_percent + 100) / 2
    cases.append(AlertCase(
        "HighMemoryUsage",
        [s(f"node_memory_MemTotal_bytes{{{HOST}}}", "1000+0x20"),
         s(f"node_memory_MemAvailable_bytes{{{HOST}}}", f"{1000 - 10 * mem:g}+0x20")],
        # Over the threshold from 0m: `for: 5m` fires at 5m, not at 4m.
        "5m", {"severity": "warning", "component": "host", "instance": "host-a", "job": "node-exporter"},
        "High memory usage detected", f"Memory usage on host-a is {mem:.2f}% (threshold {t.memory_percent:g}%).",
        silent_at=["4m"],
        quiet=[([s(f"node_memory_MemTotal_bytes{{{HOST}}}", "1000+0x20"),
                 s(f"node_memory_MemAvailable_bytes{{{HOST}}}", f"{1000 - 5 * t.memory_percent:g}+0x20")], "10m")]))
    return cases


def _disk_space_case(settings: StackSettings) -> AlertCase:
    t = settings.thresholds
    free = t.disk_free_percent / 2

    def disk(free_percent: float) -> Series:
        # Past the threshold means less free: "just above" is a tenth of a percent under it.
        return [s(f"node_filesystem_size_bytes{{{FS}}}", "10000+0x20"),
                s(f"node_filesystem_avail_bytes{{{FS}}}", f"{100 * free_percent:g}+0x20"),
                s(f"node_filesystem_readonly{{{FS}}}", "0+0x20")]

    return AlertCase(
        "DiskSpaceLow",
        [s(f"node_filesystem_size_bytes{{{FS}}}", "1000+0x20"),
         s(f"node_filesystem_avail_bytes{{{FS}}}", f"{10 * free:g}+0x20"),
         s(f"node_filesystem_readonly{{{FS}}}", "0+0x20")],
        "10m", {"severity": "warning", "component": "host", **FS_LABELS}, "Disk space low",
        f"/ on host-a has {free:.2f}% free (threshold {t.disk_free_percent:g}%).", silent_at=["2m"],
        quiet=[([s(f"node_filesystem_size_bytes{{{FS}}}", "1000+0x20"),
                 s(f"node_filesystem_avail_bytes{{{FS}}}", f"{5 * (t.disk_free_percent + 100):g}+0x20"),
                 s(f"node_filesystem_readonly{{{FS}}}", "0+0x20"),
                 # A read-only filesystem is full by design.
                 s(f"node_filesystem_size_bytes{{{BOOT}}}", "1000+0x20"),
                 s(f"node_filesystem_avail_bytes{{{BOOT}}}", f"{10 * free:g}+0x20"),
                 s(f"node_filesystem_readonly{{{BOOT}}}", "1+0x20")], "10m"),
               (disk(t.disk_free_percent + 0.1), "10m")],
        just_above=[JustAbove(disk(t.disk_free_percent - 0.1), "4m45s", "5m15s",
                              f"/ on host-a has {t.disk_free_percent - 0.1:.2f}% free "
                              f"(threshold {t.disk_free_percent:g}%).")])


def disk_fill_cases(settings: StackSettings) -> list[AlertCase]:
    t = settings.thresholds
    cases: list[AlertCase] = []
    # Free space falls 1/1000 per minute from 39%: predicted empty within the horizon from t0 on.
    start = max(390 - 60 * t.disk_fill_hours, 0) + 1
    fire = start + 35
    cases.append(AlertCase(
        "DiskWillFillSoon",
        [s(f"node_filesystem_size_bytes{{{FS}}}", "1000+0x400"),
         s(f"node_filesystem_avail_bytes{{{FS}}}", "390-1x400"),
         s(f"node_filesystem_readonly{{{FS}}}", "0+0x400")],
        at_minute(fire), {"severity": "critical", "component": "host", **FS_LABELS}, "Disk predicted to fill up",
        f"/ on host-a has {(390 - fire) / 10:.2f}% free and at the rate of the last 6 hours will be full "
        f"within {t.disk_fill_hours:g} hours.", silent_at=[at_minute(start + 10)],
        quiet=[([s(f"node_filesystem_size_bytes{{{FS}}}", "1000+0x400"),
                 s(f"node_filesystem_avail_bytes{{{FS}}}", "300+0x400"),
                 s(f"node_filesystem_readonly{{{FS}}}", "0+0x400")], at_minute(fire))]))
    return cases


def container_cases(settings: StackSettings) -> list[AlertCase]:
    grafana, ctr_labels, ctr = _grafana_container(settings)
    cases: list[AlertCase] = []
    # A restart: the new cgroup's CPU counter starts again near zero (cAdvisor keeps the labels).
    usage = f'{ctr},cpu="total"'
    cpu_labels = {**ctr_labels, "cpu": "total"}
    cases.append(AlertCase(
        "ContainerRestarting", [s(f"container_cpu_usage_seconds_total{{{usage}}}", "50 60 1 2 1 2 1 2 3 4")], "8m",
        {"severity": "warning", "component": "containers", **cpu_labels}, "Container restarting",
        f"Restarts of {grafana} in the last 15 minutes: 3.",
        # Two restarts are tolerated; a counter that only grows is no restart.
        quiet=[([s(f"container_cpu_usage_seconds_total{{{usage}}}", "50 60 1 2 1 2 3 4 5 6")], "8m"),
               ([s(f"container_cpu_usage_seconds_total{{{usage}}}", "0+5x20")], "10m")]))
    names = expected_containers(settings)
    present = [s(f'container_last_seen{{name="{n}",instance="cadvisor:8080",job="cadvisor"}}', "1000+60x20")
               for n in names]
    cases.append(AlertCase(
        "ContainerAbsent", present[1:], "10m",
        {"severity": "critical", "component": "containers", "job": "cadvisor", "name": names[0]},
        "Container of the stack not running",
        f"cAdvisor has not seen {names[0]} for 5 minutes (value 1): it is stopped, removed or was never created.",
        silent_at=["3m"], quiet=[(present, "10m")]))
    cases.append(AlertCase(
        "ContainerOomKilled", [s(f"container_oom_events_total{{{ctr}}}", "0 0 0 1 1 1 1 1")], "5m",
        {"severity": "warning", "component": "containers", **ctr_labels}, "Container OOM-killed",
        f"OOM kills of {grafana} in the last 10 minutes: 1.",
        quiet=[([s(f"container_oom_events_total{{{ctr}}}", "0+0x10")], "5m")]))
    # The restarted container's new series starts at 1 (its first sample already counts the kill).
    cases.append(AlertCase(
        "ContainerOomKilled", [s(f"container_oom_events_total{{{ctr}}}", "_ _ _ 1 1 1 1 1")], "5m",
        {"severity": "warning", "component": "containers", **ctr_labels}, "Container OOM-killed",
        f"OOM kills of {grafana} in the last 10 minutes: 1.",
        # A series that has counted the same old kill for more than 10 minutes: nothing new.
        quiet=[([s(f"container_oom_events_total{{{ctr}}}", "1+0x20")], "15m")]))
    return cases


def container_memory_cases(settings: StackSettings) -> list[AlertCase]:
    t = settings.thresholds
    grafana, ctr_labels, ctr = _grafana_container(settings)
    cases: list[AlertCase] = []
    near = (t.container_memory_percent + 100) / 2
    other = (f'name="{settings.name("kibana")}",instance="cadvisor:8080",job="cadvisor",'
             'id="/system.slice/docker-4567.scope",image="docker.elastic.co/kibana/kibana:8.18.2"')
    cases.append(AlertCase(
        "ContainerMemoryNearLimit",
        [s(f"container_memory_working_set_bytes{{{ctr}}}", f"{10 * near:g}+0x20"),
         s(f"container_spec_memory_limit_bytes{{{ctr}}}", "1000+0x20")],
        "10m", {"severity": "warning", "component": "containers", **ctr_labels}, "Container near its memory limit",
        f"{grafana} uses {near:.2f}% of its memory limit (threshold {t.container_memory_percent:g}%).",
        silent_at=["2m"],
        quiet=[([s(f"container_memory_working_set_bytes{{{ctr}}}", f"{5 * t.container_memory_percent:g}+0x20"),
                 s(f"container_spec_memory_limit_bytes{{{ctr}}}", "1000+0x20"),
                 # No limit set (0): not "infinitely over" it.
                 s(f"container_memory_working_set_bytes{{{other}}}", "500+0x20"),
                 s(f"container_spec_memory_limit_bytes{{{other}}}", "0+0x20")], "10m"),
               *(([s(f"container_memory_working_set_bytes{{{ctr}}}", f"{10 * used:g}+0x20"),
                   s(f"container_spec_memory_limit_bytes{{{ctr}}}", "1000+0x20")], "10m")
                 for used in (t.container_memory_percent, t.container_memory_percent - 0.1))],
        just_above=[JustAbove([s(f"container_memory_working_set_bytes{{{ctr}}}",
                                 f"{10 * t.container_memory_percent + 1:g}+0x20"),
                               s(f"container_spec_memory_limit_bytes{{{ctr}}}", "1000+0x20")], "4m45s", "5m15s",
                              f"{grafana} uses {t.container_memory_percent + 0.1:.2f}% of its memory limit "
                              f"(threshold {t.container_memory_percent:g}%).")]))

    cases.append(AlertCase(
        "TargetDown", [s('up{job="api",instance="api:8000"}', "0+0x10")], "5m",
        {"severity": "critical", "component": "targets", "job": "api", "instance": "api:8000"},
        "Scrape target down", "api target api:8000 has been unreachable for 2 minutes (up = 0).",
        silent_at=["1m"], quiet=[([s('up{job="grafana",instance="grafana:3000"}', "1+0x10")], "5m")]))
    return cases


def _config_reload_case(program: str, selector: str, labels: dict[str, str]) -> AlertCase:
    """Fires after 10 minutes of a refused reload (gauge 0); a successful one (1) stays quiet."""
    metric = f"{program.lower()}_config_last_reload_successful"
    return AlertCase(
        f"{program}ConfigReloadFailed", [s(f"{metric}{{{selector}}}", "0+0x20")], "15m",
        {"severity": "warning", **labels}, f"{program} configuration reload failed",
        f"{program} {labels['instance']} failed to reload its configuration (last reload successful = 0); "
        "it runs the previous one.", silent_at=["5m"], quiet=[([s(f"{metric}{{{selector}}}", "1+0x20")], "15m")])


def monitoring_cases(settings: StackSettings) -> list[AlertCase]:
    cases: list[AlertCase] = []
    prom = 'instance="localhost:9090",job="prometheus"'
    prom_labels = {"component": "monitoring", "instance": "localhost:9090", "job": "prometheus"}
    cases.append(_config_reload_case("Prometheus", prom, prom_labels))
    group = "/etc/prometheus/rules/alerts-api.yml;api.alerts"
    cases.append(AlertCase(
        "PrometheusRuleEvaluationFailures",
        [s(f'prometheus_rule_evaluation_failures_total{{{prom},rule_group="{group}"}}', "0+1x20")], "12m",
        {"severity": "critical", **prom_labels, "rule_group": group}, "Prometheus rule evaluations failing",
        f"5 evaluations of rule group {group} failed in the last 5 minutes: alerts may not fire.", silent_at=["3m"],
        quiet=[([s(f'prometheus_rule_evaluation_failures_total{{{prom},rule_group="{group}"}}', "3+0x20")], "12m")]))
    am_url = "http://alertmanager:9093/api/v2/alerts"
    cases.append(AlertCase(
        "PrometheusNotificationsFailing",
        [s(f'prometheus_notifications_errors_total{{{prom},alertmanager="{am_url}"}}', "0+1x20")], "12m",
        {"severity": "critical", **prom_labels, "alertmanager": am_url},
        "Prometheus cannot send alerts to Alertmanager",
        f"Prometheus failed 5 times in 5 minutes to send alerts to {am_url}.", silent_at=["3m"],
        quiet=[([s(f'prometheus_notifications_errors_total{{{prom},alertmanager="{am_url}"}}', "0+0x20")], "12m")]))
    cases.append(AlertCase(
        "PrometheusTsdbCompactionsFailing",
        [s(f"prometheus_tsdb_compactions_failed_total{{{prom}}}", "0 0 0 1 1 1 1 1")], "5m",
        {"severity": "warning", **prom_labels}, "Prometheus TSDB compactions failing",
        "Failed TSDB compactions of Prometheus localhost:9090 in the last 3 hours: 1.",
        quiet=[([s(f"prometheus_tsdb_compactions_failed_total{{{prom}}}", "0+0x10")], "5m")]))
    return cases


def alertmanager_cases(settings: StackSettings) -> list[AlertCase]:
    cases: list[AlertCase] = []
    am = 'instance="alertmanager:9093",job="alertmanager"'
    am_labels = {"component": "monitoring", "instance": "alertmanager:9093", "job": "alertmanager"}
    cases.append(_config_reload_case("Alertmanager", am, am_labels))
    cases.append(AlertCase(
        "AlertmanagerNotificationsFailing",
        [s(f'alertmanager_notifications_failed_total{{{am},integration="slack"}}', "0+1x20")], "12m",
        {"severity": "critical", **am_labels, "integration": "slack"}, "Alertmanager notifications failing",
        "Alertmanager alertmanager:9093 failed 5 slack notifications in the last 5 minutes.", silent_at=["3m"],
        quiet=[([s(f'alertmanager_notifications_failed_total{{{am},integration="slack"}}', "2+0x20")], "12m")]))
    return cases
