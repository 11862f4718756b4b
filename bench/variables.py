"""Dashboard variables that Grafana resolves per time range (`resolution`), resolved as Grafana 11.6 does.

A query variable without "All" (refresh "On time range change") is run again for each time range:
- @grafana/prometheus 11.6 `PrometheusVariableSupport.query` (variables.ts) interpolates
  `$__range_ms`, `$__range_s` and `$__range` from the request's range (`getRangeScopedVars` in
  datasource.ts: the range in ms, and `Math.round(ms / 1000)` seconds);
- `query_result(<expr>)` (`PrometheusQueryResultRegex`, migrations/variableMigration.ts) is an
  instant query at the range's end, rounded up to a second (metric_find_query.ts
  `queryResultQuery`); each series of the answer becomes one text,
  `name{label="value",...} <value> <timestamp ms>`;
- the variable's regex is applied to each text, its `value` group or else its first group being the
  value (@grafana/scenes `metricNamesToVariableValues`, variables/variants/query/utils.ts; regex
  given as `/pattern/flags`, @grafana/data `stringToJsRegex`); a single-value variable whose
  current value is not among the options takes the first (MultiValueVariable.ts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

QUERY_RESULT = re.compile(r"^query_result\((.+)\)\s*$")
# label_replace(v, "dst", "replacement", "src", "regex"): the labels a query_result can show.
_LABEL_REPLACE = re.compile(r'label_replace\(.*?,\s*"(\w+)"\s*,\s*"([^"$]*)"\s*,\s*"[^"]*"\s*,\s*"[^"]*"\s*\)')

InstantQuery = Callable[[str, float], dict[str, Any]]  # (expr, time in s) -> Prometheus's JSON answer


@dataclass(frozen=True)
class RangeVariable:
    name: str
    query: str
    regex: str


def range_variables(dashboard: dict[str, Any]) -> tuple[RangeVariable, ...]:
    """The dashboard's query variables without "All": their value depends on the time range."""
    found = []
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query" and not variable.get("includeAll"):
            query = variable["query"] if isinstance(variable["query"], str) else variable["query"]["query"]
            if not QUERY_RESULT.match(query):
                raise ValueError(f"{variable['name']}: only query_result(...) variables are resolved: {query}")
            found.append(RangeVariable(variable["name"], query, variable.get("regex") or ""))
    return tuple(found)


def interpolate_range(query: str, span_ms: int) -> str:
    seconds = str(math.floor(span_ms / 1000 + 0.5))  # Math.round
    for name, value in (("__range_ms", str(span_ms)), ("__range_s", seconds), ("__range", f"{seconds}s")):
        query = query.replace("${" + name + "}", value)
        query = re.sub(rf"\${name}(?!\w)", value, query)
    return query


def result_texts(answer: dict[str, Any]) -> list[str]:
    """The options' texts Grafana makes of an instant query's answer (metric_find_query.ts)."""
    data = answer["data"]
    if data["resultType"] in ("scalar", "string"):
        return [str(data["result"][1])]
    if data["resultType"] != "vector":
        raise ValueError(f"unhandled result type {data['resultType']}")
    texts = []
    for series in data["result"]:
        labels = dict(series["metric"])
        name = labels.pop("__name__", "")
        inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
        millis = float(series["value"][0]) * 1000
        texts.append(f"{name}{{{inner}}} {series['value'][1]} {int(millis) if millis.is_integer() else millis}")
    return texts


def js_regex(text: str) -> tuple[re.Pattern[str], bool]:
    """`/pattern/flags` as a Python pattern and whether it is global (stringToJsRegex)."""
    if not text.startswith("/"):
        return re.compile(f"^{text}$"), False
    body, flags = text[1:text.rindex("/")], text[text.rindex("/") + 1:]
    pattern = re.compile(body.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"),
                         re.IGNORECASE if "i" in flags else 0)
    return pattern, "g" in flags


def variable_values(regex: str, texts: list[str]) -> list[str]:
    """Option values, in order, without duplicates (metricNamesToVariableValues)."""
    values: list[str] = []
    pattern, is_global = js_regex(regex) if regex else (None, False)
    for text in texts:
        if pattern is None:
            values.append(text)
            continue
        matches = list(pattern.finditer(text)) if is_global else [m for m in [pattern.search(text)] if m]
        named = next((m for m in matches if m.groupdict().get("value")), None)
        grouped = [m for m in matches if m.re.groups]
        if named:
            values.append(named.group("value"))
        elif len(matches) > 1 and grouped:
            values += [m.group(1) for m in matches]
        elif grouped:
            values.append(grouped[0].group(1))
        elif matches:
            values.append(text)
    return list(dict.fromkeys(values))


def resolve(variable: RangeVariable, start_ms: int, end_ms: int, instant: InstantQuery) -> str:
    """The value the variable takes for [start, end]: its only option (the design gives exactly one)."""
    match = QUERY_RESULT.match(variable.query)
    if not match:
        raise ValueError(f"{variable.name}: not a query_result(...) query: {variable.query}")
    expr = interpolate_range(match.group(1), end_ms - start_ms)
    options = variable_values(variable.regex, result_texts(instant(expr, math.ceil(end_ms / 1000))))
    if len(options) != 1:
        raise ValueError(f"{variable.name}: {len(options)} options {options} for {expr}")
    return options[0]


def possible_values(variable: RangeVariable) -> list[str]:
    """Every value the variable can take: each label its query sets with label_replace, through its regex."""
    texts = [f'{{{label}="{value}"}} 0 0' for label, value in _LABEL_REPLACE.findall(variable.query)]
    return variable_values(variable.regex, texts)


def each_combination(dashboard: dict[str, Any]) -> list[dict[str, str]]:
    """Every combination of values of the dashboard's time-range variables ([{}] when it has none)."""
    combinations: list[dict[str, str]] = [{}]
    for variable in range_variables(dashboard):
        combinations = [{**c, variable.name: v} for c in combinations for v in possible_values(variable)]
    return combinations
