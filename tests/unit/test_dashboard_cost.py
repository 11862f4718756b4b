"""Dashboards stay cheap over a week (issue 14): no panel computes rates or quantiles from raw series.

Any dashboard can be opened over 7 days; a panel that applies rate()/increase()/histogram_quantile()
to a raw counter or histogram then reads every raw sample of the week (millions at a real
platform's size, measured by `make bench`). Such a panel must read a recording rule that keeps
exactly the labels it shows. Panels also cap their points (maxDataPoints) and never ask for a step
finer than the rule evaluation interval when they read recorded series.

A panel on the copies reads `<record>_every${resolution}`, a variable Grafana sets per time range
(5m or 1h): every check runs on each value the variable can take (bench.variables).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.grafana import substitute_variables
from bench.promql import metric_names
from bench.variables import each_combination
from mixin.dashboards.common import COARSE_MAX_DATA_POINTS, MAX_DATA_POINTS, RESOLUTION_REF
from mixin.rules import COPY_INTERVALS, recording_rule_intervals, recording_rule_names
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
    """(dashboard / panel, panel) for every panel with a Prometheus query, once per value of the
    dashboard's time-range variables, substituted in its queries and min interval."""
    panels = []
    for resource in run.of_type("grafana:oss/dashboard:Dashboard"):
        model = json.loads(unwrap(resource.inputs)["configJson"])
        for values in each_combination(model):
            panels += [(f"{model['title']} / {p['title']}{''.join(f' ({k}={v})' for k, v in values.items())}",
                        expand(p, values)) for p in model["panels"] if any("expr" in t for t in p.get("targets", []))]
    return panels


def expand(panel: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    targets = [{**t, "expr": substitute_variables(t["expr"], values)} for t in panel["targets"]]
    expanded = {**panel, "targets": targets, "interval": substitute_variables(panel.get("interval") or "", values)}
    # A variable left in a metric name would hide what the panel reads from every check below.
    assert not any(re.search(r"\w\$|\$\{\w+\}[\w:{]", t["expr"]) for t in targets), targets
    return {**expanded, "unexpanded_interval": panel.get("interval") or ""}


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
    """A panel's min interval is the interval of the recorded series it reads: no finer step (repeated
    samples) and, for the 5-minute copies, no step shorter than a sample (gaps)."""
    evaluation = stack_settings(stack).prometheus.evaluation_interval
    intervals = {name: interval or evaluation for name, interval in recording_rule_intervals().items()}
    for name, panel in prometheus_panels(dev_run if stack == "dev" else prod_run):
        read = {intervals[m] for t in panel["targets"] for m in metric_names(t["expr"]) if m in intervals}
        assert len(read) <= 1, f"{name}: reads recorded series of several resolutions {read}"
        if read:
            assert panel.get("interval") == read.pop(), name
        # The copies' panels draw fewer, wider points over days (each the mean of its step).
        coarse = panel["unexpanded_interval"] == RESOLUTION_REF
        assert panel["maxDataPoints"] == (COARSE_MAX_DATA_POINTS if coarse else MAX_DATA_POINTS), name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_graphs_with_a_line_per_container_or_strategy_read_the_copy_the_zoom_picks(stack, dev_run, prod_run):
    """Over 7 days such a graph reads the hourly copy (issue 14: at most 100k samples a panel), at
    short zooms the 5-minute one: both copies exist for every record a panel reads this way."""
    read: dict[str, set[str]] = {}
    for name, panel in prometheus_panels(dev_run if stack == "dev" else prod_run):
        if panel["unexpanded_interval"] == RESOLUTION_REF:
            read.setdefault(name.rsplit(" (", 1)[0], set()).add(panel["interval"])
    assert len(read) >= 14, read
    assert all(intervals == set(COPY_INTERVALS) for intervals in read.values()), read


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_panels_on_copies_take_every_sample_of_their_step(stack, dev_run, prod_run):
    """Over days a step spans several samples of a copy: the panel averages (or takes the worst of) them
    all with `..._over_time(...[$__interval])`, so nothing between two points is skipped."""
    coarse = {name for name, interval in recording_rule_intervals().items()
              if interval in COPY_INTERVALS}
    assert coarse
    read = 0
    for name, panel in prometheus_panels(dev_run if stack == "dev" else prod_run):
        for target in panel["targets"]:
            for metric in metric_names(target["expr"]) & coarse:
                read += 1
                # An instant query (a single number) reads every sample of the whole range instead.
                window = r"\$__(?:interval|range)" if target.get("instant") else r"\$__interval"
                every_sample = rf"_over_time\({re.escape(metric)}(?:\{{[^}}]*\}})?\[{window}\]\)"
                assert re.search(every_sample, target["expr"]), f"{name} / {target['refId']}: {target['expr']}"
    assert read >= 40


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_panel_evaluates_a_subquery_over_the_whole_range(stack, dev_run, prod_run):
    """A subquery over `$__range` at the panel's interval reads every series once a step of the range:
    "Volume traded in range" read ~127k samples over 7 days that way (issue 24); over a copy the same
    mean reads one sample per line and copy interval."""
    offenders = [f"{name} / {t['refId']}" for name, panel in prometheus_panels(dev_run if stack == "dev" else prod_run)
                 for t in panel["targets"] if re.search(r"\[\$__range(?:_s|_ms)?:", t["expr"])]
    assert offenders == []
