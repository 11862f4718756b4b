"""Recording rules: the aggregates the dashboards and some alerts read, named `level:metric:operations`.

The names are a contract with the Grafana dashboards (docs/metrics.md): each is a module-level
constant so dashboards and alert rules import the name instead of retyping it. Each rule keeps
exactly the labels its panel shows or filters on (issue 14): a panel then reads one series per
line it draws, not every raw series behind it (`make bench` measures what each panel reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from formats.yamlout import dump_yaml

# Host (node-exporter), ratios 0-1 by instance.
INSTANCE_CPU_UTILISATION = "instance:node_cpu_utilisation:rate5m"
INSTANCE_MEMORY_UTILISATION = "instance:node_memory_utilisation:ratio"
# Host traffic, bytes/s by instance (network: physical interfaces only, see PHYSICAL_DEVICES).
INSTANCE_DISK_READ = "instance:node_disk_read_bytes:rate5m"
INSTANCE_DISK_WRITTEN = "instance:node_disk_written_bytes:rate5m"
INSTANCE_NETWORK_RECEIVE = "instance:node_network_receive_bytes_physical:rate5m"
INSTANCE_NETWORK_TRANSMIT = "instance:node_network_transmit_bytes_physical:rate5m"
# Containers (cAdvisor), by `name` = the Docker container name.
CONTAINER_CPU = "name:container_cpu_usage_seconds:rate5m"
CONTAINER_MEMORY = "name:container_memory_working_set_bytes:sum"
CONTAINER_NETWORK_RECEIVE = "name:container_network_receive_bytes:rate5m"
CONTAINER_NETWORK_TRANSMIT = "name:container_network_transmit_bytes:rate5m"
# Platform API.
HTTP_REQUESTS_RATE = "job:http_requests:rate5m"
HTTP_REQUESTS_RATE_BY_STATUS = "job_status:http_requests:rate5m"
HTTP_REQUESTS_RATE_BY_PATH = "job_path:http_requests:rate5m"
HTTP_ERROR_RATIO = "job:http_request_errors:ratio_rate5m"
HTTP_LATENCY_P95 = "job:http_request_duration_seconds:p95_5m"
HTTP_LATENCY_P50 = "job:http_request_duration_seconds:p50_5m"
HTTP_LATENCY_MEAN = "job:http_request_duration_seconds:mean_5m"
HTTP_LATENCY_P95_BY_PATH = "job_path:http_request_duration_seconds:p95_5m"
# Upper bound of the highest bucket that saw a request (histogram_quantile(1, ...)), per instance.
HTTP_LATENCY_MAX_BY_INSTANCE = "job_instance:http_request_duration_seconds:max_5m"
BACKEND_P95_BY_OPERATION = "job_operation:backend_processing_seconds:p95_5m"
# Database (postgres-exporter), per second by instance and database.
PG_DATABASE_COUNTERS = ("xact_commit", "xact_rollback", "blks_hit", "blks_read", "tup_fetched", "tup_inserted",
                        "tup_updated", "tup_deleted")
PG_INDEX_BLOCKS_HIT = "instance_datname:pg_statio_user_tables_idx_blocks_hit:rate5m"
PG_INDEX_BLOCKS_READ = "instance_datname:pg_statio_user_tables_idx_blocks_read:rate5m"
PG_STATEMENT_SECONDS = "instance_datname:pg_stat_statements_seconds:rate5m"
PG_STATEMENT_CALLS = "instance_datname:pg_stat_statements_calls:rate5m"
# Trading engine.
ORDERS_RATE = "strategy_status:trading_orders:rate5m"
SIGNALS_RATE = "strategy:trading_signals:rate5m"
TRADES_RATE = "strategy:trading_trades:rate5m"
ORDER_LATENCY_P95 = "strategy:trading_order_latency_seconds:p95_5m"
ORDER_FAILURE_RATIO = "strategy:trading_order_failures:ratio_rate5m"
SIGNALS_RATE_BY_SIGNAL = "strategy_signal:trading_signals:rate5m"
VOLUME_RATE = "strategy:trading_trade_volume_usd:rate5m"
# Host disks: the free share of the fullest real filesystem, by instance (0-1).
INSTANCE_FILESYSTEM_FREE = "instance:node_filesystem_avail:ratio_min"

# Coarser copies for the graphs that draw a line per container, strategy or host (issue 14): the
# same quantity over each 5 minutes (or each hour), evaluated every 5 minutes (or every hour), so
# the samples tile time. A panel picks the copy by its zoom (mixin.dashboards.common.RESOLUTION):
# the 5-minute copy up to 36 hours, the hourly one beyond, so no panel reads more than ~100k
# samples over 7 days (`make bench`). See `copy_name` and COPIED.
COARSE_INTERVAL = "5m"
HOURLY_INTERVAL = "1h"
COPY_INTERVALS = (COARSE_INTERVAL, HOURLY_INTERVAL)
# Copied quantities that have no record at the stack's interval (their copies' base names).
CONTAINER_UNSEEN = "name:container_last_seen:age_seconds"
TARGET_UP_WORST = "job_instance:up:min5m"  # 0 when any scrape of the target failed in the copy's interval
RETURN_RATIO = "strategy:trading_return_ratio:avg5m"

# Network devices that are Docker plumbing, not the host's traffic.
VIRTUAL_DEVICES = 'device!~"lo|veth.*|docker.*|br-.*"'

RECORDING_FILE = "recording.yml"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str

    def render(self) -> dict[str, Any]:
        return {"record": self.record, "expr": self.expr}


@dataclass(frozen=True)
class RecordingGroup:
    name: str
    rules: tuple[RecordingRule, ...]
    interval: str = ""  # "" = Prometheus's global evaluation interval

    def render(self) -> dict[str, Any]:
        rules = [r.render() for r in self.rules]
        return {"name": self.name, "interval": self.interval, "rules": rules} if self.interval else \
            {"name": self.name, "rules": rules}


def copy_name(record: str, interval: str) -> str:
    """Name of the copy of `record` with one sample every `interval` (same labels), e.g. `..._every1h`."""
    return f"{record}_every{interval}"


def coarse(record: str) -> str:
    """Name of the 5-minute copy of a recorded series."""
    return copy_name(record, COARSE_INTERVAL)


def _ratio_or_zero(numerator: str, denominator: str) -> str:
    # `or ... * 0`: a ratio of 0 (not "no data") when nothing failed yet, so dashboards and
    # alerts see a value as soon as there is traffic.
    return f"({numerator} or {denominator} * 0) / {denominator}"


def _quantile(q: float, by: str, bucket: str) -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({bucket}[5m])))"


def pg_database_rate(counter: str) -> str:
    """Name of the per-second rate of `pg_stat_database_<counter>` by instance and database."""
    return f"instance_datname:pg_stat_database_{counter}:rate5m"


def _rate(by: str, metric: str, selector: str = "", window: str = "5m") -> str:
    return f"sum by ({by}) (rate({metric}{{{selector}}}[{window}]))" if selector else \
        f"sum by ({by}) (rate({metric}[{window}]))"


# Filesystems that hold no data of their own (memory, container layers, snaps, namespaces, lxcfs):
# the DiskSpaceLow alerts and the "Lowest free disk" panel leave out the same ones.
FILESYSTEMS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"'
NAMED = 'name!=""'  # cAdvisor's cgroups that are containers
# A container by name, and on a Swarm by the node it runs on (render/prometheus_swarm.py sets `node`
# on every target; on one host there is no `node` label and the series are the same as by name).
# The records keep their `name:` level prefix: `node` is only the Swarm's placement of that name.
CONTAINER = "node, name"

# A copied quantity over a window ("5m", "1h"). Copies are computed from the raw series (but the
# hourly p95, see _worst_p95): a group then depends on no other group's evaluation time. Over an
# hour, a rate is the mean of the hour's twelve 5-minute rates, a mean of means the mean, a worst
# the worst.
Window = Callable[[str], str]


def _rated(by: str, metric: str, selector: str = "") -> Window:
    return lambda window: _rate(by, metric, selector, window)


def _worst_p95(window: str) -> str:
    # The worst 5-minute p95 in the window (a p95 over the whole hour would hide a bad 5 minutes):
    # the one copy read from a recorded series, the p95 at the stack's interval. A quantile cannot be
    # re-aggregated from raw buckets without a subquery, whose steps the clock aligns (no value until
    # a step boundary passes) and which costs a quantile per step and strategy.
    p95 = _quantile(0.95, "strategy", "trading_order_latency_seconds_bucket")
    return p95 if window == COARSE_INTERVAL else f"max_over_time({ORDER_LATENCY_P95}[{window}])"


# The quantities recorded both at the stack's interval (over 5m) and in the copies: one expression
# each, for any window.
_WINDOWED: dict[str, Window] = {
    INSTANCE_CPU_UTILISATION: lambda w: f'1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle"}}[{w}]))',
    INSTANCE_DISK_READ: _rated("instance", "node_disk_read_bytes_total"),
    INSTANCE_DISK_WRITTEN: _rated("instance", "node_disk_written_bytes_total"),
    INSTANCE_NETWORK_RECEIVE: _rated("instance", "node_network_receive_bytes_total", VIRTUAL_DEVICES),
    INSTANCE_NETWORK_TRANSMIT: _rated("instance", "node_network_transmit_bytes_total", VIRTUAL_DEVICES),
    CONTAINER_CPU: _rated(CONTAINER, "container_cpu_usage_seconds_total", NAMED),
    CONTAINER_NETWORK_RECEIVE: _rated(CONTAINER, "container_network_receive_bytes_total", NAMED),
    CONTAINER_NETWORK_TRANSMIT: _rated(CONTAINER, "container_network_transmit_bytes_total", NAMED),
    ORDERS_RATE: _rated("strategy, status", "trading_orders_total"),
    SIGNALS_RATE: _rated("strategy", "trading_signals_total"),
    SIGNALS_RATE_BY_SIGNAL: _rated("strategy, signal", "trading_signals_total"),
    TRADES_RATE: _rated("strategy", "trading_trades_total"),
    VOLUME_RATE: _rated("strategy", "trading_trade_volume_usd_total"),
    ORDER_LATENCY_P95: _worst_p95,
}


def _over_5m(record: str) -> RecordingRule:
    """The record at the stack's interval: its quantity over the last 5 minutes."""
    return RecordingRule(record, _WINDOWED[record](COARSE_INTERVAL))


FINE_GROUPS: tuple[RecordingGroup, ...] = (
    RecordingGroup("host.rules", (
        _over_5m(INSTANCE_CPU_UTILISATION),
        RecordingRule(INSTANCE_MEMORY_UTILISATION,
                      "1 - sum by (instance) (node_memory_MemAvailable_bytes)"
                      " / sum by (instance) (node_memory_MemTotal_bytes)"),
        _over_5m(INSTANCE_DISK_READ),
        _over_5m(INSTANCE_DISK_WRITTEN),
        _over_5m(INSTANCE_NETWORK_RECEIVE),
        _over_5m(INSTANCE_NETWORK_TRANSMIT),
        RecordingRule(INSTANCE_FILESYSTEM_FREE, f"min by (instance) (node_filesystem_avail_bytes{{{FILESYSTEMS}}}"
                                                f" / node_filesystem_size_bytes{{{FILESYSTEMS}}})"),
    )),
    RecordingGroup("containers.rules", (
        _over_5m(CONTAINER_CPU),
        RecordingRule(CONTAINER_MEMORY, f'sum by ({CONTAINER}) (container_memory_working_set_bytes{{name!=""}})'),
        _over_5m(CONTAINER_NETWORK_RECEIVE),
        _over_5m(CONTAINER_NETWORK_TRANSMIT),
    )),
    RecordingGroup("api.rules", (
        RecordingRule(HTTP_REQUESTS_RATE, "sum by (job) (rate(http_requests_total[5m]))"),
        RecordingRule(HTTP_REQUESTS_RATE_BY_STATUS, "sum by (job, status) (rate(http_requests_total[5m]))"),
        RecordingRule(HTTP_REQUESTS_RATE_BY_PATH, "sum by (job, path) (rate(http_requests_total[5m]))"),
        RecordingRule(HTTP_ERROR_RATIO, _ratio_or_zero(
            'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))',
            "sum by (job) (rate(http_requests_total[5m]))")),
        RecordingRule(HTTP_LATENCY_P95, _quantile(0.95, "job", "http_request_duration_seconds_bucket")),
        RecordingRule(HTTP_LATENCY_P50, _quantile(0.5, "job", "http_request_duration_seconds_bucket")),
        RecordingRule(HTTP_LATENCY_MEAN, "sum by (job) (rate(http_request_duration_seconds_sum[5m]))"
                                         " / sum by (job) (rate(http_request_duration_seconds_count[5m]))"),
        RecordingRule(HTTP_LATENCY_P95_BY_PATH,
                      _quantile(0.95, "job, path", "http_request_duration_seconds_bucket")),
        RecordingRule(HTTP_LATENCY_MAX_BY_INSTANCE,
                      _quantile(1, "job, instance", "http_request_duration_seconds_bucket")),
        RecordingRule(BACKEND_P95_BY_OPERATION, _quantile(0.95, "job, operation", "backend_processing_seconds_bucket")),
    )),
    RecordingGroup("database.rules", (
        *[RecordingRule(pg_database_rate(c), _rate("instance, datname", f"pg_stat_database_{c}"))
          for c in PG_DATABASE_COUNTERS],
        RecordingRule(PG_INDEX_BLOCKS_HIT, _rate("instance, datname", "pg_statio_user_tables_idx_blocks_hit")),
        RecordingRule(PG_INDEX_BLOCKS_READ, _rate("instance, datname", "pg_statio_user_tables_idx_blocks_read")),
        RecordingRule(PG_STATEMENT_SECONDS, _rate("instance, datname", "pg_stat_statements_seconds_total")),
        RecordingRule(PG_STATEMENT_CALLS, _rate("instance, datname", "pg_stat_statements_calls_total")),
    )),
    RecordingGroup("trading.rules", (
        _over_5m(ORDERS_RATE),
        _over_5m(SIGNALS_RATE),
        _over_5m(TRADES_RATE),
        _over_5m(ORDER_LATENCY_P95),
        # Failed orders only: `rejected` is the risk limits doing their job, not a fault.
        RecordingRule(ORDER_FAILURE_RATIO, _ratio_or_zero(
            'sum by (strategy) (rate(trading_orders_total{status="failed"}[5m]))',
            "sum by (strategy) (rate(trading_orders_total[5m]))")),
        _over_5m(SIGNALS_RATE_BY_SIGNAL),
        _over_5m(VOLUME_RATE),
    )),
)


COPIED: dict[str, tuple[tuple[str, Window], ...]] = {
    "host": (
        (INSTANCE_CPU_UTILISATION, _WINDOWED[INSTANCE_CPU_UTILISATION]),
        (INSTANCE_MEMORY_UTILISATION,
         lambda w: f"1 - sum by (instance) (avg_over_time(node_memory_MemAvailable_bytes[{w}]))"
                   f" / sum by (instance) (avg_over_time(node_memory_MemTotal_bytes[{w}]))"),
        *((r, _WINDOWED[r]) for r in (INSTANCE_DISK_READ, INSTANCE_DISK_WRITTEN, INSTANCE_NETWORK_RECEIVE,
                                      INSTANCE_NETWORK_TRANSMIT)),
    ),
    "containers": (
        (CONTAINER_CPU, _WINDOWED[CONTAINER_CPU]),
        (CONTAINER_MEMORY,
         lambda w: f"sum by ({CONTAINER}) (avg_over_time(container_memory_working_set_bytes{{{NAMED}}}[{w}]))"),
        *((r, _WINDOWED[r]) for r in (CONTAINER_NETWORK_RECEIVE, CONTAINER_NETWORK_TRANSMIT)),
        # The longest a container went unseen by cAdvisor in the window, checked each minute (an
        # absence of a minute or more between two evaluations counts); last_over_time keeps a
        # container that is gone (its series ends) for an hour, so its age grows instead of ending.
        (CONTAINER_UNSEEN, lambda w: f"max by ({CONTAINER}) (max_over_time((time() - last_over_time("
                                     f"container_last_seen{{{NAMED}}}[1h]))[{w}:1m]))"),
    ),
    "targets": ((TARGET_UP_WORST, lambda w: f"min by (job, instance) (min_over_time(up[{w}]))"),),
    "trading": (
        *((r, _WINDOWED[r]) for r in (ORDERS_RATE, SIGNALS_RATE, SIGNALS_RATE_BY_SIGNAL, TRADES_RATE, VOLUME_RATE,
                                      ORDER_LATENCY_P95)),
        (RETURN_RATIO, lambda w: f"max by (strategy) (avg_over_time(trading_return_ratio[{w}]))"),
    ),
}

COPY_GROUPS: tuple[RecordingGroup, ...] = tuple(
    RecordingGroup(f"{area}.{interval}.rules",
                   tuple(RecordingRule(copy_name(record, interval), window(interval)) for record, window in copied),
                   interval)
    for interval in COPY_INTERVALS for area, copied in COPIED.items())
RECORDING_GROUPS: tuple[RecordingGroup, ...] = FINE_GROUPS + COPY_GROUPS


def recording_rule_names() -> list[str]:
    return [rule.record for group in RECORDING_GROUPS for rule in group.rules]


def recording_rule_intervals() -> dict[str, str]:
    """Recorded series -> its group's interval ("" = the global evaluation interval)."""
    return {rule.record: group.interval for group in RECORDING_GROUPS for rule in group.rules}


def render_recording_rules() -> str:
    return dump_yaml({"groups": [g.render() for g in RECORDING_GROUPS]})
