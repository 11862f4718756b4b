"""Alert rules as typed data, rendered to Prometheus rule files (one file per area).

Thresholds come from `settings.thresholds` (per stack); every rule carries a `severity` and a
`component` label and `summary`, `description` (with the current value) and `runbook_url`
annotations. Each alert has a section in docs/runbook.md whose anchor is its name lower-cased.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mixin import rules as rec
from render.yamlout import dump_yaml
from settings.model import StackSettings

Severity = Literal["critical", "warning", "none"]

# Real filesystems only: tmpfs, overlay layers and the like fill and empty by design.
_FS = '{fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"}'
_PCT = '{{ $value | printf "%.2f" }}'
_NUM = '{{ $value | printf "%.0f" }}'
_SEC = '{{ $value | printf "%.2f" }}s'


@dataclass(frozen=True)
class AlertRule:
    alert: str
    expr: str
    severity: Severity
    summary: str
    description: str
    # "" = fires at the first evaluation where the expression holds.
    for_: str = ""
    # Static labels, e.g. the `job` of the service an aggregate alert is about (for inhibition).
    labels: tuple[tuple[str, str], ...] = ()

    def render(self, component: str, runbook_base_url: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.alert, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity, "component": component, **dict(self.labels)}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": runbook_url(runbook_base_url, self.alert),
        }
        return rule


@dataclass(frozen=True)
class AlertGroup:
    """One rule group and file; `component` labels every alert of the group."""

    component: str
    rules: tuple[AlertRule, ...]

    @property
    def name(self) -> str:
        return f"{self.component}.alerts"

    @property
    def file(self) -> str:
        return f"alerts-{self.component}.yml"


def runbook_url(base: str, alert: str) -> str:
    return f"{base}#{alert.lower()}"


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
                  f"CPU usage on {{{{ $labels.instance }}}} is {_PCT}% (threshold {t.cpu_percent:g}%).", "5m"),
        AlertRule("HighMemoryUsage",
                  f"(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > {t.memory_percent:g}",
                  "warning", "High memory usage",
                  f"Memory usage on {{{{ $labels.instance }}}} is {_PCT}% (threshold {t.memory_percent:g}%).",
                  "5m"),
        AlertRule("DiskSpaceLow", f"{free} < {t.disk_free_percent:g} and {writable}",
                  "warning", "Disk space low",
                  f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {_PCT}% free "
                  f"(threshold {t.disk_free_percent:g}%).", "5m"),
        AlertRule("DiskWillFillSoon",
                  f"{free} < 40 and predict_linear(node_filesystem_avail_bytes{_FS}[6h], "
                  f"{round(t.disk_fill_hours * 3600)}) < 0 and {writable}",
                  "critical", "Disk predicted to fill up",
                  f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {_PCT}% free and at the "
                  f"rate of the last 6 hours will be full within {t.disk_fill_hours:g} hours.", "30m"),
    ))


def _containers(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    return AlertGroup("containers", (
        AlertRule("ContainerRestarting", 'changes(container_start_time_seconds{name!=""}[15m]) > 2',
                  "warning", "Container restarting",
                  f"Restarts of {{{{ $labels.name }}}} in the last 15 minutes: {_NUM}."),
        AlertRule("ContainerOomKilled", 'increase(container_oom_events_total{name!=""}[10m]) > 0',
                  "warning", "Container OOM-killed",
                  f"OOM kills of {{{{ $labels.name }}}} in the last 10 minutes: {_NUM}."),
        AlertRule("ContainerMemoryNearLimit",
                  'container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0)'
                  f" * 100 > {t.container_memory_percent:g}",
                  "warning", "Container near its memory limit",
                  f"{{{{ $labels.name }}}} uses {_PCT}% of its memory limit "
                  f"(threshold {t.container_memory_percent:g}%).", "5m"),
    ))


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
                  f"{{{{ $labels.job }}}} answers {_PCT}% of requests with a 5xx error "
                  f"(threshold {t.error_rate_percent:g}%).", "5m"),
        AlertRule("ApiHighLatency", f'{rec.HTTP_LATENCY_P95}{{job="api"}} > {t.api_p95_latency_seconds:g}',
                  "warning", "API p95 latency high",
                  f"95th percentile latency of {{{{ $labels.job }}}} is {_SEC} "
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
                  f"PostgreSQL behind {{{{ $labels.instance }}}} uses {_PCT}% of max_connections "
                  f"(threshold {t.db_connections_percent:g}%).", "5m", job),
        AlertRule("PostgresReplicationLag", f"pg_replication_lag_seconds > {t.db_replication_lag_seconds:g}",
                  "warning", "PostgreSQL replication lag",
                  f"The replica behind {{{{ $labels.instance }}}} lags {_SEC} behind the primary "
                  f"(threshold {t.db_replication_lag_seconds:g}s).", "5m", job),
        AlertRule("PostgresSlowQueries",
                  f'pg_stat_activity_max_tx_duration{{state="active"}} > {t.db_slow_query_seconds:g}',
                  "warning", "PostgreSQL slow queries",
                  f"The longest active transaction in {{{{ $labels.datname }}}} has been running for {_SEC} "
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
                  f"{_PCT}% of the orders of strategy {{{{ $labels.strategy }}}} fail "
                  f"(threshold {t.order_failure_percent:g}%).", "5m", job),
        AlertRule("HighOrderLatency", f"{rec.ORDER_LATENCY_P95} > {t.order_latency_p95_seconds:g}",
                  "warning", "Order latency high",
                  f"95th percentile order latency of strategy {{{{ $labels.strategy }}}} is {_SEC} "
                  f"(threshold {t.order_latency_p95_seconds:g}s).", "5m", job),
        # `or vector(0)`: a silent engine exposes no increase at all, and that is the case to catch.
        AlertRule("NoTradingSignals",
                  f"(sum(increase(trading_signals_total[{idle}])) or vector(0)) == 0"
                  f" and on() ({_market_hours(settings)})",
                  "critical", "No trading signals during market hours",
                  f"The trading engine produced {_NUM} signals in the last {idle} of market hours ({hours}).",
                  "5m", job),
        AlertRule("NoTradesExecuted",
                  f'sum(increase(trading_signals_total{{signal=~"buy|sell"}}[{idle}])) > 0'
                  f" unless on() sum(increase(trading_trades_total[{idle}])) > 0"
                  f" and on() ({_market_hours(settings)})",
                  "critical", "Buy/sell signals but no trades executed",
                  f"The trading engine produced {_NUM} buy/sell signals in the last {idle} of market hours "
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
                  f"{_NUM} evaluations of rule group {{{{ $labels.rule_group }}}} failed in the last 5 minutes: "
                  "alerts may not fire.", "5m"),
        AlertRule("PrometheusNotificationsFailing", "increase(prometheus_notifications_errors_total[5m]) > 0",
                  "critical", "Prometheus cannot send alerts to Alertmanager",
                  f"Prometheus failed {_NUM} times in 5 minutes to send alerts to {{{{ $labels.alertmanager }}}}.",
                  "5m"),
        AlertRule("PrometheusTsdbCompactionsFailing", "increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
                  "warning", "Prometheus TSDB compactions failing",
                  f"Failed TSDB compactions of Prometheus {{{{ $labels.instance }}}} in the last 3 hours: {_NUM}."),
        AlertRule("AlertmanagerConfigReloadFailed", "alertmanager_config_last_reload_successful == 0",
                  "warning", "Alertmanager configuration reload failed",
                  "Alertmanager {{ $labels.instance }} failed to reload its configuration "
                  "(last reload successful = {{ $value }}); it runs the previous one.", "10m"),
        AlertRule("AlertmanagerNotificationsFailing", "increase(alertmanager_notifications_failed_total[5m]) > 0",
                  "critical", "Alertmanager notifications failing",
                  f"Alertmanager {{{{ $labels.instance }}}} failed {_NUM} {{{{ $labels.integration }}}} "
                  "notifications in the last 5 minutes.", "5m"),
        AlertRule("Watchdog", "vector(1)", "none", "Alerting pipeline heartbeat",
                  "Always firing (value {{ $value }}) so the heartbeat receiver notices when alerting stops."),
    ))


def _logging() -> AlertGroup:
    return AlertGroup("logging", (
        AlertRule("FluentBitOutputRetriesFailing", "increase(fluentbit_output_retries_failed_total[5m]) > 0",
                  "warning", "Fluent Bit is dropping log records",
                  f"Fluent Bit output {{{{ $labels.name }}}} gave up {_NUM} retries in the last 5 minutes: "
                  "those log chunks are lost.", "5m"),
    ))


def alert_groups(settings: StackSettings) -> tuple[AlertGroup, ...]:
    return (_host(settings), _containers(settings), _targets(), _api(settings), _database(settings),
            _trading(settings), _monitoring(), _logging())


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
