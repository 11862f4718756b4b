"""Alert rules as typed data, rendered to Prometheus rule files (one file per area).

Thresholds come from `settings.thresholds`; every rule has `severity` and `component` labels and `summary`,
`description` and `runbook_url` annotations; docs/runbook.md has a section per alert (its name lower-cased).
"""

from __future__ import annotations

import re

from formats.yamlout import dump_yaml
from mixin import rules as rec
from mixin.alert_model import NUM, PCT, SEC, AlertGroup, AlertRule
from mixin.alert_model import promql_number as _num
from mixin.alerts_certificates import certificates_group
from mixin.alerts_logs import logging_group
from mixin.guide import guide_alert
from mixin.selectors import job_label, selector
from settings import log_pipeline as logs
from settings.catalog import CATALOG, LONG_RUNNING, SERVICE_LABEL, STACK_LABEL
from settings.model import StackSettings
from settings.names import alertmanager_hosts

# Real filesystems only: tmpfs, overlay layers and the like fill and empty by design.
_FS = f"{{{rec.FILESYSTEMS}}}"
# A replica more than this many bytes of WAL behind, seen from the primary (pg_stat_replication).
REPLICATION_LAG_BYTES = 256 * 1024 * 1024


def _duration(minutes: float) -> str:
    """A PromQL duration for a number of minutes (whole minutes stay readable)."""
    return f"{int(minutes)}m" if float(minutes).is_integer() else f"{round(minutes * 60)}s"


def _market_hours(settings: StackSettings) -> str:
    a = settings.alerting
    if a.market_close_hour_utc > a.market_open_hour_utc:
        return f"hour() >= {a.market_open_hour_utc} < {a.market_close_hour_utc}"
    # A session across midnight (e.g. 22-06 UTC): from the open to midnight, or from midnight to the close.
    return f"hour() >= {a.market_open_hour_utc} or hour() < {a.market_close_hour_utc}"


def _host(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    free = f"node_filesystem_avail_bytes{_FS} / node_filesystem_size_bytes{_FS} * 100"
    writable = f"node_filesystem_readonly{_FS} == 0"
    cpu, memory = guide_alert("HighCpuUsage"), guide_alert("HighMemoryUsage")  # severity, summary, `for`
    return AlertGroup("host", (
        # The guide's expressions; rate for irate (docs/departures.md), thresholds are settings.
        AlertRule(alert=cpu.name,
                  expr='100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)'
                       f" > {_num(t.cpu_percent)}",
                  severity=cpu.severity, summary=cpu.summary, for_=cpu.for_,
                  description=f"CPU usage on {{{{ $labels.instance }}}} is {PCT}% (threshold {_num(t.cpu_percent)}%)."),
        AlertRule(alert=memory.name,
                  expr="(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)"
                       f" / node_memory_MemTotal_bytes * 100 > {_num(t.memory_percent)}",
                  severity=memory.severity, summary=memory.summary, for_=memory.for_, description=
                      f"Memory usage on {{{{ $labels.instance }}}} is {PCT}% (threshold {_num(t.memory_percent)}%)."),
        AlertRule(alert="DiskSpaceLow", expr=f"{free} < {_num(t.disk_free_percent)} and {writable}",
                  severity="warning", summary="Disk space low",
                  description=f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {PCT}% free "
                  f"(threshold {_num(t.disk_free_percent)}%).", for_="5m"),
        AlertRule(alert="DiskWillFillSoon",
                  expr=f"{free} < 40 and predict_linear(node_filesystem_avail_bytes{_FS}[6h], "
                  f"{round(t.disk_fill_hours * 3600)}) < 0 and {writable}",
                  severity="critical", summary="Disk predicted to fill up",
                  description=f"{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} has {PCT}% free and at the "
                  f"rate of the last 6 hours will be full within {_num(t.disk_fill_hours)} hours.", for_="30m"),
    ))


def _on_node(settings: StackSettings) -> str:
    """On a Swarm every target carries the node it runs on (render/prometheus_swarm.py): the alert says which."""
    return " on node {{ $labels.node }}" if settings.swarm else ""


def _containers(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    on_node = _on_node(settings)
    return AlertGroup("containers", (
        # Not container_start_time_seconds: for a Docker container cAdvisor reports its *creation*
        # time (container/docker/handler.go), which a restart keeps. A restart gives the container a
        # new cgroup whose CPU counter starts from zero: a counter reset.
        AlertRule(alert="ContainerRestarting", expr='resets(container_cpu_usage_seconds_total{name!=""}[15m]) > 2',
                  severity="warning", summary="Container restarting",
                  description=f"Restarts of {{{{ $labels.name }}}}{on_node} in the last 15 minutes: {NUM}."),
        # cAdvisor stops reporting a container that is stopped or removed: its series vanish, so no
        # threshold on them can fire. Each container the stack runs is expected by name.
        AlertRule(alert="ContainerAbsent",
                  expr=" or ".join(f'absent_over_time(container_last_seen{{{selector}}}[5m])'
                              for selector in expected_container_selectors(settings)),
                  severity="critical", summary="Container of the stack not running",
                  description=
                      "cAdvisor has not seen {{ $labels.name }} for 5 minutes (value {{ $value }}): it is stopped, "
                  "removed or was never created.",
                  # The `for`: right after Prometheus starts every container is absent from its history.
                  for_="5m",
                  # TargetDown{job="cadvisor"} mutes it: without cAdvisor every container looks absent.
                  labels=job_label("containers")),
        # The second half: a container whose first OOM kill was also its cAdvisor series' first
        # sample (a restart gives a new series), where increase() sees nothing.
        AlertRule(alert="ContainerOomKilled",
                  expr='increase(container_oom_events_total{name!=""}[10m]) > 0 or '
                  '(container_oom_events_total{name!=""} > 0 unless container_oom_events_total{name!=""} offset 10m)',
                  severity="warning", summary="Container OOM-killed",
                  description=f"OOM kills of {{{{ $labels.name }}}}{on_node} in the last 10 minutes: {NUM}."),
        AlertRule(alert="ContainerMemoryNearLimit",
                  expr=
                      'container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0)'
                  f" * 100 > {_num(t.container_memory_percent)}",
                  severity="warning", summary="Container near its memory limit",
                  description=f"{{{{ $labels.name }}}}{on_node} uses {PCT}% of its memory limit "
                  f"(threshold {_num(t.container_memory_percent)}%).", for_="5m"),
    ))


def expected_containers(settings: StackSettings) -> list[str]:
    """The Docker names of the stack's long-running containers (not the one-shot setup jobs; the
    Engine API proxy runs on a Swarm only)."""
    peers = alertmanager_hosts(settings.alerting.alertmanager_peers)
    rows = [s for s in LONG_RUNNING if s != "alertmanager" and not CATALOG[s].swarm_only]
    # Alertmanager once per peer, after the services with settings of their own (the rule's order).
    return [settings.name(s) for s in [*(s for s in rows if CATALOG[s].own_settings), *peers,
                                         *(s for s in rows if not CATALOG[s].own_settings)]]


def expected_container_selectors(settings: StackSettings) -> list[str]:
    """cAdvisor selectors, one per expected container. A Swarm task's container is named
    `<service>.<slot>.<task id>`: there the service's label (kept by cAdvisor's
    --whitelisted_container_labels) names it instead; a global service is absent only when no node runs it."""
    if not settings.swarm:
        return [f'name="{name}"' for name in expected_containers(settings)]
    # A 3-node Elasticsearch is three services, each expected (a lost node is a lost copy of every shard).
    nodes = logs.node_services() if logs.is_cluster(settings) else ["elasticsearch"]
    services = [n for s in settings.services if not CATALOG[s].one_shot
                for n in (nodes if s == "elasticsearch" else [s])]
    return [f'{cadvisor_label(SERVICE_LABEL)}="{s}", {cadvisor_label(STACK_LABEL)}="{settings.stack}"'
            for s in services]


def cadvisor_label(docker_label: str) -> str:
    """The Prometheus label cAdvisor makes of a whitelisted Docker label."""
    return "container_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", docker_label)


def _targets(settings: StackSettings) -> AlertGroup:
    return AlertGroup("targets", (
        AlertRule(alert="TargetDown", expr="up == 0", severity="critical", summary="Scrape target down",
                  description=f"{{{{ $labels.job }}}} target {{{{ $labels.instance }}}}{_on_node(settings)} has been "
                  "unreachable for 2 minutes (up = {{ $value }}).", for_="2m"),
    ))


def _api(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    errors = guide_alert("HighErrorRate")
    return AlertGroup("api", (
        # The guide's ratio per job: it pages whenever the guide's total does (docs/departures.md).
        AlertRule(alert=errors.name,
                  expr='sum by(job) (rate(http_requests_total{status=~"5.."}[5m]))'
                       " / sum by(job) (rate(http_requests_total[5m]))"
                       f" * 100 > {_num(t.error_rate_percent)}",
                  severity=errors.severity, summary=errors.summary,
                  description=f"{{{{ $labels.job }}}} answers {PCT}% of requests with a 5xx error "
                  f"(threshold {_num(t.error_rate_percent)}%).", for_=errors.for_),
        AlertRule(alert="ApiHighLatency",
                  expr=f'{rec.HTTP_LATENCY_P95}{{{selector("api")}}} > {_num(t.api_p95_latency_seconds)}',
                  severity="warning", summary="API p95 latency high",
                  description=f"95th percentile latency of {{{{ $labels.job }}}} is {SEC} "
                  f"(threshold {_num(t.api_p95_latency_seconds)}s).", for_="5m"),
    ))


def _database(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    job = job_label("database")
    connections = guide_alert("LowDbConnections")
    return AlertGroup("database", (
        AlertRule(alert="PostgresDown", expr="pg_up == 0", severity="critical", summary="PostgreSQL down",
                  description=
                      "postgres-exporter {{ $labels.instance }} cannot reach PostgreSQL (pg_up = {{ $value }}).",
                  for_="1m", labels=job),
        # The guide's, summed per instance: its one-to-one division matches nothing (docs/departures.md).
        AlertRule(alert=connections.name,
                  expr=f'sum by(instance) (pg_stat_activity_count{{datname="{settings.database.name}"}})'
                  " / max by(instance) (pg_settings_max_connections)"
                  f" * 100 > {_num(t.db_connections_percent)}",
                  severity=connections.severity, summary=connections.summary,
                  description=f"Database {settings.database.name} behind {{{{ $labels.instance }}}} holds {PCT}% "
                  f"of max_connections (threshold {_num(t.db_connections_percent)}%).", for_=connections.for_,
                  labels=job),
        # pg_replication_lag_seconds is 0 by definition on a primary (collector/pg_replication.go):
        # this one can fire only where the exporter watches a replica.
        AlertRule(alert="PostgresReplicationLag",
                  expr=f"pg_replication_lag_seconds > {_num(t.db_replication_lag_seconds)}"
                  " and on(instance, job) pg_replication_is_replica == 1",
                  severity="warning", summary="PostgreSQL replication lag",
                  description=f"The replica behind {{{{ $labels.instance }}}} lags {SEC} behind the primary "
                  f"(threshold {_num(t.db_replication_lag_seconds)}s).", for_="5m", labels=job),
        # Seen from the primary: one series per connected standby (pg_stat_replication), none without.
        AlertRule(alert="PostgresReplicaBehind",
                  expr=f"pg_stat_replication_pg_wal_lsn_diff > {REPLICATION_LAG_BYTES}",
                  severity="warning", summary="PostgreSQL replica falling behind",
                  description=
                      "Standby {{ $labels.application_name }} ({{ $labels.client_addr }}) of the primary behind "
                  f"{{{{ $labels.instance }}}} has not replayed {{{{ $value | humanize1024 }}}}B of WAL "
                  f"(threshold {REPLICATION_LAG_BYTES // 1024 // 1024} MiB).", for_="5m", labels=job),
        AlertRule(alert="PostgresSlowQueries",
                  expr=f'pg_stat_activity_max_tx_duration{{state="active"}} > {_num(t.db_slow_query_seconds)}',
                  severity="warning", summary="PostgreSQL slow queries",
                  description=f"The longest active transaction in {{{{ $labels.datname }}}} has been running for {SEC} "
                  f"(threshold {_num(t.db_slow_query_seconds)}s).", for_="2m", labels=job),
    ))


def _trading(settings: StackSettings) -> AlertGroup:
    t = settings.thresholds
    a = settings.alerting
    job = job_label("trading")
    idle = _duration(t.trading_idle_minutes)
    hours = f"{a.market_open_hour_utc:02d}:00-{a.market_close_hour_utc:02d}:00 UTC"
    return AlertGroup("trading", (
        AlertRule(alert="HighOrderFailureRate",
                  expr=f"{rec.ORDER_FAILURE_RATIO} * 100 > {_num(t.order_failure_percent)}",
                  severity="critical", summary="Order failure rate high",
                  description=f"{PCT}% of the orders of strategy {{{{ $labels.strategy }}}} fail "
                  f"(threshold {_num(t.order_failure_percent)}%).", for_="5m", labels=job),
        AlertRule(alert="HighOrderLatency", expr=f"{rec.ORDER_LATENCY_P95} > {_num(t.order_latency_p95_seconds)}",
                  severity="warning", summary="Order latency high",
                  description=f"95th percentile order latency of strategy {{{{ $labels.strategy }}}} is {SEC} "
                  f"(threshold {_num(t.order_latency_p95_seconds)}s).", for_="5m", labels=job),
        # `or vector(0)`: a silent engine exposes no increase at all, and that is the case to catch.
        AlertRule(alert="NoTradingSignals",
                  expr=f"(sum(increase(trading_signals_total[{idle}])) or vector(0)) == 0"
                  f" and on() ({_market_hours(settings)})",
                  severity="critical", summary="No trading signals during market hours",
                  description=
                      f"The trading engine produced {NUM} signals in the last {idle} of market hours ({hours}).",
                  for_="5m", labels=job),
        AlertRule(alert="NoTradesExecuted",
                  expr=f'sum(increase(trading_signals_total{{signal=~"buy|sell"}}[{idle}])) > 0'
                  f" unless on() sum(increase(trading_trades_total[{idle}])) > 0"
                  f" and on() ({_market_hours(settings)})",
                  severity="critical", summary="Buy/sell signals but no trades executed",
                  description=f"The trading engine produced {NUM} buy/sell signals in the last {idle} of market hours "
                  f"({hours}) and executed no trade.", for_="5m", labels=job),
    ))


def _config_reload_failed(program: str) -> AlertRule:
    """Prometheus and Alertmanager export the same gauge: 0 after a reload they refused."""
    return AlertRule(alert=f"{program}ConfigReloadFailed",
                     expr=f"{program.lower()}_config_last_reload_successful == 0",
                     severity="warning", summary=f"{program} configuration reload failed",
                     description=f"{program} {{{{ $labels.instance }}}} failed to reload its configuration "
                     "(last reload successful = {{ $value }}); it runs the previous one.", for_="10m")


def _monitoring() -> AlertGroup:
    return AlertGroup("monitoring", (
        _config_reload_failed("Prometheus"),
        AlertRule(alert="PrometheusRuleEvaluationFailures",
                  expr="increase(prometheus_rule_evaluation_failures_total[5m]) > 0",
                  severity="critical", summary="Prometheus rule evaluations failing",
                  description=
                      f"{NUM} evaluations of rule group {{{{ $labels.rule_group }}}} failed in the last 5 minutes: "
                  "alerts may not fire.", for_="5m"),
        AlertRule(alert="PrometheusNotificationsFailing",
                  expr="increase(prometheus_notifications_errors_total[5m]) > 0",
                  severity="critical", summary="Prometheus cannot send alerts to Alertmanager",
                  description=
                      f"Prometheus failed {NUM} times in 5 minutes to send alerts to {{{{ $labels.alertmanager }}}}.",
                  for_="5m"),
        AlertRule(alert="PrometheusTsdbCompactionsFailing",
                  expr="increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
                  severity="warning", summary="Prometheus TSDB compactions failing",
                  description=
                      f"Failed TSDB compactions of Prometheus {{{{ $labels.instance }}}} in the last 3 hours: {NUM}."),
        _config_reload_failed("Alertmanager"),
        AlertRule(alert="AlertmanagerNotificationsFailing",
                  expr="increase(alertmanager_notifications_failed_total[5m]) > 0",
                  severity="critical", summary="Alertmanager notifications failing",
                  description=f"Alertmanager {{{{ $labels.instance }}}} failed {NUM} {{{{ $labels.integration }}}} "
                  "notifications in the last 5 minutes.", for_="5m"),
        AlertRule(alert="Watchdog", expr="vector(1)", severity="none", summary="Alerting pipeline heartbeat",
                  description=
                      "Always firing (value {{ $value }}) so the heartbeat receiver notices when alerting stops."),
    ))


def alert_groups(settings: StackSettings) -> tuple[AlertGroup, ...]:
    return (_host(settings), _containers(settings), _targets(settings), _api(settings), _database(settings),
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
