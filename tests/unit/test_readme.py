"""The README documents every setting the program accepts, and starts with the two commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from settings.model import TOP_LEVEL_KEYS, SettingsError, parse_settings
from tests.conftest import stack_config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTIONS = ("images", "memoryMb", "cpus", "publish", "prometheus", "thresholds", "alerting", "grafana",
            "logging", "database")


def known_keys(section: str) -> list[str]:
    """The keys the program accepts in a section, as its own error message lists them."""
    config, secret_keys = stack_config("prod")
    config[section] = json.dumps({"no-such-setting": 1})
    with pytest.raises(SettingsError) as caught:
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    listed = re.search(r"known: ([^)]*)\)", str(caught.value))
    assert listed, str(caught.value)
    return listed.group(1).split(", ")


@pytest.mark.parametrize("section", SECTIONS)
def test_every_nested_setting_is_in_the_readme(section):
    keys = known_keys(section)
    assert keys
    if section in ("images", "memoryMb", "cpus", "publish"):
        missing = [k for k in keys if f"| {k} |" not in README and f"`{k}`" not in README]
    else:
        missing = [k for k in keys if f"`{section}.{k}`" not in README]
    assert not missing, f"README lacks {section}: {missing}"


def test_every_top_level_setting_is_in_the_readme():
    # Object settings are documented by their keys (`publish.grafana`), plain ones by name.
    assert [k for k in TOP_LEVEL_KEYS if f"`{k}`" not in README and f"`{k}." not in README] == []


def test_readme_starts_with_the_plan_and_test_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make plan STACK=dev" in first_block and "make test" in first_block


def test_the_settings_tables_are_generated_from_the_one_declaration():
    from settings.docs import settings_markdown

    # Regenerate with: venv/bin/python -m settings.docs --write README.md
    assert settings_markdown() in README
