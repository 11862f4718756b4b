"""Known inputs and the value every recording rule must give for them (`promtool test rules`)."""

from __future__ import annotations

from mixin import rules as rec
from tests.config.alert_case import Series, s

API = 'job="api",instance="api:8000",method="GET"'
TE = 'job="trading-engine",instance="trading-engine:8001",strategy="momentum"'
PG = {"instance": "pg:9187", "datname": "app"}
Expected = list[tuple[str, list[tuple[dict[str, str], float]]]]


def platform_series() -> Series:
    """Host, containers, API and trading inputs."""
    api, te = API, TE
    return [
        s('node_cpu_seconds_total{instance="host-a",cpu="0",mode="idle"}', "0+15x20"),
        s('node_memory_MemAvailable_bytes{instance="host-a"}', "250+0x20"),
        s('node_memory_MemTotal_bytes{instance="host-a"}', "1000+0x20"),
        s('container_cpu_usage_seconds_total{name="grafana",id="/docker/a"}', "0+30x20"),
        s('container_cpu_usage_seconds_total{name="",id="/system.slice"}', "0+60x20"),
        s('container_memory_working_set_bytes{name="grafana",id="/docker/a"}', "100+0x20"),
        s('container_memory_working_set_bytes{name="grafana",id="/docker/b"}', "200+0x20"),
        s(f'http_requests_total{{{api},path="/orders",status="200"}}', "0+90x20"),
        s(f'http_requests_total{{{api},path="/health",status="500"}}', "0+30x20"),
        # A job without any 5xx: error ratio 0, not "no data".
        s('http_requests_total{job="trading-engine",method="GET",path="/metrics",status="200"}', "0+60x20"),
        *[s(f'http_request_duration_seconds_bucket{{{api},path="/orders",le="{le}"}}', v)
          for le, v in (("0.5", "0+60x20"), ("1", "0+60x20"), ("+Inf", "0+60x20"))],
        s(f'http_request_duration_seconds_sum{{{api},path="/orders"}}', "0+15x20"),
        s(f'http_request_duration_seconds_count{{{api},path="/orders"}}', "0+60x20"),
        s(f'trading_orders_total{{{te},side="buy",status="failed"}}', "0+15x20"),
        s(f'trading_orders_total{{{te},side="buy",status="filled"}}', "0+45x20"),
        s(f'trading_signals_total{{{te},signal="buy"}}', "0+30x20"),
        s(f'trading_signals_total{{{te},signal="hold"}}', "0+30x20"),
        s(f'trading_trades_total{{{te},side="buy"}}', "0+15x20"),
        *[s(f'trading_order_latency_seconds_bucket{{{te},le="{le}"}}', v)
          for le, v in (("0.1", "0+0x20"), ("0.5", "0+60x20"), ("+Inf", "0+60x20"))],
        s(f"trading_trade_volume_usd_total{{{te}}}", "0+6000x20"),
    ]


def traffic_and_database_series() -> Series:
    """Host and container traffic, backend latency, PostgreSQL, filesystems, last-seen, up."""
    api, te = API, TE
    return [
        # Host traffic: disks summed; only physical network interfaces count.
        s('node_disk_read_bytes_total{instance="host-a",device="sda"}', "0+600x20"),
        s('node_disk_read_bytes_total{instance="host-a",device="sdb"}', "0+300x20"),
        s('node_disk_written_bytes_total{instance="host-a",device="sda"}', "0+60x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="eth0"}', "0+120x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="lo"}', "0+6000x20"),
        s('node_network_receive_bytes_total{instance="host-a",device="veth1a2b"}', "0+6000x20"),
        s('node_network_transmit_bytes_total{instance="host-a",device="eth0"}', "0+60x20"),
        s('node_network_transmit_bytes_total{instance="host-a",device="docker0"}', "0+600x20"),
        s('container_network_receive_bytes_total{name="grafana",interface="eth0"}', "0+60x20"),
        s('container_network_receive_bytes_total{name="",id="/system.slice",interface="eth0"}', "0+600x20"),
        s('container_network_transmit_bytes_total{name="grafana",interface="eth0"}', "0+30x20"),
        *[s(f'backend_processing_seconds_bucket{{{api},operation="db",le="{le}"}}', v)
          for le, v in (("0.1", "0+0x20"), ("0.5", "0+60x20"), ("+Inf", "0+60x20"))],
        # PostgreSQL: per database, tables and statements summed.
        *[s(f'pg_stat_database_{c}{{instance="pg:9187",datname="app",datid="1"}}', "0+60x20")
          for c in rec.PG_DATABASE_COUNTERS],
        s('pg_statio_user_tables_idx_blocks_hit{instance="pg:9187",datname="app",relname="a"}', "0+60x20"),
        s('pg_statio_user_tables_idx_blocks_hit{instance="pg:9187",datname="app",relname="b"}', "0+120x20"),
        s('pg_statio_user_tables_idx_blocks_read{instance="pg:9187",datname="app",relname="a"}', "0+6x20"),
        s('pg_stat_statements_seconds_total{instance="pg:9187",datname="app",queryid="1",user="u"}', "0+30x20"),
        s('pg_stat_statements_calls_total{instance="pg:9187",datname="app",queryid="1",user="u"}', "0+600x20"),
        # Filesystems: the fullest real one (tmpfs and overlay do not count).
        *[s(f'node_filesystem_{m}_bytes{{instance="host-a",device="{d}",fstype="{f}"}}', v)
          for m, d, f, v in (("avail", "sda1", "ext4", "250+0x20"), ("size", "sda1", "ext4", "1000+0x20"),
                             ("avail", "sdb1", "xfs", "500+0x20"), ("size", "sdb1", "xfs", "1000+0x20"),
                             ("avail", "tmpfs", "tmpfs", "0+0x20"), ("size", "tmpfs", "tmpfs", "100+0x20"))],
        # A container cAdvisor last saw at 5m (its series ends there), and a cgroup without a name.
        s('container_last_seen{name="grafana",id="/docker/a"}', "0+60x5"),
        # Seen until 3m, unseen from 4m to 6m, seen again from 7m: at 10m the copy still says 180 s.
        s('container_last_seen{name="redis",id="/docker/c"}', "0+60x3 _x3 420+60x13"),
        s('container_last_seen{name="",id="/system.slice"}', "0+60x20"),
        s(f"trading_return_ratio{{{te}}}", "0.01+0x20"),
        # One failed scrape at 7m: the 5-minute copy says down at 10m.
        s('up{job="api",instance="api:8000"}', "1+0x6 0 1+0x12"),
    ]


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
