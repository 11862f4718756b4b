"""Reference exporter of the metric contract (docs/metrics.md): plays the platform API and the trading engine.

The test sets *rates* (requests per second, orders per second, latency of the observations)
and the counters grow by rate x elapsed time at each scrape, as a real service's would. Each
job listens on its own port and can be made to fail its scrapes (`up == 0`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]

# The Prometheus client libraries' default buckets (what an instrumented Python/Go service exposes).
DEFAULT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Family:
    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]


# The contract, as docs/metrics.md writes it.
API_FAMILIES: tuple[Family, ...] = (
    Family("http_requests_total", "counter", "HTTP requests served.", ("method", "path", "status")),
    Family("http_request_duration_seconds", "histogram", "HTTP request duration.", ("method", "path")),
    Family("backend_processing_seconds", "histogram", "Time spent in backend processing.", ("operation",)),
)
TRADING_FAMILIES: tuple[Family, ...] = (
    Family("trading_orders_total", "counter", "Orders sent, by outcome.", ("strategy", "side", "status")),
    Family("trading_order_latency_seconds", "histogram", "Order round-trip latency.", ("strategy",)),
    Family("trading_signals_total", "counter", "Signals produced.", ("strategy", "signal")),
    Family("trading_trades_total", "counter", "Trades executed.", ("strategy", "side")),
    Family("trading_trade_volume_usd_total", "counter", "Notional traded in USD.", ("strategy",)),
    Family("trading_pnl_usd", "gauge", "Realised profit and loss in USD.", ("strategy",)),
    Family("trading_return_ratio", "gauge", "Return per strategy.", ("strategy",)),
)


@dataclass
class _Series:
    rate: float = 0.0  # counters: increments per second; histograms: observations per second
    value: float = 0.0  # counters: the count; gauges: the value; histograms: the observed value
    # Histograms only: cumulative bucket counts, sum and count.
    buckets: list[float] = field(default_factory=lambda: [0.0] * len(DEFAULT_BUCKETS))
    total: float = 0.0
    count: float = 0.0


def _fmt(value: float) -> str:
    return repr(float(value)) if value not in (float("inf"),) else "+Inf"


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{k}="{v}"' for k, v in labels)
    return "{" + body + "}" if body else ""


class Registry:
    """One job's metrics; thread-safe (the HTTP server answers scrapes from its own threads)."""

    def __init__(self, families: tuple[Family, ...]) -> None:
        self.families = {f.name: f for f in families}
        self.series: dict[str, dict[Labels, _Series]] = {f.name: {} for f in families}
        self.lock = threading.Lock()
        self.last = time.monotonic()
        self.failing = False

    def _series(self, name: str, labels: Mapping[str, str]) -> _Series:
        family = self.families[name]
        if set(labels) != set(family.labels):
            raise ValueError(f"{name} takes labels {family.labels}, got {sorted(labels)}")
        key = tuple((k, labels[k]) for k in family.labels)
        return self.series[name].setdefault(key, _Series())

    def set_rate(self, name: str, labels: Mapping[str, str], per_second: float) -> None:
        """Counter `name` grows by `per_second` from now on."""
        with self.lock:
            self._advance()
            assert self.families[name].kind == "counter"
            self._series(name, labels).rate = per_second

    def set_gauge(self, name: str, labels: Mapping[str, str], value: float) -> None:
        with self.lock:
            assert self.families[name].kind == "gauge"
            self._series(name, labels).value = value

    def observe(self, name: str, labels: Mapping[str, str], seconds: float, per_second: float) -> None:
        """Histogram `name` receives `per_second` observations of `seconds` each from now on."""
        with self.lock:
            self._advance()
            assert self.families[name].kind == "histogram"
            series = self._series(name, labels)
            series.value, series.rate = seconds, per_second

    def _advance(self) -> None:
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        for name, by_labels in self.series.items():
            kind = self.families[name].kind
            for s in by_labels.values():
                n = s.rate * elapsed
                if kind == "counter":
                    s.value += n
                elif kind == "histogram" and n:
                    s.count += n
                    s.total += n * s.value
                    for i, le in enumerate(DEFAULT_BUCKETS):
                        if s.value <= le:
                            s.buckets[i] += n

    def exposition(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self.lock:
            self._advance()
            lines: list[str] = []
            for name, family in self.families.items():
                lines += [f"# HELP {name} {family.help}", f"# TYPE {name} {family.kind}"]
                for labels, s in self.series[name].items():
                    if family.kind != "histogram":
                        lines.append(f"{name}{_labels(labels)} {_fmt(s.value)}")
                        continue
                    for le, count in (*zip(DEFAULT_BUCKETS, s.buckets, strict=True), (float("inf"), s.count)):
                        lines.append(f"{name}_bucket{_labels((*labels, ('le', _fmt(le))))} {_fmt(count)}")
                    lines.append(f"{name}_sum{_labels(labels)} {_fmt(s.total)}")
                    lines.append(f"{name}_count{_labels(labels)} {_fmt(s.count)}")
            return "\n".join(lines) + "\n"


class _Handler(BaseHTTPRequestHandler):
    registry: Registry
    metrics_path: str = "/metrics"

    def do_GET(self) -> None:
        if self.path != self.metrics_path or self.registry.failing:
            self.send_error(503 if self.registry.failing else 404)
            return
        body = self.registry.exposition().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per scrape a second would drown the test output


class JobServer:
    """One job's metrics on 127.0.0.1:port, at `path` (/metrics unless the exporter plays one that differs)."""

    def __init__(self, registry: Registry, port: int, path: str = "/metrics") -> None:
        self.registry = registry
        self.path = path
        handler = type("Handler", (_Handler,), {"registry": registry, "metrics_path": path})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class JobServers:
    """Stand-in exporters served together: started and stopped as one."""

    servers: list[JobServer]

    def start(self) -> None:
        for server in self.servers:
            server.start()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


STRATEGIES = ("momentum", "mean_reversion")
API_ROUTES = (("GET", "/orders"), ("POST", "/orders"), ("GET", "/positions"))
BASE_LATENCY_SECONDS = 0.04
BASE_ORDER_LATENCY_SECONDS = 0.08


def healthy_api(registry: Registry) -> None:
    """Steady traffic well inside every threshold; every series of the contract exists."""
    for method, path in API_ROUTES:
        registry.set_rate("http_requests_total", {"method": method, "path": path, "status": "200"}, 20)
        registry.set_rate("http_requests_total", {"method": method, "path": path, "status": "404"}, 0.2)
        # 5xx series exist from the start (at 0) so error ratios read 0, not "no data".
        registry.set_rate("http_requests_total", {"method": method, "path": path, "status": "503"}, 0)
        registry.observe("http_request_duration_seconds", {"method": method, "path": path},
                         BASE_LATENCY_SECONDS, 20)
    for operation in ("db_query", "risk_check"):
        registry.observe("backend_processing_seconds", {"operation": operation}, 0.01, 30)


def healthy_trading(registry: Registry) -> None:
    for strategy in STRATEGIES:
        for side in ("buy", "sell"):
            registry.set_rate("trading_orders_total", {"strategy": strategy, "side": side, "status": "filled"}, 5)
            registry.set_rate("trading_orders_total", {"strategy": strategy, "side": side, "status": "failed"}, 0.05)
            registry.set_rate("trading_orders_total", {"strategy": strategy, "side": side, "status": "pending"}, 0.5)
            registry.set_rate("trading_orders_total", {"strategy": strategy, "side": side, "status": "rejected"},
                              0.2)
            registry.set_rate("trading_trades_total", {"strategy": strategy, "side": side}, 4)
        for signal in ("buy", "sell", "hold"):
            registry.set_rate("trading_signals_total", {"strategy": strategy, "signal": signal}, 2)
        registry.set_rate("trading_trade_volume_usd_total", {"strategy": strategy}, 25_000)
        registry.observe("trading_order_latency_seconds", {"strategy": strategy}, BASE_ORDER_LATENCY_SECONDS, 10)
        registry.set_gauge("trading_pnl_usd", {"strategy": strategy}, 1520.5)
        registry.set_gauge("trading_return_ratio", {"strategy": strategy}, 0.012)


class ReferenceExporter(JobServers):
    """The API (`api` job) and the trading engine (`trading-engine` job), healthy until told otherwise."""

    def __init__(self, api_port: int, trading_port: int) -> None:
        self.api = Registry(API_FAMILIES)
        self.trading = Registry(TRADING_FAMILIES)
        healthy_api(self.api)
        healthy_trading(self.trading)
        self.servers = [JobServer(self.api, api_port), JobServer(self.trading, trading_port)]

