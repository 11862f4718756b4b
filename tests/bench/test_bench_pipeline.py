"""`make bench` end to end at a tiny size: generated data, promtool backfills, Prometheus answers every panel.

The full-size run takes minutes and is not part of `make test`; this proves the same pipeline
(data shaped like docs/metrics.md, rule backfill, Grafana's query translation, rule group cost)
still works against the current rules and dashboards, in seconds.
"""

from __future__ import annotations

import json
import shutil

import pytest

from bench.__main__ import main
from bench.grafana import panel_queries
from bench.label_variables import INSTANT, LABEL_API, label_variables
from bench.sources import DASHBOARD_TYPE
from offline.mocks import unwrap

TINY = ["--hosts", "1", "--cpus-per-host", "2", "--containers", "2", "--api-instances", "1", "--api-routes", "2",
        "--backend-operations", "1", "--engines", "1", "--strategies", "2", "--pg-instances", "1",
        "--pg-databases", "1", "--pg-tables", "2", "--pg-statements", "2"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    for program in ("promtool", "prometheus"):
        if not shutil.which(program):
            pytest.fail(f"{program} is not installed: run `make tools`", pytrace=False)
    work, results = tmp_path_factory.mktemp("work"), tmp_path_factory.mktemp("results")
    code = main([*TINY, "--days", "1", "--repeats", "1", "--baseline-rev", "", "--no-merge", "--evaluations", "3",
                 "--evaluation-interval", "1s", "--scrape-interval", "1s", "--live-hours", "1",
                 "--footprint-seconds", "4", "--work", str(work), "--results", str(results)])
    assert code == 0
    [report] = results.glob("*.json")
    return json.loads(report.read_text()), next(results.glob("*.md")).read_text(), work


def test_every_panel_query_reads_data_over_both_ranges(bench_run, prod_run):
    report, _, _ = bench_run
    dashboards = [json.loads(unwrap(r.inputs)["configJson"]) for r in prod_run.of_type(DASHBOARD_TYPE)]
    expected = {q.name for d in dashboards for q in panel_queries(d)}
    assert len(expected) >= 50
    [outcome] = report["outcomes"]
    for range_name in ("7d", "24h", "2d", "30d"):
        measured = {f"{r['dashboard']} / {r['panel']} / {r['ref']}": r for r in outcome["results"]
                    if r["range_name"] == range_name}
        assert set(measured) == expected
        # Samples read > 0 everywhere: the generated data covers every metric the dashboards read,
        # and every recording rule a panel reads was backfilled.
        empty = [name for name, r in measured.items() if r["samples"] == 0]
        assert not empty, f"{range_name}: panels that read nothing: {empty}"
    assert any(r["recorded"] for r in outcome["results"])


def test_rule_groups_cost_is_reported_for_every_recording_group(bench_run):
    report, markdown, _ = bench_run
    groups = report["outcomes"][0]["rule_groups"]
    recording = [g for g in groups if g.startswith("recording")]
    assert recording, groups
    # Every group is watched at the run's 1s; the copies' share is of their own 5 minutes, hour or 3 hours.
    copies = {".5m.": 300, ".1h.": 3600, ".3h.": 10800}
    assert all(seconds > 0 and interval == next((i for k, i in copies.items() if k in group), 1)
               for group, (seconds, interval) in groups.items()), groups
    assert all(any(k in group for group in groups) for k in copies)
    assert "### Targets (issues 14 and 24)" in markdown and "| Dashboard | range | current variables ms" in markdown


def test_the_resolution_variable_is_resolved_per_time_range_by_the_bench_prometheus(bench_run):
    """Grafana runs the variable's query for each range: the graphs read the hourly copies over 7
    and 2 days, the 5-minute ones over 24 hours, with the copy's interval as the step's floor."""
    report, _, _ = bench_run
    [outcome] = report["outcomes"]
    on_copies = [r for r in outcome["results"] if r["variables"]]
    assert {r["dashboard"] for r in on_copies} == {"System Overview", "Trading Performance"}
    for r in on_copies:
        copy = {"7d": "1h", "30d": "3h", "2d": "1h", "24h": "5m"}[r["range_name"]]
        assert r["variables"] == {"resolution": copy}, r
        if "_every" in r["expr"]:
            assert f"_every{copy}" in r["expr"] and r["step_seconds"] >= {"3h": 10800, "1h": 3600, "5m": 300}[copy], r


def test_every_label_values_variable_is_timed_both_ways_and_counted_in_the_load(bench_run, prod_run):
    """Grafana 11.6 runs each `label_values(...)` variable on every time range change before the panels:
    the bench times it by the label-values API and by /api/v1/series (both give the same options,
    checked as measured) and adds the one Grafana uses for the deployed datasource to the load."""
    report, markdown, _ = bench_run
    dashboards = [json.loads(unwrap(r.inputs)["configJson"]) for r in prod_run.of_type(DASHBOARD_TYPE)]
    expected = {(v.dashboard, v.name) for d in dashboards for v in label_variables(d)}
    assert len(expected) >= 8
    [outcome] = report["outcomes"]
    for range_name in ("7d", "30d"):
        timed = {(v["dashboard"], v["name"]): v for v in outcome["variables"] if v["range_name"] == range_name}
        assert expected <= set(timed)
        for key in expected:
            v = timed[key]
            assert v["values"] > 0 and v["label_api_ms"] > 0 and v["series_api_ms"] > 0, v
            # The datasource declares Prometheus 3.5.0: the label-values API, not /api/v1/series.
            assert v["grafana_uses"] == LABEL_API, v
        # The hidden `resolution` variable's instant query is timed too.
        assert {k for k, v in timed.items() if v["grafana_uses"] == INSTANT} == {
            ("System Overview", "resolution"), ("Trading Performance", "resolution")}
    assert "dashboard variables (median ms; label-values API / series API)" in markdown
    assert "| API Performance | 30d |" in markdown


def test_the_targets_are_reported_as_verdicts(bench_run):
    report, markdown, _ = bench_run
    [outcome] = report["outcomes"]
    verdicts = {v["target"]: v for v in outcome["verdicts"]}
    for range_name in ("7d", "30d"):
        assert verdicts[f"every panel <= 100,000 samples over {range_name}"]["met"]
        assert f"every panel <= 250 ms over {range_name}" in verdicts
        assert f"every variable <= 250 ms over {range_name} (as a panel)" in verdicts
    growth = [t for t in verdicts if t.endswith("30-day load <= 2x the 7-day load")]
    assert len(growth) == 4
    assert "(data covers only 1 days)" in verdicts[growth[0]]["figure"]
    assert "### Targets (issues 14 and 24)" in markdown


def test_the_footprint_is_measured_at_two_sizes_and_fitted(bench_run):
    """Prometheus scraping the bench's series at its size and at 3x: memory from /proc, CPU, the rules'
    series; bytes a sample from the raw blocks; the figures settings/sizing.py takes."""
    report, markdown, _ = bench_run
    one, three = report["footprints"]
    assert (one["label"], three["label"]) == ("1x", "3x")
    assert three["raw_series"] > 2 * one["raw_series"] and three["head_series"] >= three["raw_series"]
    for f in (one, three):
        # CPU is counted in clock ticks (10 ms): a tiny platform over 4 seconds may not reach one.
        assert f["peak_anon_mb"] > 0 and f["peak_file_mb"] > 0 and f["ingestion_cpu_per_second"] >= 0, f
        assert f["rule_series"] > 0, f  # recorded series and ALERTS
    assert report["bytes_per_sample"]["bytes"] > 0 and report["bytes_per_sample"]["samples"] > 0
    sizing = report["sizing"]
    assert sizing["source"].startswith("bench/results/") and sizing["bytes_per_sample"] > 0
    assert report["outcomes"][0]["timings"]["query_peak_anon_mb"] > 0
    assert "#### Sizing table" in markdown
