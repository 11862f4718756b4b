"""The issues' targets, checked on one revision's measurements: each a figure, its limit and a verdict.

Issue 24: every panel at most 100k samples and 250 ms over 7 and 30 days; each dashboard's 30-day
load (its variables, as Grafana 11.6 sends them for the deployed datasource, plus its panels) at
most twice its 7-day load. Issue 14: rule groups under 10 % of their interval. The verdicts go into
the report and its JSON, and tests/bench asserts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.label_variables import VariableResult
from bench.measure import Result

SAMPLE_LIMIT = 100_000
MEDIAN_LIMIT_MS = 250.0
LOAD_GROWTH_LIMIT = 2.0  # 30-day load / 7-day load
RULE_SHARE = 0.10
TARGET_RANGES = ("7d", "30d")


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Load:
    panels_ms: float
    variables_ms: float
    samples: int

    @property
    def total_ms(self) -> float:
        return round(self.panels_ms + self.variables_ms, 1)


def dashboard_loads(results: Sequence[Result], variables: Sequence[VariableResult], range_name: str) -> dict[str, Load]:
    """Dashboard -> its load over one range: panel medians summed, variables (the API Grafana uses) summed."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for r in results:
        if r.range_name == range_name:
            sums[r.dashboard][0] += r.median_ms
            sums[r.dashboard][2] += r.samples
    for v in variables:
        if v.range_name == range_name:
            sums[v.dashboard][1] += v.used_ms
    return {d: Load(round(p, 1), round(v, 1), int(s)) for d, (p, v, s) in sums.items()}


def _partial(days: int) -> str:
    return f" (data covers only {days} days)" if days < 30 else ""


def verdicts(results: Sequence[Result], variables: Sequence[VariableResult], days: int,
             rule_groups: dict[str, tuple[float, float]] | None = None) -> list[Verdict]:
    out: list[Verdict] = []
    for range_name in TARGET_RANGES:
        measured = [r for r in results if r.range_name == range_name]
        if not measured:
            continue
        partial = _partial(days) if range_name == "30d" else ""
        most = max(measured, key=lambda r: r.samples)
        out.append(Verdict(f"every panel <= {SAMPLE_LIMIT:,} samples over {range_name}",
                           f"most {most.samples:,} ({most.dashboard} / {most.panel}){partial}",
                           most.samples <= SAMPLE_LIMIT))
        slowest = max(measured, key=lambda r: r.median_ms)
        out.append(Verdict(f"every panel <= {MEDIAN_LIMIT_MS:g} ms over {range_name}",
                           f"slowest {slowest.median_ms:.1f} ms ({slowest.dashboard} / {slowest.panel}){partial}",
                           slowest.median_ms <= MEDIAN_LIMIT_MS))
        timed = [v for v in variables if v.range_name == range_name]
        if timed:
            worst = max(timed, key=lambda v: v.used_ms)
            out.append(Verdict(f"every variable <= {MEDIAN_LIMIT_MS:g} ms over {range_name} (as a panel)",
                               f"slowest {worst.used_ms:.1f} ms ({worst.dashboard} / ${worst.name}, "
                               f"{worst.grafana_uses}){partial}", worst.used_ms <= MEDIAN_LIMIT_MS))
    week, month = (dashboard_loads(results, variables, r) for r in TARGET_RANGES)
    for dashboard, load in month.items():
        base = week.get(dashboard)
        if base and base.total_ms:
            growth = load.total_ms / base.total_ms
            out.append(Verdict(f"{dashboard}: 30-day load <= {LOAD_GROWTH_LIMIT:g}x the 7-day load",
                               f"{base.total_ms:,.1f} ms -> {load.total_ms:,.1f} ms ({growth:.2f}x; variables "
                               f"{base.variables_ms:.1f} -> {load.variables_ms:.1f} ms)"
                               f"{_partial(days)}",
                               growth <= LOAD_GROWTH_LIMIT))
    if rule_groups:
        group, (seconds, interval) = max(rule_groups.items(), key=lambda g: g[1][0] / (g[1][1] or 1))
        share = seconds / interval if interval else 0.0
        out.append(Verdict(f"rule groups < {RULE_SHARE:.0%} of their interval",
                           f"costliest {group} {seconds * 1000:.1f} ms of {interval:g} s ({share:.2%})",
                           share < RULE_SHARE))
    return out
