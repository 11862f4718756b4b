"""promtool cases for the log pipeline's and the certificates' alerts (mixin/alerts_logs.py)."""

from __future__ import annotations

from mixin.alerts_logs import ES_DISK_FREE_PERCENT, FLUENT_BIT_BUFFER_FREE_PERCENT
from settings.log_pipeline import RETRY_LIMIT, data_stream_name
from settings.material import CERTIFICATE_DAYS
from settings.model import StackSettings
from tests.config.alert_case import AlertCase, JustAbove, Series, s

# Fluent Bit's Elasticsearch output, as Fluent Bit 3.2 (/api/v2/metrics/prometheus) labels it.
FB = 'instance="fluent-bit:2020",job="fluent-bit",name="es.0"'
FB_LABELS = {"instance": "fluent-bit:2020", "job": "fluent-bit", "name": "es.0"}
LOGGING = {"component": "logging"}


def logging_cases(settings: StackSettings) -> list[AlertCase]:
    """Series as Fluent Bit 3.2 and elasticsearch_exporter v1.11 emit them."""
    return fluent_bit_cases() + elasticsearch_cases(settings)


def fluent_bit_cases() -> list[AlertCase]:
    cases: list[AlertCase] = []
    fb, fb_labels, logging = FB, FB_LABELS, LOGGING
    cases.append(AlertCase(
        "FluentBitOutputRetriesFailing", [s(f"fluentbit_output_retries_failed_total{{{fb}}}", "0+1x20")], "12m",
        {"severity": "warning", **logging, **fb_labels}, "Fluent Bit gave up on log chunks",
        f"Fluent Bit output es.0 gave up 5 chunks after {RETRY_LIMIT} retries in the last 5 minutes: "
        "those log lines are lost.",
        silent_at=["3m"], quiet=[([s(f"fluentbit_output_retries_failed_total{{{fb}}}", "7+0x20")], "12m")]))
    cases.append(AlertCase(
        "FluentBitRecordsDropped", [s(f"fluentbit_output_dropped_records_total{{{fb}}}", "0+20x20")], "10m",
        {"severity": "critical", **logging, **fb_labels}, "Fluent Bit dropped log records",
        "Fluent Bit output es.0 dropped 100 log records in the last 5 minutes (buffer full or retries "
        "exhausted): they will never reach Elasticsearch.",
        quiet=[([s(f"fluentbit_output_dropped_records_total{{{fb}}}", "7+0x20")], "10m")]))

    def output(retries: str, delivered: str) -> Series:
        return [s(f"fluentbit_output_retries_total{{{fb}}}", retries),
                s(f"fluentbit_output_proc_records_total{{{fb}}}", delivered)]

    cases.append(AlertCase(
        "FluentBitOutputStalled", output("0+2x30", "500+0x30"), "20m",
        {"severity": "warning", **logging, "instance": "fluent-bit:2020", "name": "es.0"},
        "Fluent Bit cannot deliver logs",
        "Fluent Bit output es.0 retries 0.03 times a second and has delivered no record for 10 minutes: "
        "Elasticsearch is down or refuses writes; logs wait in the buffer.", silent_at=["8m"],
        # Some retries, but records still get through: not stalled.
        quiet=[(output("0+2x30", "500+10x30"), "20m")]))
    cases.append(AlertCase(
        "FluentBitBufferFilling", [s(f"fluentbit_output_chunk_available_capacity_percent{{{fb}}}", "10+0x20")],
        "10m", {"severity": "warning", **logging, **fb_labels}, "Fluent Bit's log buffer is filling",
        f"Only 10.00% of the buffer of Fluent Bit output es.0 is free (threshold {FLUENT_BIT_BUFFER_FREE_PERCENT}%): "
        "when it is full the oldest logs are dropped.", silent_at=["2m"],
        quiet=[([s(f"fluentbit_output_chunk_available_capacity_percent{{{fb}}}", "60+0x20")], "10m"),
               *(([s(f"fluentbit_output_chunk_available_capacity_percent{{{fb}}}", f"{free}+0x20")], "10m")
                 for free in (FLUENT_BIT_BUFFER_FREE_PERCENT, FLUENT_BIT_BUFFER_FREE_PERCENT + 0.1))],
        just_above=[JustAbove([s(f"fluentbit_output_chunk_available_capacity_percent{{{fb}}}",
                                 f"{FLUENT_BIT_BUFFER_FREE_PERCENT - 0.1:g}+0x20")], "4m45s", "5m15s",
                              f"Only {FLUENT_BIT_BUFFER_FREE_PERCENT - 0.1:.2f}% of the buffer of Fluent Bit "
                              f"output es.0 is free (threshold {FLUENT_BIT_BUFFER_FREE_PERCENT}%): when it is full "
                              "the oldest logs are dropped.")]))

    return cases


# elasticsearch_exporter v1.11's labels on the cluster it watches.
EXPORTER = 'instance="elasticsearch-exporter:9114",job="elasticsearch-exporter"'


def elasticsearch_cases(settings: StackSettings) -> list[AlertCase]:
    return log_freshness_cases(settings) + cluster_cases(settings)


def log_freshness_cases(settings: StackSettings) -> list[AlertCase]:
    cases: list[AlertCase] = []
    logging, exporter = LOGGING, EXPORTER
    stream = data_stream_name(settings)
    cluster = f'cluster="{settings.name("logs")}"'
    index = f'{exporter},{cluster},index=".ds-{stream}-2026.11.28-000001"'
    tail = 'instance="fluent-bit:2020",job="fluent-bit",name="tail.0"'

    def pipeline(lines: str, documents: str) -> Series:
        return [s(f"fluentbit_input_records_total{{{tail}}}", lines),
                s(f"elasticsearch_index_stats_indexing_index_total{{{index}}}", documents),
                # Another stack's stream still growing does not mean this one does.
                s(f'elasticsearch_index_stats_indexing_index_total{{{exporter},{cluster},'
                  f'index=".ds-{stream}x-2026.11.28-000001"}}', "0+100x30")]

    cases.append(AlertCase(
        "LogsNotReachingElasticsearch", pipeline("0+100x30", "5000+0x30"), "20m",
        {"severity": "critical", **logging}, "Logs are not reaching Elasticsearch",
        f"Containers wrote 1000 log lines in the last 10 minutes and no new document reached {stream}.",
        silent_at=["3m"],
        quiet=[(pipeline("0+100x30", "5000+50x30"), "20m"),
               # Nobody logs: nothing to deliver.
               (pipeline("100+0x30", "5000+0x30"), "20m")]))

    return cases


def cluster_cases(settings: StackSettings) -> list[AlertCase]:
    cases: list[AlertCase] = []
    logging, exporter = LOGGING, EXPORTER
    cluster = f'cluster="{settings.name("logs")}"'
    es_labels = {"instance": "elasticsearch-exporter:9114", "job": "elasticsearch-exporter",
                 "cluster": settings.name("logs")}

    def health(current: str) -> Series:
        return [s(f'elasticsearch_cluster_health_status{{{exporter},{cluster},color="{c}"}}',
                  f"{int(c == current)}+0x30") for c in ("green", "yellow", "red")]

    cases.append(AlertCase(
        "ElasticsearchClusterRed", health("red"), "10m",
        {"severity": "critical", **logging, **es_labels, "color": "red"}, "Elasticsearch cluster red",
        f"Cluster {settings.name('logs')} is red (value 1): a primary shard is unassigned, writes to it fail.",
        silent_at=["3m"], quiet=[(health("yellow"), "10m")]))
    cases.append(AlertCase(
        "ElasticsearchClusterYellow", health("yellow"), "20m",
        {"severity": "warning", **logging, **es_labels, "color": "yellow"}, "Elasticsearch cluster yellow",
        f"Cluster {settings.name('logs')} is yellow (value 1): a replica shard is unassigned.",
        silent_at=["10m"], quiet=[(health("green"), "20m")]))
    node = (f'{exporter},{cluster},host="172.30.0.4",name="elasticsearch",es_master_node="true",'
            'es_data_node="true",es_ingest_node="true",es_client_node="true",mount="/ (/dev/sda1)",'
            'path="/usr/share/elasticsearch/data"')
    node_labels = {**es_labels, "host": "172.30.0.4", "name": "elasticsearch", "es_master_node": "true",
                   "es_data_node": "true", "es_ingest_node": "true", "es_client_node": "true",
                   "mount": "/ (/dev/sda1)", "path": "/usr/share/elasticsearch/data"}

    def disk(available: int) -> Series:
        return [s(f"elasticsearch_filesystem_data_available_bytes{{{node}}}", f"{available}+0x20"),
                s(f"elasticsearch_filesystem_data_size_bytes{{{node}}}", "1000+0x20")]

    cases.append(AlertCase(
        "ElasticsearchDiskLow", disk(100), "10m", {"severity": "warning", **logging, **node_labels},
        "Elasticsearch disk nearly full",
        f"The data path of Elasticsearch node elasticsearch has 10.00% free (threshold {ES_DISK_FREE_PERCENT}%, "
        "Elasticsearch's low watermark): new shards are no longer allocated, and at 5% free every index turns "
        "read-only.", silent_at=["2m"], quiet=[(disk(500), "10m"), (disk(10 * ES_DISK_FREE_PERCENT), "10m"),
                                               (disk(10 * ES_DISK_FREE_PERCENT + 1), "10m")],
        just_above=[JustAbove(disk(10 * ES_DISK_FREE_PERCENT - 1), "4m45s", "5m15s",
                              f"The data path of Elasticsearch node elasticsearch has "
                              f"{ES_DISK_FREE_PERCENT - 0.1:.2f}% free (threshold {ES_DISK_FREE_PERCENT}%, "
                              "Elasticsearch's low watermark): new shards are no longer allocated, and at 5% free "
                              "every index turns read-only.")]))
    return cases


def certificate_cases() -> list[AlertCase]:
    """Series as blackbox_exporter v0.28.0 emits them for the blackbox-https job (instance = the URL)."""
    probe = 'instance="https://grafana.christmas-trading.com",job="blackbox-https"'
    labels = {"component": "certificates", "instance": "https://grafana.christmas-trading.com",
              "job": "blackbox-https", "severity": "warning"}
    day = 86400
    return [
        AlertCase(
            # promtool's clock starts at 0: the certificate expires 7 days after that.
            "CertificateExpiringSoon", [s(f"probe_ssl_earliest_cert_expiry{{{probe}}}", f"{7 * day}+0x30")], "20m",
            labels, "TLS certificate expiring soon",
            f"The certificate of https://grafana.christmas-trading.com expires in 7.0 days "
            f"(threshold {CERTIFICATE_DAYS} days).", silent_at=["5m"],
            quiet=[([s(f"probe_ssl_earliest_cert_expiry{{{probe}}}", f"{60 * day}+0x30")], "20m")]),
        AlertCase(
            "PublicEndpointDown", [s(f"probe_success{{{probe}}}", "0+0x20")], "10m", labels,
            "Public endpoint failing",
            "https://grafana.christmas-trading.com has failed its HTTPS probe for 5 minutes (probe_success = 0): "
            "unreachable, an error status, or a certificate the probe does not trust.", silent_at=["3m"],
            quiet=[([s(f"probe_success{{{probe}}}", "1+0x20")], "10m")]),
    ]
