"""The bench's tables: per panel, per variable, per dashboard, rule groups, and the issues' targets checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bench.measure import Result
from bench.pipeline import Outcome
from bench.targets import dashboard_loads, verdicts

LOAD_FACTOR = 10.0  # issue 14: each dashboard's 7-day load at least 10x below the baseline's
RANGE_ORDER = ("7d", "30d", "24h", "2d")


def panel_table(outcome: Outcome) -> list[str]:
    ranges = [r for r in RANGE_ORDER if any(x.range_name == r for x in outcome.results)]
    lines = [f"### {outcome.label}: panel queries (median ms / samples read; step)", "",
             "| Dashboard / panel / query | " + " | ".join(ranges) + " | reads (7d) |",
             "|---|" + "---:|" * len(ranges) + "---|"]
    by_range: dict[tuple[str, str, str], dict[str, Result]] = defaultdict(dict)
    for r in outcome.results:
        by_range[(r.dashboard, r.panel, r.ref)][r.range_name] = r
    for (dash, panel, ref), measured in by_range.items():
        week = measured["7d"]
        reads = "recorded" if week.recorded and not week.raw else "raw" if not week.recorded else "mixed"
        cells = [f"{m.median_ms:.1f} / {m.samples:,}; {m.step_seconds:g}s" if (m := measured.get(r)) else "-"
                 for r in ranges]
        lines.append(f"| {dash} / {panel} / {ref} | " + " | ".join(cells) + f" | {reads}: "
                     f"{', '.join(week.recorded + week.raw)} |")
    return lines


def variable_table(outcome: Outcome) -> list[str]:
    """Each variable by both APIs (Grafana 11.6 uses the one named for the deployed datasource)."""
    lines = [f"### {outcome.label}: dashboard variables (median ms; label-values API / series API)", "",
             "| Dashboard / variable | query | range | label-values API ms | series API ms | values | "
             "series listed | Grafana 11.6 uses |", "|---|---|---|---:|---:|---:|---:|---|"]
    for v in sorted(outcome.variables, key=lambda v: (v.dashboard, v.name, RANGE_ORDER.index(v.range_name))):
        lines.append(f"| {v.dashboard} / ${v.name} | `{v.query[:80]}` | {v.range_name} | {v.label_api_ms:.1f} | "
                     f"{v.series_api_ms:.1f} | {v.values} | {v.series_read:,} | {v.grafana_uses} |")
    return lines


def dashboard_table(outcomes: Sequence[Outcome]) -> list[str]:
    lines = ["### Dashboard load: variables + panels (ms), samples read by the panels", "",
             "| Dashboard | range | " + " | ".join(f"{o.label} variables ms | {o.label} panels ms | {o.label} load ms"
                                                  f" | {o.label} samples" for o in outcomes) + " |",
             "|---|---|" + "---:|---:|---:|---:|" * len(outcomes)]
    for range_name in RANGE_ORDER:
        loads = [dashboard_loads(o.results, o.variables, range_name) for o in outcomes]
        for dash in loads[-1]:
            cells = [f"{lo.variables_ms:,.1f} | {lo.panels_ms:,.1f} | {lo.total_ms:,.1f} | {lo.samples:,}"
                     if (lo := load.get(dash)) else "- | - | - | -" for load in loads]
            lines.append(f"| {dash} | {range_name} | " + " | ".join(cells) + " |")
    return lines


def rule_table(outcome: Outcome) -> list[str]:
    lines = [f"### {outcome.label}: rule groups (highest `prometheus_rule_group_last_duration_seconds` "
             "of the evaluations watched)", "", "| Group | last duration ms | interval s | share |",
             "|---|---:|---:|---:|"]
    for group, (seconds, interval) in sorted(outcome.rule_groups.items()):
        share = seconds / interval if interval else 0.0
        lines.append(f"| {group} | {seconds * 1000:.1f} | {interval:g} | {share:.2%} |")
    return lines


def target_checks(outcomes: Sequence[Outcome], days: int) -> list[str]:
    """The issues' "done when" figures for the last outcome (the revision under test)."""
    current = outcomes[-1]
    lines = ["### Targets (issues 14 and 24)", ""]
    lines += [f"- {v.target}: {v.figure} - {'met' if v.met else 'NOT met'}"
              for v in verdicts(current.results, current.variables, days, current.rule_groups)]
    if len(outcomes) > 1:
        base = dashboard_loads(outcomes[0].results, outcomes[0].variables, "7d")
        for dash, load in dashboard_loads(current.results, current.variables, "7d").items():
            before = base[dash].total_ms if dash in base else 0.0
            factor = before / load.total_ms if load.total_ms else float("inf")
            lines.append(f"- {dash}: 7-day load {before:,.1f} ms ({outcomes[0].label}) -> {load.total_ms:,.1f} ms "
                         f"({current.label}), {factor:.1f}x - target >= {LOAD_FACTOR:g}x: "
                         f"{'met' if factor >= LOAD_FACTOR else 'NOT met'}")
    return lines


def markdown(header: Sequence[str], outcomes: Sequence[Outcome], days: int, footprint: Sequence[str] = ()) -> str:
    lines = [*header, "", *target_checks(outcomes, days), "", *footprint, "", *dashboard_table(outcomes), ""]
    for outcome in outcomes:
        lines += [*variable_table(outcome), "", *rule_table(outcome), "", *panel_table(outcome), ""]
    return "\n".join(lines) + "\n"
