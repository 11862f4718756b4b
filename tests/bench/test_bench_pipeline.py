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
    code = main([*TINY, "--days", "1", "--repeats", "1", "--baseline-rev", "", "--no-merge", "--evaluations", "1",
                 "--evaluation-interval", "1s", "--live-hours", "1", "--work", str(work), "--results", str(results)])
    assert code == 0
    [report] = results.glob("*.json")
    return json.loads(report.read_text()), next(results.glob("*.md")).read_text(), work


def test_every_panel_query_reads_data_over_both_ranges(bench_run, prod_run):
    report, _, _ = bench_run
    dashboards = [json.loads(unwrap(r.inputs)["configJson"]) for r in prod_run.of_type(DASHBOARD_TYPE)]
    expected = {q.name for d in dashboards for q in panel_queries(d)}
    assert len(expected) >= 50
    [outcome] = report["outcomes"]
    for range_name in ("7d", "24h", "2d"):
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
    # Every group is watched at the run's 1s; the copies' share is of their own 5 minutes or hour.
    assert all(seconds > 0 and interval == (300 if ".5m." in group else 3600 if ".1h." in group else 1)
               for group, (seconds, interval) in groups.items()), groups
    assert any(".5m." in group for group in groups) and any(".1h." in group for group in groups)
    assert "### Targets (issue 14)" in markdown and "| Dashboard | current 7d ms" in markdown


def test_the_resolution_variable_is_resolved_per_time_range_by_the_bench_prometheus(bench_run):
    """Grafana runs the variable's query for each range: the graphs read the hourly copies over 7
    and 2 days, the 5-minute ones over 24 hours, with the copy's interval as the step's floor."""
    report, _, _ = bench_run
    [outcome] = report["outcomes"]
    on_copies = [r for r in outcome["results"] if r["variables"]]
    assert {r["dashboard"] for r in on_copies} == {"System Overview", "Trading Performance"}
    for r in on_copies:
        copy = {"7d": "1h", "2d": "1h", "24h": "5m"}[r["range_name"]]
        assert r["variables"] == {"resolution": copy}, r
        if "_every" in r["expr"]:
            assert f"_every{copy}" in r["expr"] and r["step_seconds"] >= {"1h": 3600, "5m": 300}[copy], r
