"""Dashboards stay cheap over a week (issue 14): no panel computes rates or quantiles from raw series.

Any dashboard can be opened over 7 days; a panel that applies rate()/increase()/histogram_quantile()
to a raw counter or histogram then reads every raw sample of the week (millions at a real
platform's size, measured by `make bench`). Such a panel must read a recording rule that keeps
exactly the labels it shows. Panels also cap their points (maxDataPoints) and never ask for a step
finer than the rule evaluation interval when they read recorded series.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.promql import metric_names
from mixin.dashboards.common import MAX_DATA_POINTS
from mixin.rules import recording_rule_names
from offline.mocks import ProgramRun, unwrap
from tests.conftest import stack_settings

RANGE_FUNCTIONS = re.compile(r"\b(?:rate|irate|increase|delta|idelta|resets|histogram_quantile)\s*\(")
COUNTER_OR_HISTOGRAM = re.compile(r"_(?:total|bucket|count|sum)$")


def raw_counter_reads(expr: str, recorded: set[str]) -> set[str]:
    """Raw series the expression reads as counters or histograms (rated, quantiled, or named so)."""
    raw = metric_names(expr) - recorded
    if RANGE_FUNCTIONS.search(expr):
        return raw
    return {name for name in raw if COUNTER_OR_HISTOGRAM.search(name)}


def prometheus_panels(run: ProgramRun) -> list[tuple[str, dict[str, Any]]]:
    panels = []
    for resource in run.of_type("grafana:oss/dashboard:Dashboard"):
        model = json.loads(unwrap(resource.inputs)["configJson"])
        panels += [(f"{model['title']} / {p['title']}", p) for p in model["panels"]
                   if any("expr" in t for t in p.get("targets", []))]
    return panels


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_panel_reads_raw_counters_or_histograms(stack, dev_run, prod_run):
    recorded = set(recording_rule_names())
    offenders = {f"{name} / {t['refId']}": sorted(reads) for name, panel in
                 prometheus_panels(dev_run if stack == "dev" else prod_run) for t in panel["targets"]
                 if (reads := raw_counter_reads(t["expr"], recorded))}
    assert offenders == {}


def test_the_check_catches_the_queries_issue_14_measured():
    recorded = set(recording_rule_names())
    # Before issue 14: API "max" latency, trading volume in range, database index hit ratio.
    assert raw_counter_reads('histogram_quantile(1, sum by (le) (rate(http_request_duration_seconds_bucket'
                             '{job=~"$job"}[$__rate_interval])))', recorded) == {"http_request_duration_seconds_bucket"}
    assert raw_counter_reads('sum(increase(trading_trade_volume_usd_total{strategy=~"$strategy"}[$__range]))',
                             recorded) == {"trading_trade_volume_usd_total"}
    assert raw_counter_reads("sum(rate(pg_statio_user_tables_idx_blocks_hit[5m]))", recorded) == {
        "pg_statio_user_tables_idx_blocks_hit"}
    # Gauges and recorded series are fine.
    assert raw_counter_reads('max by (name) (time() - container_last_seen{name=~"$service"})', recorded) == set()
    assert raw_counter_reads('sum by (name) (name:container_cpu_usage_seconds:rate5m{name=~"$service"})',
                             recorded) == set()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_panels_cap_points_and_step_at_the_rule_interval(stack, dev_run, prod_run):
    interval = stack_settings(stack).prometheus.evaluation_interval
    recorded = set(recording_rule_names())
    for name, panel in prometheus_panels(dev_run if stack == "dev" else prod_run):
        assert panel["maxDataPoints"] == MAX_DATA_POINTS, name
        if any(metric_names(t["expr"]) & recorded for t in panel["targets"]):
            assert panel.get("interval") == interval, name
