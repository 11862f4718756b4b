"""Alerts end to end: exporter over a threshold -> Prometheus -> two clustered Alertmanagers -> Slack / e-mail.

One incident drives three alerts at once (the waits overlap, keeping the suite short):
- HighErrorRate (critical): the reference API answers half its requests with 503 -> Slack and e-mail;
- HighOrderLatency (warning), then the trading engine stops answering: TargetDown is sent and inhibits it (`job`);
- LowDbConnections (warning): real connections fill the platform database's share of max_connections -> Slack.
With both peers alive each notification arrives once (counted after the second peer's --cluster.peer-timeout).
Then peer 0 is killed, the incident resolves and a new alert fires: the survivor delivers each of those once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from mixin.guide import GUIDE_ROUTE
from mixin.rule_files import render_rule_files
from render.alertmanager import render_alertmanager_config
from settings.stack_file import stack_file_config
from tests.integration import stack as it
from tests.integration.notifications import (
    SlackMessage,
    description_pattern,
    mails,
    slack_messages,
    wait_for_mail,
    wait_for_slack,
)
from tests.integration.postgres import MAX_CONNECTIONS
from tests.integration.processes import wait_until
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration

# Alertmanager's default --cluster.peer-timeout (components/alerting.py keeps it): the second peer waits
# this long, then sends only what the first peer's gossiped notification log lacks.
PEER_TIMEOUT = 15.0
ERRORS = {"method": "GET", "path": "/orders", "status": "503"}
STRATEGY = {"strategy": "momentum"}
_DB_CONNECTIONS = 'pg_stat_activity_count{{datname="{db}"}}'


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", duration))


def rule_for(rule_files: dict[str, str], alertname: str) -> str:
    for text in rule_files.values():
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alertname:
                    return str(rule.get("for", "0s"))
    raise KeyError(alertname)


def timings(stack: Stack, alertname: str, production: bool = False) -> tuple[float, float, float]:
    """(scrape + evaluation interval, `for`, group_wait) in seconds, of the test copy or of the dev stack."""
    if production:
        rules = render_rule_files(stack.settings)
        group_wait = render_alertmanager_config(GUIDE_ROUTE, stack.settings, "http://x", None)["route"]["group_wait"]
        raw, _ = stack_file_config(it.STACK)
        p = json.loads(raw["prometheus"])
        intervals = seconds(p["scrapeInterval"]) + seconds(p["evaluationInterval"])
    else:
        rules, group_wait = stack.rule_files, stack.alertmanager_config["route"]["group_wait"]
        p_ = stack.settings.prometheus
        intervals = seconds(p_.scrape_interval) + seconds(p_.evaluation_interval)
    return intervals, seconds(rule_for(rules, alertname)), seconds(group_wait)


@dataclass
class Report:
    """Threshold crossing -> Slack delivery, per alert; written to build/integration/alert-latency.json.

    `for` + group_wait is a floor; scrape + evaluation + `for` + group_wait (+2 s) the bound asserted.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, stack: Stack, alertname: str, crossed: float, delivered: SlackMessage, note: str = "") -> None:
        intervals, for_, group_wait = timings(stack, alertname)
        dev_intervals, dev_for, dev_group_wait = timings(stack, alertname, production=True)
        self.rows.append({
            "alert": alertname,
            "measured_seconds": round(delivered.received.at - crossed, 2),
            "floor_for_plus_group_wait_seconds": for_ + group_wait,
            "scrape_eval_for_group_wait_seconds": intervals + for_ + group_wait,
            "dev_stack_scrape_eval_for_group_wait_seconds": dev_intervals + dev_for + dev_group_wait,
            "note": note,
        })
        assert note or self.rows[-1]["measured_seconds"] <= intervals + for_ + group_wait + 2, self.rows[-1]


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    collected = Report()
    yield collected
    it.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    path = it.BUILD_DIR / "alert-latency.json"
    path.write_text(json.dumps(collected.rows, indent=2) + "\n")
    print(f"\nthreshold crossing -> Slack delivery ({path}):")
    for row in collected.rows:
        print(f"  {row['alert']}: {row['measured_seconds']}s measured; floor (for + group_wait) "
              f"{row['floor_for_plus_group_wait_seconds']:g}s, scrape + evaluation + for + group_wait "
              f"{row['scrape_eval_for_group_wait_seconds']:g}s; with the dev stack's values "
              f"{row['dev_stack_scrape_eval_for_group_wait_seconds']:g}s"
              + (f" ({row['note']})" if row["note"] else ""))


@dataclass
class Incident:
    crossed: dict[str, float]
    firing: dict[str, SlackMessage]
    connections: contextlib.ExitStack


def _wait_baseline(stack: Stack) -> None:
    wait_until(lambda: stack.query('job:http_request_errors:ratio_rate5m{job="api"}')
               and stack.query("strategy:trading_order_latency_seconds:p95_5m")
               and stack.query(_DB_CONNECTIONS.format(db=stack.settings.database.name)), 20, "baseline series")


@pytest.fixture(scope="module")
def incident(stack: Stack, report: Report) -> Iterator[Incident]:
    _wait_baseline(stack)
    crossed: dict[str, float] = {}
    # Half the API's requests fail.
    stack.exporter.api.set_rate("http_requests_total", ERRORS, 60)
    crossed["HighErrorRate"] = time.monotonic()
    # Fill the database: 90% of max_connections in use (threshold 80%).
    assert stack.postgres is not None
    in_use = sum(float(s["value"][1]) for s in stack.query(_DB_CONNECTIONS.format(db=stack.settings.database.name)))
    connections = contextlib.ExitStack()
    connections.enter_context(stack.postgres.connections(int(MAX_CONNECTIONS * 0.9 - in_use)))
    crossed["LowDbConnections"] = time.monotonic()
    # Orders slow down to 2s, then the trading engine stops answering scrapes.
    stack.exporter.trading.observe("trading_order_latency_seconds", STRATEGY, 2.0, 200)
    wait_until(lambda: stack.prometheus_alert_state("HighOrderLatency"), 15, "HighOrderLatency pending")
    stack.exporter.trading.failing = True

    firing = {
        "HighErrorRate": wait_for_slack(stack, "HighErrorRate", "FIRING", 30),
        "LowDbConnections": wait_for_slack(stack, "LowDbConnections", "FIRING", 30),
        "TargetDown": wait_for_slack(stack, "TargetDown", "FIRING", 30, contains="trading-engine"),
    }
    for name in ("HighErrorRate", "LowDbConnections"):
        report.add(stack, name, crossed[name], firing[name])  # asserts its bound
    try:
        yield Incident(crossed, firing, connections)
    finally:
        connections.close()
        stack.exporter.trading.failing = False


def _slack_message(stack: Stack, incident: Incident, alert: str, severity: str,
                   color: str) -> tuple[SlackMessage, re.Match[str]]:
    """The alert's Slack message: its title, colour, and a description as the rule renders it."""
    message = incident.firing[alert]
    assert message.received.attachment["title"] == f"[FIRING:1] {severity} {alert} (dev)"
    assert message.color == color
    match = description_pattern(stack.settings, alert).search(message.text)
    assert match, message.text
    return message, match


def test_critical_alert_reaches_slack_with_its_title_and_description(stack: Stack, incident: Incident):
    message, match = _slack_message(stack, incident, "HighErrorRate", "CRITICAL", "danger")
    job, percent = match.groups()
    # Over the threshold (5%) and at most the 50% now failing (the 5m window still holds healthy minutes).
    assert job == "api" and stack.settings.thresholds.error_rate_percent < float(percent) <= 50.5
    assert "*High API error rate* (critical)" in message.text
    assert f"{stack.settings.alerting.runbook_base_url}#higherrorrate" in message.text
    assert message.received.body["channel"] == stack.settings.alerting.slack_channel


def test_critical_alert_is_also_emailed(stack: Stack, incident: Incident):
    mail = wait_for_mail(stack, "HighErrorRate", "FIRING", 10)
    assert mail.subject == "[FIRING] CRITICAL HighErrorRate (dev)"
    assert mail.rcpt_tos == stack.settings.alerting.email_to
    assert mail.mail_from == stack.settings.alerting.email_from
    body = mail.message.get_body(("html", "plain"))
    assert body is not None and "High API error rate" in body.get_content()


def test_warning_from_the_real_database_reaches_slack_only(stack: Stack, incident: Incident):
    _, match = _slack_message(stack, incident, "LowDbConnections", "WARNING", "warning")
    assert float(match.groups()[-1]) >= 85  # 18 of 20 connections
    # Warnings go to Slack only: no e-mail (the critical one above proves mail works).
    time.sleep(1)
    assert mails(stack, "LowDbConnections") == []


def test_target_down_inhibits_the_alerts_of_its_job(stack: Stack, incident: Incident):
    assert stack.prometheus_alert_state("HighOrderLatency") == {"firing"}
    for peer in range(it.PEERS):
        alerts = [a for a in stack.alertmanager_alerts(peer) if a["labels"]["alertname"] == "HighOrderLatency"]
        assert alerts, f"alertmanager-{peer} never received HighOrderLatency"
        assert all(a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"] for a in alerts), alerts
    # Long past group_wait: muted means never delivered, to either channel.
    time.sleep(2)
    assert slack_messages(stack, "HighOrderLatency") == []
    assert mails(stack, "HighOrderLatency") == []
    assert "trading-engine" in incident.firing["TargetDown"].text


@dataclass
class Failover:
    """What both peers delivered before one was killed, and what the survivor delivered after."""

    before_kill: dict[str, int]
    resolved: dict[str, SlackMessage]
    latency: SlackMessage


def _count(stack: Stack, alertname: str, status: str, contains: str = "") -> int:
    return len([m for m in slack_messages(stack, alertname, contains) if m.status == status])


@pytest.fixture(scope="module")
def failover(stack: Stack, incident: Incident, report: Report) -> Failover:
    # 1. Both peers alive: wait out the second peer's --cluster.peer-timeout after the last delivery;
    #    by then it has found each notification in the gossiped log (or sent a duplicate).
    last = max(m.received.at for m in incident.firing.values())
    time.sleep(max(0.0, last + PEER_TIMEOUT + 2 - time.monotonic()))
    before_kill = {"HighErrorRate": _count(stack, "HighErrorRate", "FIRING"),
                   "LowDbConnections": _count(stack, "LowDbConnections", "FIRING"),
                   "TargetDown trading-engine": _count(stack, "TargetDown", "FIRING", contains="trading-engine")}
    # 2. Peer 0 is killed outright (Prometheus keeps sending to both addresses), in a quiet moment:
    #    a peer dying within a gossip round of sending makes the survivor send again (HA is at least once).
    killed = stack.alertmanagers[0]
    os.killpg(killed.popen.pid, signal.SIGKILL)
    killed.popen.wait(10)
    # 3. The incident resolves: a burst of successful requests brings the 5m error ratio well under 5%,
    #    and the database connections close. Only the survivor can send the resolutions.
    stack.exporter.api.set_rate("http_requests_total", ERRORS, 0)
    stack.exporter.api.set_rate("http_requests_total", {**ERRORS, "status": "200"}, 100_000)
    incident.connections.close()
    # 4. And a new alert: the API slows down to 2.5s.
    stack.exporter.api.observe("http_request_duration_seconds", {"method": "GET", "path": "/orders"}, 2.5, 10_000)
    crossed = time.monotonic()
    resolved = {name: wait_for_slack(stack, name, "RESOLVED", 45) for name in ("HighErrorRate", "LowDbConnections")}
    latency = wait_for_slack(stack, "ApiHighLatency", "FIRING", 45)
    report.add(stack, "ApiHighLatency", crossed, latency,
               note=f"alertmanager-0 killed just before; up to {PEER_TIMEOUT:g}s more (--cluster.peer-timeout) "
                    "while the survivor still counts the dead peer ahead of itself")
    # Past group_interval: a duplicate from the lone survivor would have arrived by now.
    time.sleep(3)
    return Failover(before_kill, resolved, latency)


def test_resolution_is_sent_to_slack_and_by_email(stack: Stack, failover: Failover):
    assert failover.resolved["HighErrorRate"].received.attachment["title"] == "[RESOLVED] CRITICAL HighErrorRate (dev)"
    assert failover.resolved["HighErrorRate"].color == "good"
    assert failover.resolved["LowDbConnections"].received.attachment["title"] == \
        "[RESOLVED] WARNING LowDbConnections (dev)"
    mail = wait_for_mail(stack, "HighErrorRate", "RESOLVED", 10)
    assert mail.subject == "[RESOLVED] CRITICAL HighErrorRate (dev)"


def timeline(stack: Stack) -> str:
    """Every Slack notification: seconds since start, title, and the peer that sent it (its external URL)."""
    return "\n".join(f"{r.at - stack.started_at:6.1f}s {r.attachment['title']} from "
                     f"{re.findall(r'Alertmanager: <([^|]+)', r.attachment['text'])}"
                     for r in stack.webhook.on("/slack"))


def test_two_peers_deliver_each_notification_once(stack: Stack, failover: Failover):
    assert failover.before_kill == dict.fromkeys(failover.before_kill, 1), timeline(stack)
    assert [m.subject for m in mails(stack, "HighErrorRate")][:1] == ["[FIRING] CRITICAL HighErrorRate (dev)"]


def test_after_a_peer_is_killed_notifications_still_arrive_once(stack: Stack, failover: Failover):
    counts = {(name, status): _count(stack, name, status) for name, status in (
        ("HighErrorRate", "FIRING"), ("HighErrorRate", "RESOLVED"), ("LowDbConnections", "FIRING"),
        ("LowDbConnections", "RESOLVED"), ("ApiHighLatency", "FIRING"))}
    assert counts == dict.fromkeys(counts, 1), timeline(stack)
    # Sent by the survivor: its own external URL is in the message.
    assert stack.alertmanager_url(1) in failover.latency.text
    assert stack.alertmanager_url(1) in failover.resolved["HighErrorRate"].text
    assert [m.subject for m in mails(stack, "HighErrorRate")] == [
        "[FIRING] CRITICAL HighErrorRate (dev)", "[RESOLVED] CRITICAL HighErrorRate (dev)"]


def test_watchdog_beats_to_the_heartbeat_receiver_never_to_slack(stack: Stack):
    # Last in the file: Watchdog fires at Prometheus' first evaluation, before its Alertmanagers are
    # discovered, and Prometheus resends a firing alert only after --rules.alert.resend-delay (1m).
    timeout = max(5.0, stack.started_at + 75 - time.monotonic())
    beats = wait_until(lambda: stack.webhook.on("/heartbeat"), timeout, "a Watchdog heartbeat")
    assert {a["labels"]["alertname"] for b in beats for a in b.body["alerts"]} == {"Watchdog"}
    assert slack_messages(stack, "Watchdog") == []
