"""Metric names of exporters that cannot run here, as those exporters name them.

Used to show that a dashboard panel or recording rule without data here reads a real metric
of an exporter the stack deploys (cAdvisor, Fluent Bit, Grafana, the newer postgres-exporter
image), not a typo.
"""

from __future__ import annotations

# cAdvisor v0.52 (docs/storage/prometheus.md of google/cadvisor): needs a Docker engine.
CADVISOR = frozenset({
    "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
    "container_spec_memory_limit_bytes", "container_start_time_seconds", "container_oom_events_total",
    "container_network_receive_bytes_total", "container_network_transmit_bytes_total", "container_last_seen",
})
# Fluent Bit 3.2 /api/v2/metrics/prometheus (played by tests/integration/log_pipeline.py in the alert tests).
FLUENT_BIT = frozenset({
    "fluentbit_input_records_total", "fluentbit_input_bytes_total", "fluentbit_output_proc_records_total",
    "fluentbit_output_proc_bytes_total", "fluentbit_output_errors_total", "fluentbit_output_retries_total",
    "fluentbit_output_retries_failed_total", "fluentbit_output_dropped_records_total",
})
# postgres-exporter collectors of the image the stack deploys (v0.17) that Debian's 0.11 lacks.
POSTGRES_EXPORTER_NEWER = frozenset({
    # `replication` collector (0.13+); 0 on a primary.
    "pg_replication_lag_seconds",
    # `statio_user_tables` collector (0.13+); series only once the database has user tables.
    "pg_statio_user_tables_idx_blocks_hit", "pg_statio_user_tables_idx_blocks_read",
    # `stat_statements` collector: off unless --collector.stat_statements, and needs the extension.
    "pg_stat_statements_seconds_total", "pg_stat_statements_calls_total",
})
NOT_RUNNABLE_SOURCES: dict[str, frozenset[str]] = {
    "cAdvisor": CADVISOR,
    "Fluent Bit": FLUENT_BIT,
    "postgres-exporter v0.17 collectors (Debian has 0.11)": POSTGRES_EXPORTER_NEWER,
}
