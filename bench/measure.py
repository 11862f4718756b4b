"""Send each panel query as Grafana would and record its median latency and the samples it read."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from bench.grafana import PanelQuery, Request, request
from bench.prometheus import Server
from bench.promql import metric_names


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send(server: Server, req: Request) -> tuple[float, dict[str, Any]]:
    """Wall time in ms and the JSON answer of one query with `stats=all` (POST, as Grafana's datasource)."""
    params = {"query": req.expr, "stats": "all"}
    if req.instant:
        path, params["time"] = "/api/v1/query", f"{req.end_ms / 1000:.3f}"
    else:
        path = "/api/v1/query_range"
        params.update(start=f"{req.start_ms / 1000:.3f}", end=f"{req.end_ms / 1000:.3f}",
                      step=f"{req.step_ms / 1000:g}")
    seconds, answer = server.post(path, params)
    if answer.get("status") != "success":
        raise RuntimeError(f"{req.expr}: {answer}")
    return seconds * 1000, answer


def measure(server: Server, queries: list[PanelQuery], ranges: dict[str, tuple[int, int]], scrape_interval: str,
            recorded_names: set[str], repeats: int) -> list[Result]:
    """Every query over every named range: one warm-up, then the median of `repeats` timed runs."""
    results: list[Result] = []
    for range_name, (start_ms, end_ms) in ranges.items():
        for query in queries:
            req = request(query, start_ms, end_ms, scrape_interval)
            send(server, req)
            timings = []
            answer: dict[str, Any] = {}
            for _ in range(repeats):
                elapsed, answer = send(server, req)
                timings.append(elapsed)
            names = metric_names(query.expr)
            results.append(Result(
                query.dashboard, query.panel, query.ref, range_name, req.expr, req.step_ms / 1000,
                round(statistics.median(timings), 1), int(answer["data"]["stats"]["samples"]["totalQueryableSamples"]),
                len(answer["data"]["result"]), sorted(names & recorded_names), sorted(names - recorded_names)))
    return results
