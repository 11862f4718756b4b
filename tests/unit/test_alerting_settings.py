"""Bad alerting input is refused by parse_settings with the key, the problem and the fix."""

from __future__ import annotations

import json

import pytest

from settings.model import SettingsError, StackSettings, parse_settings
from tests.conftest import stack_config


def parse(stack: str = "prod", drop: tuple[str, ...] = (), **overrides: object) -> StackSettings:
    """The stack's settings with some keys replaced (objects merged into the existing section)."""
    config, secret_keys = stack_config(stack)
    for key in drop:
        config.pop(key, None)
    for key, value in overrides.items():
        if isinstance(value, dict):
            merged = json.loads(config.get(key, "{}"))
            merged.update(value)
            config[key] = json.dumps(merged)
        else:
            config[key] = str(value)
    return parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))


def refused(*fragments: str, **kwargs: object) -> str:
    with pytest.raises(SettingsError) as info:
        parse(**kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "fix: pulumi config" in message
    return message


def test_unknown_threshold_is_named() -> None:
    refused("thresholds.cpuPrecent", "is not a known setting", thresholds={"cpuPrecent": 80})


@pytest.mark.parametrize("name", ["scrapeInterval", "evaluationInterval", "retentionTime"])
@pytest.mark.parametrize("value", ["15", "fifteen seconds", "0s", "1.5m"])
def test_interval_that_is_not_a_prometheus_duration(name: str, value: str) -> None:
    refused(f"prometheus.{name}", "Prometheus duration", prometheus={name: value})


@pytest.mark.parametrize(("key", "value"), [("emailTo", ["oncall@"]), ("emailTo", ["not an address"]),
                                            ("emailFrom", "alertmanager")])
def test_malformed_email_address(key: str, value: object) -> None:
    refused(f"alerting.{key}", "e-mail", alerting={key: value})


def test_slack_channel_must_look_like_one() -> None:
    refused("alerting.slackChannel", "Slack channel", alerting={"slackChannel": "alerts"})


def test_a_stack_without_any_receiver_is_refused() -> None:
    refused("no alert receiver", "slackWebhookUrl", "alerting.emailTo",
            stack="dev", drop=("slackWebhookUrl",), alerting={"emailTo": []})


def test_one_receiver_is_enough() -> None:
    # dev: no secret is required, so Slack may be left out.
    email_only = parse("dev", drop=("slackWebhookUrl",)).alerting
    assert email_only.email_enabled and not email_only.slack_enabled
    slack_only = parse(alerting={"emailTo": []}).alerting
    assert slack_only.slack_enabled and not slack_only.email_enabled


def test_market_hours_must_be_an_open_window() -> None:
    refused("alerting.marketCloseHourUtc", "must differ from alerting.marketOpenHourUtc",
            alerting={"marketOpenHourUtc": 13, "marketCloseHourUtc": 13})
    # A session across midnight is a session (tests/config/test_market_hours.py runs it in promtool).
    assert parse(alerting={"marketOpenHourUtc": 21, "marketCloseHourUtc": 13}).alerting.market_close_hour_utc == 13
    refused("alerting.marketOpenHourUtc", "must be between", alerting={"marketOpenHourUtc": 24})


def test_every_problem_is_reported_at_once() -> None:
    message = refused("thresholds.cpuPercent", "prometheus.scrapeInterval", "alerting.emailFrom",
                      thresholds={"cpuPercent": 200}, prometheus={"scrapeInterval": "soon"},
                      alerting={"emailFrom": "x"})
    assert "3 configuration problem(s)" in message
