"""The bench's verdicts and Grafana 11.6's choice of API for a variable, without a Prometheus."""

from __future__ import annotations

import pytest

from bench.label_variables import LABEL_API, SERIES_API, VariableResult, grafana_endpoint, label_variables
from bench.measure import Result
from bench.targets import verdicts
from render.grafana import prometheus_json


@pytest.mark.parametrize(("json_data", "endpoint"), [
    ({"prometheusType": "Prometheus", "prometheusVersion": "3.5.0"}, LABEL_API),
    ({"prometheusType": "Prometheus", "prometheusVersion": "2.24.0"}, LABEL_API),
    ({"prometheusType": "Prometheus", "prometheusVersion": "2.23.0"}, SERIES_API),
    ({"prometheusType": "Thanos", "prometheusVersion": "0.17.0"}, SERIES_API),
    ({"prometheusType": "Mimir", "prometheusVersion": "2.0.0"}, LABEL_API),
    ({"prometheusType": "Prometheus", "prometheusVersion": "3.5.0", "seriesEndpoint": True}, SERIES_API),
    # 11.6's `_isDatasourceVersionGreaterOrEqualTo`: an unset type or version assumes support.
    ({"prometheusType": "Prometheus"}, LABEL_API),
    ({}, LABEL_API),
])
def test_grafana_picks_the_api_as_has_labels_match_api_support_does(json_data, endpoint):
    assert grafana_endpoint(json_data) == endpoint


def test_the_deployed_datasource_gets_the_label_values_api(dev_settings, prod_settings):
    assert grafana_endpoint(prometheus_json(dev_settings)) == LABEL_API
    assert grafana_endpoint(prometheus_json(prod_settings)) == LABEL_API


def test_variables_are_read_with_their_dependencies_at_all():
    board = {"title": "API", "templating": {"list": [
        {"type": "query", "name": "job", "includeAll": True, "allValue": ".*",
         "query": "label_values(http_requests_total, job)"},
        {"type": "query", "name": "path", "includeAll": True,
         "query": {"query": 'label_values(http_requests_total{job=~"$job"}, path)'}},
        {"type": "query", "name": "all", "query": "label_values(job)"},
        {"type": "query", "name": "r", "query": "query_result(vector(1))"}]}}
    found = {v.name: (v.label, v.selector) for v in label_variables(board)}
    assert found == {"job": ("job", "http_requests_total"), "path": ("path", 'http_requests_total{job=~".*"}'),
                     "all": ("job", "")}


def _result(range_name: str, samples: int, ms: float, dashboard: str = "D") -> Result:
    return Result(dashboard, "P", "A", range_name, "x", 60, ms, samples, 1, [], ["x"])


def _variable(range_name: str, ms: float, uses: str = LABEL_API) -> VariableResult:
    return VariableResult("D", "job", range_name, "label_values(x, job)", ms, ms * 10, 3, 100, uses)


def test_verdicts_catch_a_heavy_panel_a_slow_variable_and_a_30_day_load_over_twice():
    met = {v.target: v.met for v in verdicts(
        [_result("7d", 90_000, 40), _result("30d", 127_000, 100)], [_variable("7d", 10), _variable("30d", 300)],
        days=30)}
    assert met["every panel <= 100,000 samples over 7d"] and not met["every panel <= 100,000 samples over 30d"]
    assert met["every variable <= 250 ms over 7d (as a panel)"]
    assert not met["every variable <= 250 ms over 30d (as a panel)"]
    # (100 + 300) / (40 + 10) = 8x
    assert not met["D: 30-day load <= 2x the 7-day load"]
    ok = {v.target: v.met for v in verdicts([_result("7d", 10, 40), _result("30d", 40, 70)],
                                            [_variable("7d", 10), _variable("30d", 20)], days=30)}
    assert all(ok.values()), ok


def test_a_variable_counts_by_the_api_grafana_uses():
    series = _variable("7d", 10, SERIES_API)
    assert series.used_ms == 100 and _variable("7d", 10).used_ms == 10
