"""promtool on the swarm stack's prometheus.yml, with its rule files (Debian's promtool 2.42)."""

from __future__ import annotations

from pathlib import Path

from formats.yamlout import dump_yaml
from mixin import rules as rec
from mixin.alerts import alert_groups
from mixin.rule_files import render_rule_files
from render.prometheus_swarm import render_swarm_prometheus_config
from settings.model import StackSettings
from tests.config.alert_case import s
from tests.config.test_promtool import dump_labels, promtool, write_rules, write_test
from tests.conftest import stack_settings


def test_swarm_prometheus_config_and_its_rule_files_are_valid(tmp_path: Path) -> None:
    settings = stack_settings("swarm")
    write_rules(settings, tmp_path)
    config = render_swarm_prometheus_config(settings)
    config["rule_files"] = [str(tmp_path / "*.yml")]
    path = tmp_path / "prometheus.yml.check"
    path.write_text(dump_yaml(config))
    result = promtool("check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(render_rule_files(settings))} rule files found" in result.stdout


def test_promtool_rejects_a_swarm_discovery_without_a_role(tmp_path: Path) -> None:
    """The check above can fail: the same file with one discovery block broken is refused."""
    config = render_swarm_prometheus_config(stack_settings("swarm"))
    config["rule_files"] = []
    del config["scrape_configs"][1]["dockerswarm_sd_configs"][0]["role"]
    path = tmp_path / "broken.yml"
    path.write_text(dump_yaml(config))
    result = promtool("check", "config", str(path))
    assert result.returncode != 0
    assert "role missing" in result.stdout + result.stderr


# A task of the platform's API on node worker-2, as cAdvisor and the Swarm discovery label it.
_TASK = {"name": "christmas_api.2.kx3", "node": "worker-2", "instance": "worker-2"}
_NODE_EXPORTER = {"job": "node-exporter", "instance": "worker-2", "node": "worker-2"}


def _swarm_test(settings: StackSettings, alert: str, inputs: list[tuple[str, str]], labels: dict[str, str],
                at: str, description: str) -> tuple[str, dict[str, object]]:
    """(rule file, promtool test): the alert fires at `at` with the series' labels and this description."""
    group, rule = next((g, r) for g in alert_groups(settings) for r in g.rules if r.alert == alert)
    rendered = rule.render(group.component, settings.alerting.runbook_base_url)
    expected = {"exp_labels": {**labels, **rendered["labels"]},
                "exp_annotations": {**rendered["annotations"], "description": description}}
    return group.file, {"name": alert, "interval": "1m",
                        "input_series": [s(dump_labels(m, labels), v) for m, v in inputs],
                        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": [expected]}]}


def test_on_a_swarm_container_and_target_alerts_name_the_node(tmp_path: Path) -> None:
    """promtool runs the swarm stack's rules: the notification says on which node the container or target is."""
    settings = stack_settings("swarm")
    write_rules(settings, tmp_path)
    cases = [
        _swarm_test(settings, "ContainerRestarting", [("container_cpu_usage_seconds_total", "5 0 5 0 5 0 5")],
                    _TASK, "6m", "Restarts of christmas_api.2.kx3 on node worker-2 in the last 15 minutes: 3."),
        _swarm_test(settings, "ContainerMemoryNearLimit", [("container_memory_working_set_bytes", "95+0x10"),
                                                            ("container_spec_memory_limit_bytes", "100+0x10")],
                    _TASK, "6m",
                    "christmas_api.2.kx3 on node worker-2 uses 95.00% of its memory limit (threshold 90%)."),
        _swarm_test(settings, "TargetDown", [("up", "0+0x5")], _NODE_EXPORTER, "3m",
                    "node-exporter target worker-2 on node worker-2 has been unreachable for 2 minutes (up = 0)."),
    ]
    paths = [write_test(tmp_path, f"{i}.yml", [rec.RECORDING_FILE, file], [test])
             for i, (file, test) in enumerate(cases)]
    result = promtool("test", "rules", *paths)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert result.stdout.count("SUCCESS") == 3


def test_on_a_swarm_the_container_records_keep_the_node(tmp_path: Path) -> None:
    """The same task name on two nodes stays two series (`by (node, name)`), and the dashboard can say where."""
    settings = stack_settings("swarm")
    write_rules(settings, tmp_path)
    series = [s(f'container_cpu_usage_seconds_total{{name="christmas_api.1.ab",node="{node}",id="/d/{node}"}}',
                f"0+{per_minute}x20") for node, per_minute in (("worker-1", 30), ("worker-2", 60))]
    test: dict[str, object] = {"name": "node kept", "interval": "1m", "input_series": series, "promql_expr_test": [
        {"expr": rec.CONTAINER_CPU, "eval_time": "10m", "exp_samples": [
            {"labels": f'{rec.CONTAINER_CPU}{{name="christmas_api.1.ab",node="{node}"}}', "value": value}
            for node, value in (("worker-1", 0.5), ("worker-2", 1.0))]}]}
    path = write_test(tmp_path, "node.yml", [rec.RECORDING_FILE], [test])
    result = promtool("test", "rules", path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
