"""Panel queries as Grafana 11 sends them to Prometheus: step, `$__rate_interval`, `$__interval`, `$__range`, "All".

Grafana's rules (pkg/promlib/models/query.go and pkg/tsdb/intervalv2 at v11.6, and the frontend's
rangeutil.calculateInterval):
- interval = max(round(range / maxDataPoints), panel min interval or the datasource's scrape interval);
  maxDataPoints is the panel's setting, else its width in pixels (1920 here);
- step = max(interval, round(range / 11000)), and start and end are rounded down to a multiple of step;
- `$__rate_interval` = max(interval + scrape interval, 4 x scrape interval); `$__interval` = step;
  `$__range` = the range in whole seconds;
- a variable at "All" with an all value becomes that value (`.*` for every variable of the dashboards);
- a variable without "All" (`resolution`) takes, per time range, the value its query gives then
  (bench/variables.py), in the expression and in the panel's min interval (Grafana interpolates
  both: @grafana/scenes SceneQueryRunner.prepareRequests `interpolate(this, minInterval)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bench.variables import RangeVariable, range_variables

PANEL_WIDTH_PX = 1920
SAFE_RESOLUTION = 11000
# Grafana's roundInterval: (upper bound ms, rounded ms), first match wins; beyond the table: 1 year.
_ROUNDING = ((10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000),
             (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000), (45000, 30000),
             (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000), (1050000, 900000),
             (1500000, 1200000), (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
             (16200000, 10800000), (24300000, 21600000), (64800000, 43200000), (129600000, 86400000),
             (259200000, 172800000), (604800000, 604800000), (2592000000, 2592000000))
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "y": 31536000000}


def duration_ms(text: str) -> int:
    """Milliseconds of a Grafana/Prometheus duration such as `15s`, `1m30s`, `5m`."""
    parts = _DURATION.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(n) * _UNIT_MS[u] for n, u in parts)


def round_interval(ms: float) -> int:
    for bound, rounded in _ROUNDING:
        if ms <= bound:
            return rounded
    return 31536000000


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool
    min_interval: str  # panel's min interval ("" = the datasource's scrape interval)
    max_data_points: int
    variables: tuple[RangeVariable, ...] = ()  # the dashboard's variables resolved per time range

    @property
    def name(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref}"


@dataclass(frozen=True)
class Request:
    """What reaches Prometheus: the expression and, for a range query, start, end and step (ms)."""

    expr: str
    start_ms: int
    end_ms: int
    step_ms: int
    instant: bool


def panel_queries(dashboard: dict[str, Any]) -> list[PanelQuery]:
    """Every Prometheus query of the dashboard's panels (logs and other datasources skipped)."""
    found: list[PanelQuery] = []
    all_values = {v["name"]: v.get("allValue") or ".*" for v in dashboard.get("templating", {}).get("list", [])
                  if v.get("includeAll")}
    per_range = range_variables(dashboard)
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if "expr" not in target:
                continue
            expr = substitute_variables(target["expr"], all_values)
            found.append(PanelQuery(dashboard["title"], panel["title"], target.get("refId", "A"), expr,
                                    bool(target.get("instant")) and not target.get("range"),
                                    panel.get("interval") or "", int(panel.get("maxDataPoints") or PANEL_WIDTH_PX),
                                    per_range))
    return found


def with_values(query: PanelQuery, values: dict[str, str]) -> PanelQuery:
    """The query with its time-range variables at the given values (expression and min interval)."""
    return replace(query, expr=substitute_variables(query.expr, values),
                   min_interval=substitute_variables(query.min_interval, values))


def substitute_variables(expr: str, values: dict[str, str]) -> str:
    """Dashboard variables (`$name`, `${name}`, `${name:fmt}`, `[[name]]`) at their "All" value."""
    for name in sorted(values, key=len, reverse=True):
        pattern = rf"\$\{{{name}(?::\w+)?\}}|\$(?:{name})(?![\w])|\[\[{name}\]\]"
        expr = re.sub(pattern, values[name].replace("\\", "\\\\"), expr)
    return expr


def request(query: PanelQuery, start_ms: int, end_ms: int, scrape_interval: str) -> Request:
    """The request Grafana sends for this query over [start, end]."""
    span = end_ms - start_ms
    scrape_ms = duration_ms(scrape_interval)
    low_limit = duration_ms(query.min_interval) if query.min_interval else scrape_ms
    interval = max(round_interval(span / query.max_data_points), low_limit)
    step = max(interval, round_interval(span / SAFE_RESOLUTION))
    rate_interval = max(interval + scrape_ms, 4 * scrape_ms)
    expr = query.expr
    for name, value in (("$__rate_interval_ms", str(rate_interval)), ("$__rate_interval", _seconds(rate_interval)),
                        ("$__interval_ms", str(step)), ("$__interval", _seconds(step)),
                        ("$__range_ms", str(span)), ("$__range_s", str(round(span / 1000))),
                        ("$__range", f"{round(span / 1000)}s")):
        expr = expr.replace("${" + name[1:] + "}", value).replace(name, value)
    if query.instant:
        return Request(expr, end_ms, end_ms, step, True)
    return Request(expr, start_ms - start_ms % step, end_ms - end_ms % step, step, False)


def _seconds(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
