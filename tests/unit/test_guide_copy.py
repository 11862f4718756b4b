"""mixin/guide.py holds the guide's values exactly: parsed from the guide file itself, value by value.

The guide lives beside the project (`../shared/guide/monitoring-guide.ko.md`, as on every developer's
machine and in CI). Its code blocks are read with a YAML parser; the §9 commands are its inline code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mixin import guide

GUIDE_FILE = Path(__file__).resolve().parents[3] / "shared" / "guide" / "monitoring-guide.ko.md"


def _text() -> str:
    assert GUIDE_FILE.is_file(), f"the guide is missing at {GUIDE_FILE} (shared/ beside the project)"
    return GUIDE_FILE.read_text(encoding="utf-8")


def _blocks() -> list[str]:
    return re.findall(r"```(?:yaml)?\n(.*?)```", _text(), re.S)


def _yaml_blocks() -> list[Any]:
    out = []
    for block in _blocks():
        try:
            out.append(yaml.safe_load(block))
        except yaml.YAMLError:
            continue  # the architecture diagram
    return out


def _section(heading: str) -> str:
    """The guide's text from a heading to the next heading of the same or a higher level."""
    text = _text()
    start = text.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    rest = text[start + len(heading):]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def test_the_four_alert_rules_are_the_guides() -> None:
    rules = [r for b in _yaml_blocks() if isinstance(b, list) for r in b if "alert" in r]
    assert [(r["alert"], r["expr"], r["for"], r["labels"]["severity"], r["annotations"]["summary"],
             r["annotations"]["description"]) for r in rules] == [
        (a.name, a.expr, a.for_, a.severity, a.summary, a.description) for a in guide.GUIDE_ALERTS]


def test_prometheus_yml_is_the_guides() -> None:
    (config,) = [b for b in _yaml_blocks() if isinstance(b, dict) and "scrape_configs" in b]
    assert config["global"] == guide.GUIDE_PROMETHEUS_GLOBAL
    jobs = {j["job_name"]: j["static_configs"][0]["targets"] for j in config["scrape_configs"]}
    assert jobs == {name: [target] for name, target in guide.GUIDE_SCRAPE_JOBS.items()}
    assert list(jobs) == list(guide.GUIDE_SCRAPE_JOBS), "the guide's order"
    paths = {j["job_name"]: j["metrics_path"] for j in config["scrape_configs"] if "metrics_path" in j}
    assert paths == guide.GUIDE_METRICS_PATHS


def test_alertmanager_yml_is_the_guides() -> None:
    (config,) = [b for b in _yaml_blocks() if isinstance(b, dict) and "route" in b]
    assert config["global"] == guide.GUIDE_ALERTMANAGER_GLOBAL
    assert config["route"] == guide.GUIDE_ROUTE
    assert config["receivers"] == [{"name": guide.GUIDE_SLACK_RECEIVER, "slack_configs": [guide.GUIDE_SLACK_CONFIG]}]


def test_the_email_receiver_is_the_guides() -> None:
    (config,) = [b for b in _yaml_blocks() if isinstance(b, dict) and set(b) == {"receivers"}]
    assert config["receivers"] == [{"name": guide.GUIDE_EMAIL_RECEIVER, "email_configs": [guide.GUIDE_EMAIL_CONFIG]}]


def test_the_compose_services_are_the_guides() -> None:
    services: dict[str, Any] = {}
    for block in _yaml_blocks():
        if isinstance(block, dict) and "services" in block:
            services.update(block["services"])
    assert services == guide.GUIDE_COMPOSE_SERVICES


def test_the_four_log_queries_are_the_guides() -> None:
    queries = tuple(b.strip() for b in re.findall(r"```\n(.*?)```", _section("### 6.2"), re.S))
    assert queries == guide.GUIDE_LOG_QUERIES


def test_the_troubleshooting_commands_are_the_guides() -> None:
    commands = tuple(re.findall(r"`([^`\n]+)`", _section("## 9.")))
    assert commands == guide.GUIDE_TROUBLESHOOTING_COMMANDS


@pytest.mark.parametrize("value", [guide.GUIDE_KIBANA_URL, guide.GUIDE_RULES_FILE, guide.GUIDE_ALERTMANAGER_FILE,
                                   *(f"> {name}" for name in guide.GUIDE_DASHBOARDS)])
def test_the_guides_other_values_are_in_it(value: str) -> None:
    assert value in _text()
