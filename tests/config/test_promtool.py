"""promtool on the files rendered for dev and prod: config, rule syntax, and rule unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from formats.yamlout import dump_yaml
from mixin import rules as rec
from mixin.alerts import alert_groups, alert_names
from mixin.rule_files import render_rule_files
from render.prometheus import RULES_DIR, render_prometheus_config
from settings.model import StackSettings
from tests.config import recording_cases
from tests.config.rule_cases import BOUNDARY_EVALUATION_INTERVAL, alert_cases, boundary_tests, promtool_tests
from tests.conftest import stack_settings

STACKS = ("dev", "prod")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe, "promtool is missing: run `make tools` (Debian package prometheus)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, check=False)


def write_rules(settings: StackSettings, directory: Path) -> list[str]:
    files = render_rule_files(settings)
    for name, text in files.items():
        (directory / name).write_text(text)
    return sorted(files)


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_config_and_its_rule_files_are_valid(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    write_rules(settings, tmp_path)
    config = render_prometheus_config(settings)
    assert config["rule_files"] == [f"{RULES_DIR}/*.yml"]
    # Same config, rule files read from where this test wrote them, so promtool checks them too.
    config["rule_files"] = [str(tmp_path / "*.yml")]
    path = tmp_path / "prometheus.yml.check"
    path.write_text(dump_yaml(config))
    result = promtool("check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert f"SUCCESS: {len(render_rule_files(settings))} rule files found" in result.stdout


@pytest.mark.parametrize("stack", STACKS)
def test_every_rule_file_passes_promtool_check_rules(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    files = write_rules(settings, tmp_path)
    result = promtool("check", "rules", *[str(tmp_path / f) for f in files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    for stack in STACKS:
        settings = stack_settings(stack)
        cases = {c.alert: c for c in alert_cases(settings)}
        assert sorted(cases) == sorted(alert_names(settings))
        never_silent = {"Watchdog"}
        assert [n for n, c in cases.items() if not c.quiet and n not in never_silent] == []


def recording_tests() -> list[dict[str, object]]:
    """Known inputs -> the value of every recording rule the dashboards read (tests/config/recording_cases.py)."""
    series = recording_cases.input_series()
    known = dict([*recording_cases.expected_platform(), *recording_cases.expected_traffic_and_database()])
    # Every 5-minute copy: with steady inputs, the value of the quantity it copies. The hourly copies
    # need an hour of input: tests/config/test_hourly_copies.py.
    copies = {rec.coarse(base): base for base in known}
    expected = [(name, known[name] if name in known else known[copies[name]]) for name in rec.recording_rule_names()
                if not name.endswith(f"_every{rec.HOURLY_INTERVAL}")]
    checks = [{"expr": name, "eval_time": "10m",
               "exp_samples": [{"labels": dump_labels(name, labels), "value": value} for labels, value in samples]}
              for name, samples in expected]
    return [{"name": "recording rules", "interval": "1m", "input_series": series, "promql_expr_test": checks}]


def dump_labels(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inner}}}"


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_unit_tests_for_every_alert_and_recording_rule(stack: str, tmp_path: Path) -> None:
    settings = stack_settings(stack)
    write_rules(settings, tmp_path)
    cases = alert_cases(settings)
    base = settings.alerting.runbook_base_url
    # One test file per rule file (with the recording rules it reads): promtool evaluates every
    # loaded rule at every step, and the trading cases span a whole trading day.
    test_files = []
    for group in alert_groups(settings):
        names = {rule.alert for rule in group.rules}
        tests = promtool_tests([c for c in cases if c.alert in names], base)
        test_files.append(write_test(tmp_path, group.file, [rec.RECORDING_FILE, group.file], tests))
        edges = boundary_tests([c for c in cases if c.alert in names], base)
        if edges:
            test_files.append(write_test(tmp_path, f"boundaries-{group.file}", [rec.RECORDING_FILE, group.file], edges,
                                         BOUNDARY_EVALUATION_INTERVAL))
    test_files.append(write_test(tmp_path, rec.RECORDING_FILE, [rec.RECORDING_FILE], recording_tests()))
    result = promtool("test", "rules", *test_files)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert result.stdout.count("SUCCESS") == len(test_files)
    # Sanity: the files really hold one firing check per alert.
    firing = {c["alertname"] for f in test_files for t in yaml.safe_load(Path(f).read_text())["tests"]
              for c in t.get("alert_rule_test", []) if c["exp_alerts"]}
    assert firing == set(alert_names(settings))


def write_test(directory: Path, name: str, rule_files: list[str], tests: list[dict[str, object]],
               evaluation_interval: str = "1m") -> str:
    path = directory / f"test-{name}"
    path.write_text(dump_yaml({"rule_files": rule_files, "evaluation_interval": evaluation_interval, "tests": tests}))
    return str(path)
