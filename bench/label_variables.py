"""The dashboards' `label_values(...)` variables, sent as Grafana 11.6 sends them, both ways it can.

@grafana/prometheus 11.6.0 (npm; its source maps carry src/):
- `metric_find_query.ts` `process`: `label_values(<selector>, <label>)` matches
  `/^label_values\\((?:(.+),\\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\\)\\s*$/`; `labelValuesQuery(label, selector)`
  sends `match[]=<selector>`, `start` and `end` (`getPrometheusTime`: `Math.ceil(ms / 1000)`) to
  `/api/v1/label/<label>/values` when `datasource.hasLabelsMatchAPISupport()`, else to `/api/v1/series`
  (and keeps each series' `<label>`, deduplicated);
- `datasource.ts` `metadataRequest`: `/api/v1/series` goes with the datasource's `httpMethod` (POST
  here), the label-values API always with GET;
- `datasource.ts` `hasLabelsMatchAPISupport`: false with `seriesEndpoint`; else
  `_isDatasourceVersionGreaterOrEqualTo` per type (Prometheus 2.24.0, Mimir 2.0.0, Cortex 1.11.0,
  Thanos 0.18.0), which is *true* when `prometheusType` or `prometheusVersion` is unset;
- `variables.ts`: the query is interpolated first; a variable at "All" with an all value gives that
  value (`.*` for every variable of the dashboards).
Scenes (`SceneVariableSet`) runs a variable after the variables it names, each on every time range
change (refresh 2), and the panels wait for all of them: the bench adds each variable's time to its
dashboard's load.
"""

from __future__ import annotations

import re
import statistics
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from bench.grafana import substitute_variables

LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$")
# hasLabelsMatchAPISupport: the lowest version of each type with `match[]` on the label-values API.
MATCH_API_SINCE = {"Prometheus": (2, 24, 0), "Mimir": (2, 0, 0), "Cortex": (1, 11, 0), "Thanos": (0, 18, 0)}
LABEL_API, SERIES_API, INSTANT = "label-values", "series", "instant query"


@dataclass(frozen=True)
class LabelVariable:
    dashboard: str
    name: str
    label: str
    selector: str  # "" when the query has no selector (then Grafana always uses the label-values API)


def label_variables(dashboard: dict[str, Any]) -> list[LabelVariable]:
    """The dashboard's `label_values(...)` query variables, their `$vars` at "All" (`.*`)."""
    variables = dashboard.get("templating", {}).get("list", [])
    all_values = {v["name"]: v.get("allValue") or ".*" for v in variables if v.get("includeAll")}
    found = []
    for variable in variables:
        query = variable.get("query")
        query = query.get("query", "") if isinstance(query, dict) else query or ""
        match = LABEL_VALUES.match(query) if variable.get("type") == "query" else None
        if match:
            selector = substitute_variables(match.group(1) or "", all_values)
            found.append(LabelVariable(dashboard["title"], variable["name"], match.group(2),
                                       "" if selector.replace(" ", "") == "{}" else selector))
    return found


def _version(text: str) -> tuple[int, ...] | None:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(p) for p in match.groups()) if match else None


def grafana_endpoint(json_data: dict[str, Any]) -> str:
    """The API Grafana 11.6 answers a `label_values(<selector>, ...)` variable from, for this jsonData."""
    if json_data.get("seriesEndpoint"):
        return SERIES_API
    flavor, version = json_data.get("prometheusType"), json_data.get("prometheusVersion")
    if not flavor or not version:
        return LABEL_API  # "User hasn't configured flavor/version yet": 11.6 assumes support
    since, given = MATCH_API_SINCE.get(str(flavor)), _version(str(version))
    return LABEL_API if since and given and given >= since else SERIES_API


@dataclass(frozen=True)
class VariableResult:
    dashboard: str
    name: str
    range_name: str
    query: str
    label_api_ms: float  # median, `/api/v1/label/<label>/values?match[]=`
    series_api_ms: float  # median, `/api/v1/series` (what a datasource without match support sends)
    values: int
    series_read: int  # series the `/api/v1/series` answer lists
    grafana_uses: str  # LABEL_API or SERIES_API for the deployed datasource's jsonData; INSTANT: query_result

    @property
    def used_ms(self) -> float:
        return self.series_api_ms if self.grafana_uses == SERIES_API else self.label_api_ms

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Http(Protocol):
    """What bench.measure.Connection offers: GET and POST on one kept-alive connection, seconds and answer."""

    def post(self, path: str, params: dict[str, str]) -> tuple[float, dict[str, Any]]: ...
    def get(self, path: str, params: dict[str, str]) -> tuple[float, dict[str, Any]]: ...


Send = Callable[[str, dict[str, str]], tuple[float, dict[str, Any]]]


def _median_ms(send: Send, path: str, params: dict[str, str], repeats: int) -> tuple[float, dict[str, Any]]:
    send(path, params)  # warm-up, as for the panels
    timings: list[float] = []
    answer: dict[str, Any] = {}
    for _ in range(repeats):
        seconds, answer = send(path, params)
        timings.append(seconds * 1000)
    if answer.get("status") != "success":
        raise RuntimeError(f"{path} {params}: {answer}")
    return round(statistics.median(timings), 1), answer


def measure_variables(http: Http, variables: list[LabelVariable], range_name: str, start_ms: int, end_ms: int,
                      json_data: dict[str, Any], repeats: int) -> list[VariableResult]:
    """Each variable over [start, end], by both APIs; which one Grafana uses follows `json_data`."""
    results = []
    endpoint = grafana_endpoint(json_data)
    for v in variables:
        span = {"start": str(-(-start_ms // 1000)), "end": str(-(-end_ms // 1000))}  # Math.ceil
        match = {"match[]": v.selector} if v.selector else {}
        label_ms, labels = _median_ms(http.get, f"/api/v1/label/{urllib.parse.quote(v.label)}/values",
                                      {**match, **span}, repeats)
        if v.selector:
            series_ms, series = _median_ms(http.post, "/api/v1/series", {**match, **span}, repeats)
            series_read = len(series["data"])
            got = {s.get(v.label) for s in series["data"]} - {None, ""}
            if got != set(labels["data"]):  # both ways give the same options
                raise RuntimeError(f"{v.dashboard} / {v.name}: label API {len(labels['data'])} values, "
                                   f"series API {len(got)}")
        else:
            series_ms, series_read = label_ms, 0
        results.append(VariableResult(v.dashboard, v.name, range_name,
                                      f"label_values({v.selector + ', ' if v.selector else ''}{v.label})",
                                      label_ms, series_ms, len(labels["data"]), series_read,
                                      endpoint if v.selector else LABEL_API))
    return results


def timed_instant(http: Http, expr: str, at_seconds: float, repeats: int) -> tuple[float, dict[str, Any]]:
    """A `query_result(...)` variable's instant query: median ms and the answer."""
    return _median_ms(http.post, "/api/v1/query", {"query": expr, "time": f"{at_seconds:g}"}, repeats)

