"""`promtool test rules` cases for every alert, built from a stack's thresholds.

Each case feeds series above the threshold and expects: nothing while the `for` has not
elapsed, then the alert with its exact labels and annotations; and a separate input below
the threshold (or otherwise harmless) that stays silent. Inputs are chosen so the rendered
value is known exactly (e.g. usage half-way between the threshold and 100%).
"""

from __future__ import annotations

from typing import Any

from mixin.alerts import REPLICATION_LAG_BYTES, expected_containers
from settings.model import StackSettings
from tests.config.alert_case import AlertCase, Series, s
from tests.config.rule_cases_logs import certificate_cases, logging_cases


def _m(minutes: float) -> str:
    return f"{int(minutes)}m"


def _histogram(metric: str, labels: str, threshold: float, slow: bool) -> Series:
    """Buckets threshold, 2x, 4x; slow = every request in (2x, 4x] -> p95 = 3.9x; else all <= threshold."""
    bounds = [f"{threshold:g}", f"{2 * threshold:g}", f"{4 * threshold:g}", "+Inf"]
    out: Series = []
    for i, le in enumerate(bounds):
        filled = i >= 2 if slow else True
        out.append(s(f'{metric}_bucket{{{labels},le="{le}"}}', "0+60x20" if filled else "0+0x20"))
    return out


def alert_cases(settings: StackSettings) -> list[AlertCase]:
    t = settings.thresholds
    a = settings.alerting
    cases: list[AlertCase] = []
    host = 'instance="host-a",job="node-exporter"'

    cpu = (t.cpu_percent + 100) / 2
    cases.append(AlertCase(
        "HighCpuUsage",
        [s(f'node_cpu_seconds_total{{{host},cpu="0",mode="idle"}}', f"0+{60 * (100 - cpu) / 100:g}x20")],
        "10m", {"severity": "warning", "component": "host", "instance": "host-a"}, "High CPU usage",
        f"CPU usage on host-a is {cpu:.2f}% (threshold {t.cpu_percent:g}%).", silent_at=["3m"],
        quiet=[([s(f'node_cpu_seconds_total{{{host},cpu="0",mode="idle"}}',
                   f"0+{60 * (100 - t.cpu_percent / 2) / 100:g}x20")], "10m")]))

    mem = (t.memory_percent + 100) / 2
    cases.append(AlertCase(
        "HighMemoryUsage",
        [s(f"node_memory_MemTotal_bytes{{{host}}}", "1000+0x20"),
         s(f"node_memory_MemAvailable_bytes{{{host}}}", f"{1000 - 10 * mem:g}+0x20")],
        "10m", {"severity": "warning", "component": "host", "instance": "host-a", "job": "node-exporter"},
        "High memory usage", f"Memory usage on host-a is {mem:.2f}% (threshold {t.memory_percent:g}%).",
        silent_at=["2m"],
        quiet=[([s(f"node_memory_MemTotal_bytes{{{host}}}", "1000+0x20"),
                 s(f"node_memory_MemAvailable_bytes{{{host}}}", f"{1000 - 5 * t.memory_percent:g}+0x20")], "10m")]))

    fs = f'{host},device="/dev/sda1",fstype="ext4",mountpoint="/"'
    boot = f'{host},device="/dev/sda2",fstype="ext4",mountpoint="/boot"'
    fs_labels = {"instance": "host-a", "job": "node-exporter", "device": "/dev/sda1", "fstype": "ext4",
                 "mountpoint": "/"}
    free = t.disk_free_percent / 2
    cases.append(AlertCase(
        "DiskSpaceLow",
        [s(f"node_filesystem_size_bytes{{{fs}}}", "1000+0x20"),
         s(f"node_filesystem_avail_bytes{{{fs}}}", f"{10 * free:g}+0x20"),
         s(f"node_filesystem_readonly{{{fs}}}", "0+0x20")],
        "10m", {"severity": "warning", "component": "host", **fs_labels}, "Disk space low",
        f"/ on host-a has {free:.2f}% free (threshold {t.disk_free_percent:g}%).", silent_at=["2m"],
        quiet=[([s(f"node_filesystem_size_bytes{{{fs}}}", "1000+0x20"),
                 s(f"node_filesystem_avail_bytes{{{fs}}}", f"{5 * (t.disk_free_percent + 100):g}+0x20"),
                 s(f"node_filesystem_readonly{{{fs}}}", "0+0x20"),
                 # A read-only filesystem is full by design.
                 s(f"node_filesystem_size_bytes{{{boot}}}", "1000+0x20"),
                 s(f"node_filesystem_avail_bytes{{{boot}}}", f"{10 * free:g}+0x20"),
                 s(f"node_filesystem_readonly{{{boot}}}", "1+0x20")], "10m")]))

    # Free space falls 1/1000 per minute from 39%: predicted empty within the horizon from t0 on.
    start = max(390 - 60 * t.disk_fill_hours, 0) + 1
    fire = start + 35
    cases.append(AlertCase(
        "DiskWillFillSoon",
        [s(f"node_filesystem_size_bytes{{{fs}}}", "1000+0x400"),
         s(f"node_filesystem_avail_bytes{{{fs}}}", "390-1x400"),
         s(f"node_filesystem_readonly{{{fs}}}", "0+0x400")],
        _m(fire), {"severity": "critical", "component": "host", **fs_labels}, "Disk predicted to fill up",
        f"/ on host-a has {(390 - fire) / 10:.2f}% free and at the rate of the last 6 hours will be full "
        f"within {t.disk_fill_hours:g} hours.", silent_at=[_m(start + 10)],
        quiet=[([s(f"node_filesystem_size_bytes{{{fs}}}", "1000+0x400"),
                 s(f"node_filesystem_avail_bytes{{{fs}}}", "300+0x400"),
                 s(f"node_filesystem_readonly{{{fs}}}", "0+0x400")], _m(fire))]))

    grafana = settings.name("grafana")
    # As cAdvisor 0.56 labels a Docker container's series: id (its cgroup), image, name.
    ctr_labels = {"name": grafana, "instance": "cadvisor:8080", "job": "cadvisor",
                  "id": "/system.slice/docker-0123.scope", "image": "grafana/grafana:11.6.3"}
    ctr = ",".join(f'{k}="{v}"' for k, v in ctr_labels.items())
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
                 s(f"container_spec_memory_limit_bytes{{{other}}}", "0+0x20")], "10m")]))

    cases.append(AlertCase(
        "TargetDown", [s('up{job="api",instance="api:8000"}', "0+0x10")], "5m",
        {"severity": "critical", "component": "targets", "job": "api", "instance": "api:8000"},
        "Scrape target down", "api target api:8000 has been unreachable for 2 minutes (up = 0).",
        silent_at=["1m"], quiet=[([s('up{job="grafana",instance="grafana:3000"}', "1+0x10")], "5m")]))

    api = 'job="api",instance="api:8000",method="GET",path="/orders"'
    err = min(2 * t.error_rate_percent, (t.error_rate_percent + 100) / 2)

    def requests(percent: float) -> Series:
        return [s(f'http_requests_total{{{api},status="500"}}', f"0+{6 * percent:g}x20"),
                s(f'http_requests_total{{{api},status="200"}}', f"0+{600 - 6 * percent:g}x20")]

    cases.append(AlertCase(
        "HighErrorRate", requests(err), "10m", {"severity": "critical", "component": "api", "job": "api"},
        "High HTTP 5xx error rate",
        f"api answers {err:.2f}% of requests with a 5xx error (threshold {t.error_rate_percent:g}%).",
        silent_at=["3m"], quiet=[(requests(t.error_rate_percent / 2), "10m")]))
    lat = t.api_p95_latency_seconds
    cases.append(AlertCase(
        "ApiHighLatency", _histogram("http_request_duration_seconds", api, lat, slow=True), "10m",
        {"severity": "warning", "component": "api", "job": "api"}, "API p95 latency high",
        f"95th percentile latency of api is {3.9 * lat:.2f}s (threshold {lat:g}s).", silent_at=["3m"],
        quiet=[(_histogram("http_request_duration_seconds", api, lat, slow=False), "10m")]))

    pg = 'instance="postgres-exporter:9187",job="postgres-exporter"'
    pg_labels = {"severity": "warning", "component": "database", "instance": "postgres-exporter:9187",
                 "job": "postgres-exporter"}
    cases.append(AlertCase(
        "PostgresDown", [s(f"pg_up{{{pg}}}", "0+0x10")], "3m", {**pg_labels, "severity": "critical"},
        "PostgreSQL down", "postgres-exporter postgres-exporter:9187 cannot reach PostgreSQL (pg_up = 0).",
        silent_at=["0m"], quiet=[([s(f"pg_up{{{pg}}}", "1+0x10")], "3m")]))
    conn = (t.db_connections_percent + 100) / 2

    def connections(percent: float) -> Series:
        # As v0.17.1 emits them: numbackends per database (datid, datname), the setting with the
        # `server` label (cmd/postgres_exporter/server.go), so the two never match one-to-one.
        return [s(f'pg_stat_database_numbackends{{{pg},datid="16384",datname="christmas"}}', f"{percent:g}+0x20"),
                s(f'pg_stat_database_numbackends{{{pg},datid="5",datname="postgres"}}', "0+0x20"),
                s(f'pg_settings_max_connections{{{pg},server="postgres:5432"}}', "100+0x20")]

    cases.append(AlertCase(
        "LowDbConnections", connections(conn), "10m", pg_labels, "Database connections nearly exhausted",
        f"PostgreSQL behind postgres-exporter:9187 uses {conn:.2f}% of max_connections "
        f"(threshold {t.db_connections_percent:g}%).", silent_at=["2m"],
        quiet=[(connections(t.db_connections_percent / 2), "10m")]))
    lag = t.db_replication_lag_seconds

    def replica(lag_seconds: float, is_replica: int) -> Series:
        return [s(f"pg_replication_lag_seconds{{{pg}}}", f"{lag_seconds:g}+0x20"),
                s(f"pg_replication_is_replica{{{pg}}}", f"{is_replica}+0x20")]

    cases.append(AlertCase(
        "PostgresReplicationLag", replica(2 * lag, 1), "10m",
        pg_labels, "PostgreSQL replication lag",
        f"The replica behind postgres-exporter:9187 lags {2 * lag:.2f}s behind the primary (threshold {lag:g}s).",
        silent_at=["2m"], quiet=[(replica(lag / 2, 1), "10m"), (replica(2 * lag, 0), "10m")]))
    standby = f'{pg},application_name="walreceiver",client_addr="10.0.0.5",slot_name="replica_1",state="streaming"'
    mib = 1024 * 1024
    behind = 2 * REPLICATION_LAG_BYTES
    cases.append(AlertCase(
        "PostgresReplicaBehind", [s(f"pg_stat_replication_pg_wal_lsn_diff{{{standby}}}", f"{behind}+0x20")], "10m",
        {**pg_labels, "application_name": "walreceiver", "client_addr": "10.0.0.5", "slot_name": "replica_1",
         "state": "streaming"}, "PostgreSQL replica falling behind",
        f"Standby walreceiver (10.0.0.5) of the primary behind postgres-exporter:9187 has not replayed "
        f"{behind // mib}MiB of WAL (threshold {REPLICATION_LAG_BYTES // mib} MiB).", silent_at=["2m"],
        quiet=[([s(f"pg_stat_replication_pg_wal_lsn_diff{{{standby}}}", f"{mib}+0x20")], "10m")]))
    slow = t.db_slow_query_seconds
    # v0.17.1's pg_stat_activity query labels every session group (cmd/postgres_exporter/queries.go).
    session = {"datname": "christmas", "usename": "api", "application_name": "api",
               "backend_type": "client backend", "server": "postgres:5432"}
    tx = pg + "," + ",".join(f'{k}="{v}"' for k, v in session.items())
    cases.append(AlertCase(
        "PostgresSlowQueries", [s(f'pg_stat_activity_max_tx_duration{{{tx},state="active"}}', f"{2 * slow:g}+0x20")],
        "5m", {**pg_labels, **session, "state": "active"}, "PostgreSQL slow queries",
        f"The longest active transaction in christmas has been running for {2 * slow:.2f}s "
        f"(threshold {slow:g}s).", silent_at=["1m"],
        quiet=[([s(f'pg_stat_activity_max_tx_duration{{{tx},state="active"}}', f"{slow / 2:g}+0x20"),
                 s(f'pg_stat_activity_max_tx_duration{{{tx},state="idle"}}', f"{2 * slow:g}+0x20")], "5m")]))

    te = 'job="trading-engine",instance="trading-engine:8001",strategy="momentum"'
    tr_labels = {"severity": "critical", "component": "trading", "job": "trading-engine", "strategy": "momentum"}
    fail = min(2 * t.order_failure_percent, (t.order_failure_percent + 100) / 2)

    def orders(percent: float) -> Series:
        return [s(f'trading_orders_total{{{te},side="buy",status="failed"}}', f"0+{6 * percent:g}x20"),
                s(f'trading_orders_total{{{te},side="buy",status="filled"}}', f"0+{600 - 6 * percent:g}x20")]

    cases.append(AlertCase(
        "HighOrderFailureRate", orders(fail), "10m", tr_labels, "Order failure rate high",
        f"{fail:.2f}% of the orders of strategy momentum fail (threshold {t.order_failure_percent:g}%).",
        silent_at=["3m"], quiet=[(orders(t.order_failure_percent / 2), "10m")]))
    olat = t.order_latency_p95_seconds
    cases.append(AlertCase(
        "HighOrderLatency", _histogram("trading_order_latency_seconds", te, olat, slow=True), "10m",
        {**tr_labels, "severity": "warning"}, "Order latency high",
        f"95th percentile order latency of strategy momentum is {3.9 * olat:.2f}s (threshold {olat:g}s).",
        silent_at=["3m"], quiet=[(_histogram("trading_order_latency_seconds", te, olat, slow=False), "10m")]))

    open_m, close_m = a.market_open_hour_utc * 60, a.market_close_hour_utc * 60
    idle = f"{t.trading_idle_minutes:g}m"
    hours = f"{a.market_open_hour_utc:02d}:00-{a.market_close_hour_utc:02d}:00 UTC"
    length = close_m + 30
    # Outside market hours the same silence is expected.
    outside = ([_m(open_m - 30)] if open_m else []) + ([_m(close_m + 20)] if close_m < 24 * 60 else [])
    only_job = {"severity": "critical", "component": "trading", "job": "trading-engine"}
    cases.append(AlertCase(
        "NoTradingSignals", [s(f'trading_signals_total{{{te},signal="hold"}}', f"5+0x{length}")],
        _m(open_m + 20), only_job, "No trading signals during market hours",
        f"The trading engine produced 0 signals in the last {idle} of market hours ({hours}).",
        silent_at=[*outside, _m(open_m + 2)],
        quiet=[([s(f'trading_signals_total{{{te},signal="hold"}}', f"0+1x{length}")], _m(open_m + 20))]))
    trade_fire = open_m + max(20, int(t.trading_idle_minutes) + 5)
    cases.append(AlertCase(
        "NoTradesExecuted",
        [s(f'trading_signals_total{{{te},signal="buy"}}', f"0+1x{length}"),
         s(f'trading_trades_total{{{te},side="buy"}}', f"3+0x{length}")],
        _m(trade_fire), only_job, "Buy/sell signals but no trades executed",
        f"The trading engine produced {t.trading_idle_minutes:.0f} buy/sell signals in the last {idle} of market "
        f"hours ({hours}) and executed no trade.", silent_at=[*outside, _m(open_m + 3)],
        quiet=[([s(f'trading_signals_total{{{te},signal="buy"}}', f"0+1x{length}"),
                 s(f'trading_trades_total{{{te},side="buy"}}', f"0+1x{length}")], _m(trade_fire)),
               # Only "hold" signals: nothing to execute.
               ([s(f'trading_signals_total{{{te},signal="hold"}}', f"0+1x{length}")], _m(trade_fire))]))

    prom = 'instance="localhost:9090",job="prometheus"'
    prom_labels = {"component": "monitoring", "instance": "localhost:9090", "job": "prometheus"}
    cases.append(AlertCase(
        "PrometheusConfigReloadFailed", [s(f"prometheus_config_last_reload_successful{{{prom}}}", "0+0x20")], "15m",
        {"severity": "warning", **prom_labels}, "Prometheus configuration reload failed",
        "Prometheus localhost:9090 failed to reload its configuration (last reload successful = 0); "
        "it runs the previous one.", silent_at=["5m"],
        quiet=[([s(f"prometheus_config_last_reload_successful{{{prom}}}", "1+0x20")], "15m")]))
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

    am = 'instance="alertmanager:9093",job="alertmanager"'
    am_labels = {"component": "monitoring", "instance": "alertmanager:9093", "job": "alertmanager"}
    cases.append(AlertCase(
        "AlertmanagerConfigReloadFailed", [s(f"alertmanager_config_last_reload_successful{{{am}}}", "0+0x20")],
        "15m", {"severity": "warning", **am_labels}, "Alertmanager configuration reload failed",
        "Alertmanager alertmanager:9093 failed to reload its configuration (last reload successful = 0); "
        "it runs the previous one.", silent_at=["5m"],
        quiet=[([s(f"alertmanager_config_last_reload_successful{{{am}}}", "1+0x20")], "15m")]))
    cases.append(AlertCase(
        "AlertmanagerNotificationsFailing",
        [s(f'alertmanager_notifications_failed_total{{{am},integration="slack"}}', "0+1x20")], "12m",
        {"severity": "critical", **am_labels, "integration": "slack"}, "Alertmanager notifications failing",
        "Alertmanager alertmanager:9093 failed 5 slack notifications in the last 5 minutes.", silent_at=["3m"],
        quiet=[([s(f'alertmanager_notifications_failed_total{{{am},integration="slack"}}', "2+0x20")], "12m")]))

    cases += logging_cases(settings)
    cases += certificate_cases()
    cases.append(AlertCase(
        "Watchdog", [], "10m", {"severity": "none", "component": "monitoring"}, "Alerting pipeline heartbeat",
        "Always firing (value 1) so the heartbeat receiver notices when alerting stops."))
    return cases


def promtool_tests(cases: list[AlertCase], runbook_base: str) -> list[dict[str, Any]]:
    """The `tests:` list of a promtool unit-test file."""
    tests: list[dict[str, Any]] = []
    for case in cases:
        expected = {
            "exp_labels": case.labels,
            "exp_annotations": {"summary": case.summary, "description": case.description,
                                "runbook_url": f"{runbook_base}#{case.alert.lower()}"},
        }
        checks: list[dict[str, Any]] = [{"eval_time": at, "alertname": case.alert, "exp_alerts": []}
                                        for at in case.silent_at]
        checks.append({"eval_time": case.fire_at, "alertname": case.alert, "exp_alerts": [expected]})
        tests.append({"name": f"{case.alert} fires", "interval": "1m", "input_series": case.series,
                      "alert_rule_test": checks})
        for i, (series, at) in enumerate(case.quiet):
            tests.append({"name": f"{case.alert} quiet {i}", "interval": "1m", "input_series": series,
                          "alert_rule_test": [{"eval_time": at, "alertname": case.alert, "exp_alerts": []}]})
    return tests
