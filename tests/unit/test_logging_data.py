"""The log data as Elasticsearch and Kibana receive it: lifecycle, template, roles, saved objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mixin.guide import GUIDE_LOG_QUERIES
from render import elasticsearch, kibana
from tests.conftest import stack_settings

# --------------------------------------------------------------------------- Elasticsearch data


@pytest.mark.parametrize(("stack", "days"), [("dev", 3), ("prod", 30)])
def test_ilm_policy_rolls_over_and_deletes_after_the_stacks_retention(stack, days):
    settings = stack_settings(stack)
    phases = elasticsearch.ilm_policy(settings)["policy"]["phases"]
    assert phases["hot"]["actions"]["rollover"] == {"max_age": "1d", "max_primary_shard_size": "5gb"}
    assert phases["delete"] == {"min_age": f"{days}d", "actions": {"delete": {}}}


def test_index_template_maps_the_searchable_fields(dev_settings):
    template = elasticsearch.index_template(dev_settings)
    assert template["index_patterns"] == ["logs-christmas-*"]
    assert template["data_stream"] == {}
    assert template["priority"] > 100  # above the built-in logs-*-* template
    settings = template["template"]["settings"]
    assert settings["index.lifecycle.name"] == elasticsearch.ILM_POLICY_NAME
    assert settings["index.number_of_replicas"] == 0
    fields = template["template"]["mappings"]["properties"]
    assert fields["@timestamp"] == {"type": "date"}
    assert fields["level"]["type"] == "keyword"
    for name in ("service", "user_id", "path", "container_name", "stack"):
        assert fields[name]["type"] == "keyword", name
    assert fields["latency_ms"]["type"] in ("float", "double", "long", "scaled_float")
    assert fields["message"]["type"] == "text"
    # `level` is normalised to upper case, so `level:ERROR` also finds a service that logs "error".
    normalizer = settings["analysis"]["normalizer"][fields["level"]["normalizer"]]
    assert normalizer["filter"] == ["uppercase"]


def test_writer_can_only_append_and_reader_only_read():
    roles = elasticsearch.roles()
    [writer] = roles[elasticsearch.WRITER_ROLE]["indices"]
    [reader] = roles[elasticsearch.READER_ROLE]["indices"]
    assert writer["names"] == reader["names"] == ["logs-christmas-*"]
    assert set(writer["privileges"]) == {"create_doc", "auto_configure"}
    assert roles[elasticsearch.WRITER_ROLE]["cluster"] == []
    # `monitor`: the exporter's index statistics (the log-freshness alert), read-only like the rest.
    assert set(reader["privileges"]) == {"read", "view_index_metadata", "monitor"}
    users = elasticsearch.users("writer-password-1", "reader-password-1", "operator-password-1")
    assert users["fluent_bit_writer"]["roles"] == [elasticsearch.WRITER_ROLE]
    assert users["kibana_operator"]["roles"] == [elasticsearch.OPERATOR_ROLE]
    assert users["logs_reader"]["roles"] == [elasticsearch.READER_ROLE]
    assert users["fluent_bit_writer"]["password"] == "writer-password-1"
    assert elasticsearch.OPERATOR_ROLE not in roles  # declared through Kibana's role API (feature privileges)


def test_kibana_operators_read_the_log_streams_and_can_follow_the_guides_kibana_steps():
    role = kibana.operator_role()
    [indices] = role["elasticsearch"]["indices"]
    assert indices == {"names": ["logs-christmas-*"], "privileges": ["read", "view_index_metadata"]}
    assert role["elasticsearch"]["cluster"] == []
    # No base privilege (that would be every feature). The guide's §6.1: create an index pattern
    # (data view), search in Discover, visualise in Visualize; dashboards stay read-only.
    assert role["kibana"] == [{"base": [], "spaces": ["default"], "feature": {
        "indexPatterns": ["all"], "discover": ["all"], "visualize": ["all"], "dashboard": ["read"]}}]


@pytest.mark.parametrize(("given", "expected"), [("5gb", "5gb"), ("5GB", "5gb"), ("512 MB", "512mb"), ("5G", "5gb")])
def test_rollover_size_in_elasticsearch_spelling(given, expected):
    assert elasticsearch.es_size(given) == expected


# --------------------------------------------------------------------------- Kibana data


def searches_by_query(settings) -> dict[str, dict[str, Any]]:
    objects = [json.loads(line) for line in kibana.render_saved_objects_ndjson(settings).splitlines()]
    result = {}
    for obj in objects:
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert obj["references"] == [{"name": source["indexRefName"], "type": "index-pattern",
                                          "id": kibana.DATA_VIEW_ID}]
            result[source["query"]["query"]] = obj
    return result


def test_data_view_covers_the_log_indices(dev_settings):
    first = json.loads(kibana.render_saved_objects_ndjson(dev_settings).splitlines()[0])
    assert first["type"] == "index-pattern" and first["id"] == kibana.DATA_VIEW_ID
    assert first["attributes"]["title"] == "logs-christmas-*"
    assert first["attributes"]["timeFieldName"] == "@timestamp"


def test_saved_searches_for_the_guides_queries(dev_settings):
    searches = searches_by_query(dev_settings)

    def language(query: str) -> str:
        source = json.loads(searches[query]["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        return str(source["query"]["language"])

    assert set(searches) == {
        "level:ERROR OR level:FATAL",
        'service:"api"',
        'service:"trading-engine"',
        'service:"api" AND (level:ERROR OR level:FATAL)',
        'service:"trading-engine" AND (level:ERROR OR level:FATAL)',
        "user_id:* AND (path:*order* OR path:*trade*)",
        "message:*latency* AND latency_ms:>500",
        "latency_ms > 500",
    }
    # The guide's queries as the guide writes them, in the language they are written in: Lucene
    # (`latency_ms:>500` is a Lucene range; KQL would read it as the text ">500").
    for query in (GUIDE_LOG_QUERIES[0], GUIDE_LOG_QUERIES[3]):
        assert language(query) == "lucene"
    assert language("latency_ms > 500") == "kuery"


def test_the_logs_dashboard_references_its_visualizations_and_they_the_data_view(dev_settings):
    objects = [json.loads(line) for line in kibana.render_saved_objects_ndjson(dev_settings).splitlines()]
    by_id = {o["id"]: o for o in objects}
    dashboard = by_id["christmas-logs-dashboard"]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in dashboard["references"]}
    titles = []
    for panel in panels:
        ref = refs[panel["panelRefName"]]
        vis = by_id[ref["id"]]
        # Imported before the dashboard, so the reference resolves during the same import.
        assert objects.index(vis) < objects.index(dashboard)
        assert vis["references"] == [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                                      "type": "index-pattern", "id": kibana.DATA_VIEW_ID}]
        state = json.loads(vis["attributes"]["visState"])
        fields = {a["params"].get("field") for a in state["aggs"]}
        titles.append((state["title"], fields))
        assert panel["version"] == "8.18.2"
    assert titles == [("Errors over time per service", {None, "@timestamp", "service"}),
                      ("latency_ms distribution", {None, "latency_ms"}),
                      ("Top paths", {None, "path"})]
    # Every field a panel aggregates on is mapped by the index template (aggregatable types).
    mapped = elasticsearch.mappings()["properties"]
    assert all(mapped[f]["type"] in ("date", "keyword", "float") for _, fs in titles for f in fs if f)


def test_saved_object_ids_are_fixed_so_overwrite_is_idempotent(dev_settings):
    first = kibana.render_saved_objects_ndjson(dev_settings)
    assert first == kibana.render_saved_objects_ndjson(dev_settings)
    ids = [json.loads(line)["id"] for line in first.splitlines()]
    assert len(ids) == len(set(ids))


def test_each_of_the_guides_log_queries_has_its_row_in_the_departures() -> None:
    """Saved as written, or the row gives the query that works and why (docs/departures.md, §6.2)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "departures.md").read_text()
    for query in GUIDE_LOG_QUERIES:
        assert f"| `query {query}` |" in doc, query
