"""The System Overview's "Container states" panel stays red for a container that is gone.

cAdvisor stops exporting a container once its cgroup is gone; a panel on the raw series shows no
band at all for it. promtool evaluates the panel's own query, with the recording rules it reads
(the 5-minute copy `name:container_last_seen:age_seconds_every5m`, and the hourly one over days),
on such series.
"""

from __future__ import annotations

import json
from pathlib import Path

from formats.yamlout import dump_yaml
from mixin.dashboards import render_dashboards
from mixin.rules import render_recording_rules
from tests.config.alert_case import s
from tests.config.test_promtool import promtool
from tests.conftest import stack_settings


def panel_query() -> str:
    for text in render_dashboards(stack_settings("dev")).values():
        for panel in json.loads(text)["panels"]:
            if panel.get("title") == "Container states":
                return str(panel["targets"][0]["expr"])
    raise AssertionError("no Container states panel")


def test_a_container_gone_for_ten_minutes_is_shown_red(tmp_path: Path) -> None:
    name = stack_settings("dev").name("grafana")
    # Seen every minute (value = the time it was seen) for 10 minutes, then gone.
    seen = " ".join([str(60 * i) for i in range(11)] + ["_"] * 10)
    # At a short zoom the panel reads the 5-minute copy, its step the min interval 5m; over days the
    # hourly copy (`${resolution}` = 1h), one step an hour.
    query = panel_query().replace("$service", ".*").replace("$__interval", "5m").replace("${resolution}", "5m")
    hourly = panel_query().replace("$service", ".*").replace("$__interval", "1h").replace("${resolution}", "1h")
    rules = tmp_path / "recording.yml"
    rules.write_text(render_recording_rules())
    test = tmp_path / "panel.yml"
    test.write_text(dump_yaml({"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [s(f'container_last_seen{{name="{name}",job="cadvisor",instance="cadvisor:8080"}}', seen)],
        "promql_expr_test": [
            # Running: seen now, 0 s ago (green).
            {"expr": query, "eval_time": "5m", "exp_samples": [{"labels": f'{{name="{name}"}}', "value": 0}]},
            # Gone for 10 minutes: 600 s since it was last seen (red, threshold 60 s), not "no data".
            {"expr": query, "eval_time": "20m", "exp_samples": [{"labels": f'{{name="{name}"}}', "value": 600}]},
            # Over days: the hour's worst, 50 minutes gone at the hour's end (red).
            {"expr": hourly, "eval_time": "60m", "exp_samples": [{"labels": f'{{name="{name}"}}', "value": 3000}]},
        ],
    }]}))
    result = promtool("test", "rules", str(test))
    assert result.returncode == 0, result.stdout + result.stderr
