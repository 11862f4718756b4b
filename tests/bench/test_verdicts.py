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
