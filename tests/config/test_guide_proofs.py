"""Where the project departs from the guide because the guide's expression is wrong: promtool shows it.

Each test evaluates the guide's expression (mixin/guide.py, word for word) and the project's on
the same series, shaped as the exporters emit them, and asserts what each returns. The project's
rule must page where the guide's cannot (or pages on nothing); docs/departures.md cites these.
"""

from __future__ import annotations

from pathlib import Path

from formats.yamlout import dump_yaml
from mixin.alerts import alert_groups
from mixin.guide import GUIDE_ALERTS
from mixin.rule_files import render_rule_files
from mixin.rules import RECORDING_FILE
from tests.config.alert_case import s
from tests.config.rule_cases_platform import pg_connections
from tests.config.test_promtool import promtool
from tests.conftest import stack_settings

API = 'job="api",instance="api:8000",method="GET",path="/orders"'


def guide(name: str) -> str:
    return next(a.expr for a in GUIDE_ALERTS if a.name == name)


def ours(name: str) -> str:
    return next(r.expr for g in alert_groups(stack_settings("prod")) for r in g.rules if r.alert == name)


def expr_test(tmp_path: Path, series: list[dict[str, str]],
              checks: list[tuple[str, list[dict[str, object]]]], interval: str = "1m") -> None:
    """promtool test rules with `promql_expr_test`: each expression's exact result at 10m.

    The project's recording rules are loaded: its alerts read what they record."""
    rules = tmp_path / RECORDING_FILE
    rules.write_text(render_rule_files(stack_settings("prod"))[RECORDING_FILE])
    test = tmp_path / "proof.yml"
    test.write_text(dump_yaml({
        "rule_files": [str(rules)], "evaluation_interval": "1m",
        "tests": [{"interval": interval, "input_series": series,
                   "promql_expr_test": [{"expr": e, "eval_time": "10m", "exp_samples": exp} for e, exp in checks]}],
    }))
    result = promtool("test", "rules", str(test))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_projects_error_rate_pages_whenever_the_guides_does_and_for_a_failing_job_too(tmp_path: Path) -> None:
    # The API fails 10 % of 100 requests/s while the trading engine serves 1000/s without error.
    trading = 'job="trading-engine",instance="trading-engine:8001",method="GET",path="/signals"'
    series = [s(f'http_requests_total{{{API},status="500"}}', "0+600x20"),
              s(f'http_requests_total{{{API},status="200"}}', "0+5400x20"),
              s(f'http_requests_total{{{trading},status="200"}}', "0+60000x20")]
    expr_test(tmp_path, series, [
        # The guide's total: 10 of 1100 requests/s fail, 0.9 %: no page for an API that fails 10 %.
        (f'count({guide("HighErrorRate")}) or vector(0)', [{"labels": "{}", "value": 0}]),
        (ours("HighErrorRate"), [{"labels": '{job="api"}', "value": 10}]),
    ])
    # The trading engine at 25 requests/s: the guide's total is 8 %. The total is a mean of the jobs'
    # ratios weighted by their requests, so whenever it is over 5 % one job is: the project pages too.
    series[2] = s(f'http_requests_total{{{trading},status="200"}}', "0+1500x20")
    expr_test(tmp_path, series, [
        (guide("HighErrorRate"), [{"labels": "{}", "value": 8}]),
        (ours("HighErrorRate"), [{"labels": '{job="api"}', "value": 10}]),
    ])


def test_the_guides_connection_alert_never_matches_a_series(tmp_path: Path) -> None:
    # 90 of 100 connections in christmas_db (and 15 in another database), as v0.17.1 labels them.
    expr_test(tmp_path, pg_connections(90), [
        # pg_stat_activity_count carries datname, state, usename, ...; max_connections only server:
        # the guide's one-to-one division has no pair to divide.
        (guide("LowDbConnections"), []),
        (ours("LowDbConnections"), [{"labels": '{instance="postgres-exporter:9187"}', "value": 90}]),
    ])


def test_the_guides_irate_loses_its_for_clause_on_one_idle_scrape(tmp_path: Path) -> None:
    # Scraped every 15 s; the CPU is 95 % busy for 10 minutes except the last 15 s, spent idle.
    idle = [0.75 * i for i in range(40)]
    idle.append(idle[-1] + 15)
    series = [s('node_cpu_seconds_total{instance="host-a",job="node-exporter",cpu="0",mode="idle"}',
                " ".join(f"{v:g}" for v in idle))]
    expr_test(tmp_path, series, [
        # irate sees only the last two samples (15 s idle of 15 s): 0 % busy; `for: 5m` starts again.
        (f'count({guide("HighCpuUsage")}) or vector(0)', [{"labels": "{}", "value": 0}]),
        # The 5-minute average still says busy (about 90 %): the project's rule stays pending.
        (f'count({ours("HighCpuUsage")}) or vector(0)', [{"labels": "{}", "value": 1}]),
    ], interval="15s")
