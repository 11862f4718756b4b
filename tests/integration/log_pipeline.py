"""Stand-ins for the log pipeline's exporters, which cannot run here, with an Elasticsearch that refuses writes.

Fluent Bit 3.2 (`/api/v2/metrics/prometheus`) and elasticsearch_exporter v1.11.0 (`/metrics`)
are played with their metric names and label sets as the pinned sources emit them (docs/images.md):
output `es.0`, input `tail.0`, the data stream's backing index `.ds-logs-christmas-<stack>-...`.
From the start Elasticsearch refuses every write: the containers keep logging (Fluent Bit reads
lines), nothing is delivered, chunks are retried, the oldest are dropped once the buffer is full,
and no document reaches the stream. The alerts about it must fire on these series.
"""

from __future__ import annotations

from render.fluent_bit import METRICS_PATH
from settings.log_pipeline import data_stream_name
from settings.model import StackSettings
from tests.integration.reference_exporter import Family, JobServer, JobServers, Registry

FLUENT_BIT_FAMILIES: tuple[Family, ...] = (
    Family("fluentbit_input_records_total", "counter", "Number of input records.", ("name",)),
    Family("fluentbit_output_proc_records_total", "counter", "Number of processed output records.", ("name",)),
    Family("fluentbit_output_retries_total", "counter", "Number of output retries.", ("name",)),
    Family("fluentbit_output_retries_failed_total", "counter", "Number of abandoned batches because the "
           "maximum number of re-tries was reached.", ("name",)),
    Family("fluentbit_output_dropped_records_total", "counter", "Number of dropped records.", ("name",)),
    Family("fluentbit_output_chunk_available_capacity_percent", "gauge", "Available chunk capacity (percent)",
           ("name",)),
)
ES_EXPORTER_FAMILIES: tuple[Family, ...] = (
    Family("elasticsearch_index_stats_indexing_index_total", "counter", "Total indexing index count",
           ("index", "cluster")),
    Family("elasticsearch_cluster_health_status", "gauge", "Whether all primary and replica shards are allocated.",
           ("cluster", "color")),
)
INPUT = {"name": "tail.0"}
OUTPUT = {"name": "es.0"}
LINES_PER_SECOND = 40
# The buffer has filled: 8 % of it is left, and the oldest chunks go.
CAPACITY_LEFT_PERCENT = 8


class LogPipelineStandIn(JobServers):
    def __init__(self, settings: StackSettings, fluent_bit_port: int, es_exporter_port: int) -> None:
        self.fluent_bit = Registry(FLUENT_BIT_FAMILIES)
        self.es_exporter = Registry(ES_EXPORTER_FAMILIES)
        self.backing_index = f".ds-{data_stream_name(settings)}-2026.11.28-000001"
        cluster = settings.name("logs")
        fb, es = self.fluent_bit, self.es_exporter
        fb.set_rate("fluentbit_input_records_total", INPUT, LINES_PER_SECOND)
        fb.set_rate("fluentbit_output_proc_records_total", OUTPUT, 0)  # Elasticsearch accepts nothing
        fb.set_rate("fluentbit_output_retries_total", OUTPUT, 2)
        fb.set_rate("fluentbit_output_retries_failed_total", OUTPUT, 0.2)
        fb.set_rate("fluentbit_output_dropped_records_total", OUTPUT, LINES_PER_SECOND)
        fb.set_gauge("fluentbit_output_chunk_available_capacity_percent", OUTPUT, CAPACITY_LEFT_PERCENT)
        es.set_rate("elasticsearch_index_stats_indexing_index_total", {"index": self.backing_index,
                                                                         "cluster": cluster}, 0)
        # The cluster itself is green: the writes are refused (e.g. the writer's role), not lost shards.
        for color in ("green", "yellow", "red"):
            es.set_gauge("elasticsearch_cluster_health_status", {"cluster": cluster, "color": color},
                         float(color == "green"))
        self.servers = [JobServer(fb, fluent_bit_port, METRICS_PATH), JobServer(es, es_exporter_port)]

    def heal(self) -> None:
        """Elasticsearch accepts every write (before `start`: no drop or retry is ever scraped)."""
        fb, es = self.fluent_bit, self.es_exporter
        fb.set_rate("fluentbit_output_proc_records_total", OUTPUT, LINES_PER_SECOND)
        for counter in ("fluentbit_output_retries_total", "fluentbit_output_retries_failed_total",
                        "fluentbit_output_dropped_records_total"):
            fb.set_rate(counter, OUTPUT, 0)
        fb.set_gauge("fluentbit_output_chunk_available_capacity_percent", OUTPUT, 100)
        for labels in list(es.series["elasticsearch_index_stats_indexing_index_total"]):
            es.set_rate("elasticsearch_index_stats_indexing_index_total", dict(labels), LINES_PER_SECOND)
