"""Nothing in clear: credentials cross the network only over TLS, internal services stay on loopback
in a production (protectData) stack. Each refusal names one key and a fix that is itself accepted."""

from __future__ import annotations

import pytest

from tests.unit.test_alerting_settings import parse, refused


def test_smtp_authentication_without_tls_is_refused() -> None:
    message = refused("alerting.smtpRequireTls", "in clear", alerting={"smtpRequireTls": False})
    assert message.count("\n  - ") == 1
    assert parse(alerting={"smtpRequireTls": True}).alerting.smtp_require_tls


def test_smtp_without_authentication_may_go_without_tls() -> None:
    # The dev stack: a local mail catcher, no login.
    assert not parse("dev").alerting.smtp_require_tls


@pytest.mark.parametrize("url", ["http://grafana.example.com", "http://10.0.0.5:3000"])
def test_an_http_grafana_api_url_beyond_loopback_is_refused(url: str) -> None:
    refused("grafana.apiUrl", "must be https", "fix: pulumi config set --path grafana.apiUrl https://",
            grafana={"apiUrl": url})


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "http://localhost:3000", "https://grafana.example.com"])
def test_grafana_api_url_on_loopback_or_https_is_accepted(url: str) -> None:
    assert parse(grafana={"apiUrl": url}).grafana.api_url == url


def test_grafana_published_beyond_loopback_needs_an_https_api_url_even_in_dev() -> None:
    refused("grafana.apiUrl", "is required (https)", stack="dev",
            publish={"grafana": {"port": 13000, "address": "192.168.1.10"}})


def test_an_http_heartbeat_is_refused_without_echoing_its_token() -> None:
    message = refused("heartbeatUrl", "https", heartbeatUrl="http://hc-ping.com/secret-token-1234")
    assert "secret-token-1234" not in message


@pytest.mark.parametrize("service", ["prometheus", "alertmanager", "grafana"])
def test_prod_refuses_an_internal_service_published_beyond_loopback(service: str) -> None:
    message = refused(f"publish.{service}.address", "loopback",
                      f"fix: pulumi config set --path publish.{service}.address 127.0.0.1",
                      publish={service: {"port": 9999, "address": "0.0.0.0"}},
                      grafana={"apiUrl": "https://grafana.example.com"})
    assert message.count("\n  - ") == 1, message


def test_dev_may_publish_on_loopback_and_the_fix_of_prod_is_accepted() -> None:
    settings = parse(publish={"prometheus": {"port": 9999, "address": "127.0.0.1"}})
    assert settings.services["prometheus"].publish is not None
