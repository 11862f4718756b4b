"""The Prometheus rule files the mixin ships: the recording rules, then one file of alerts per area."""

from __future__ import annotations

from mixin.alerts import render_alert_files
from mixin.rules import RECORDING_FILE, render_recording_rules
from settings.model import StackSettings


def render_rule_files(settings: StackSettings) -> dict[str, str]:
    """File name -> content of each rule file (Prometheus loads them from render/prometheus.py's RULES_DIR)."""
    return {RECORDING_FILE: render_recording_rules(), **render_alert_files(settings)}
