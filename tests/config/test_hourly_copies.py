"""promtool on the hourly copies (`*_every1h`, groups `*.1h.rules`) the graphs read beyond 36 hours.

An hour of inputs whose halves differ (tests/config/recording_hourly_cases.py): every hourly copy
gives the hour's mean, worst or lowest, and that equals the mean, worst or lowest of the hour's
5-minute copies (what the graph showed at a shorter zoom).
"""

from __future__ import annotations

from pathlib import Path

from formats.yamlout import dump_yaml
from mixin import rules as rec
from tests.config import recording_hourly_cases as cases
from tests.config.test_promtool import dump_labels, promtool

AT = "60m"


def hourly_tests() -> list[dict[str, object]]:
    expected = [(rec.copy_name(base, rec.HOURLY_INTERVAL), samples) for base, samples in cases.expected_hourly()]
    checks = [{"expr": name, "eval_time": AT,
               "exp_samples": [{"labels": dump_labels(name, labels), "value": value} for labels, value in samples]}
              for name, samples in expected]
    by_name = dict(expected)
    checks += [{"expr": over, "eval_time": AT,
                "exp_samples": [{"labels": dump_labels("", labels), "value": value}
                                for labels, value in by_name[hourly]]}
               for hourly, over in cases.copy_of_copy()]
    return [{"name": "hourly copies", "interval": "1m", "input_series": cases.hourly_series(),
             "promql_expr_test": checks}]


def test_every_hourly_copy_is_the_hours_mean_worst_or_lowest(tmp_path: Path) -> None:
    hourly = {n for n in rec.recording_rule_names() if n.endswith(f"_every{rec.HOURLY_INTERVAL}")}
    tests = hourly_tests()
    checked = {c["expr"] for c in tests[0]["promql_expr_test"]}  # type: ignore[attr-defined]
    assert hourly and hourly <= checked, hourly - checked
    (tmp_path / rec.RECORDING_FILE).write_text(rec.render_recording_rules())
    path = tmp_path / "test-hourly.yml"
    path.write_text(dump_yaml({"rule_files": [rec.RECORDING_FILE], "evaluation_interval": "1m", "tests": tests}))
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]


def test_the_hourly_copy_differs_from_the_5_minute_one_on_these_inputs(tmp_path: Path) -> None:
    # Otherwise the test above could pass with the 5-minute expressions in the hourly groups.
    (tmp_path / rec.RECORDING_FILE).write_text(rec.render_recording_rules())
    name = rec.coarse(rec.CONTAINER_CPU)
    path = tmp_path / "test-coarse.yml"
    path.write_text(dump_yaml({"rule_files": [rec.RECORDING_FILE], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": cases.hourly_series(), "promql_expr_test": [
            {"expr": name, "eval_time": AT, "exp_samples": [{"labels": dump_labels(name, {"name": "grafana"}),
                                                              "value": 1.0}]}]}]}))
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
