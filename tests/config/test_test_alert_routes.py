"""`make test-alert` goes where an operator expects: amtool routes ChristmasTestAlert, with the labels
doctor/test_alert.py sends, on the rendered alertmanager.yml of dev and prod (no route change needed:
it matches the severity routes like any alert, and no inhibit rule can mute it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.test_alert import alert_labels
from tests.config.test_amtool import BOTH, SLACK, route, variant, write


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize(("severity", "receiver"), [("critical", BOTH), ("warning", SLACK)])
def test_test_alert_reaches_the_severitys_receivers(stack: str, severity: str, receiver: str, tmp_path: Path):
    _, text = variant(stack)
    labels = [f"{k}={v}" for k, v in alert_labels(severity).items()]
    assert route(write(tmp_path, text), *labels) == receiver


def test_test_alert_labels_say_what_it_is():
    labels = alert_labels("critical")
    assert labels["alertname"] == "ChristmasTestAlert" and labels["test"] == "true"
    # Its own job/instance: inhibit rules equal on alertname/instance/job never pair it with a real alert.
    assert labels["job"] == "test-alert" and labels["instance"] == "make-test-alert"
