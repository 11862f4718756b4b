"""amtool on alertmanager.yml rendered for dev and prod, and for one-channel stacks: validity and routing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mixin.guide import GUIDE_ROUTE
from render.alertmanager import render_alertmanager_yml
from settings.model import StackSettings, parse_settings
from tests.conftest import stack_config

SLACK = "slack-notifications"
EMAIL = "email-notifications"
BOTH = "slack-and-email-notifications"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("amtool")
    assert exe, "amtool is missing: run `make tools` (Debian package prometheus-alertmanager)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)


def variant(stack: str, slack: bool = True, email: bool = True, **alerting: object) -> tuple[StackSettings, str]:
    """The stack's settings (placeholder secrets), optionally without one channel; and the rendered file."""
    config, secret_keys = stack_config(stack)
    section = json.loads(config.get("alerting", "{}"))
    section.update(alerting)
    if not email:
        section.pop("emailTo", None)
    config["alerting"] = json.dumps(section)
    if not slack:
        config.pop("slackWebhookUrl", None)
    settings = parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))
    text = render_alertmanager_yml(GUIDE_ROUTE, settings, config.get("slackWebhookUrl"), config.get("smtpPassword"))
    return settings, text


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    return str(path)


def route(path: str, *labels: str) -> str:
    result = amtool("config", "routes", "test", f"--config.file={path}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_check_config_accepts_the_rendered_file(stack: str, tmp_path: Path) -> None:
    _, text = variant(stack)
    result = amtool("check-config", write(tmp_path, text))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "3 inhibit rules" in result.stdout


@pytest.mark.parametrize(("stack", "slack", "email", "critical", "warning"), [
    ("prod", True, True, BOTH, SLACK),
    ("dev", True, True, BOTH, SLACK),
    # One channel only: everything goes there.
    ("dev", False, True, EMAIL, EMAIL),
    ("prod", True, False, SLACK, SLACK),
])
def test_each_severity_reaches_its_receivers(stack: str, slack: bool, email: bool, critical: str, warning: str,
                                             tmp_path: Path) -> None:
    _, text = variant(stack, slack=slack, email=email)
    path = write(tmp_path, text)
    assert amtool("check-config", path).returncode == 0
    assert route(path, "severity=critical", "alertname=PostgresDown") == critical
    assert route(path, "severity=warning", "alertname=HighCpuUsage") == warning
    # An alert with an unexpected severity still reaches someone.
    assert route(path, "severity=info", "alertname=Custom") == warning
    # The Watchdog never pages anyone: only the heartbeat.
    assert route(path, "severity=none", "alertname=Watchdog") == "heartbeat"
    # amtool's own verification of the same expectation (non-zero exit on mismatch).
    verify = amtool("config", "routes", "test", f"--config.file={path}", f"--verify.receivers={critical}",
                    "severity=critical")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_heartbeat_url_makes_the_watchdog_receiver_a_webhook(tmp_path: Path) -> None:
    settings, _ = variant("prod")
    config, _keys = stack_config("prod")
    text = render_alertmanager_yml(GUIDE_ROUTE, settings, config["slackWebhookUrl"], config["smtpPassword"],
                                   "https://hc-ping.example.com/abc")
    path = write(tmp_path, text)
    assert amtool("check-config", path).returncode == 0
    assert route(path, "alertname=Watchdog", "severity=none") == "heartbeat"
    assert "url: https://hc-ping.example.com/abc" in text
