"""Database Performance: the platform's PostgreSQL as postgres-exporter sees it.

One function per panel; `build` composes them.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, timeseries

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings

INSTANCE = 'instance=~"$instance"'
DATABASE = f'{INSTANCE}, datname=~"$database"'
HIT_RATIO = c.thresholds((0.9, "yellow"), (0.99, "green"), base="red")


def _hit_ratio(hit: str, read: str, selector: str) -> str:
    """Share of block requests served from shared buffers (not disk), from recorded per-second rates."""
    hits = f"sum({hit}{{{selector}}})"
    return f"{hits} / ({hits} + sum({read}{{{selector}}}))"


def _rate(counter: str, selector: str, by: str = "") -> str:
    """Sum of the recorded per-second rate of pg_stat_database_<counter> (by `by` when given)."""
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({rec.pg_database_rate(counter)}{{{selector}}})"


BUFFERS = _hit_ratio(rec.pg_database_rate("blks_hit"), rec.pg_database_rate("blks_read"), DATABASE)


def postgres_up(*, runbook: str) -> stat.Panel:
    return c.single("PostgreSQL up", "none", Query(f"min(pg_up{{{INSTANCE}}})"),
                    c.thresholds((1, "green"), base="red"), links=[c.runbook_link(runbook, "PostgresDown")])


def connections_used(*, limits: dash.ThresholdsConfig, runbook: str) -> stat.Panel:
    return c.single("Connections used", "percentunit",
                    Query(f"sum(pg_stat_database_numbackends{{{INSTANCE}}})"
                          f" / max(pg_settings_max_connections{{{INSTANCE}}})"), limits,
                    "Backends of all databases against max_connections.",
                    links=[c.runbook_link(runbook, "LowDbConnections")])


def cache_hit_ratio(*, interval: str) -> stat.Panel:
    return c.single("Cache hit ratio", "percentunit", Query(BUFFERS), HIT_RATIO, min_interval=interval)


def replication_lag_now(*, limits: dash.ThresholdsConfig, runbook: str) -> stat.Panel:
    return c.single("Replication lag", "s", Query(f"max(pg_replication_lag_seconds{{{INSTANCE}}})"), limits,
                    "Empty on a primary without replicas.",
                    links=[c.runbook_link(runbook, "PostgresReplicationLag")])


def connections(*, runbook: str) -> timeseries.Panel:
    return c.graph("Active connections against the maximum", "short",
                   [Query(f"sum by (datname) (pg_stat_database_numbackends{{{DATABASE}}})", "{{datname}}"),
                    Query(f"sum(pg_stat_database_numbackends{{{INSTANCE}}})", "all databases"),
                    Query(f"max(pg_settings_max_connections{{{INSTANCE}}})", "max_connections")],
                   links=[c.runbook_link(runbook, "LowDbConnections")])


def transactions(*, interval: str) -> timeseries.Panel:
    return c.graph("Transactions per second", "ops",
                   [Query(_rate("xact_commit", DATABASE, "datname"), "commit {{datname}}"),
                    Query(_rate("xact_rollback", DATABASE, "datname"), "rollback {{datname}}")], min_interval=interval)


def query_time(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> timeseries.Panel:
    return c.graph("Query time", "s",
                   [Query(f"max by (datname) (pg_stat_activity_max_tx_duration{{{DATABASE}}})", "max {{datname}}"),
                    Query(f"sum by (datname) ({rec.PG_STATEMENT_SECONDS}{{{DATABASE}}})"
                          f" / sum by (datname) ({rec.PG_STATEMENT_CALLS}{{{DATABASE}}})", "average {{datname}}")],
                   limits,
                   "Max: the longest running transaction. Average: mean statement time from "
                   "pg_stat_statements (needs the extension and postgres-exporter's "
                   "--collector.stat_statements; empty without them).",
                   links=[c.runbook_link(runbook, "PostgresSlowQueries")], min_interval=interval)


def hit_ratios(*, interval: str) -> timeseries.Panel:
    return c.graph("Cache and index hit ratio", "percentunit",
                   [Query(BUFFERS, "buffer cache"),
                    Query(_hit_ratio(rec.PG_INDEX_BLOCKS_HIT, rec.PG_INDEX_BLOCKS_READ, DATABASE), "indexes")],
                   HIT_RATIO, "Block requests served from shared buffers rather than disk.", min_interval=interval)


def replication_lag(*, limits: dash.ThresholdsConfig, runbook: str) -> timeseries.Panel:
    return c.graph("Replication lag", "s",
                   [Query(f"max by (instance) (pg_replication_lag_seconds{{{INSTANCE}}})", "{{instance}}")],
                   limits, links=[c.runbook_link(runbook, "PostgresReplicationLag")])


def rows(*, interval: str) -> timeseries.Panel:
    written = " + ".join(_rate(w, DATABASE) for w in ("tup_inserted", "tup_updated", "tup_deleted"))
    return c.graph("Rows fetched and written", "rowsps",
                   [Query(_rate("tup_fetched", DATABASE), "fetched"), Query(written, "written")],
                   min_interval=interval)


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    used = c.warn_crit(t.db_connections_percent / 100 * 0.8, t.db_connections_percent / 100)
    slow = c.warn_crit(t.db_slow_query_seconds / 2, t.db_slow_query_seconds)
    lag = c.warn_crit(t.db_replication_lag_seconds / 2, t.db_replication_lag_seconds)
    ev = settings.prometheus.evaluation_interval
    return (
        c.new_dashboard(c.DATABASE_PERFORMANCE, runbook)
        .with_variable(c.variable("instance", "Exporter", "label_values(pg_up, instance)"))
        .with_variable(c.variable("database", "Database",
                                  'label_values(pg_stat_database_numbackends{instance=~"$instance"}, datname)'))
        .with_panel(postgres_up(runbook=runbook))
        .with_panel(connections_used(limits=used, runbook=runbook))
        .with_panel(cache_hit_ratio(interval=ev))
        .with_panel(replication_lag_now(limits=lag, runbook=runbook))
        .with_panel(connections(runbook=runbook))
        .with_panel(transactions(interval=ev))
        .with_panel(query_time(limits=slow, runbook=runbook, interval=ev))
        .with_panel(hit_ratios(interval=ev))
        .with_panel(replication_lag(limits=lag, runbook=runbook))
        .with_panel(rows(interval=ev))
    )
