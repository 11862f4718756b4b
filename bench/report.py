"""The bench's tables: per panel, per dashboard, rule groups, and the issue's targets checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bench.measure import Result
from bench.pipeline import Outcome

SAMPLE_LIMIT = 100_000
MEDIAN_LIMIT_MS = 250.0
LOAD_FACTOR = 10.0
RULE_SHARE = 0.10


def dashboard_loads(results: Sequence[Result], range_name: str) -> dict[str, tuple[float, int]]:
    """Dashboard -> (sum of its panels' medians in ms, sum of samples read) over one range."""
    loads: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for r in results:
        if r.range_name == range_name:
            loads[r.dashboard][0] += r.median_ms
            loads[r.dashboard][1] += r.samples
    return {k: (round(v[0], 1), int(v[1])) for k, v in loads.items()}


def panel_table(outcome: Outcome) -> list[str]:
    lines = [f"### {outcome.label}: panel queries", "",
             "| Dashboard / panel / query | 7d median ms | 7d samples | 24h median ms | 24h samples | 2d samples | "
             "step 7d / 24h / 2d | reads (7d) |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    by_range: dict[tuple[str, str, str], dict[str, Result]] = defaultdict(dict)
    for r in outcome.results:
        by_range[(r.dashboard, r.panel, r.ref)][r.range_name] = r
    for (dash, panel, ref), ranges in by_range.items():
        week, day, two = ranges["7d"], ranges["24h"], ranges.get("2d")
        reads = "recorded" if week.recorded and not week.raw else "raw" if not week.recorded else "mixed"
        steps = " / ".join(f"{r.step_seconds:g}s" for r in (week, day, two) if r)
        lines.append(f"| {dash} / {panel} / {ref} | {week.median_ms:.1f} | {week.samples:,} | {day.median_ms:.1f} | "
                     f"{day.samples:,} | {f'{two.samples:,}' if two else '-'} | {steps} | "
                     f"{reads}: {', '.join(week.recorded + week.raw)} |")
    return lines


def dashboard_table(outcomes: Sequence[Outcome]) -> list[str]:
    lines = ["### Dashboard load (sum of panel medians) and samples read", "",
             "| Dashboard | " + " | ".join(f"{o.label} 7d ms | {o.label} 7d samples | {o.label} 24h ms"
                                          for o in outcomes) + " |",
             "|---|" + "---:|---:|---:|" * len(outcomes)]
    week = [dashboard_loads(o.results, "7d") for o in outcomes]
    day = [dashboard_loads(o.results, "24h") for o in outcomes]
    for dash in week[-1]:
        cells = [f"{w.get(dash, (0, 0))[0]:,.1f} | {w.get(dash, (0, 0))[1]:,} | {d.get(dash, (0, 0))[0]:,.1f}"
                 for w, d in zip(week, day, strict=True)]
        lines.append(f"| {dash} | " + " | ".join(cells) + " |")
    return lines


def rule_table(outcome: Outcome) -> list[str]:
    lines = [f"### {outcome.label}: rule groups (highest `prometheus_rule_group_last_duration_seconds` "
             "of 4 evaluations)", "", "| Group | last duration ms | interval s | share |", "|---|---:|---:|---:|"]
    for group, (seconds, interval) in sorted(outcome.rule_groups.items()):
        share = seconds / interval if interval else 0.0
        lines.append(f"| {group} | {seconds * 1000:.1f} | {interval:g} | {share:.2%} |")
    return lines


def target_checks(outcomes: Sequence[Outcome]) -> list[str]:
    """The issue's "done when" figures for the last outcome (the revision under test)."""
    current = outcomes[-1]
    week = [r for r in current.results if r.range_name == "7d"]
    worst_median = max(week, key=lambda r: r.median_ms)
    lines = ["### Targets (issue 14)", ""]
    for range_name, label in (("7d", "7 days"), ("24h", "24 hours (checked too)"), ("2d", "2 days (checked too)")):
        measured = [r for r in current.results if r.range_name == range_name]
        if measured:
            worst = max(measured, key=lambda r: r.samples)
            lines.append(f"- most samples read by a panel over {label}: {worst.samples:,} ({worst.dashboard} / "
                         f"{worst.panel}{_values(worst)}) - target <= {SAMPLE_LIMIT:,}: "
                         f"{'met' if worst.samples <= SAMPLE_LIMIT else 'NOT met'}")
    lines += [f"- slowest panel median over 7 days: {worst_median.median_ms:.1f} ms "
             f"({worst_median.dashboard} / {worst_median.panel}) - target <= {MEDIAN_LIMIT_MS:g} ms: "
             f"{'met' if worst_median.median_ms <= MEDIAN_LIMIT_MS else 'NOT met'}"]
    if current.rule_groups:
        group, (seconds, interval) = max(current.rule_groups.items(), key=lambda g: g[1][0] / (g[1][1] or 1))
        share = seconds / interval if interval else 0.0
        lines.append(f"- costliest rule group: {group} {seconds * 1000:.1f} ms of {interval:g} s ({share:.2%}) "
                     f"- target < {RULE_SHARE:.0%}: {'met' if share < RULE_SHARE else 'NOT met'}")
    if len(outcomes) > 1:
        base, now = dashboard_loads(outcomes[0].results, "7d"), dashboard_loads(current.results, "7d")
        for dash, (ms, _) in now.items():
            before = base.get(dash, (0.0, 0))[0]
            factor = before / ms if ms else float("inf")
            lines.append(f"- {dash}: 7-day load {before:,.1f} ms ({outcomes[0].label}) -> {ms:,.1f} ms "
                         f"({current.label}), {factor:.1f}x - target >= {LOAD_FACTOR:g}x: "
                         f"{'met' if factor >= LOAD_FACTOR else 'NOT met'}")
    return lines


def _values(result: Result) -> str:
    return "".join(f", {k}={v}" for k, v in result.variables.items())


def markdown(header: Sequence[str], outcomes: Sequence[Outcome]) -> str:
    lines = [*header, "", *target_checks(outcomes), "", *dashboard_table(outcomes), ""]
    for outcome in outcomes:
        lines += [*rule_table(outcome), "", *panel_table(outcome), ""]
    return "\n".join(lines) + "\n"
