"""Alert rules as typed data, rendered to Prometheus rule files (one file per area).

Thresholds come from `settings.thresholds` (per stack); every rule carries a `severity` and a
`component` label and `summary`, `description` (with the current value) and `runbook_url`
annotations. Each alert has a section in docs/runbook.md whose anchor is its name lower-cased.
"""

from __future__ import annotations

from mixin import rules as rec
from mixin.alert_model import NUM, PCT, SEC, AlertGroup, AlertRule
from mixin.alert_model import runbook_url as runbook_url  # the dashboards link alerts the same way
from mixin.alerts_logs import certificates_group, logging_group
from render.yamlout import dump_yaml
from settings.model import StackSettings

# Real filesystems only: tmpfs, overlay layers and the like fill and empty by design.
_FS = '{fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"}'
# A replica more than this many bytes of WAL behind, seen from the primary (pg_stat_replication).
REPLICATION_LAG_BYTES = 256 * 1024 * 1024


def _duration(minutes: float) -> str:
    """A PromQL duration for a number of minutes (whole minutes stay readable)."""
    return f"{int(minutes)}m" if float(minutes).is_integer() else f"{round(minutes * 60)}s"


def _market_hours(settings: StackSettings) -> str:
    a = settings.alerting
    return f"hour() >= {a.market_open_hour_utc} < {a.market_close_hour_utc}"


def _host(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    free = f"node_filesystem_avail_bytes{_FS} / node_filesystem_size_bytes{_FS} * 100"
    writable = f"node_filesystem_readonly{_FS} == 0"
    return AlertGroup("host", (
        AlertRule("HighCpuUsage",
                  '100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)'
                  f" > {t.cpu_percent:g}",
                  "warning", "High CPU usage",
                  f"CPU usage on {{{{ $labels.instance }}}} is {PCT}% (threshold {t.cpu_percent:g}%).", "5m"),
        AlertRule("HighMemoryUsage",
                  "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes * 100"
                  f" > {t.memory_percent:g}",
                  "warning", "High memory usage",
                  f"Memory usage on {{{{ $labels.instance }}}} is {PCT}% (threshold {t.memory_percent:g}%).",
                  "5m"),
        AlertRule("DiskSpaceLow", f"{free} < {t.disk_free_percent:g} and {writable}",
                  "warning", "Disk space low",
                  f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {PCT}% free "
                  f"(threshold {t.disk_free_percent:g}%).", "5m"),
        AlertRule("DiskWillFillSoon",
                  f"{free} < 40 and predict_linear(node_filesystem_avail_bytes{_FS}[6h], "
                  f"{round(t.disk_fill_hours * 3600)}) < 0 and {writable}",
                  "critical", "Disk predicted to fill up",
                  f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {PCT}% free and at the "
                  f"rate of the last 6 hours will be full within {t.disk_fill_hours:g} hours.", "30m"),
    ))


def _containers(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    return AlertGroup("containers", (
        # Not container_start_time_seconds: for a Docker container cAdvisor reports its *creation*
        # time (container/docker/handler.go), which a restart keeps. A restart gives the container a
        # new cgroup whose CPU counter starts from zero: a counter reset.
        AlertRule("ContainerRestarting", 'resets(container_cpu_usage_seconds_total{name!=""}[15m]) > 2',
                  "warning", "Container restarting",
                  f"Restarts of {{{{ $labels.name }}}} in the last 15 minutes: {NUM}."),
        # cAdvisor stops reporting a container that is stopped or removed: its series vanish, so no
        # threshold on them can fire. Each container the stack runs is expected by name.
        AlertRule("ContainerAbsent",
                  " or ".join(f'absent_over_time(container_last_seen{{name="{name}"}}[5m])'
                              for name in expected_containers(settings)),
                  "critical", "Container of the stack not running",
                  "cAdvisor has not seen {{ $labels.name }} for 5 minutes (value {{ $value }}): it is stopped, "
                  "removed or was never created.",
                  # The `for`: right after Prometheus starts every container is absent from its history.
                  "5m",
                  # TargetDown{job="cadvisor"} mutes it: without cAdvisor every container looks absent.
                  (("job", "cadvisor"),)),
        # The second half: a container whose first OOM kill was also its cAdvisor series' first
        # sample (a restart gives a new series), where increase() sees nothing.
        AlertRule("ContainerOomKilled",
                  'increase(container_oom_events_total{name!=""}[10m]) > 0 or '
                  '(container_oom_events_total{name!=""} > 0 unless container_oom_events_total{name!=""} offset 10m)',
                  "warning", "Container OOM-killed",
                  f"OOM kills of {{{{ $labels.name }}}} in the last 10 minutes: {NUM}."),
        AlertRule("ContainerMemoryNearLimit",
                  'container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0)'
                  f" * 100 > {t.container_memory_percent:g}",
                  "warning", "Container near its memory limit",
                  f"{{{{ $labels.name }}}} uses {PCT}% of its memory limit "
                  f"(threshold {t.container_memory_percent:g}%).", "5m"),
    ))


def expected_containers(settings: StackSettings) -> list[str]:
    """The Docker names of the stack's long-running containers (not the one-shot setup jobs)."""
    peers = ["alertmanager" if i == 0 else f"alertmanager-{i}" for i in range(settings.alerting.alertmanager_peers)]
    services = [s for s in settings.services if s not in ("alertmanager", "elastic-setup")]
    # The backups scheduler runs the setup jobs' image (components/backups.py): no catalog row of its own.
    return [settings.name(s) for s in [*services, *peers, "backups"]]


def _targets() -> AlertGroup:
    return AlertGroup("targets", (
        AlertRule("TargetDown", "up == 0", "critical", "Scrape target down",
                  "{{ $labels.job }} target {{ $labels.instance }} has been unreachable for 2 minutes "
                  "(up = {{ $value }}).", "2m"),
    ))


def _api(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    return AlertGroup("api", (
        AlertRule("HighErrorRate",
                  'sum by(job) (rate(http_requests_total{status=~"5.."}[5m])) / sum by(job) '
                  f"(rate(http_requests_total[5m])) * 100 > {t.error_rate_percent:g}",
                  "critical", "High HTTP 5xx error rate",
                  f"{{{{ $labels.job }}}} answers {PCT}% of requests with a 5xx error "
                  f"(threshold {t.error_rate_percent:g}%).", "5m"),
        AlertRule("ApiHighLatency", f'{rec.HTTP_LATENCY_P95}{{job="api"}} > {t.api_p95_latency_seconds:g}',
                  "warning", "API p95 latency high",
                  f"95th percentile latency of {{{{ $labels.job }}}} is {SEC} "
                  f"(threshold {t.api_p95_latency_seconds:g}s).", "5m"),
    ))


def _database(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    job = (("job", "postgres-exporter"),)
    return AlertGroup("database", (
        AlertRule("PostgresDown", "pg_up == 0", "critical", "PostgreSQL down",
                  "postgres-exporter {{ $labels.instance }} cannot reach PostgreSQL (pg_up = {{ $value }}).",
                  "1m", job),
        AlertRule("LowDbConnections",
                  "sum by(instance)(pg_stat_database_numbackends) / max by(instance)(pg_settings_max_connections)"
                  f" * 100 > {t.db_connections_percent:g}",
                  "warning", "Database connections nearly exhausted",
                  f"PostgreSQL behind {{{{ $labels.instance }}}} uses {PCT}% of max_connections "
                  f"(threshold {t.db_connections_percent:g}%).", "5m", job),
        # pg_replication_lag_seconds is 0 by definition on a primary (collector/pg_replication.go):
        # this one can fire only where the exporter watches a replica.
        AlertRule("PostgresReplicationLag",
                  f"pg_replication_lag_seconds > {t.db_replication_lag_seconds:g}"
                  " and on(instance, job) pg_replication_is_replica == 1",
                  "warning", "PostgreSQL replication lag",
                  f"The replica behind {{{{ $labels.instance }}}} lags {SEC} behind the primary "
                  f"(threshold {t.db_replication_lag_seconds:g}s).", "5m", job),
        # Seen from the primary: one series per connected standby (pg_stat_replication), none without.
        AlertRule("PostgresReplicaBehind",
                  f"pg_stat_replication_pg_wal_lsn_diff > {REPLICATION_LAG_BYTES}",
                  "warning", "PostgreSQL replica falling behind",
                  "Standby {{ $labels.application_name }} ({{ $labels.client_addr }}) of the primary behind "
                  f"{{{{ $labels.instance }}}} has not replayed {{{{ $value | humanize1024 }}}}B of WAL "
                  f"(threshold {REPLICATION_LAG_BYTES // 1024 // 1024} MiB).", "5m", job),
        AlertRule("PostgresSlowQueries",
                  f'pg_stat_activity_max_tx_duration{{state="active"}} > {t.db_slow_query_seconds:g}',
                  "warning", "PostgreSQL slow queries",
                  f"The longest active transaction in {{{{ $labels.datname }}}} has been running for {SEC} "
                  f"(threshold {t.db_slow_query_seconds:g}s).", "2m", job),
    ))


def _trading(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    a = settings.alerting
    job = (("job", "trading-engine"),)
    idle = _duration(t.trading_idle_minutes)
    hours = f"{a.market_open_hour_utc:02d}:00-{a.market_close_hour_utc:02d}:00 UTC"
    return AlertGroup("trading", (
        AlertRule("HighOrderFailureRate", f"{rec.ORDER_FAILURE_RATIO} * 100 > {t.order_failure_percent:g}",
                  "critical", "Order failure rate high",
                  f"{PCT}% of the orders of strategy {{{{ $labels.strategy }}}} fail "
                  f"(threshold {t.order_failure_percent:g}%).", "5m", job),
        AlertRule("HighOrderLatency", f"{rec.ORDER_LATENCY_P95} > {t.order_latency_p95_seconds:g}",
                  "warning", "Order latency high",
                  f"95th percentile order latency of strategy {{{{ $labels.strategy }}}} is {SEC} "
                  f"(threshold {t.order_latency_p95_seconds:g}s).", "5m", job),
        # `or vector(0)`: a silent engine exposes no increase at all, and that is the case to catch.
        AlertRule("NoTradingSignals",
                  f"(sum(increase(trading_signals_total[{idle}])) or vector(0)) == 0"
                  f" and on() ({_market_hours(settings)})",
                  "critical", "No trading signals during market hours",
                  f"The trading engine produced {NUM} signals in the last {idle} of market hours ({hours}).",
                  "5m", job),
        AlertRule("NoTradesExecuted",
                  f'sum(increase(trading_signals_total{{signal=~"buy|sell"}}[{idle}])) > 0'
                  f" unless on() sum(increase(trading_trades_total[{idle}])) > 0"
                  f" and on() ({_market_hours(settings)})",
                  "critical", "Buy/sell signals but no trades executed",
                  f"The trading engine produced {NUM} buy/sell signals in the last {idle} of market hours "
                  f"({hours}) and executed no trade.", "5m", job),
    ))


def _monitoring() -> AlertGroup:
    return AlertGroup("monitoring", (
        AlertRule("PrometheusConfigReloadFailed", "prometheus_config_last_reload_successful == 0",
                  "warning", "Prometheus configuration reload failed",
                  "Prometheus {{ $labels.instance }} failed to reload its configuration "
                  "(last reload successful = {{ $value }}); it runs the previous one.", "10m"),
        AlertRule("PrometheusRuleEvaluationFailures", "increase(prometheus_rule_evaluation_failures_total[5m]) > 0",
                  "critical", "Prometheus rule evaluations failing",
                  f"{NUM} evaluations of rule group {{{{ $labels.rule_group }}}} failed in the last 5 minutes: "
                  "alerts may not fire.", "5m"),
        AlertRule("PrometheusNotificationsFailing", "increase(prometheus_notifications_errors_total[5m]) > 0",
                  "critical", "Prometheus cannot send alerts to Alertmanager",
                  f"Prometheus failed {NUM} times in 5 minutes to send alerts to {{{{ $labels.alertmanager }}}}.",
                  "5m"),
        AlertRule("PrometheusTsdbCompactionsFailing", "increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
                  "warning", "Prometheus TSDB compactions failing",
                  f"Failed TSDB compactions of Prometheus {{{{ $labels.instance }}}} in the last 3 hours: {NUM}."),
        AlertRule("AlertmanagerConfigReloadFailed", "alertmanager_config_last_reload_successful == 0",
                  "warning", "Alertmanager configuration reload failed",
                  "Alertmanager {{ $labels.instance }} failed to reload its configuration "
                  "(last reload successful = {{ $value }}); it runs the previous one.", "10m"),
        AlertRule("AlertmanagerNotificationsFailing", "increase(alertmanager_notifications_failed_total[5m]) > 0",
                  "critical", "Alertmanager notifications failing",
                  f"Alertmanager {{{{ $labels.instance }}}} failed {NUM} {{{{ $labels.integration }}}} "
                  "notifications in the last 5 minutes.", "5m"),
        AlertRule("Watchdog", "vector(1)", "none", "Alerting pipeline heartbeat",
                  "Always firing (value {{ $value }}) so the heartbeat receiver notices when alerting stops."),
    ))


def alert_groups(settings: StackSettings) -> tuple[AlertGroup, ...]:
    return (_host(settings), _containers(settings), _targets(), _api(settings), _database(settings),
            _trading(settings), _monitoring(), logging_group(settings), certificates_group())


def alert_names(settings: StackSettings) -> list[str]:
    return [rule.alert for group in alert_groups(settings) for rule in group.rules]


def render_alert_files(settings: StackSettings) -> dict[str, str]:
    """File name -> rule file text, one file per area."""
    base = settings.alerting.runbook_base_url
    return {
        group.file: dump_yaml({"groups": [{
            "name": group.name,
            "rules": [rule.render(group.component, base) for rule in group.rules],
        }]})
        for group in alert_groups(settings)
    }
