"""Every job a rule selects comes from one table (mixin/selectors.py): renaming a job there renames it
in every alert and recording rule, and no rule spells a job itself."""

from __future__ import annotations

import re

import pytest
import yaml

from mixin import selectors
from mixin.rule_files import render_rule_files
from tests.conftest import stack_settings

# `job="x"` / `job=~"x"` in an expression, or a static `job: x` label.
_MATCHER = re.compile(r'\bjob=~?"([^"]*)"')


def _jobs_in_rules() -> set[str]:
    found: set[str] = set()
    for text in render_rule_files(stack_settings("prod")).values():
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                found |= set(_MATCHER.findall(rule["expr"]))
                if "job" in rule.get("labels", {}):
                    found.add(rule["labels"]["job"])
    return found


def test_every_job_a_rule_names_comes_from_the_table():
    found = _jobs_in_rules()
    assert found and found <= set(selectors.JOBS.values())


def test_renaming_a_job_in_the_table_renames_it_in_every_rule(monkeypatch: pytest.MonkeyPatch):
    before = _jobs_in_rules()
    renamed = {about: f"{job}-renamed" for about, job in selectors.JOBS.items()}
    monkeypatch.setattr(selectors, "JOBS", renamed)
    after = _jobs_in_rules()
    assert after == {f"{job}-renamed" for job in before}
