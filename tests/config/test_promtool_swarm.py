"""promtool on the swarm stack's prometheus.yml, with its rule files (Debian's promtool 2.42)."""

from __future__ import annotations

from pathlib import Path

from render.prometheus import render_rule_files
from render.prometheus_swarm import render_swarm_prometheus_config
from render.yamlout import dump_yaml
from tests.config.test_promtool import promtool, write_rules
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
