"""Send each panel query as Grafana would and record its median latency and the samples it read."""

from __future__ import annotations

import http.client
import json
import statistics
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.grafana import PanelQuery, Request, request, with_values
from bench.label_variables import INSTANT, VariableResult, label_variables, measure_variables, timed_instant
from bench.prometheus import Server
from bench.promql import metric_names
from bench.variables import resolve


@dataclass(frozen=True)
class Result:
    dashboard: str
    panel: str
    ref: str
    range_name: str
    expr: str
    step_seconds: float
    median_ms: float
    samples: int
    series: int
    recorded: list[str]
    raw: list[str]
    variables: dict[str, str] = field(default_factory=dict)  # time-range variables' values (`resolution`)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Connection:
    """One HTTP/1.1 connection kept open for every query, as Grafana's Go client keeps its connections.

    A new connection per query (urllib) added ~1 ms to each and ~20 ms to the answers of 100 series
    and more (measured on this data), which is the client, not Prometheus.
    """

    def __init__(self, server: Server) -> None:
        address = urllib.parse.urlsplit(server.url)
        self._http = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=600)

    def post(self, path: str, params: dict[str, str]) -> tuple[float, dict[str, Any]]:
        """Seconds from sending the request to the answer's last byte (parsing not counted), and the answer."""
        body = urllib.parse.urlencode(params)
        began = time.perf_counter()
        self._http.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        data = self._http.getresponse().read()
        return time.perf_counter() - began, json.loads(data)

    def get(self, path: str, params: dict[str, str]) -> tuple[float, dict[str, Any]]:
        """As `post`, with the parameters in the URL (the label-values API takes only GET)."""
        began = time.perf_counter()
        self._http.request("GET", f"{path}?{urllib.parse.urlencode(params)}")
        data = self._http.getresponse().read()
        return time.perf_counter() - began, json.loads(data)

    def instant(self, expr: str, at_seconds: float) -> dict[str, Any]:
        """An instant query's answer (what a query_result() variable sends); not timed."""
        return self.post("/api/v1/query", {"query": expr, "time": f"{at_seconds:g}"})[1]

    def close(self) -> None:
        self._http.close()


def send(connection: Connection, req: Request) -> tuple[float, dict[str, Any]]:
    """Wall time in ms and the JSON answer of one query with `stats=all` (POST, as Grafana's datasource)."""
    params = {"query": req.expr, "stats": "all"}
    if req.instant:
        path, params["time"] = "/api/v1/query", f"{req.end_ms / 1000:.3f}"
    else:
        path = "/api/v1/query_range"
        params.update(start=f"{req.start_ms / 1000:.3f}", end=f"{req.end_ms / 1000:.3f}",
                      step=f"{req.step_ms / 1000:g}")
    seconds, answer = connection.post(path, params)
    if answer.get("status") != "success":
        raise RuntimeError(f"{req.expr}: {answer}")
    return seconds * 1000, answer


def measure(server: Server, queries: list[PanelQuery], ranges: dict[str, tuple[int, int]], scrape_interval: str,
            recorded_names: set[str], repeats: int, dashboards: list[dict[str, Any]] | None = None,
            json_data: dict[str, Any] | None = None) -> tuple[list[Result], list[VariableResult]]:
    """Every variable and query over every named range: one warm-up, then the median of `repeats` timed runs.

    Variables: each `label_values(...)` one of `dashboards` by both APIs (bench/label_variables.py),
    and each time-range (`query_result`) one's instant query, timed as it is resolved.
    """
    results: list[Result] = []
    variables: list[VariableResult] = []
    connection = Connection(server)
    labelled = [v for d in dashboards or [] for v in label_variables(d)]
    for range_name, (start_ms, end_ms) in ranges.items():
        variables += measure_variables(connection, labelled, range_name, start_ms, end_ms, json_data or {}, repeats)
        resolved: dict[str, dict[str, str]] = {}  # dashboard -> its time-range variables' values
        for query in queries:
            if query.dashboard not in resolved:
                resolved[query.dashboard] = {}
                for v in query.variables:
                    spent: list[float] = []

                    def instant(expr: str, at: float, spent: list[float] = spent) -> dict[str, Any]:
                        ms, answer = timed_instant(connection, expr, at, repeats)
                        spent.append(ms)
                        return answer

                    resolved[query.dashboard][v.name] = resolve(v, start_ms, end_ms, instant)
                    variables.append(VariableResult(query.dashboard, v.name, range_name, v.query, sum(spent),
                                                    sum(spent), 1, 0, INSTANT))
            values = resolved[query.dashboard]
            req = request(with_values(query, values), start_ms, end_ms, scrape_interval)
            send(connection, req)
            timings = []
            answer: dict[str, Any] = {}
            for _ in range(repeats):
                elapsed, answer = send(connection, req)
                timings.append(elapsed)
            names = metric_names(req.expr)
            results.append(Result(
                query.dashboard, query.panel, query.ref, range_name, req.expr, req.step_ms / 1000,
                round(statistics.median(timings), 1), int(answer["data"]["stats"]["samples"]["totalQueryableSamples"]),
                len(answer["data"]["result"]), sorted(names & recorded_names), sorted(names - recorded_names),
                dict(values)))
    connection.close()
    return results, variables
