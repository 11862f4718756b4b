"""The dashboards' hidden `resolution` variable: 5m up to 36 hours, 1h beyond, as Grafana resolves it.

Prometheus (promtool) evaluates the variable's `query_result(...)` with `$__range_s` set as Grafana
sets it for each time range; the answer's text goes through the variable's regex the way
@grafana/scenes does (bench.variables, which `make bench` uses against its Prometheus too).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.variables import QUERY_RESULT, interpolate_range, range_variables, variable_values
from formats.yamlout import dump_yaml
from mixin.dashboards import render_dashboards
from mixin.dashboards.common import HOURLY_FROM_SECONDS, RESOLUTION
from tests.config.test_promtool import promtool
from tests.conftest import stack_settings

HOUR_MS = 3600_000
# Time range -> the copy Grafana must pick: the 5-minute one up to 36 hours (24h view), hourly beyond.
RANGES = {"6h": (6 * HOUR_MS, "5m"), "24h": (24 * HOUR_MS, "5m"), "36h": (36 * HOUR_MS, "5m"),
          "36h1s": (36 * HOUR_MS + 1000, "1h"), "2d": (48 * HOUR_MS, "1h"), "7d": (168 * HOUR_MS, "1h")}


def resolution_variables() -> dict[str, tuple[str, str]]:
    """Dashboard title -> (query, regex) of its resolution variable."""
    found = {}
    for text in render_dashboards(stack_settings("dev")).values():
        model = json.loads(text)
        for variable in range_variables(model):
            assert variable.name == RESOLUTION
            found[model["title"]] = (variable.query, variable.regex)
    return found


def test_both_dashboards_with_copies_have_the_hidden_variable_refreshed_on_time_range_change() -> None:
    assert sorted(resolution_variables()) == ["System Overview", "Trading Performance"]
    for text in render_dashboards(stack_settings("dev")).values():
        for variable in json.loads(text)["templating"]["list"]:
            if variable["name"] == RESOLUTION:
                assert variable["hide"] == 2 and variable["refresh"] == 2  # hidden; "On time range change"


@pytest.mark.parametrize("range_name", sorted(RANGES))
def test_the_variable_picks_the_copy_for_the_time_range(range_name: str, tmp_path: Path) -> None:
    span_ms, copy = RANGES[range_name]
    ((query, regex),) = set(resolution_variables().values())
    match = QUERY_RESULT.match(query)
    assert match
    expr = interpolate_range(match.group(1), span_ms)
    seconds = span_ms // 1000
    path = tmp_path / "variable.yml"
    path.write_text(dump_yaml({"rule_files": [], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [],
        "promql_expr_test": [{"expr": expr, "eval_time": "0m",
                              "exp_samples": [{"labels": f'{{r="{copy}"}}', "value": seconds}]}]}]}))
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    # The option text Grafana makes of that answer, through the variable's regex.
    assert variable_values(regex, [f'{{r="{copy}"}} {seconds} 0']) == [copy]
    assert (seconds > HOURLY_FROM_SECONDS) == (copy == "1h")
