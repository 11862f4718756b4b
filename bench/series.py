"""The benchmark's platform: every series docs/metrics.md and the dashboards read, at a chosen size.

Names and labels are those the exporters emit (node-exporter, cAdvisor with per-CPU metrics off,
postgres_exporter with stat_statements) and the metric contract's platform series, with the `job`
and `instance` labels Prometheus adds. Values are smooth, deterministic functions of time (so the
windows written separately join up): counters increase with a daily swing, gauges wave around a
level. The shapes only have to be plausible; the benchmark measures how much a query reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY = 86400.0
PHASES = 17  # series are spread over this many phases of the daily swing
CPU_MODES = {"idle": 0.62, "user": 0.24, "system": 0.08, "iowait": 0.02, "irq": 0.005, "softirq": 0.01,
             "steal": 0.003, "nice": 0.002}
FILESYSTEMS = (("/dev/sda1", "ext4", "/"), ("/dev/sdb1", "xfs", "/var/lib/docker"), ("tmpfs", "tmpfs", "/run"),
               ("overlay", "overlay", "/var/lib/docker/overlay2/merged"))
NET_DEVICES = ("eth0", "eth1", "lo", "docker0", "veth1a2b3c", "br-5f3e2a")
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")
API_BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
ORDER_BUCKETS = ("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
ORDER_STATUSES = {"filled": 0.9, "pending": 0.05, "rejected": 0.04, "failed": 0.01}
PG_STATES = ("active", "idle", "idle in transaction", "disabled")


def _size(default: int, meaning: str) -> Any:
    """A size field with its `--help` text (bench/__main__.py builds the flags from the fields)."""
    return field(default=default, metadata={"help": meaning})


@dataclass(frozen=True)
class Size:
    """How big the platform is; the defaults are issue 14's mid-size deployment (about 18-19k series)."""

    hosts: int = _size(24, "hosts running node-exporter")
    cpus_per_host: int = _size(16, "CPUs of each host (node_cpu_seconds_total per CPU and mode)")
    containers: int = _size(120, "containers cAdvisor reports, spread over the hosts")
    api_instances: int = _size(12, "instances of the platform API")
    api_routes: int = _size(39, "method/path pairs each API instance serves, each with a 12-bucket latency "
                                "histogram")
    backend_operations: int = _size(12, "backend operations timed by backend_processing_seconds")
    engines: int = _size(6, "trading engines")
    strategies: int = _size(60, "strategies over all engines (signals, orders, trades, P&L per strategy)")
    pg_instances: int = _size(2, "PostgreSQL instances behind postgres-exporter")
    pg_databases: int = _size(3, "databases per instance")
    pg_tables: int = _size(120, "user tables per instance (pg_statio_user_tables)")
    pg_statements: int = _size(100, "pg_stat_statements entries per instance")


Curve = Callable[[int, list[int]], list[float]]


def _counter_curve(phase: int, times: list[int]) -> list[float]:
    """Seconds-equivalent of a unit rate with a +-50% daily swing (integral of 1 + 0.5 cos: increasing)."""
    omega, shift = 2 * math.pi / DAY, phase / PHASES * 2 * math.pi
    return [t - 1.6e9 + 0.5 * math.sin(omega * t + shift) / omega for t in times]


def _gauge_curve(phase: int, times: list[int]) -> list[float]:
    shift = phase / PHASES * 2 * math.pi
    return [1 + 0.3 * math.sin(2 * math.pi * t / DAY + shift) + 0.05 * math.sin(t / 97.0 + shift) for t in times]


def _flat_curve(phase: int, times: list[int]) -> list[float]:
    return [1.0] * len(times)


def _clock_curve(phase: int, times: list[int]) -> list[float]:
    return [float(t) for t in times]


@dataclass
class Family:
    """Series of one metric name: the text before each value (`name{labels} `) and how values move.

    A series' value is its `level` times a curve shared by every series of the same phase, so a
    window costs one curve per phase plus one multiplication per sample.
    """

    prefixes: list[str] = field(default_factory=list)
    levels: list[float] = field(default_factory=list)
    curve: Curve = _counter_curve
    integer: bool = True

    def add(self, name: str, labels: dict[str, str], level: float) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        self.prefixes.append(f"{name}{{{text}}} ")
        self.levels.append(level)

    def rows(self, times: list[int]) -> Iterator[tuple[str, list[str]]]:
        """(prefix, formatted values at `times`) for each series."""
        curves = [self.curve(phase, times) for phase in range(PHASES)]
        for index, (prefix, level) in enumerate(zip(self.prefixes, self.levels, strict=True)):
            curve = curves[index % PHASES]
            if self.integer:
                yield prefix, [str(int(level * c)) for c in curve]
            else:
                yield prefix, [str(round(level * c, 3)) for c in curve]


def gauge(integer: bool = True) -> Family:
    return Family(curve=_gauge_curve, integer=integer)


def flat() -> Family:
    return Family(curve=_flat_curve)


def _lbl(job: str, instance: str, **labels: str) -> dict[str, str]:
    return {"instance": instance, "job": job, **labels}


def node_exporter(size: Size) -> list[Family]:
    cpu, mem, disk_io, net, gauges, flat_ = Family(integer=False), gauge(), Family(), Family(), gauge(), flat()
    for h in range(size.hosts):
        inst = f"host-{h:02d}:9100"
        for c in range(size.cpus_per_host):
            for mode, share in CPU_MODES.items():
                cpu.add("node_cpu_seconds_total", _lbl("node_exporter", inst, cpu=str(c), mode=mode), share)
        mem.add("node_memory_MemAvailable_bytes", _lbl("node_exporter", inst), 24e9)
        flat_.add("node_memory_MemTotal_bytes", _lbl("node_exporter", inst), 64e9)
        for device, fstype, mountpoint in FILESYSTEMS:
            fs = _lbl("node_exporter", inst, device=device, fstype=fstype, mountpoint=mountpoint)
            gauges.add("node_filesystem_avail_bytes", fs, 2e11)
            flat_.add("node_filesystem_size_bytes", fs, 5e11)
            flat_.add("node_filesystem_readonly", fs, 0)
        for device in ("sda", "sdb"):
            disk_io.add("node_disk_read_bytes_total", _lbl("node_exporter", inst, device=device), 4e6)
            disk_io.add("node_disk_written_bytes_total", _lbl("node_exporter", inst, device=device), 9e6)
        for device in NET_DEVICES:
            net.add("node_network_receive_bytes_total", _lbl("node_exporter", inst, device=device), 2e6)
            net.add("node_network_transmit_bytes_total", _lbl("node_exporter", inst, device=device), 1.5e6)
        flat_.add("node_uname_info", _lbl("node_exporter", inst, domainname="(none)", machine="x86_64",
                                         nodename=f"host-{h:02d}", release="6.1.0-27-amd64", sysname="Linux",
                                         version="#1 SMP Debian 6.1.115-1"), 1)
    return [cpu, mem, disk_io, net, gauges, flat_]


def cadvisor(size: Size) -> list[Family]:
    cpu, gauges, net, flat_, seen = Family(integer=False), gauge(), Family(), flat(), \
        Family(curve=_clock_curve)
    for n in range(size.containers):
        inst = f"host-{n % size.hosts:02d}:8080"
        service = f"christmas-platform-prod-svc{n:03d}"
        ident = {"id": f"/system.slice/docker-{n:064x}.scope", "image": f"registry.local/svc{n % 40:02d}:1.4.2",
                 "name": service}
        cpu.add("container_cpu_usage_seconds_total", _lbl("cadvisor", inst, cpu="total", **ident), 0.05 + n % 9 / 10)
        gauges.add("container_memory_working_set_bytes", _lbl("cadvisor", inst, **ident), 2e8 + n % 13 * 1e8)
        flat_.add("container_spec_memory_limit_bytes", _lbl("cadvisor", inst, **ident), 2e9)
        flat_.add("container_start_time_seconds", _lbl("cadvisor", inst, **ident), 1.79e9 + n)
        flat_.add("container_oom_events_total", _lbl("cadvisor", inst, **ident), 0)
        seen.add("container_last_seen", _lbl("cadvisor", inst, **ident), 0)
        for metric, rate in (("container_network_receive_bytes_total", 5e5), ("container_network_transmit_bytes_total",
                                                                                3e5)):
            net.add(metric, _lbl("cadvisor", inst, interface="eth0", **ident), rate)
    for h in range(size.hosts):  # cgroups that are not containers: no `name`
        for cgroup in ("/", "/system.slice", "/system.slice/docker.service"):
            cpu.add("container_cpu_usage_seconds_total", _lbl("cadvisor", f"host-{h:02d}:8080", cpu="total",
                                                                id=cgroup), 2.0)
            gauges.add("container_memory_working_set_bytes", _lbl("cadvisor", f"host-{h:02d}:8080", id=cgroup), 8e9)
    return [cpu, gauges, net, flat_, seen]


def histogram(name: str, series: Sequence[tuple[dict[str, str], float]], buckets: Sequence[str],
              base: float) -> list[Family]:
    """Buckets (cumulative share of `count`), `_sum` and `_count` of each (labels, requests/s)."""
    counts, sums = Family(), Family(integer=False)
    for labels, rate in series:
        for i, le in enumerate(buckets):
            share = 1.0 if le == "+Inf" else min(1.0, 1 - 0.9 ** (i + 1) * 0.9)
            counts.add(f"{name}_bucket", {**labels, "le": le}, rate * share)
        counts.add(f"{name}_count", labels, rate)
        sums.add(f"{name}_sum", labels, rate * base)
    return [counts, sums]


def api(size: Size) -> list[Family]:
    requests = Family()
    latency: list[tuple[dict[str, str], float]] = []
    backend: list[tuple[dict[str, str], float]] = []
    for i in range(size.api_instances):
        inst = f"api-{i:02d}:8000"
        for r in range(size.api_routes):
            method, path = HTTP_METHODS[r % 4], f"/v1/resource{r // 4}/{{id}}" if r % 2 else f"/v1/resource{r // 4}"
            statuses = {"200": 20.0, "400": 0.4, "404": 0.2, "500": 0.05, "503": 0.02}
            for status in list(statuses)[: 3 + r % 3]:
                requests.add("http_requests_total", _lbl("api", inst, method=method, path=path, status=status),
                             statuses[status])
            latency.append((_lbl("api", inst, method=method, path=path), 20.0))
        for o in range(size.backend_operations):
            backend.append((_lbl("api", inst, operation=f"op_{o:02d}"), 15.0))
    return [requests, *histogram("http_request_duration_seconds", latency, API_BUCKETS, 0.08),
            *histogram("backend_processing_seconds", backend, API_BUCKETS, 0.03)]


def trading(size: Size) -> list[Family]:
    orders, signals, trades, volume, gauges = Family(), Family(), Family(), Family(), gauge(integer=False)
    latency: list[tuple[dict[str, str], float]] = []
    for s in range(size.strategies):
        inst = f"engine-{s % size.engines}:8001"
        strategy = f"strategy_{s:03d}"
        for side in ("buy", "sell"):
            for status, share in ORDER_STATUSES.items():
                orders.add("trading_orders_total", _lbl("trading-engine", inst, side=side, status=status,
                                                        strategy=strategy), 2 * share)
            trades.add("trading_trades_total", _lbl("trading-engine", inst, side=side, strategy=strategy), 1.8)
        for signal in ("buy", "sell", "hold"):
            signals.add("trading_signals_total", _lbl("trading-engine", inst, signal=signal, strategy=strategy), 3)
        volume.add("trading_trade_volume_usd_total", _lbl("trading-engine", inst, strategy=strategy), 9000)
        gauges.add("trading_pnl_usd", _lbl("trading-engine", inst, strategy=strategy), 1e5)
        gauges.add("trading_return_ratio", _lbl("trading-engine", inst, strategy=strategy), 0.01)
        latency.append((_lbl("trading-engine", inst, strategy=strategy), 4.0))
    return [orders, signals, trades, volume, gauges,
            *histogram("trading_order_latency_seconds", latency, ORDER_BUCKETS, 0.02)]


def postgres(size: Size) -> list[Family]:
    stats, gauges, flat_, statio, statements = Family(), gauge(), flat(), Family(), Family(integer=False)
    job = "postgres-exporter"
    for p in range(size.pg_instances):
        inst = f"pg-{p}:9187"
        flat_.add("pg_up", _lbl(job, inst), 1)
        flat_.add("pg_settings_max_connections", _lbl(job, inst), 500)
        gauges.add("pg_replication_lag_seconds", _lbl(job, inst), 0.5 * p)
        for d in range(size.pg_databases):
            db = f"db{d}" if d else "christmas"
            gauges.add("pg_stat_database_numbackends", _lbl(job, inst, datname=db, datid=str(16384 + d)), 40)
            for metric, rate in (("xact_commit", 300), ("xact_rollback", 2), ("blks_hit", 9e4), ("blks_read", 500),
                                 ("tup_fetched", 2e4), ("tup_inserted", 300), ("tup_updated", 200),
                                 ("tup_deleted", 20)):
                stats.add(f"pg_stat_database_{metric}", _lbl(job, inst, datname=db, datid=str(16384 + d)), rate)
            for state in PG_STATES:
                gauges.add("pg_stat_activity_max_tx_duration", _lbl(job, inst, datname=db, state=state), 2)
        for t in range(size.pg_tables):
            table = _lbl(job, inst, datname="christmas", relname=f"table_{t:03d}", schemaname="public")
            statio.add("pg_statio_user_tables_idx_blocks_hit", table, 300)
            statio.add("pg_statio_user_tables_idx_blocks_read", table, 3)
        for q in range(size.pg_statements):
            query = _lbl(job, inst, datname="christmas", queryid=str(7_000_000_000 + q), user="christmas")
            statements.add("pg_stat_statements_calls_total", query, 10)
            statements.add("pg_stat_statements_seconds_total", query, 0.02)
    return [stats, gauges, flat_, statio, statements]


def scrape_health(size: Size) -> list[Family]:
    up = flat()
    targets = ([("node_exporter", f"host-{h:02d}:9100") for h in range(size.hosts)]
               + [("cadvisor", f"host-{h:02d}:8080") for h in range(size.hosts)]
               + [("api", f"api-{i:02d}:8000") for i in range(size.api_instances)]
               + [("trading-engine", f"engine-{e}:8001") for e in range(size.engines)]
               + [("postgres-exporter", f"pg-{p}:9187") for p in range(size.pg_instances)])
    for job, inst in targets:
        up.add("up", _lbl(job, inst), 1)
    return [up]


def platform(size: Size) -> list[Family]:
    """Every family of the benchmark's platform."""
    return [*node_exporter(size), *cadvisor(size), *api(size), *trading(size), *postgres(size), *scrape_health(size)]


def series_count(families: Sequence[Family]) -> int:
    return sum(len(f.prefixes) for f in families)
