"""The bench's verdicts at their limits, stated as the issue states them (issue 14), without a Prometheus.

`make bench` prints "met" or "NOT met" for each target; these feed it figures on each side of every
limit: at most 100,000 samples and 250 ms a panel over 7 days, rule groups under 10 % of their
interval, each dashboard's 7-day load at least 10x lighter than the baseline's.
"""

from __future__ import annotations

import pytest

from bench.measure import Result
from bench.pipeline import Outcome
from bench.report import dashboard_loads, target_checks


def _result(range_name: str, samples: int, ms: float, dashboard: str = "D", panel: str = "P") -> Result:
    return Result(dashboard, panel, "A", range_name, "x", 60, ms, samples, 1, [], ["x"])


def _verdict(lines: list[str], starts: str) -> str:
    [line] = [line for line in lines if line.startswith(starts)]
    return line.rsplit(": ", 1)[1]


@pytest.mark.parametrize(("samples", "verdict"), [(100_000, "met"), (100_001, "NOT met"), (6, "met")])
def test_samples_a_panel_reads_over_each_range(samples: int, verdict: str) -> None:
    results = [_result(r, samples, 10.0) for r in ("7d", "24h", "2d")] + [_result("7d", 5, 1.0, panel="Q")]
    lines = target_checks([Outcome("now", results)])
    for label in ("7 days", "24 hours", "2 days"):
        [line] = [line for line in lines if line.startswith(f"- most samples read by a panel over {label}")]
        assert line.endswith(f": {samples:,} (D / P) - target <= 100,000: {verdict}"), line


@pytest.mark.parametrize(("ms", "verdict"), [(250.0, "met"), (250.1, "NOT met")])
def test_the_slowest_panel_over_7_days(ms: float, verdict: str) -> None:
    lines = target_checks([Outcome("now", [_result("7d", 10, ms), _result("7d", 10, 1.0, panel="Q"),
                                           _result("24h", 10, 999.0)])])
    assert _verdict(lines, "- slowest panel median over 7 days") == verdict
    assert f"over 7 days: {ms:.1f} ms (D / P)" in "\n".join(lines)


@pytest.mark.parametrize(("seconds", "verdict"), [(1.499, "met"), (1.5, "NOT met")])
def test_the_costliest_rule_group_against_a_tenth_of_its_interval(seconds: float, verdict: str) -> None:
    groups = {"cheap": (0.001, 15.0), "costly": (seconds, 15.0)}
    lines = target_checks([Outcome("now", [_result("7d", 1, 1.0)], rule_groups=groups)])
    assert _verdict(lines, "- costliest rule group: costly") == verdict


@pytest.mark.parametrize(("before_ms", "verdict"), [(100.0, "met"), (99.9, "NOT met")])
def test_each_dashboard_ten_times_lighter_than_the_baseline(before_ms: float, verdict: str) -> None:
    baseline = Outcome("baseline", [_result("7d", 1, before_ms / 2), _result("7d", 1, before_ms / 2, panel="Q")])
    current = Outcome("now", [_result("7d", 1, 6.0), _result("7d", 1, 4.0, panel="Q")])
    lines = target_checks([baseline, current])
    assert _verdict(lines, "- D: 7-day load") == verdict


def test_a_dashboards_load_sums_its_panels_medians_and_samples_per_range() -> None:
    results = [_result("7d", 40_000, 12.5), _result("7d", 60_001, 7.5, panel="Q"), _result("24h", 7, 3.0),
               _result("7d", 3, 1.0, dashboard="E")]
    assert dashboard_loads(results, "7d") == {"D": (20.0, 100_001), "E": (1.0, 3)}
    assert dashboard_loads(results, "24h") == {"D": (3.0, 7)}


def test_the_targets_section_is_headed_and_reads_each_range_on_its_own() -> None:
    # A heavy 24-hour panel does not make the 7-day verdict fail, and the other way round.
    results = [_result("7d", 10, 1.0), _result("24h", 200_000, 1.0, panel="Day"),
               _result("2d", 20, 1.0, panel="Two")]
    lines = target_checks([Outcome("now", results)])
    assert lines[0] == "### Targets (issue 14)"
    assert _verdict(lines, "- most samples read by a panel over 7 days") == "met"
    assert _verdict(lines, "- most samples read by a panel over 24 hours") == "NOT met"
    assert "24 hours (checked too): 200,000 (D / Day)" in "\n".join(lines)
    assert "2 days (checked too): 20 (D / Two)" in "\n".join(lines)


def test_a_panels_time_range_variables_are_named_with_its_figure() -> None:
    heavy = Result("D", "P", "A", "7d", "x", 60, 1.0, 7, 1, [], ["x"], variables={"resolution": "1h"})
    lines = target_checks([Outcome("now", [heavy])])
    assert "over 7 days: 7 (D / P, resolution=1h) - target" in "\n".join(lines)


def test_the_costliest_rule_group_is_the_one_with_the_largest_share_of_its_interval() -> None:
    # "zz" takes the longest, "aa" the largest share of its (shorter) interval.
    groups = {"zz": (1.0, 60.0), "aa": (0.2, 1.0)}
    lines = target_checks([Outcome("now", [_result("7d", 1, 1.0)], rule_groups=groups)])
    assert _verdict(lines, "- costliest rule group: aa 200.0 ms of 1 s (20.00%)") == "NOT met"


def test_load_factors_only_against_a_baseline_and_a_new_dashboard_has_none() -> None:
    alone = target_checks([Outcome("now", [_result("7d", 1, 5.0)])])
    assert not any("7-day load" in line for line in alone)
    baseline = Outcome("baseline", [_result("7d", 1, 50.0)])
    current = Outcome("now", [_result("7d", 1, 5.0), _result("7d", 1, 1.0, dashboard="New"),
                              _result("7d", 1, 0.0, dashboard="Free")])
    lines = target_checks([Outcome("baseline", [*baseline.results, _result("7d", 1, 3.0, dashboard="Free")]),
                           current])
    # Not in the baseline: 0 ms before, so it cannot be 10x lighter; 0 ms now is infinitely lighter.
    assert _verdict(lines, "- New: 7-day load 0.0 ms (baseline) -> 1.0 ms") == "NOT met"
    assert _verdict(lines, "- Free: 7-day load 3.0 ms (baseline) -> 0.0 ms") == "met"
    assert "-> 5.0 ms (now), 10.0x" in "\n".join(lines)


def test_a_dashboards_load_is_rounded_to_a_tenth_of_a_millisecond() -> None:
    assert dashboard_loads([_result("7d", 1, 1.23), _result("7d", 1, 1.01, panel="Q")], "7d") == {"D": (2.2, 2)}


def test_a_rule_group_without_an_interval_is_no_share_rather_than_a_division_by_zero() -> None:
    groups = {"unknown": (0.5, 0.0), "other": (0.05, 1.0)}
    lines = target_checks([Outcome("now", [_result("7d", 1, 1.0)], rule_groups=groups)])
    assert _verdict(lines, "- costliest rule group: unknown 500.0 ms of 0 s (0.00%)") == "met"


def test_the_heading_stands_apart_and_every_time_range_variable_is_listed() -> None:
    heavy = Result("D", "P", "A", "7d", "x", 60, 1.0, 7, 1, [], ["x"], variables={"resolution": "1h", "zoom": "5m"})
    lines = target_checks([Outcome("now", [heavy])])
    assert lines[:2] == ["### Targets (issue 14)", ""]
    assert "(D / P, resolution=1h, zoom=5m) - target" in "\n".join(lines)
