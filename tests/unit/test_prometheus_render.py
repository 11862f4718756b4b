"""prometheus.yml and the rule files as rendered from the dev and prod settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mixin import rules as rec
from mixin.alerts import alert_groups
from mixin.rule_files import render_rule_files
from render.prometheus import RULES_DIR, render_prometheus_config, render_prometheus_yml
from settings.catalog import CATALOG, PLATFORM_JOBS
from settings.model import StackSettings, parse_settings
from tests.conftest import stack_config, stack_settings

# The names fixed in the metric contract (docs/metrics.md) that the dashboards read.
CONTRACT_RECORDING_RULES = {
    "instance:node_cpu_utilisation:rate5m", "instance:node_memory_utilisation:ratio",
    "name:container_cpu_usage_seconds:rate5m", "name:container_memory_working_set_bytes:sum",
    "job:http_requests:rate5m", "job_status:http_requests:rate5m", "job_path:http_requests:rate5m",
    "job:http_request_errors:ratio_rate5m", "job:http_request_duration_seconds:p95_5m",
    "job:http_request_duration_seconds:p50_5m", "job:http_request_duration_seconds:mean_5m",
    "job_path:http_request_duration_seconds:p95_5m", "strategy_status:trading_orders:rate5m",
    "strategy:trading_signals:rate5m", "strategy:trading_trades:rate5m",
    "strategy:trading_order_latency_seconds:p95_5m", "strategy:trading_order_failures:ratio_rate5m",
    # Issue 14: one per panel that read raw counters or histograms.
    "instance:node_disk_read_bytes:rate5m", "instance:node_disk_written_bytes:rate5m",
    "instance:node_network_receive_bytes_physical:rate5m", "instance:node_network_transmit_bytes_physical:rate5m",
    "name:container_network_receive_bytes:rate5m", "name:container_network_transmit_bytes:rate5m",
    "job_instance:http_request_duration_seconds:max_5m", "job_operation:backend_processing_seconds:p95_5m",
    *(f"instance_datname:pg_stat_database_{c}:rate5m" for c in (
        "xact_commit", "xact_rollback", "blks_hit", "blks_read", "tup_fetched", "tup_inserted", "tup_updated",
        "tup_deleted")),
    "instance_datname:pg_statio_user_tables_idx_blocks_hit:rate5m",
    "instance_datname:pg_statio_user_tables_idx_blocks_read:rate5m",
    "instance_datname:pg_stat_statements_seconds:rate5m", "instance_datname:pg_stat_statements_calls:rate5m",
    "strategy_signal:trading_signals:rate5m", "strategy:trading_trade_volume_usd:rate5m",
    "instance:node_filesystem_avail:ratio_min",
    # The 5-minute copies the 7-day graphs read (one sample every 5m, same labels).
    *(f"{name}_every5m" for name in (
        "instance:node_cpu_utilisation:rate5m", "instance:node_memory_utilisation:ratio",
        "instance:node_disk_read_bytes:rate5m", "instance:node_disk_written_bytes:rate5m",
        "instance:node_network_receive_bytes_physical:rate5m", "instance:node_network_transmit_bytes_physical:rate5m",
        "name:container_cpu_usage_seconds:rate5m", "name:container_memory_working_set_bytes:sum",
        "name:container_network_receive_bytes:rate5m", "name:container_network_transmit_bytes:rate5m",
        "strategy_status:trading_orders:rate5m", "strategy:trading_signals:rate5m",
        "strategy_signal:trading_signals:rate5m", "strategy:trading_trades:rate5m",
        "strategy:trading_trade_volume_usd:rate5m", "strategy:trading_order_latency_seconds:p95_5m")),
    "name:container_last_seen:age_seconds_every5m", "strategy:trading_return_ratio:avg5m_every5m",
    "job_instance:up:min5m_every5m",
}
# The hourly copies the same graphs read beyond 36 hours: one for every 5-minute copy.
CONTRACT_RECORDING_RULES |= {name.removesuffix("_every5m") + "_every1h"
                             for name in CONTRACT_RECORDING_RULES if name.endswith("_every5m")}


def with_settings(stack: str, **sections: dict[str, object]) -> StackSettings:
    config, secret_keys = stack_config(stack)
    for key, values in sections.items():
        merged = json.loads(config.get(key, "{}"))
        merged.update(values)
        config[key] = json.dumps(merged)
    return parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))


def jobs(settings: StackSettings) -> dict[str, dict[str, object]]:
    config = yaml.safe_load(render_prometheus_yml(settings))
    return {job["job_name"]: job for job in config["scrape_configs"]}


def targets(job: dict[str, object]) -> list[str]:
    return [t for sc in job["static_configs"] for t in sc["targets"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_of_the_stack_is_scraped(stack: str) -> None:
    scraped = jobs(stack_settings(stack))
    # Every scraped catalog row (settings/catalog.py), the platform's jobs, and the HTTPS probes where
    # the stack serves its own certificates' endpoints (prod).
    stack_jobs = [spec.scrape.job for spec in CATALOG.values() if spec.scrape is not None]
    assert {"prometheus", "node_exporter", "cadvisor", "postgres-exporter", "fluent-bit"} <= set(stack_jobs)
    assert sorted(scraped) == sorted([*stack_jobs, *PLATFORM_JOBS.values()]
                                     + (["blackbox-https"] if stack == "prod" else []))
    assert targets(scraped["api"]) == ["api:8000"]
    assert targets(scraped["fluent-bit"]) == ["fluent-bit:2020"]
    assert scraped["fluent-bit"]["metrics_path"] == "/api/v2/metrics/prometheus"
    assert targets(scraped["elasticsearch-exporter"]) == ["elasticsearch-exporter:9114"]


def test_node_exporter_is_scraped_at_the_stack_networks_gateway_under_a_stable_instance_name() -> None:
    config = render_prometheus_config(stack_settings("dev"), gateway="172.30.0.1")
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "node_exporter"]
    assert targets(job) == ["172.30.0.1:9100"]
    assert job["relabel_configs"] == [{"target_label": "instance", "replacement": "node-exporter:9100"}]


def test_prod_sends_alerts_to_and_scrapes_every_alertmanager_peer() -> None:
    settings = stack_settings("prod")
    assert settings.alerting.alertmanager_peers == 2
    config = yaml.safe_load(render_prometheus_yml(settings))
    peers = ["alertmanager:9093", "alertmanager-1:9093"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == peers
    assert targets(jobs(settings)["alertmanager"]) == peers


def test_globals_external_labels_and_rule_files_follow_the_settings() -> None:
    settings = with_settings("prod", prometheus={"scrapeInterval": "30s", "evaluationInterval": "1m",
                                                 "appTargets": ["api-1:8000", "api-2:8000"]})
    config = yaml.safe_load(render_prometheus_yml(settings))
    assert config["global"]["scrape_interval"] == "30s"
    assert config["global"]["evaluation_interval"] == "1m"
    assert config["global"]["external_labels"] == {"stack": "prod", "project": "christmas-monitoring"}
    assert config["rule_files"] == [f"{RULES_DIR}/*.yml"]
    assert targets(jobs(settings)["api"]) == ["api-1:8000", "api-2:8000"]


def test_recording_rules_are_exactly_the_contract_names() -> None:
    rules = yaml.safe_load(render_rule_files(stack_settings("dev"))[rec.RECORDING_FILE])
    recorded = [r["record"] for g in rules["groups"] for r in g["rules"]]
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == CONTRACT_RECORDING_RULES
    # The copies' groups run every 5 minutes or every hour; every other group at the global interval.
    intervals = {r["record"]: g.get("interval", "") for g in rules["groups"] for r in g["rules"]}
    for interval in ("5m", "1h"):
        assert {name for name, i in intervals.items() if i == interval} == {
            name for name in recorded if name.endswith(f"_every{interval}")}
    assert set(intervals.values()) == {"", "5m", "1h"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_alert_carries_severity_summary_value_and_its_runbook_section(stack: str) -> None:
    settings = stack_settings(stack)
    files = render_rule_files(settings)
    alerts = [r for name, text in files.items() if name != rec.RECORDING_FILE
              for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
    assert len(alerts) >= 26
    base = settings.alerting.runbook_base_url
    for rule in alerts:
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "none"), name
        assert rule["annotations"]["summary"], name
        assert "$value" in rule["annotations"]["description"], name
        assert rule["annotations"]["runbook_url"] == f"{base}#{name.lower()}", name


def test_guide_alerts_keep_the_guide_expressions_with_the_stack_thresholds() -> None:
    settings = with_settings("prod", thresholds={"cpuPercent": 70, "memoryPercent": 90, "errorRatePercent": 2.5,
                                                 "dbConnectionsPercent": 75})
    rules = {r.alert: r for g in alert_groups(settings) for r in g.rules}
    # The guide's §7.2 expressions as literals, with the stack's thresholds (docs/departures.md for each change).
    assert rules["HighCpuUsage"].expr == \
        '100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100) > 70'
    assert rules["HighMemoryUsage"].expr == \
        "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes * 100 > 90"
    assert rules["HighErrorRate"].expr == ('sum by(job) (rate(http_requests_total{status=~"5.."}[5m]))'
                                           " / sum by(job) (rate(http_requests_total[5m])) * 100 > 2.5")
    assert rules["LowDbConnections"].expr == ('sum by(instance) (pg_stat_activity_count{datname="christmas_db"})'
                                              " / max by(instance) (pg_settings_max_connections) * 100 > 75")
    # The guide's `for` and severities, word for word: no alert pages later than the guide.
    assert {n: (rules[n].for_, rules[n].severity) for n in
            ("HighCpuUsage", "HighMemoryUsage", "HighErrorRate", "LowDbConnections")} == {
        "HighCpuUsage": ("5m", "warning"), "HighMemoryUsage": ("5m", "warning"),
        "HighErrorRate": ("1m", "critical"), "LowDbConnections": ("2m", "warning")}


def test_market_hours_and_idle_window_reach_the_trading_alerts() -> None:
    settings = with_settings("dev", alerting={"marketOpenHourUtc": 9, "marketCloseHourUtc": 17},
                             thresholds={"tradingIdleMinutes": 30})
    rules = {r.alert: r for g in alert_groups(settings) for r in g.rules}
    for name in ("NoTradingSignals", "NoTradesExecuted"):
        assert "hour() >= 9 < 17" in rules[name].expr
        assert re.search(r"\[30m\]", rules[name].expr)


def test_runbook_base_url_is_a_setting() -> None:
    settings = with_settings("dev", alerting={"runbookBaseUrl": "https://wiki.example.com/runbook"})
    text = render_rule_files(settings)["alerts-host.yml"]
    assert "runbook_url: https://wiki.example.com/runbook#highcpuusage" in text


def test_every_alert_has_its_runbook_section() -> None:
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "runbook.md").read_text()
    headings = {line[3:].strip() for line in runbook.splitlines() if line.startswith("## ")}
    names = {r.alert for g in alert_groups(stack_settings("prod")) for r in g.rules}
    assert names <= headings, sorted(names - headings)


def test_public_https_endpoints_are_probed_through_the_blackbox_exporter() -> None:
    prod = jobs(stack_settings("prod"))["blackbox-https"]
    assert targets(prod) == ["https://grafana.christmas-trading.com", "https://kibana.christmas-trading.com"]
    assert prod["metrics_path"] == "/probe" and prod["params"] == {"module": ["https_cert"]}
    relabel = prod["relabel_configs"]
    assert isinstance(relabel, list)
    assert relabel[-1] == {"target_label": "__address__", "replacement": "blackbox-exporter:9115"}
    # dev's edge uses Caddy's internal CA (edge.tls internal): nothing to probe, so the certificate
    # alerts cannot fire there (runbook).
    assert stack_settings("dev").edge.tls == "internal"
    assert "blackbox-https" not in jobs(stack_settings("dev"))
