"""Renders alertmanager.yml from the settings and the receivers' secrets (pure).

Routing: Watchdog -> its heartbeat receiver; critical -> Slack and e-mail; warning -> Slack.
A stack with only one channel sends everything there (parse_settings guarantees at least one).
Receivers are named after the channels they reach, so `amtool config routes test` reads plainly.

Secrets: the Slack webhook and the SMTP password are files (`api_url_file`,
`smtp_auth_password_file`, both in Alertmanager 0.25 and 0.28.1, config/notifiers.go and
config/config.go), so the configuration names them and holds neither. The heartbeat URL stays
in the file: webhook `url_file` exists only since 0.26, and Debian's amtool 0.25, which checks
the file here and on operators' hosts, refuses unknown keys (yaml.UnmarshalStrict). That is why
alertmanager.yml is still uploaded as a secret file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from formats.yamlout import dump_yaml
from settings.catalog import CATALOG
from settings.model import StackSettings

CONFIG_PATH = "/etc/alertmanager/alertmanager.yml"
SECRETS_DIR = "/etc/alertmanager/secrets"
SLACK_API_URL_FILE = "slack-api-url"
SMTP_PASSWORD_FILE = "smtp-password"
# The image's user (nobody), who reads the configuration and the secret files.
UID = CATALOG["alertmanager"].user
HEARTBEAT = "heartbeat"

_SLACK_TITLE = (
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
    "{{ .CommonLabels.severity | toUpper }} {{ .CommonLabels.alertname }} ({stack})"
)
_SLACK_TEXT = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}* ({{ .Labels.severity }})\n"
    "{{ .Annotations.description }}\n"
    "{{ if .Labels.instance }}Instance: `{{ .Labels.instance }}`  {{ end }}"
    "Runbook: <{{ .Annotations.runbook_url }}|{{ .Labels.alertname }}>\n"
    "{{ end }}Grafana: <{grafana}|dashboards>  Alertmanager: <{{ .ExternalURL }}|silence>"
)
_EMAIL_SUBJECT = (
    "[{{ .Status | toUpper }}] "
    "{{ .CommonLabels.severity | toUpper }} {{ .CommonLabels.alertname }} ({stack})"
)


def _slack(settings: StackSettings, secrets_dir: str) -> dict[str, Any]:
    stack = settings.stack
    return {
        "api_url_file": f"{secrets_dir}/{SLACK_API_URL_FILE}",
        "channel": settings.alerting.slack_channel,
        "send_resolved": True,
        "color": '{{ if eq .Status "firing" }}{{ if eq .CommonLabels.severity "critical" }}danger'
                 "{{ else }}warning{{ end }}{{ else }}good{{ end }}",
        "title": _SLACK_TITLE.replace("{stack}", stack),
        "title_link": settings.grafana.root_url,
        "text": _SLACK_TEXT.replace("{grafana}", settings.grafana.root_url),
    }


def _email(settings: StackSettings) -> dict[str, Any]:
    return {
        "to": ", ".join(settings.alerting.email_to),
        "send_resolved": True,
        "headers": {"Subject": _EMAIL_SUBJECT.replace("{stack}", settings.stack)},
    }


def _receivers(settings: StackSettings, slack_webhook_url: str | None, heartbeat_url: str | None,
               secrets_dir: str) -> tuple[list[dict[str, Any]], str, str]:
    """The receivers, and the names of the critical and the warning one."""
    a = settings.alerting
    slack = [_slack(settings, secrets_dir)] if a.slack_enabled and slack_webhook_url else []
    email = [_email(settings)] if a.email_enabled else []
    if not slack and not email:
        # parse_settings rejects such a stack; this guards a caller passing no webhook.
        raise ValueError("alertmanager.yml needs a Slack webhook or e-mail recipients")
    by_name: dict[str, dict[str, Any]] = {}

    def receiver(slack_configs: list[dict[str, Any]], email_configs: list[dict[str, Any]]) -> str:
        # The guide's names (slack-notifications, email-notifications); both: slack-and-email-notifications.
        name = "-and-".join(n for n, c in (("slack", slack_configs), ("email", email_configs)) if c) + "-notifications"
        entry: dict[str, Any] = {"name": name}
        if slack_configs:
            entry["slack_configs"] = slack_configs
        if email_configs:
            entry["email_configs"] = email_configs
        by_name[name] = entry
        return name

    critical = receiver(slack, email)
    # Warnings go to Slack only, or to e-mail when there is no Slack.
    warning = receiver(slack, []) if slack else receiver([], email)
    heartbeat: dict[str, Any] = {"name": HEARTBEAT}
    if heartbeat_url:
        heartbeat["webhook_configs"] = [{"url": heartbeat_url, "send_resolved": False}]
    return [*by_name.values(), heartbeat], critical, warning


def _inhibit_rules() -> list[dict[str, Any]]:
    return [
        # A critical alert mutes the warning of the same alert on the same instance.
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
         "equal": ["alertname", "instance"]},
        # A target that cannot be scraped mutes the alerts about the same job.
        {"source_matchers": ['alertname="TargetDown"'], "target_matchers": ['alertname!="TargetDown"'],
         "equal": ["job"]},
        # PostgreSQL down mutes the database alerts that follow from it.
        {"source_matchers": ['alertname="PostgresDown"'],
         "target_matchers": ['component="database"', 'alertname!="PostgresDown"'], "equal": ["instance"]},
    ]


def render_alertmanager_config(route: Mapping[str, Any], settings: StackSettings, slack_webhook_url: str | None,
                               smtp_password: str | None, heartbeat_url: str | None = None,
                               secrets_dir: str = SECRETS_DIR) -> dict[str, Any]:
    """The configuration, grouped and timed as `route` says (the guide's, mixin/guide.py GUIDE_ROUTE, which
    the caller passes: the renderers and the rules do not import each other); webhook and password only
    decide which receivers exist (they are
    files in `secrets_dir`, see `secret_files`); the heartbeat URL is written in (keep it secret).

    Without `heartbeat_url` the Watchdog goes to a null receiver.
    """
    a = settings.alerting
    receivers, critical, warning = _receivers(settings, slack_webhook_url, heartbeat_url, secrets_dir)
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if a.email_enabled:
        global_.update({"smtp_smarthost": a.smtp_smarthost, "smtp_from": a.email_from,
                        "smtp_require_tls": a.smtp_require_tls})
        if a.smtp_username:
            global_["smtp_auth_username"] = a.smtp_username
        if smtp_password:
            global_["smtp_auth_password_file"] = f"{secrets_dir}/{SMTP_PASSWORD_FILE}"
    return {
        "global": global_,
        "route": {
            # The guide's route: its grouping and timers; its receiver where Slack is set (warnings go there).
            "receiver": warning,
            **{key: route[key] for key in ("group_by", "group_wait", "group_interval", "repeat_interval")},
            "routes": [
                # The heartbeat wants a steady beat every minute.
                {"receiver": HEARTBEAT, "matchers": ['alertname="Watchdog"'], "group_wait": "0s",
                 "group_interval": "1m", "repeat_interval": "1m"},
                {"receiver": critical, "matchers": ['severity="critical"']},
                {"receiver": warning, "matchers": ['severity="warning"']},
            ],
        },
        "inhibit_rules": _inhibit_rules(),
        "receivers": receivers,
    }


def render_alertmanager_yml(route: Mapping[str, Any], settings: StackSettings, slack_webhook_url: str | None,
                            smtp_password: str | None, heartbeat_url: str | None = None,
                            secrets_dir: str = SECRETS_DIR) -> str:
    return dump_yaml(render_alertmanager_config(route, settings, slack_webhook_url, smtp_password, heartbeat_url,
                                                secrets_dir))


def secret_file_names(settings: StackSettings, slack: bool, smtp: bool) -> tuple[str, ...]:
    """The secret files the configuration names, given which of the two secrets are set."""
    names = [SLACK_API_URL_FILE] if settings.alerting.slack_enabled and slack else []
    return (*names, *([SMTP_PASSWORD_FILE] if settings.alerting.email_enabled and smtp else []))


def secret_files(settings: StackSettings, slack_webhook_url: str | None,
                 smtp_password: str | None) -> dict[str, str]:
    """File name (in SECRETS_DIR) -> content, for the secrets the configuration names.

    Alertmanager trims what it reads (strings.TrimSpace in notify/slack and notify/email).
    """
    values = {SLACK_API_URL_FILE: slack_webhook_url or "", SMTP_PASSWORD_FILE: smtp_password or ""}
    return {name: values[name]
            for name in secret_file_names(settings, bool(slack_webhook_url), bool(smtp_password))}
