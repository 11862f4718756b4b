"""Alert rules of the log pipeline (Fluent Bit, Elasticsearch).

Metric names and labels as the pinned exporters emit them (docs/images.md): Fluent Bit 3.2's
/api/v2/metrics/prometheus, elasticsearch_exporter v1.11.0.
"""

from __future__ import annotations

from mixin.alert_model import NUM, PCT, AlertGroup, AlertRule, Severity
from settings import log_pipeline as logs
from settings.model import StackSettings

# Fixed thresholds of the log pipeline (not yet settings): warn while a quarter of Fluent Bit's
# buffer is left, and at Elasticsearch's own low disk watermark (85 % used).
FLUENT_BIT_BUFFER_FREE_PERCENT = 25
ES_DISK_FREE_PERCENT = 15


def logging_group(settings: StackSettings) -> AlertGroup:
    return AlertGroup("logging", (*_fluent_bit_alerts(), *_elasticsearch_alerts(settings)))


# Fluent Bit's Elasticsearch outputs (es.0, ...), as /api/v2/metrics/prometheus names them.
_FB_OUT = 'name=~"es.*"'


def _fluent_bit_alerts() -> tuple[AlertRule, ...]:
    return (
        AlertRule(alert="FluentBitOutputRetriesFailing",
                  expr=f"increase(fluentbit_output_retries_failed_total{{{_FB_OUT}}}[5m]) > 0",
                  severity="warning", summary="Fluent Bit gave up on log chunks",
                  description=
                      f"Fluent Bit output {{{{ $labels.name }}}} gave up {NUM} chunks after {logs.RETRY_LIMIT} retries "
                  "in the last 5 minutes: those log lines are lost.", for_="5m"),
        AlertRule(alert="FluentBitRecordsDropped",
                  expr=f"increase(fluentbit_output_dropped_records_total{{{_FB_OUT}}}[5m]) > 0",
                  severity="critical", summary="Fluent Bit dropped log records",
                  description=
                      f"Fluent Bit output {{{{ $labels.name }}}} dropped {NUM} log records in the last 5 minutes "
                  "(buffer full or retries exhausted): they will never reach Elasticsearch."),
        AlertRule(alert="FluentBitOutputStalled",
                  expr=f"sum by(instance, name) (rate(fluentbit_output_retries_total{{{_FB_OUT}}}[5m])) > 0"
                  f" unless sum by(instance, name) (rate(fluentbit_output_proc_records_total{{{_FB_OUT}}}[5m])) > 0",
                  severity="warning", summary="Fluent Bit cannot deliver logs",
                  description=
                      f"Fluent Bit output {{{{ $labels.name }}}} retries {PCT} times a second and has delivered "
                  "no record for 10 minutes: Elasticsearch is down or refuses writes; logs wait in the buffer.",
                  for_="10m"),
        AlertRule(alert="FluentBitBufferFilling",
                  expr=(f"fluentbit_output_chunk_available_capacity_percent{{{_FB_OUT}}}"
                        f" < {FLUENT_BIT_BUFFER_FREE_PERCENT}"),
                  severity="warning", summary="Fluent Bit's log buffer is filling",
                  description=f"Only {PCT}% of the buffer of Fluent Bit output {{{{ $labels.name }}}} is free "
                  f"(threshold {FLUENT_BIT_BUFFER_FREE_PERCENT}%): when it is full the oldest logs are dropped.",
                  for_="5m"),
    )


def _cluster_health(color: str, severity: Severity, meaning: str, for_: str) -> AlertRule:
    """The exporter's health gauge is 1 for the cluster's current colour (and 0 for the others)."""
    return AlertRule(alert=f"ElasticsearchCluster{color.capitalize()}",
                     expr=f'elasticsearch_cluster_health_status{{color="{color}"}} == 1',
                     severity=severity, summary=f"Elasticsearch cluster {color}",
                     description=f"Cluster {{{{ $labels.cluster }}}} is {color} (value {{{{ $value }}}}): {meaning}",
                     for_=for_)


def _elasticsearch_alerts(settings: StackSettings) -> tuple[AlertRule, ...]:
    backing = logs.backing_index_regex(settings).replace("\\", "\\\\")
    return (
        # Containers write log lines (Fluent Bit reads them) but no document reaches the stack's
        # data stream: the pipeline is broken somewhere between the two, whatever the cause.
        AlertRule(alert="LogsNotReachingElasticsearch",
                  expr="sum(increase(fluentbit_input_records_total[10m])) > 0 unless on() "
                  f'sum(increase(elasticsearch_index_stats_indexing_index_total{{index=~"{backing}"}}[10m])) > 0',
                  severity="critical", summary="Logs are not reaching Elasticsearch",
                  description=f"Containers wrote {NUM} log lines in the last 10 minutes and no new document reached "
                  f"{logs.data_stream_name(settings)}.", for_="5m"),
        _cluster_health("red", "critical", "a primary shard is unassigned, writes to it fail.", for_="5m"),
        _cluster_health("yellow", "warning", "a replica shard is unassigned.", for_="15m"),
        AlertRule(alert="ElasticsearchDiskLow",
                  expr="elasticsearch_filesystem_data_available_bytes / elasticsearch_filesystem_data_size_bytes * 100"
                  f" < {ES_DISK_FREE_PERCENT}",
                  severity="warning", summary="Elasticsearch disk nearly full",
                  description=f"The data path of Elasticsearch node {{{{ $labels.name }}}} has {PCT}% free (threshold "
                  f"{ES_DISK_FREE_PERCENT}%, Elasticsearch's low watermark): new shards are no longer allocated, "
                  "and at 5% free every index turns read-only.", for_="5m"),
    )
