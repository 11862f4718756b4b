"""Known inputs and the value every recording rule must give for them (`promtool test rules`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from mixin import rules as rec
from tests.config.alert_case import Series

INPUTS = Path(__file__).with_name("recording_inputs.yml")
PG = {"instance": "pg:9187", "datname": "app"}
Expected = list[tuple[str, list[tuple[dict[str, str], float]]]]


def input_series() -> Series:
    """Host, containers, API, trading, traffic, PostgreSQL and target inputs, in promtool's own format."""
    loaded: Series = yaml.safe_load(INPUTS.read_text())
    return loaded


def expected_platform() -> Expected:
    return [
        (rec.INSTANCE_CPU_UTILISATION, [({"instance": "host-a"}, 0.75)]),
        (rec.INSTANCE_MEMORY_UTILISATION, [({"instance": "host-a"}, 0.75)]),
        (rec.CONTAINER_CPU, [({"name": "grafana"}, 0.5)]),
        (rec.CONTAINER_MEMORY, [({"name": "grafana"}, 300)]),
        (rec.HTTP_REQUESTS_RATE, [({"job": "api"}, 2), ({"job": "trading-engine"}, 1)]),
        (rec.HTTP_REQUESTS_RATE_BY_STATUS, [({"job": "api", "status": "200"}, 1.5),
                                            ({"job": "api", "status": "500"}, 0.5),
                                            ({"job": "trading-engine", "status": "200"}, 1)]),
        (rec.HTTP_REQUESTS_RATE_BY_PATH, [({"job": "api", "path": "/health"}, 0.5),
                                          ({"job": "api", "path": "/orders"}, 1.5),
                                          ({"job": "trading-engine", "path": "/metrics"}, 1)]),
        (rec.HTTP_ERROR_RATIO, [({"job": "api"}, 0.25), ({"job": "trading-engine"}, 0)]),
        # Every request in (0, 0.5]: linear interpolation inside that bucket.
        (rec.HTTP_LATENCY_P95, [({"job": "api"}, 0.475)]),
        (rec.HTTP_LATENCY_P50, [({"job": "api"}, 0.25)]),
        (rec.HTTP_LATENCY_MEAN, [({"job": "api"}, 0.25)]),
        (rec.HTTP_LATENCY_P95_BY_PATH, [({"job": "api", "path": "/orders"}, 0.475)]),
        (rec.ORDERS_RATE, [({"strategy": "momentum", "status": "failed"}, 0.25),
                           ({"strategy": "momentum", "status": "filled"}, 0.75)]),
        (rec.SIGNALS_RATE, [({"strategy": "momentum"}, 1)]),
        (rec.TRADES_RATE, [({"strategy": "momentum"}, 0.25)]),
        (rec.ORDER_LATENCY_P95, [({"strategy": "momentum"}, 0.48)]),
        (rec.ORDER_FAILURE_RATIO, [({"strategy": "momentum"}, 0.25)]),
        (rec.SIGNALS_RATE_BY_SIGNAL, [({"strategy": "momentum", "signal": "buy"}, 0.5),
                                      ({"strategy": "momentum", "signal": "hold"}, 0.5)]),
        (rec.VOLUME_RATE, [({"strategy": "momentum"}, 100)]),
    ]


def expected_traffic_and_database() -> Expected:
    pg = PG
    return [
        (rec.INSTANCE_DISK_READ, [({"instance": "host-a"}, 15)]),
        (rec.INSTANCE_DISK_WRITTEN, [({"instance": "host-a"}, 1)]),
        (rec.INSTANCE_NETWORK_RECEIVE, [({"instance": "host-a"}, 2)]),
        (rec.INSTANCE_NETWORK_TRANSMIT, [({"instance": "host-a"}, 1)]),
        (rec.CONTAINER_NETWORK_RECEIVE, [({"name": "grafana"}, 1)]),
        (rec.CONTAINER_NETWORK_TRANSMIT, [({"name": "grafana"}, 0.5)]),
        # Every request in the first bucket: the max is its upper bound.
        (rec.HTTP_LATENCY_MAX_BY_INSTANCE, [({"job": "api", "instance": "api:8000"}, 0.5)]),
        (rec.BACKEND_P95_BY_OPERATION, [({"job": "api", "operation": "db"}, 0.48)]),
        *[(rec.pg_database_rate(c), [(pg, 1.0)]) for c in rec.PG_DATABASE_COUNTERS],
        (rec.PG_INDEX_BLOCKS_HIT, [(pg, 3.0)]),
        (rec.PG_INDEX_BLOCKS_READ, [(pg, 0.1)]),
        (rec.PG_STATEMENT_SECONDS, [(pg, 0.5)]),
        (rec.PG_STATEMENT_CALLS, [(pg, 10.0)]),
        (rec.INSTANCE_FILESYSTEM_FREE, [({"instance": "host-a"}, 0.25)]),
        # Gone since 5m, evaluated at 10m: unseen for 300 s (the copies: no record at the stack's interval).
        (rec.CONTAINER_UNSEEN, [({"name": "grafana"}, 300), ({"name": "redis"}, 180)]),
        (rec.RETURN_RATIO, [({"strategy": "momentum"}, 0.01)]),
        (rec.TARGET_UP_WORST, [({"job": "api", "instance": "api:8000"}, 0)]),
    ]
