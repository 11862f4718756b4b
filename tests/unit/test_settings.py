"""Stack settings: defaults, per-stack values, and a clear error for every bad input."""

from __future__ import annotations

import json

import pulumi
import pytest

from offline.mocks import PLACEHOLDERS, ProgramRun, run_program
from settings.model import OPTIONAL_SECRETS, SECRET_KEYS, SettingsError, parse_settings
from tests.conftest import stack_config

PROJECT = "christmas-monitoring"


def prod_raw() -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config("prod")
    return dict(config), set(secret_keys)


def error_for(raw: dict[str, str], secret_keys: set[str], stack: str = "prod") -> str:
    with pytest.raises(SettingsError) as caught:
        parse_settings(PROJECT, stack, raw, frozenset(secret_keys))
    return str(caught.value)


def test_prod_stack_file_parses_with_its_values(prod_settings):
    s = prod_settings
    assert s.protect_data is True
    assert s.generate_missing_secrets is False
    assert s.prometheus.retention_time == "30d"
    assert s.alerting.alertmanager_peers == 2
    assert s.services["grafana"].publish is not None
    # Only the edge listens beyond loopback in prod; Grafana stays on loopback for `pulumi up`.
    assert s.services["grafana"].publish.bind_address == "127.0.0.1"
    assert s.services["kibana"].publish is None
    assert (s.edge.address, s.edge.http_port, s.edge.https_port, s.edge.tls) == ("0.0.0.0", 80, 443, "acme")
    assert s.services["prometheus"].publish is not None
    assert s.services["prometheus"].publish.bind_address == "127.0.0.1"
    assert s.services["elasticsearch"].publish is None
    assert s.services["elasticsearch"].memory_mb == 8192


def test_dev_stack_binds_everything_to_loopback(dev_settings):
    published = {name: svc.publish for name, svc in dev_settings.services.items() if svc.publish}
    assert set(published) >= {"grafana", "prometheus", "alertmanager", "kibana"}
    assert {p.bind_address for p in published.values()} == {"127.0.0.1"}
    assert dev_settings.protect_data is False


def test_dev_needs_no_secret_at_all():
    config, _ = stack_config("dev")
    for key in SECRET_KEYS:
        config.pop(key, None)
    settings = parse_settings(PROJECT, "dev", config, frozenset())
    assert settings.generate_missing_secrets
    assert settings.alerting.email_enabled and not settings.alerting.slack_enabled


def test_prod_requires_every_secret_and_names_each():
    config, secret_keys = prod_raw()
    for key in SECRET_KEYS:
        config.pop(key, None)
    message = error_for(config, secret_keys)
    for key in SECRET_KEYS:
        if key in OPTIONAL_SECRETS:
            assert key not in message
            continue
        assert f"{key}: is a required secret" in message
        assert f"pulumi config set --secret {key}" in message


def test_all_problems_are_reported_together():
    config, secret_keys = prod_raw()
    config["prometheus"] = json.dumps({"scrapeInterval": "fast", "retentionTime": "30d"})
    config["publish"] = json.dumps({"grafana": {"port": 70000, "address": "0.0.0.0"}})
    message = error_for(config, secret_keys)
    assert "2 configuration problem(s)" in message
    assert "prometheus.scrapeInterval" in message and "publish.grafana.port" in message


def test_secret_stored_in_plain_text_is_refused():
    config, secret_keys = prod_raw()
    secret_keys.discard("smtpPassword")
    message = error_for(config, secret_keys)
    assert "smtpPassword: is stored in plain text" in message
    assert PLACEHOLDERS["smtpPassword"] not in message


def test_a_stack_without_any_receiver_is_refused():
    config, secret_keys = stack_config("dev")
    config.pop("slackWebhookUrl")
    alerting = json.loads(config["alerting"])
    alerting.pop("emailTo")
    config["alerting"] = json.dumps(alerting)
    message = error_for(config, secret_keys, stack="dev")
    assert "no alert receiver" in message
    assert "pulumi config set --secret slackWebhookUrl" in message


def test_bad_setting_fails_the_program_before_any_resource():
    """`pulumi preview` stops at once with the message: a RunError (no traceback), no resource declared."""
    config, secret_keys = prod_raw()
    config["publish"] = json.dumps({"grafana": {"port": 0}})
    run = ProgramRun()
    with pytest.raises(pulumi.RunError) as caught:
        run_program("prod", config, secret_keys, into=run)
    assert "publish.grafana.port: must be between 1 and 65535" in str(caught.value)
    assert run.resources == []
