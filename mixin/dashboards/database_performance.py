"""Database Performance: the platform's PostgreSQL as postgres-exporter sees it."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings


def _hit_ratio(hit: str, read: str, selector: str) -> str:
    """Share of block requests served from shared buffers (not disk), from recorded per-second rates."""
    hits = f"sum({hit}{{{selector}}})"
    return f"{hits} / ({hits} + sum({read}{{{selector}}}))"


def _rate(counter: str, selector: str, by: str = "") -> str:
    """Sum of the recorded per-second rate of pg_stat_database_<counter> (by `by` when given)."""
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({rec.pg_database_rate(counter)}{{{selector}}})"


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    inst = 'instance=~"$instance"'
    db = f'{inst}, datname=~"$database"'
    connections = c.warn_crit(t.db_connections_percent / 100 * 0.8, t.db_connections_percent / 100)
    slow = c.warn_crit(t.db_slow_query_seconds / 2, t.db_slow_query_seconds)
    lag = c.warn_crit(t.db_replication_lag_seconds / 2, t.db_replication_lag_seconds)
    hit_ratio = c.thresholds((0.9, "yellow"), (0.99, "green"), base="red")
    ev = settings.prometheus.evaluation_interval
    buffers = _hit_ratio(rec.pg_database_rate("blks_hit"), rec.pg_database_rate("blks_read"), db)
    return (
        c.new_dashboard(c.DATABASE_PERFORMANCE, "PostgreSQL of the Christmas platform (postgres-exporter).",
                        runbook)
        .with_variable(c.variable("instance", "Exporter", "label_values(pg_up, instance)"))
        .with_variable(c.variable("database", "Database",
                                  'label_values(pg_stat_database_numbackends{instance=~"$instance"}, datname)'))
        .with_panel(c.single("PostgreSQL up", "none", Query(f"min(pg_up{{{inst}}})"),
                             c.thresholds((1, "green"), base="red"),
                             links=[c.runbook_link(runbook, "PostgresDown")]))
        .with_panel(c.single("Connections used", "percentunit",
                             Query(f"sum(pg_stat_database_numbackends{{{inst}}})"
                                   f" / max(pg_settings_max_connections{{{inst}}})"), connections,
                             "Backends of all databases against max_connections.",
                             links=[c.runbook_link(runbook, "LowDbConnections")]))
        .with_panel(c.single("Cache hit ratio", "percentunit",
                             Query(buffers), hit_ratio, min_interval=ev))
        .with_panel(c.single("Replication lag", "s", Query(f"max(pg_replication_lag_seconds{{{inst}}})"), lag,
                             "Empty on a primary without replicas.",
                             links=[c.runbook_link(runbook, "PostgresReplicationLag")]))
        .with_panel(c.graph("Active connections against the maximum", "short",
                            [Query(f"sum by (datname) (pg_stat_database_numbackends{{{db}}})", "{{datname}}"),
                             Query(f"sum(pg_stat_database_numbackends{{{inst}}})", "all databases"),
                             Query(f"max(pg_settings_max_connections{{{inst}}})", "max_connections")],
                            links=[c.runbook_link(runbook, "LowDbConnections")]))
        .with_panel(c.graph("Transactions per second", "ops",
                            [Query(_rate("xact_commit", db, "datname"), "commit {{datname}}"),
                             Query(_rate("xact_rollback", db, "datname"), "rollback {{datname}}")], min_interval=ev))
        .with_panel(c.graph("Query time", "s",
                            [Query(f"max by (datname) (pg_stat_activity_max_tx_duration{{{db}}})",
                                   "max {{datname}}"),
                             Query(f"sum by (datname) ({rec.PG_STATEMENT_SECONDS}{{{db}}})"
                                   f" / sum by (datname) ({rec.PG_STATEMENT_CALLS}{{{db}}})", "average {{datname}}")],
                            slow,
                            "Max: the longest running transaction. Average: mean statement time from "
                            "pg_stat_statements (needs the extension and postgres-exporter's "
                            "--collector.stat_statements; empty without them).",
                            links=[c.runbook_link(runbook, "PostgresSlowQueries")], min_interval=ev))
        .with_panel(c.graph("Cache and index hit ratio", "percentunit",
                            [Query(buffers, "buffer cache"),
                             Query(_hit_ratio(rec.PG_INDEX_BLOCKS_HIT, rec.PG_INDEX_BLOCKS_READ, db), "indexes")],
                            hit_ratio, "Block requests served from shared buffers rather than disk.", min_interval=ev))
        .with_panel(c.graph("Replication lag", "s",
                            [Query(f"max by (instance) (pg_replication_lag_seconds{{{inst}}})", "{{instance}}")],
                            lag, links=[c.runbook_link(runbook, "PostgresReplicationLag")]))
        .with_panel(c.graph("Rows fetched and written", "rowsps",
                            [Query(_rate("tup_fetched", db), "fetched"),
                             Query(" + ".join(_rate(w, db) for w in ("tup_inserted", "tup_updated", "tup_deleted")),
                                   "written")], min_interval=ev))
    )
