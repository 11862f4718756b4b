"""Renders alertmanager.yml from the settings and the receivers' secrets (pure)."""

from __future__ import annotations

from typing import Any

from config.settings import StackSettings
from config.yamlout import dump_yaml

CONFIG_PATH = "/etc/alertmanager/alertmanager.yml"


def render_alertmanager_config(settings: StackSettings, slack_webhook_url: str | None,
                               smtp_password: str | None) -> dict[str, Any]:
    a = settings.alerting
    receivers: list[dict[str, Any]] = []
    notify: dict[str, Any] = {"name": "oncall"}
    if a.slack_enabled and slack_webhook_url:
        notify["slack_configs"] = [{"api_url": slack_webhook_url, "channel": a.slack_channel,
                                    "send_resolved": True}]
    if a.email_enabled:
        email: dict[str, Any] = {"to": ", ".join(a.email_to), "send_resolved": True}
        notify["email_configs"] = [email]
    receivers.append(notify)
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if a.email_enabled:
        global_.update({"smtp_smarthost": a.smtp_smarthost, "smtp_from": a.email_from,
                        "smtp_require_tls": a.smtp_require_tls})
        if a.smtp_username:
            global_["smtp_auth_username"] = a.smtp_username
        if smtp_password:
            global_["smtp_auth_password"] = smtp_password
    return {
        "global": global_,
        "route": {"receiver": "oncall", "group_by": ["alertname", "job"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": receivers,
    }


def render_alertmanager_yml(settings: StackSettings, slack_webhook_url: str | None,
                            smtp_password: str | None) -> str:
    return dump_yaml(render_alertmanager_config(settings, slack_webhook_url, smtp_password))
