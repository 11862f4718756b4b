"""settings/rules.py declares the longest range the rules read (retention must keep it): the rendered
rules never read a longer one, and it is one they read, for the stack files and the idle window's range."""

from __future__ import annotations

import re

import pytest

from mixin.alerts import render_alert_files
from mixin.rules import render_recording_rules
from settings.grammar import duration_seconds
from settings.rules import longest_window
from tests.conftest import stack_settings
from tests.unit.test_prometheus_render import with_settings

RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")


@pytest.mark.parametrize(("stack", "idle_minutes"), [("dev", None), ("prod", None), ("swarm", None),
                                                     ("prod", 1), ("prod", 359), ("prod", 361), ("prod", 1440)])
def test_the_declared_longest_window_is_the_longest_the_rules_read(stack: str, idle_minutes: int | None) -> None:
    settings = stack_settings(stack) if idle_minutes is None else \
        with_settings(stack, thresholds={"tradingIdleMinutes": idle_minutes})
    texts = [*render_alert_files(settings).values(), render_recording_rules()]
    read = max(duration_seconds(w) for text in texts for w in RANGE.findall(text))
    assert longest_window(settings)[0] == read
