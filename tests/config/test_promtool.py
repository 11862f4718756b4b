"""promtool on the files rendered for dev and prod: config, rule syntax, and rule unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mixin import rules as rec
from mixin.alerts import alert_groups, alert_names
from render.prometheus import RULES_DIR, render_prometheus_config, render_rule_files
from render.yamlout import dump_yaml
from settings.model import StackSettings
from tests.config.alert_case import s
from tests.config.rule_cases import alert_cases, promtool_tests
from tests.conftest import stack_settings

STACKS = ("dev", "prod")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe, "promtool is missing: run `make tools` (Debian package prometheus)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, check=False)


def write_rules(settings: StackSettings, directory: Path) -> list[str]:
    files = render_rule_files(settings)
    for name, text in files.items():
        (directory / name).write_text(text)
    return sorted(files)


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_config_and_its_rule_files_are_valid(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    write_rules(settings, tmp_path)
    config = render_prometheus_config(settings)
    assert config["rule_files"] == [f"{RULES_DIR}/*.yml"]
    # Same config, rule files read from where this test wrote them, so promtool checks them too.
    config["rule_files"] = [str(tmp_path / "*.yml")]
    path = tmp_path / "prometheus.yml.check"
    path.write_text(dump_yaml(config))
    result = promtool("check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert f"SUCCESS: {len(render_rule_files(settings))} rule files found" in result.stdout


@pytest.mark.parametrize("stack", STACKS)
def test_every_rule_file_passes_promtool_check_rules(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    files = write_rules(settings, tmp_path)
    result = promtool("check", "rules", *[str(tmp_path / f) for f in files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    for stack in STACKS:
        settings = stack_settings(stack)
        cases = {c.alert: c for c in alert_cases(settings)}
        assert sorted(cases) == sorted(alert_names(settings))
        never_silent = {"Watchdog"}
        assert [n for n, c in cases.items() if not c.quiet and n not in never_silent] == []


def recording_tests() -> list[dict[str, object]]:
    """Known inputs -> the value of every recording rule the dashboards read."""
    api = 'job="api",instance="api:8000",method="GET"'
    te = 'job="trading-engine",instance="trading-engine:8001",strategy="momentum"'
    series = [
        s('node_cpu_seconds_total{instance="host-a",cpu="0",mode="idle"}', "0+15x20"),
        s('node_memory_MemAvailable_bytes{instance="host-a"}', "250+0x20"),
        s('node_memory_MemTotal_bytes{instance="host-a"}', "1000+0x20"),
        s('container_cpu_usage_seconds_total{name="grafana",id="/docker/a"}', "0+30x20"),
        s('container_cpu_usage_seconds_total{name="",id="/system.slice"}', "0+60x20"),
        s('container_memory_working_set_bytes{name="grafana",id="/docker/a"}', "100+0x20"),
        s('container_memory_working_set_bytes{name="grafana",id="/docker/b"}', "200+0x20"),
        s(f'http_requests_total{{{api},path="/orders",status="200"}}', "0+90x20"),
        s(f'http_requests_total{{{api},path="/health",status="500"}}', "0+30x20"),
        # A job without any 5xx: error ratio 0, not "no data".
        s('http_requests_total{job="trading-engine",method="GET",path="/metrics",status="200"}', "0+60x20"),
        *[s(f'http_request_duration_seconds_bucket{{{api},path="/orders",le="{le}"}}', v)
          for le, v in (("0.5", "0+60x20"), ("1", "0+60x20"), ("+Inf", "0+60x20"))],
        s(f'http_request_duration_seconds_sum{{{api},path="/orders"}}', "0+15x20"),
        s(f'http_request_duration_seconds_count{{{api},path="/orders"}}', "0+60x20"),
        s(f'trading_orders_total{{{te},side="buy",status="failed"}}', "0+15x20"),
        s(f'trading_orders_total{{{te},side="buy",status="filled"}}', "0+45x20"),
        s(f'trading_signals_total{{{te},signal="buy"}}', "0+30x20"),
        s(f'trading_signals_total{{{te},signal="hold"}}', "0+30x20"),
        s(f'trading_trades_total{{{te},side="buy"}}', "0+15x20"),
        *[s(f'trading_order_latency_seconds_bucket{{{te},le="{le}"}}', v)
          for le, v in (("0.1", "0+0x20"), ("0.5", "0+60x20"), ("+Inf", "0+60x20"))],
        s(f"trading_trade_volume_usd_total{{{te}}}", "0+6000x20"),
        # Host traffic: disks summed; only physical network interfaces count.
        s('node_disk_read_bytes_total{instance="host-a",device="sda"}', "0+600x20"),
        s('node_disk_read_bytes_total{instance="host-a",device="sdb"}', "0+300x20"),
        s('node_disk_written_bytes_total{instance="host-a",device="sda"}', "0+60x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="eth0"}', "0+120x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="lo"}', "0+6000x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="veth1a2b"}', "0+6000x20"),
        s('node_network_transmit_bytes_total{instance="host-a",device="eth0"}', "0+60x20"),
        s('node_network_transmit_bytes_total{instance="host-a",device="docker0"}', "0+600x20"),
        s('container_network_receive_bytes_total{name="grafana",interface="eth0"}', "0+60x20"),
        s('container_network_receive_bytes_total{name="",id="/system.slice",interface="eth0"}', "0+600x20"),
        s('container_network_transmit_bytes_total{name="grafana",interface="eth0"}', "0+30x20"),
        *[s(f'backend_processing_seconds_bucket{{{api},operation="db",le="{le}"}}', v)
          for le, v in (("0.1", "0+0x20"), ("0.5", "0+60x20"), ("+Inf", "0+60x20"))],
        # PostgreSQL: per database, tables and statements summed.
        *[s(f'pg_stat_database_{c}{{instance="pg:9187",datname="app",datid="1"}}', "0+60x20")
          for c in rec.PG_DATABASE_COUNTERS],
        s('pg_statio_user_tables_idx_blocks_hit{instance="pg:9187",datname="app",relname="a"}', "0+60x20"),
        s('pg_statio_user_tables_idx_blocks_hit{instance="pg:9187",datname="app",relname="b"}', "0+120x20"),
        s('pg_statio_user_tables_idx_blocks_read{instance="pg:9187",datname="app",relname="a"}', "0+6x20"),
        s('pg_stat_statements_seconds_total{instance="pg:9187",datname="app",queryid="1",user="u"}', "0+30x20"),
        s('pg_stat_statements_calls_total{instance="pg:9187",datname="app",queryid="1",user="u"}', "0+600x20"),
    ]
    pg = {"instance": "pg:9187", "datname": "app"}
    expected: list[tuple[str, list[tuple[dict[str, str], float]]]] = [
        (rec.INSTANCE_CPU_UTILISATION, [({"instance": "host-a"}, 0.75)]),
        (rec.INSTANCE_MEMORY_UTILISATION, [({"instance": "host-a"}, 0.75)]),
        (rec.CONTAINER_CPU, [({"name": "grafana"}, 0.5)]),
        (rec.CONTAINER_MEMORY, [({"name": "grafana"}, 300)]),
        (rec.HTTP_REQUESTS_RATE, [({"job": "api"}, 2), ({"job": "trading-engine"}, 1)]),
        (rec.HTTP_REQUESTS_RATE_BY_STATUS, [({"job": "api", "status": "200"}, 1.5),
                                            ({"job": "api", "status": "500"}, 0.5),
                                            ({"job": "trading-engine", "status": "200"}, 1)]),
        (rec.HTTP_REQUESTS_RATE_BY_PATH, [({"job": "api", "path": "/health"}, 0.5),
                                          ({"job": "api", "path": "/orders"}, 1.5),
                                          ({"job": "trading-engine", "path": "/metrics"}, 1)]),
        (rec.HTTP_ERROR_RATIO, [({"job": "api"}, 0.25), ({"job": "trading-engine"}, 0)]),
        # Every request in (0, 0.5]: linear interpolation inside that bucket.
        (rec.HTTP_LATENCY_P95, [({"job": "api"}, 0.475)]),
        (rec.HTTP_LATENCY_P50, [({"job": "api"}, 0.25)]),
        (rec.HTTP_LATENCY_MEAN, [({"job": "api"}, 0.25)]),
        (rec.HTTP_LATENCY_P95_BY_PATH, [({"job": "api", "path": "/orders"}, 0.475)]),
        (rec.ORDERS_RATE, [({"strategy": "momentum", "status": "failed"}, 0.25),
                           ({"strategy": "momentum", "status": "filled"}, 0.75)]),
        (rec.SIGNALS_RATE, [({"strategy": "momentum"}, 1)]),
        (rec.TRADES_RATE, [({"strategy": "momentum"}, 0.25)]),
        (rec.ORDER_LATENCY_P95, [({"strategy": "momentum"}, 0.48)]),
        (rec.ORDER_FAILURE_RATIO, [({"strategy": "momentum"}, 0.25)]),
        (rec.SIGNALS_RATE_BY_SIGNAL, [({"strategy": "momentum", "signal": "buy"}, 0.5),
                                      ({"strategy": "momentum", "signal": "hold"}, 0.5)]),
        (rec.VOLUME_RATE, [({"strategy": "momentum"}, 100)]),
        (rec.INSTANCE_DISK_READ, [({"instance": "host-a"}, 15)]),
        (rec.INSTANCE_DISK_WRITTEN, [({"instance": "host-a"}, 1)]),
        (rec.INSTANCE_NETWORK_RECEIVE, [({"instance": "host-a"}, 2)]),
        (rec.INSTANCE_NETWORK_TRANSMIT, [({"instance": "host-a"}, 1)]),
        (rec.CONTAINER_NETWORK_RECEIVE, [({"name": "grafana"}, 1)]),
        (rec.CONTAINER_NETWORK_TRANSMIT, [({"name": "grafana"}, 0.5)]),
        # Every request in the first bucket: the max is its upper bound.
        (rec.HTTP_LATENCY_MAX_BY_INSTANCE, [({"job": "api", "instance": "api:8000"}, 0.5)]),
        (rec.BACKEND_P95_BY_OPERATION, [({"job": "api", "operation": "db"}, 0.48)]),
        *[(rec.pg_database_rate(c), [(pg, 1.0)]) for c in rec.PG_DATABASE_COUNTERS],
        (rec.PG_INDEX_BLOCKS_HIT, [(pg, 3.0)]),
        (rec.PG_INDEX_BLOCKS_READ, [(pg, 0.1)]),
        (rec.PG_STATEMENT_SECONDS, [(pg, 0.5)]),
        (rec.PG_STATEMENT_CALLS, [(pg, 10.0)]),
    ]
    assert sorted(name for name, _ in expected) == sorted(rec.recording_rule_names())
    checks = [{"expr": name, "eval_time": "10m",
               "exp_samples": [{"labels": dump_labels(name, labels), "value": value} for labels, value in samples]}
              for name, samples in expected]
    return [{"name": "recording rules", "interval": "1m", "input_series": series, "promql_expr_test": checks}]


def dump_labels(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_unit_tests_for_every_alert_and_recording_rule(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    write_rules(settings, tmp_path)
    cases = alert_cases(settings)
    base = settings.alerting.runbook_base_url
    # One test file per rule file (with the recording rules it reads): promtool evaluates every
    # loaded rule at every step, and the trading cases span a whole trading day.
    test_files = []
    for group in alert_groups(settings):
        names = {rule.alert for rule in group.rules}
        tests = promtool_tests([c for c in cases if c.alert in names], base)
        test_files.append(write_test(tmp_path, group.file, [rec.RECORDING_FILE, group.file], tests))
    test_files.append(write_test(tmp_path, rec.RECORDING_FILE, [rec.RECORDING_FILE], recording_tests()))
    result = promtool("test", "rules", *test_files)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert result.stdout.count("SUCCESS") == len(test_files)
    # Sanity: the files really hold one firing check per alert.
    firing = {c["alertname"] for f in test_files for t in yaml.safe_load(Path(f).read_text())["tests"]
              for c in t.get("alert_rule_test", []) if c["exp_alerts"]}
    assert firing == set(alert_names(settings))


def write_test(directory: Path, name: str, rule_files: list[str], tests: list[dict[str, object]]) -> str:
    path = directory / f"test-{name}"
    path.write_text(dump_yaml({"rule_files": rule_files, "evaluation_interval": "1m", "tests": tests}))
    return str(path)
