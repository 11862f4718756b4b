"""Grafana-managed alert rules on the logs in Elasticsearch: what Prometheus cannot see (pure data).

Each rule counts log lines per service over the last five minutes with an Elasticsearch query (the
guide's §6.2 queries, in the Lucene syntax the Grafana Elasticsearch datasource sends), reduces the
count per service and compares it with a threshold: the three stages of Grafana 11.6's rule model
(a datasource query, then the server-side expressions `reduce` and `threshold`). Rules route to
Slack through the contact point in components/grafana_alerting.py, grouped like the guide's route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mixin.guide import GUIDE_LOG_QUERIES

# Grafana's server-side expressions "datasource" (pkg/expr: DatasourceUID = "__expr__").
EXPRESSION_UID = "__expr__"
WINDOW_SECONDS = 300
GROUP = "logs"
FOLDER = "platform"
CONTACT_POINT = "slack-notifications"  # the guide's receiver name, for Grafana's alerts too
# How many services a rule tells apart (terms aggregation size).
SERVICES = 50


@dataclass(frozen=True)
class LogAlert:
    uid: str
    name: str
    query: str
    threshold: float
    for_: str
    severity: str
    summary: str
    description: str


LOG_ALERTS: tuple[LogAlert, ...] = (
    LogAlert("christmas-log-errors", "LogErrorSurge", GUIDE_LOG_QUERIES[0], 50, "5m", "warning",
             "Error log lines surging",
             "{{ $labels.service }} wrote {{ $values.B.Value }} ERROR/FATAL lines in 5 minutes (threshold 50)."),
    # The guide's slow-request query (§6.2): lines that mention latency and took over 500 ms.
    LogAlert("christmas-log-slow-requests", "SlowRequestsLogged", GUIDE_LOG_QUERIES[3], 20, "5m", "warning",
             "Slow requests in the logs",
             "{{ $labels.service }} logged {{ $values.B.Value }} requests over 500 ms in 5 minutes (threshold 20)."),
)


def query_model(alert: LogAlert, ref_id: str = "A") -> dict[str, Any]:
    """The Elasticsearch datasource's query (Grafana 11.6 `ElasticsearchQuery`): count per service."""
    return {
        "refId": ref_id,
        "query": alert.query,
        "queryType": "lucene",
        "alias": "",
        "timeField": "@timestamp",
        "metrics": [{"id": "1", "type": "count"}],
        "bucketAggs": [
            {"id": "2", "type": "terms", "field": "service",
             "settings": {"size": str(SERVICES), "order": "desc", "orderBy": "_count", "min_doc_count": "1"}},
            {"id": "3", "type": "date_histogram", "field": "@timestamp", "settings": {"interval": "1m"}},
        ],
    }


def reduce_model(ref_id: str = "B", source: str = "A") -> dict[str, Any]:
    return {"refId": ref_id, "type": "reduce", "expression": source, "reducer": "sum",
            "datasource": {"type": "__expr__", "uid": EXPRESSION_UID}}


def threshold_model(threshold: float, ref_id: str = "C", source: str = "B") -> dict[str, Any]:
    return {"refId": ref_id, "type": "threshold", "expression": source,
            "conditions": [{"evaluator": {"type": "gt", "params": [threshold]}}],
            "datasource": {"type": "__expr__", "uid": EXPRESSION_UID}}


def stages(alert: LogAlert, elasticsearch_uid: str) -> list[tuple[str, str, str, int]]:
    """(refId, datasource uid, model JSON, seconds back) per stage; the condition is the last."""
    return [
        ("A", elasticsearch_uid, json.dumps(query_model(alert), sort_keys=True), WINDOW_SECONDS),
        ("B", EXPRESSION_UID, json.dumps(reduce_model(), sort_keys=True), 0),
        ("C", EXPRESSION_UID, json.dumps(threshold_model(alert.threshold), sort_keys=True), 0),
    ]
