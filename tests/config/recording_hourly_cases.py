"""An hour of inputs whose first and second halves differ, and the value every hourly copy must give.

Evaluated at 60m: each hourly copy is the hour's mean (rates, gauges), worst (p95 latency, time
unseen) or lowest (`up`), so it differs from the 5-minute copy, which sees only the last 5 minutes.
"""

from __future__ import annotations

from mixin import rules as rec
from tests.config.alert_case import Series, s
from tests.config.recording_cases import Expected

# A counter idle for 30 minutes, then counting 1 a second: 0.5/s over the hour, 1/s over its last 5 minutes.
HALF = "0+0x29 0+60x30"
# A gauge at `a` for the first 30 minutes and `b` for the last 30 (no sample at 0m: 60 in the hour).
HOST = 'instance="host-a"'


def gauge(a: float, b: float) -> str:
    return f"_ {a:g}+0x29 {b:g}+0x29"


def hourly_series() -> Series:
    te = 'job="trading-engine",instance="trading-engine:8001",strategy="momentum"'
    return [
        s(f'node_cpu_seconds_total{{{HOST},cpu="0",mode="idle"}}', HALF),
        s(f"node_memory_MemAvailable_bytes{{{HOST}}}", gauge(250, 750)),
        s(f"node_memory_MemTotal_bytes{{{HOST}}}", gauge(1000, 1000)),
        *[s(f'node_{m}_bytes_total{{{HOST},device="{d}"}}', HALF) for m, d in (
            ("disk_read", "sda"), ("disk_written", "sda"), ("network_receive", "eth0"), ("network_transmit", "eth0"))],
        s(f'node_network_receive_bytes_total{{{HOST},device="lo"}}', "0+6000x60"),  # not a physical interface
        *[s(f'container_{m}{{name="grafana",id="/docker/a",interface="eth0"}}', HALF) for m in (
            "cpu_usage_seconds_total", "network_receive_bytes_total", "network_transmit_bytes_total")],
        s('container_memory_working_set_bytes{name="grafana",id="/docker/a"}', gauge(100, 300)),
        s('container_last_seen{name="grafana",id="/docker/a"}', "0+60x60"),
        # Unseen from 20m to 29m: 600 s at 29m, seen again from 30m.
        s('container_last_seen{name="redis",id="/docker/c"}', "0+60x19 _x10 1800+60x30"),
        s('up{job="api",instance="api:8000"}', "1+0x39 0 1+0x20"),  # one failed scrape, at 40m
        s(f'trading_orders_total{{{te},side="buy",status="failed"}}', HALF),
        s(f'trading_signals_total{{{te},signal="buy"}}', HALF),
        s(f'trading_signals_total{{{te},signal="hold"}}', HALF),
        s(f'trading_trades_total{{{te},side="buy"}}', HALF),
        s(f"trading_trade_volume_usd_total{{{te}}}", "0+0x29 0+6000x30"),
        # Orders under 0.1 s for 30 minutes (p95 0.095), then in (0.1, 0.5] (p95 0.48); the hour's
        # own p95 would be 0.46: the copy keeps the worst 5 minutes, 0.48.
        s(f'trading_order_latency_seconds_bucket{{{te},le="0.1"}}', "0+60x29 1740+0x30"),
        *[s(f'trading_order_latency_seconds_bucket{{{te},le="{le}"}}', "0+60x60") for le in ("0.5", "+Inf")],
        s(f"trading_return_ratio{{{te}}}", gauge(0.01, 0.03)),
    ]


def expected_hourly() -> Expected:
    """Base record -> its hourly copy's samples at 60m."""
    host, strategy = {"instance": "host-a"}, {"strategy": "momentum"}
    return [
        (rec.INSTANCE_CPU_UTILISATION, [(host, 0.5)]),
        (rec.INSTANCE_MEMORY_UTILISATION, [(host, 0.5)]),
        *[(r, [(host, 0.5)]) for r in (rec.INSTANCE_DISK_READ, rec.INSTANCE_DISK_WRITTEN, rec.INSTANCE_NETWORK_RECEIVE,
                                       rec.INSTANCE_NETWORK_TRANSMIT)],
        *[(r, [({"name": "grafana"}, 0.5)]) for r in (rec.CONTAINER_CPU, rec.CONTAINER_NETWORK_RECEIVE,
                                                      rec.CONTAINER_NETWORK_TRANSMIT)],
        (rec.CONTAINER_MEMORY, [({"name": "grafana"}, 200)]),
        (rec.CONTAINER_UNSEEN, [({"name": "grafana"}, 0), ({"name": "redis"}, 600)]),
        (rec.TARGET_UP_WORST, [({"job": "api", "instance": "api:8000"}, 0)]),
        (rec.ORDERS_RATE, [({**strategy, "status": "failed"}, 0.5)]),
        (rec.SIGNALS_RATE, [(strategy, 1.0)]),
        (rec.SIGNALS_RATE_BY_SIGNAL, [({**strategy, "signal": "buy"}, 0.5), ({**strategy, "signal": "hold"}, 0.5)]),
        (rec.TRADES_RATE, [(strategy, 0.5)]),
        (rec.VOLUME_RATE, [(strategy, 50)]),
        (rec.ORDER_LATENCY_P95, [(strategy, 0.48)]),
        (rec.RETURN_RATIO, [(strategy, 0.02)]),
    ]


RATES = {rec.INSTANCE_DISK_READ, rec.INSTANCE_DISK_WRITTEN, rec.INSTANCE_NETWORK_RECEIVE, rec.INSTANCE_NETWORK_TRANSMIT,
         rec.CONTAINER_CPU, rec.CONTAINER_NETWORK_RECEIVE, rec.CONTAINER_NETWORK_TRANSMIT, rec.ORDERS_RATE,
         rec.SIGNALS_RATE, rec.SIGNALS_RATE_BY_SIGNAL, rec.TRADES_RATE, rec.VOLUME_RATE}


def over_three_hours(base: str, samples: list[tuple[dict[str, str], float]]) -> list[tuple[dict[str, str], float]]:
    """The 3-hour copy's samples on the same single hour of inputs: a rate is a third (the counter did
    not count in the two hours before; `rate` divides by the window), CPU utilisation 1 - idle/3;
    means of gauges, worst and lowest are the hour's."""
    if base in RATES:
        return [(labels, value * (1 / 3)) for labels, value in samples]  # as promtool rounds it
    if base == rec.INSTANCE_CPU_UTILISATION:
        return [(labels, 1 - (1 - value) / 3) for labels, value in samples]
    return samples


def copy_of_copy(interval: str = rec.HOURLY_INTERVAL) -> list[tuple[str, str]]:
    """(hourly copy, the same over the hour's twelve 5-minute copies): a rate is their mean, a worst
    their worst, `up` their lowest. A gauge's hourly mean is the mean of the hour's raw samples, which
    the 5-minute means only approximate: Prometheus 2.x ranges include both ends, so a sample on a
    5-minute boundary counts in two 5-minute copies (here 197.2 for 200)."""
    over = {rec.CONTAINER_CPU: "avg", rec.SIGNALS_RATE: "avg", rec.VOLUME_RATE: "avg",
            rec.ORDER_LATENCY_P95: "max", rec.CONTAINER_UNSEEN: "max", rec.TARGET_UP_WORST: "min"}
    if interval != rec.HOURLY_INTERVAL:  # rates over 3 hours count the idle hours (over_three_hours)
        over = {r: f for r, f in over.items() if f != "avg"}
    return [(rec.copy_name(r, interval), f"{f}_over_time({rec.coarse(r)}[{interval}:5m])") for r, f in over.items()]
