"""Grafana-managed alert rules on the logs in Elasticsearch: what Prometheus cannot see (pure data).

Each rule counts log lines per service over the last five minutes with an Elasticsearch query (the
guide's §6.2 queries, in the Lucene syntax the Grafana Elasticsearch datasource sends), reduces the
count per service and compares it with a threshold: the three stages of Grafana 11.6's rule model
(a datasource query, then the server-side expressions `reduce` and `threshold`), each built with
grafana-foundation-sdk 11.6 (its models are generated from Grafana's own schemas), so a field name
Grafana does not know cannot be written. Rules route to Slack through the contact point in
components/grafana_alerting.py, grouped like the guide's route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.builders import expr as ex
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import elasticsearch as esm
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from mixin.dashboards.common import ELASTICSEARCH
from mixin.guide import GUIDE_LOG_QUERIES

# Grafana's server-side expressions "datasource" (pkg/expr: DatasourceUID = "__expr__").
EXPRESSION_UID = "__expr__"
EXPRESSIONS = DataSourceRef(type_val="__expr__", uid=EXPRESSION_UID)
WINDOW_SECONDS = 300
GROUP = "logs"
FOLDER = "platform"
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


def _json(builder: Any) -> dict[str, Any]:
    """A foundation-SDK model (generated from Grafana 11.6's schemas) as the JSON Grafana stores."""
    return dict(json.loads(json.dumps(builder.build(), cls=JSONEncoder)))


def query_model(alert: LogAlert, ref_id: str = "A") -> dict[str, Any]:
    """The Elasticsearch datasource's query (`elasticsearch.Dataquery`): count per service, per minute.

    Grafana's alerting needs a date histogram as the last bucket aggregation (it makes time series)."""
    return _json(es.Dataquery().ref_id(ref_id).datasource(ELASTICSEARCH).query(alert.query)
                 .time_field("@timestamp").alias("").metrics([es.Count().id("1")]).bucket_aggs([
                     es.Terms().id("2").field("service").settings(
                         es.ElasticsearchTermsSettings().size(str(SERVICES)).order(esm.TermsOrder.DESC)
                         .order_by("_count").min_doc_count("1")),
                     es.DateHistogram().id("3").field("@timestamp").settings(
                         es.ElasticsearchDateHistogramSettings().interval("1m"))]))


def reduce_model(ref_id: str = "B", source: str = "A") -> dict[str, Any]:
    """Server-side expression `reduce` (`expr.TypeReduce`): the window's counts summed per service."""
    return _json(ex.TypeReduce().ref_id(ref_id).expression(source).reducer("sum").datasource(EXPRESSIONS))


def threshold_model(threshold: float, ref_id: str = "C", source: str = "B") -> dict[str, Any]:
    """Server-side expression `threshold` (`expr.TypeThreshold`, pkg/expr/threshold.go `gt`)."""
    return _json(ex.TypeThreshold().ref_id(ref_id).expression(source).datasource(EXPRESSIONS).conditions([
        ex.ExprTypeThresholdConditions().evaluator(
            ex.ExprTypeThresholdConditionsEvaluator().type("gt").params([threshold]))]))


def stages(alert: LogAlert, elasticsearch_uid: str) -> list[tuple[str, str, str, int]]:
    """(refId, datasource uid, model JSON, seconds back) per stage; the condition is the last."""
    return [
        ("A", elasticsearch_uid, json.dumps(query_model(alert), sort_keys=True), WINDOW_SECONDS),
        ("B", EXPRESSION_UID, json.dumps(reduce_model(), sort_keys=True), 0),
        ("C", EXPRESSION_UID, json.dumps(threshold_model(alert.threshold), sort_keys=True), 0),
    ]
