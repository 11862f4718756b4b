"""The four dashboards as the program deploys them (configJson under mocks): panels, units, links, datasources."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bench.grafana import substitute_variables
from bench.variables import each_combination
from mixin.alerts import alert_names
from mixin.dashboards.common import (
    ALL_DASHBOARDS,
    API_PERFORMANCE,
    DATABASE_PERFORMANCE,
    SYSTEM_OVERVIEW,
    TRADING_PERFORMANCE,
)
from mixin.rules import recording_rule_names
from offline.mocks import ProgramRun, run_program, unwrap
from tests.conftest import stack_config

# Panels operators expect on each dashboard (issue 4), by title; with legends a panel must show.
REQUIRED: dict[str, dict[str, set[str]]] = {
    SYSTEM_OVERVIEW.uid: {
        "CPU per service": set(), "Memory per service": set(), "Disk I/O": {"read", "write"},
        "Network": {"in", "out"}, "Container states": set(),
    },
    API_PERFORMANCE.uid: {
        "Requests per second": set(), "Latency": {"average", "max", "p95"}, "Error rate by status code": set(),
        "p95 latency per endpoint": set(),
    },
    DATABASE_PERFORMANCE.uid: {
        "Active connections against the maximum": {"max_connections"}, "Query time": {"max", "average"},
        "Transactions per second": set(), "Cache and index hit ratio": {"buffer cache", "indexes"},
        "Replication lag": set(),
    },
    TRADING_PERFORMANCE.uid: {
        "Signals per strategy": set(), "Orders by status": set(), "Trade volume over time (USD per hour)": set(),
        "Return per strategy": set(), "Order latency (p95)": set(),
    },
}
VARIABLES = {
    SYSTEM_OVERVIEW.uid: {"instance", "service"},
    API_PERFORMANCE.uid: {"endpoint"},
    DATABASE_PERFORMANCE.uid: {"instance"},
    TRADING_PERFORMANCE.uid: {"strategy"},
}
RECORDED = re.compile(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b")


def dashboards(run: ProgramRun) -> dict[str, dict[str, Any]]:
    models = [json.loads(unwrap(d.inputs)["configJson"]) for d in run.of_type("grafana:oss/dashboard:Dashboard")]
    return {m["uid"]: m for m in models}


@pytest.fixture(params=["dev", "prod"])
def deployed(request, dev_run, prod_run) -> dict[str, dict[str, Any]]:
    return dashboards(dev_run if request.param == "dev" else prod_run)


def by_title(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["title"]: p for p in model["panels"]}


def first_word(legend: str) -> str:
    return legend.split(" {{")[0]


def test_the_four_dashboards_are_deployed(deployed):
    assert set(deployed) == {ref.uid for ref in ALL_DASHBOARDS}
    assert {m["title"] for m in deployed.values()} == {ref.title for ref in ALL_DASHBOARDS}


@pytest.mark.parametrize("uid", list(REQUIRED))
def test_each_dashboard_has_its_panels_with_queries(deployed, uid):
    panels = by_title(deployed[uid])
    for title, legends in REQUIRED[uid].items():
        assert title in panels, f"{uid}: no panel {title!r}"
        targets = panels[title]["targets"]
        assert targets and all(t.get("expr", "").strip() for t in targets), f"{uid}/{title}: empty query"
        shown = {first_word(t.get("legendFormat", "")) for t in targets}
        assert legends <= shown, f"{uid}/{title}: legends {shown} lack {legends - shown}"


def test_orders_panel_splits_filled_failed_and_pending(deployed):
    orders = by_title(deployed[TRADING_PERFORMANCE.uid])["Orders by status"]
    assert 'status=~"filled|failed|pending"' in orders["targets"][0]["expr"]


def test_every_panel_has_a_unit_a_datasource_and_coloured_thresholds(deployed):
    for model in deployed.values():
        for panel in model["panels"]:
            name = f"{model['uid']}/{panel['title']}"
            assert panel["datasource"]["uid"], name
            assert panel["targets"], f"{name}: no query"
            if panel["type"] == "logs":  # log lines have no unit or thresholds
                continue
            defaults = panel["fieldConfig"]["defaults"]
            assert defaults.get("unit"), f"{name}: no unit"
            colours = {step["color"] for step in defaults["thresholds"]["steps"]}
            assert colours and colours != {""}, f"{name}: thresholds without colours"


def test_panels_reference_only_datasources_the_stack_declares(run):
    declared = {unwrap(d.inputs)["uid"]: unwrap(d.inputs)["type"]
                for d in run.of_type("grafana:oss/dataSource:DataSource")}
    for model in dashboards(run).values():
        refs = [p["datasource"] for p in model["panels"]]
        refs += [t["datasource"] for p in model["panels"] for t in p["targets"]]
        refs += [v["datasource"] for v in model["templating"]["list"]]
        for ref in refs:
            assert declared.get(ref["uid"]) == ref["type"], f"{model['uid']}: unknown datasource {ref}"


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def test_template_variables_where_operators_expect_them(deployed):
    for uid, expected in VARIABLES.items():
        names = {v["name"] for v in deployed[uid]["templating"]["list"]}
        assert expected <= names, uid
        exprs = " ".join(t["expr"] for p in deployed[uid]["panels"] for t in p.get("targets", []) if "expr" in t)
        for name in expected:
            assert f"${name}" in exprs, f"{uid}: variable {name} is not used by any panel"


def test_dashboards_link_to_each_other_and_to_the_runbook(run, dev_settings):
    runbook = dev_settings.alerting.runbook_base_url
    models = dashboards(run)
    for model in models.values():
        links = model["links"]
        assert any(link["type"] == "dashboards" and "christmas" in link["tags"] for link in links)
        assert any(link["type"] == "link" and link["url"] == runbook for link in links)
        assert "christmas" in model["tags"]
    panel_links = [link["url"] for m in models.values() for p in m["panels"] for link in p.get("links", [])]
    # Panel links open the runbook section of the alert watching that panel (anchors are lower-cased names).
    assert f"{runbook}#highcpuusage" in panel_links and f"{runbook}#highorderfailurerate" in panel_links
    anchors = {url.removeprefix(f"{runbook}#") for url in panel_links}
    # Each anchor is an alert the stack really has (the runbook has one section per alert).
    assert anchors <= {name.lower() for name in alert_names(dev_settings)}, anchors


def test_error_log_panel_reads_elasticsearch(deployed):
    logs = [p for m in deployed.values() for p in m["panels"] if p["type"] == "logs"]
    assert logs
    for panel in logs:
        assert panel["datasource"]["type"] == "elasticsearch"
        (target,) = panel["targets"]
        assert "level:" in target["query"] and target["timeField"] == "@timestamp"


def test_panels_use_recording_rules_that_exist(deployed):
    known = set(recording_rule_names())
    # `<record>_every${resolution}`: the name for each value Grafana can give the variable.
    used = {name for m in deployed.values() for values in each_combination(m) for p in m["panels"]
            for t in p["targets"] for name in RECORDED.findall(substitute_variables(t.get("expr", ""), values))}
    assert len(used) >= 12, used
    assert {name for name in used if name.endswith("_every1h")}, used
    assert used <= known, f"unknown recording rules: {used - known}"


def test_raw_counter_rates_use_the_rate_interval(deployed):
    for m in deployed.values():
        for p in m["panels"]:
            for t in p["targets"]:
                for window in re.findall(r"(?:rate|increase)\([^\[]*\[([^\]]+)\]", t.get("expr", "")):
                    assert window in ("$__rate_interval", "$__range"), f"{m['uid']}/{p['title']}: [{window}]"


def test_thresholds_follow_the_stack_settings():
    from offline.mocks import run_program
    from tests.conftest import stack_config

    config, secret_keys = stack_config("dev")
    config["thresholds"] = json.dumps({"apiP95LatencySeconds": 2.5})
    models = dashboards(run_program("dev", config, secret_keys))
    latency = by_title(models[API_PERFORMANCE.uid])["p95 latency"]["fieldConfig"]["defaults"]["thresholds"]
    assert latency["steps"][-1] == {"color": "red", "value": 2.5}


def test_on_a_swarm_the_container_panels_filter_and_name_the_node(dev_run):
    config, secret_keys = stack_config("swarm")
    model = dashboards(run_program("swarm", config, secret_keys))[SYSTEM_OVERVIEW.uid]
    node = next(v for v in model["templating"]["list"] if v["name"] == "node")
    assert node["query"] == "label_values(up, node)" and node["includeAll"]
    panels = by_title(model)
    for title in ("CPU per service", "Memory per service", "Network per service", "Container states"):
        for target in panels[title]["targets"]:
            assert 'node=~"$node"' in target["expr"] and "on {{node}}" in target["legendFormat"], title
    # One host: no node variable, the legend is the container's name alone.
    one_host = dashboards(dev_run)[SYSTEM_OVERVIEW.uid]
    assert "node" not in {v["name"] for v in one_host["templating"]["list"]}
    assert by_title(one_host)["CPU per service"]["targets"][0]["legendFormat"] == "{{name}}"
