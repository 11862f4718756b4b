"""alertmanager.yml as rendered from the settings and the receivers' secrets."""

from __future__ import annotations

import json

import pytest
import yaml

from mixin.guide import GUIDE_ROUTE
from render.alertmanager import render_alertmanager_config, render_alertmanager_yml, secret_file_names, secret_files
from settings.model import StackSettings, parse_settings
from tests.conftest import stack_config

WEBHOOK = "https://hooks.slack.com/services/T1/B1/secretpart"
PASSWORD = "smtp-secret-password"


def settings_for(stack: str, slack: bool = True, **alerting: object) -> StackSettings:
    config, secret_keys = stack_config(stack)
    section = json.loads(config.get("alerting", "{}"))
    section.update(alerting)
    config["alerting"] = json.dumps(section)
    if not slack:
        config.pop("slackWebhookUrl", None)
    return parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))


def receivers(config: dict[str, object]) -> dict[str, dict[str, object]]:
    return {r["name"]: r for r in config["receivers"]}  # type: ignore[attr-defined,index]


def test_route_uses_the_guide_timings_and_grouping() -> None:
    config = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)
    route = config["route"]
    # The monitoring guide's §4.4.2, as literals: grouping, timers, receiver, channel.
    assert route["group_by"] == ["alertname", "job"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("30s", "5m", "4h")
    assert route["receiver"] == "slack-notifications"
    assert receivers(config)["slack-notifications"]["slack_configs"][0]["channel"] == "#alerts"  # type: ignore[index]
    assert config["global"]["resolve_timeout"] == "5m"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_watchdog_beats_every_minute_to_the_heartbeat_only(stack: str) -> None:
    # The dead man's switch expects a ping a minute (an hour between pings would read as "down"
    # only after the switch's own grace ran out): first of the routes, so no severity route sees it.
    config = yaml.safe_load(render_alertmanager_yml(GUIDE_ROUTE, settings_for(stack), WEBHOOK, PASSWORD,
                                                    "https://hc-ping.com/uuid"))
    first = config["route"]["routes"][0]
    assert first == {"receiver": "heartbeat", "matchers": ['alertname="Watchdog"'], "group_wait": "0s",
                     "group_interval": "1m", "repeat_interval": "1m"}


def test_slack_message_names_severity_and_links_runbook_and_grafana() -> None:
    config = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)
    slack = receivers(config)["slack-notifications"]["slack_configs"][0]  # type: ignore[index]
    # The webhook is a file the configuration names (api_url_file), never the URL itself.
    assert slack["api_url_file"] == "/etc/alertmanager/secrets/slack-api-url"
    assert "api_url" not in slack
    assert slack["channel"] == "#alerts"
    assert slack["send_resolved"] is True
    assert "severity" in slack["title"]
    assert "{{ .Annotations.runbook_url }}" in slack["text"]
    assert "https://grafana.christmas-trading.com" in slack["text"]
    assert slack["title_link"] == "https://grafana.christmas-trading.com"


def test_email_goes_over_tls_with_auth_and_sends_resolved() -> None:
    config = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)
    g = config["global"]
    assert g["smtp_require_tls"] is True
    assert g["smtp_auth_username"] == "alertmanager@christmas-trading.com"
    assert g["smtp_auth_password_file"] == "/etc/alertmanager/secrets/smtp-password"
    assert "smtp_auth_password" not in g
    email = receivers(config)["slack-and-email-notifications"]["email_configs"][0]  # type: ignore[index]
    assert email["to"] == "oncall@christmas-trading.com"
    assert email["send_resolved"] is True


def test_without_email_nothing_mentions_smtp() -> None:
    config = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod", emailTo=[]), WEBHOOK, PASSWORD)
    assert not any(k.startswith("smtp") for k in config["global"])
    assert sorted(receivers(config)) == ["heartbeat", "slack-notifications"]


def test_watchdog_has_a_null_receiver_until_a_heartbeat_url_is_set() -> None:
    null = receivers(render_alertmanager_config(GUIDE_ROUTE, settings_for("dev"), WEBHOOK, None))["heartbeat"]
    assert null == {"name": "heartbeat"}
    beat = receivers(render_alertmanager_config(
        GUIDE_ROUTE,
        settings_for("dev"), WEBHOOK, None, "https://hc-ping.com/1234"))["heartbeat"]
    assert beat["webhook_configs"] == [{"url": "https://hc-ping.com/1234", "send_resolved": False}]


def test_inhibit_rules_mute_warnings_and_dependants() -> None:
    rules = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)["inhibit_rules"]
    assert {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "instance"]} in rules
    sources = [r["source_matchers"] for r in rules]
    assert ['alertname="TargetDown"'] in sources
    assert ['alertname="PostgresDown"'] in sources


def test_no_channel_at_all_is_refused() -> None:
    settings = settings_for("prod", slack=True, emailTo=[])
    with pytest.raises(ValueError, match="Slack webhook or e-mail"):
        render_alertmanager_yml(GUIDE_ROUTE, settings, None, None)


def test_rendered_text_holds_neither_webhook_nor_password_only_their_files() -> None:
    text = render_alertmanager_yml(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)
    assert WEBHOOK not in text and PASSWORD not in text
    assert yaml.safe_load(text)["global"]["smtp_auth_password_file"].endswith("/smtp-password")
    # the critical (Slack + e-mail) and warning (Slack) receivers both name the same file
    assert text.count("api_url_file: /etc/alertmanager/secrets/slack-api-url") == 2


def test_secret_files_hold_exactly_the_configured_secrets() -> None:
    assert secret_files(settings_for("prod"), WEBHOOK, PASSWORD) == {
        "slack-api-url": WEBHOOK, "smtp-password": PASSWORD}
    # No e-mail channel: no SMTP password file, and the configuration names none.
    no_email = settings_for("prod", emailTo=[])
    assert secret_files(no_email, WEBHOOK, PASSWORD) == {"slack-api-url": WEBHOOK}
    assert secret_file_names(no_email, slack=True, smtp=True) == ("slack-api-url",)


def test_the_inhibit_rules_are_exactly_the_three_stated() -> None:
    # A critical mutes its own warning on one instance; TargetDown mutes the rest of its job;
    # PostgresDown mutes the database alerts of the same exporter.
    assert render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)["inhibit_rules"] == [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
         "equal": ["alertname", "instance"]},
        {"source_matchers": ['alertname="TargetDown"'], "target_matchers": ['alertname!="TargetDown"'],
         "equal": ["job"]},
        {"source_matchers": ['alertname="PostgresDown"'],
         "target_matchers": ['component="database"', 'alertname!="PostgresDown"'], "equal": ["instance"]},
    ]


def test_alerts_are_routed_by_the_watchdog_then_their_severity() -> None:
    routes = render_alertmanager_config(GUIDE_ROUTE, settings_for("prod"), WEBHOOK, PASSWORD)["route"]["routes"]
    assert [r["matchers"] for r in routes] == [['alertname="Watchdog"'], ['severity="critical"'],
                                               ['severity="warning"']]


def test_every_recipient_is_in_the_to_field_and_the_secret_files_are_where_the_stack_puts_them() -> None:
    settings = settings_for("prod", emailTo=["oncall@example.com", "lead@example.com"])
    config = yaml.safe_load(render_alertmanager_yml(GUIDE_ROUTE, settings, WEBHOOK, PASSWORD,
                                                    secrets_dir="/run/secrets/am"))
    [email] = receivers(config)["slack-and-email-notifications"]["email_configs"]  # type: ignore[misc]
    assert email["to"] == "oncall@example.com, lead@example.com"  # type: ignore[has-type]
    assert config["global"]["smtp_auth_password_file"] == "/run/secrets/am/smtp-password"


def test_the_slack_file_only_with_slack_both_set_and_enabled() -> None:
    no_slack = settings_for("dev", slack=False)
    assert not no_slack.alerting.slack_enabled
    # A webhook handed over for a stack without Slack is not written.
    assert secret_file_names(no_slack, slack=True, smtp=False) == ()
    assert secret_file_names(settings_for("prod"), slack=False, smtp=False) == ()


def test_no_channel_at_all_is_refused_with_the_reason() -> None:
    settings = settings_for("prod", slack=True, emailTo=[])
    with pytest.raises(ValueError) as refused:
        render_alertmanager_yml(GUIDE_ROUTE, settings, None, None)
    assert str(refused.value) == "alertmanager.yml needs a Slack webhook or e-mail recipients"
