"""Reading what Alertmanager delivered: Slack titles parsed, descriptions matched against the rules."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import yaml

from mixin.rule_files import render_rule_files
from settings.model import StackSettings
from tests.integration.processes import wait_until
from tests.integration.receivers import Mail, Received
from tests.integration.stack import Stack

# render/alertmanager.py's Slack title: `[FIRING:<n>] <SEVERITY> <alertname> (<stack>)` / `[RESOLVED] ...`.
_TITLE = re.compile(r"^\[(?P<status>FIRING|RESOLVED)(?::(?P<count>\d+))?\] (?P<severity>\S+) "
                    r"(?P<alertname>\w+) \((?P<stack>[\w-]+)\)$")


@dataclass(frozen=True)
class SlackMessage:
    received: Received
    status: str
    count: int | None
    severity: str
    alertname: str
    stack: str
    text: str
    color: str


def slack_messages(stack: Stack, alertname: str, contains: str = "") -> list[SlackMessage]:
    out = []
    for r in stack.webhook.on("/slack"):
        a = r.attachment
        match = _TITLE.match(a["title"])
        assert match, f"Slack title not in the configured format: {a['title']!r}"
        if match["alertname"] == alertname and contains in a["text"]:
            out.append(SlackMessage(r, match["status"], int(match["count"]) if match["count"] else None,
                                    match["severity"], match["alertname"], match["stack"], a["text"], a["color"]))
    return out


def wait_for_slack(stack: Stack, alertname: str, status: str, timeout: float, contains: str = "") -> SlackMessage:
    def arrived() -> SlackMessage | None:
        found = [m for m in slack_messages(stack, alertname, contains) if m.status == status]
        return found[0] if found else None

    message: SlackMessage = wait_until(arrived, timeout, f"{status} {alertname} on Slack", interval=0.1)
    return message


def mails(stack: Stack, alertname: str) -> list[Mail]:
    return [m for m in stack.smtp.mails if f" {alertname} " in m.subject]


def wait_for_mail(stack: Stack, alertname: str, status: str, timeout: float) -> Mail:
    def arrived() -> Mail | None:
        found = [m for m in mails(stack, alertname) if m.subject.startswith(f"[{status}]")]
        return found[0] if found else None

    mail: Mail = wait_until(arrived, timeout, f"{status} {alertname} e-mail", interval=0.1)
    return mail


def rule(settings: StackSettings, alertname: str) -> dict[str, object]:
    """The alert rule as rendered for the stack (production file, not the test copy)."""
    for text in render_rule_files(settings).values():
        for group in yaml.safe_load(text)["groups"]:
            for r in group["rules"]:
                if r.get("alert") == alertname:
                    return dict(r)
    raise KeyError(alertname)


def description_pattern(settings: StackSettings, alertname: str) -> re.Pattern[str]:
    """The rule's description with each `{{ ... }}` template action as a capture group."""
    description = str(rule(settings, alertname)["annotations"]["description"])  # type: ignore[index]
    parts = re.split(r"\{\{.*?\}\}", description)
    return re.compile("(.+?)".join(re.escape(p) for p in parts))


def seconds_since(start: float) -> float:
    return round(time.monotonic() - start, 2)
