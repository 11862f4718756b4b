"""The Kibana logs dashboard as saved objects: errors over time per service, latency_ms, top paths.

Aggregation-based ("legacy") visualizations: their saved-object format is a plain JSON visState
that Kibana 8.18 still imports and migrates (Lens documents are larger and change every minor).
Fixed ids, imported with overwrite=true by the kibana-setup job like the saved searches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DASHBOARD_ID = "christmas-logs-dashboard"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
ERRORS_QUERY = "level:ERROR OR level:FATAL"


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    vis_type: str
    query: str
    aggs: list[dict[str, Any]]
    params: dict[str, Any]


def _agg(agg_id: str, type_: str, schema: str, **params: Any) -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": type_, "schema": schema, "params": params}


def _bars(x_title: str) -> dict[str, Any]:
    """The params of a vertical bar chart (Kibana's defaults for a new one)."""
    return {
        "type": "histogram", "addTooltip": True, "addLegend": True, "legendPosition": "right",
        "times": [], "addTimeMarker": False,
        "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                          "scale": {"type": "linear"}, "labels": {"show": True, "filter": True, "truncate": 100},
                          "title": {"text": x_title}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left",
                       "show": True, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                       "title": {"text": "Count"}}],
        "seriesParams": [{"show": True, "type": "histogram", "mode": "stacked", "data": {"label": "Count", "id": "1"},
                          "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "showCircles": True}],
    }


def panels() -> list[Panel]:
    count = _agg("1", "count", "metric")
    return [
        Panel("christmas-logs-errors-per-service", "Errors over time per service", "histogram", ERRORS_QUERY,
              [count, _agg("2", "date_histogram", "segment", field="@timestamp", interval="auto", min_doc_count=1,
                           extended_bounds={}),
               _agg("3", "terms", "group", field="service", size=10, order="desc", orderBy="1",
                    missingBucket=True, missingBucketLabel="(no service)")],
              _bars("@timestamp")),
        Panel("christmas-logs-latency", "latency_ms distribution", "histogram", "latency_ms:*",
              [count, _agg("2", "histogram", "segment", field="latency_ms", interval=50, min_doc_count=False,
                           has_extended_bounds=False, extended_bounds={"min": "", "max": ""})],
              _bars("latency_ms")),
        Panel("christmas-logs-top-paths", "Top paths", "table", "path:*",
              [count, _agg("2", "terms", "bucket", field="path", size=20, order="desc", orderBy="1")],
              {"perPage": 20, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
               "totalFunc": "sum", "percentageCol": ""}),
    ]


def visualization(panel: Panel, data_view_id: str) -> dict[str, Any]:
    source = {"query": {"query": panel.query, "language": "lucene"}, "filter": [], "indexRefName": INDEX_REF}
    return {
        "type": "visualization",
        "id": panel.id,
        "attributes": {
            "title": panel.title,
            "description": "",
            "version": 1,
            "uiStateJSON": "{}",
            "visState": json.dumps({"title": panel.title, "type": panel.vis_type, "aggs": panel.aggs,
                                    "params": panel.params}, sort_keys=True),
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, sort_keys=True)},
        },
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": data_view_id}],
    }


def dashboard(visualizations: list[Panel], kibana_version: str) -> dict[str, Any]:
    layout = [(0, 0, 48, 15), (0, 15, 24, 15), (24, 15, 24, 15)]
    grid = []
    for i, (x, y, w, h) in enumerate(layout[:len(visualizations)]):
        # The version the panels are written for: Kibana migrates them from there on import.
        grid.append({"version": kibana_version, "type": "visualization", "panelIndex": str(i + 1),
                     "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(i + 1)},
                     "embeddableConfig": {}, "panelRefName": f"panel_{i}"})
    return {
        "type": "dashboard",
        "id": DASHBOARD_ID,
        "attributes": {
            "title": "Christmas logs",
            "description": "Errors over time per service, latency_ms distribution and top paths "
                           "(christmas-monitoring, render/kibana_dashboard.py).",
            "panelsJSON": json.dumps(grid, sort_keys=True),
            "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "hidePanelTitles": False}),
            "timeRestore": True, "timeFrom": "now-24h", "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
        "references": [{"name": f"panel_{i}", "type": "visualization", "id": p.id}
                       for i, p in enumerate(visualizations)],
    }


def dashboard_objects(data_view_id: str, kibana_version: str) -> list[dict[str, Any]]:
    """The visualizations first, then the dashboard that references them (import order)."""
    shown = panels()
    return [*(visualization(p, data_view_id) for p in shown), dashboard(shown, kibana_version)]
