"""The dev stack's configuration on real processes: targets, recording rules and dashboard queries have data."""

from __future__ import annotations

import json
import re

import pytest

from bench.grafana import substitute_variables
from bench.variables import each_combination
from mixin.dashboards import render_dashboards
from mixin.rules import RECORDING_GROUPS, recording_rule_names
from tests.integration.known_metrics import NOT_RUNNABLE_SOURCES
from tests.integration.processes import wait_until
from tests.integration.stack import NOT_RUNNABLE_JOBS, Stack

pytestmark = pytest.mark.integration

# As Grafana sends them for a 1-hour range (panels' min interval 15s); longest names first:
# `$__range_s` is not `$__range` followed by `_s`.
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval_ms": "15000", "$__interval": "15s",
                     "$__range_ms": "3600000", "$__range_s": "3600", "$__range": "1h"}
VARIABLE = re.compile(r"\$\{?[A-Za-z_]\w*\}?")


def _reads(expr: str, name: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def needs_elsewhere(expr: str) -> list[str]:
    """`source: metric` for every metric of `expr` (directly or through a recording rule) that only an
    exporter that cannot run here exposes."""
    direct = [f"{source}: {name}" for source, names in NOT_RUNNABLE_SOURCES.items() for name in sorted(names)
              if _reads(expr, name)]
    recorded = [f"{need} (via {rule.record})" for group in RECORDING_GROUPS for rule in group.rules
                if _reads(expr, rule.record) for need in needs_elsewhere(rule.expr)]
    return direct + recorded


def test_every_target_is_up_except_the_exporters_that_cannot_run_here(stack: Stack):
    jobs = {job["job_name"] for job in stack.prometheus_config["scrape_configs"]}

    def health() -> dict[str, set[str]] | None:
        by_job: dict[str, set[str]] = {}
        for target in stack.targets():
            by_job.setdefault(target["labels"]["job"], set()).add(target["health"])
        return by_job if all("unknown" not in h for h in by_job.values()) else None

    by_job = wait_until(health, 15, "a scrape of every target")
    assert set(by_job) == jobs
    down = {job for job, states in by_job.items() if states != {"up"}}
    assert down == NOT_RUNNABLE_JOBS, {t["labels"]["job"]: t["lastError"] for t in stack.targets()}
    # Both Alertmanager peers are scraped (the cluster is monitored as a whole).
    assert len([t for t in stack.targets() if t["labels"]["job"] == "alertmanager"]) == 2


def test_every_recording_rule_produces_series(stack: Stack):
    # Rules whose inputs only an exporter that cannot run here exposes (cAdvisor, postgres-exporter's
    # newer collectors); every other rule must have series.
    expected_empty = {rule.record for group in RECORDING_GROUPS for rule in group.rules if needs_elsewhere(rule.expr)}
    assert {name for name in recording_rule_names() if name.startswith("name:container_")} <= expected_empty
    rules = {r["name"]: r["query"] for g in stack.query_rules() for r in g["rules"] if r["type"] == "recording"}
    assert set(rules) == set(recording_rule_names())
    assert all(needs_elsewhere(rules[name]) for name in expected_empty)

    def empty() -> set[str] | None:
        missing = {name for name in rules if not stack.query(name)}
        return missing if missing == expected_empty else None

    missing = wait_until(empty, 20, "every recording rule with runnable inputs to have series", interval=0.5)
    print(f"\nrecording rules: {len(rules) - len(missing)} of {len(rules)} with series; "
          f"without (their exporter cannot run here): {sorted(missing)}")


def panel_queries(stack: Stack) -> dict[str, str]:
    found = {}
    for ref, text in render_dashboards(stack.settings).items():
        model = json.loads(text)
        # Once per value of the time-range variables (`resolution`: the 5-minute and hourly copies).
        for values in each_combination(model):
            for panel in model["panels"]:
                for target in panel.get("targets", []):
                    if "expr" in target:  # Prometheus targets; Elasticsearch log panels have `query`
                        where = f"{ref.title} / {panel['title']} (panel {panel['id']}) / {target['refId']}"
                        found[f"{where} {values or ''}".rstrip()] = substitute_variables(target["expr"], values)
    return found


def substitute(expr: str) -> str:
    for name, value in GRAFANA_INTERVALS.items():
        expr = expr.replace(name, value)
    return VARIABLE.sub(".*", expr)  # every variable is used in a =~ matcher, where .* is "All"


def test_every_dashboard_query_returns_data(stack: Stack):
    queries = panel_queries(stack)
    assert len(queries) >= 40

    def without_data() -> dict[str, str] | None:
        empty = {where: expr for where, expr in queries.items() if not stack.query(substitute(expr))}
        # Done when only queries reading a not-runnable exporter are left.
        return empty if all(needs_elsewhere(e) for e in empty.values()) else None

    try:
        empty = wait_until(without_data, 20, "every dashboard query to return data", interval=0.5)
    except AssertionError:
        empty = {w: e for w, e in queries.items() if not stack.query(substitute(e))}
        pytest.fail("dashboard queries without data here, reading only metrics that should exist:\n"
                    + "\n".join(f"{w}: {e}" for w, e in empty.items() if not needs_elsewhere(e)))
    print(f"\ndashboard queries: {len(queries) - len(empty)} of {len(queries)} return data; without data here:")
    for where, expr in sorted(empty.items()):
        print(f"  {where}  <- {', '.join(needs_elsewhere(expr))}")
