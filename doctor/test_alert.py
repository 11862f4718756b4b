"""`make test-alert STACK=<stack> [SEVERITY=critical]`: a labelled test alert through the deployed Alertmanager.

1. `amtool config routes test` (in the Alertmanager container) names the receiver the alert is routed to;
   the running configuration (GET /api/v2/status) names that receiver's integrations.
2. The alert is posted to the published peer (doctor/am_peers.py says why that one only); its own
   counters tell when each integration sent it:
   `alertmanager_notification_requests_total` / `..._requests_failed_total` (per integration, per attempt,
   counted when the attempt has returned: notify/notify.go RetryStage). `alertmanager_notifications_total`
   counts a flush when it *starts*, so it cannot tell a delivered notification from one still retrying.
3. The alert is resolved (endsAt = now); with --wait-resolved the resolved notice is awaited too.
4. Per integration: sent or not, how long it took, and Alertmanager's error (from its log).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import yaml

from doctor.am_peers import Counters, counters, post_alert
from doctor.checks_logs import logged_since
from doctor.stack import Target, load_target
from doctor.web import get_json
from render.alertmanager import CONFIG_PATH

ALERTNAME = "ChristmasTestAlert"
# Receiver config key -> the `integration` label of Alertmanager's notification metrics.
INTEGRATIONS = {"slack_configs": "slack", "email_configs": "email", "webhook_configs": "webhook",
                "pagerduty_configs": "pagerduty", "opsgenie_configs": "opsgenie"}


def alert_labels(severity: str) -> dict[str, str]:
    return {"alertname": ALERTNAME, "severity": severity, "test": "true", "job": "test-alert",
            "instance": "make-test-alert"}


def routed_receivers(t: Target, labels: dict[str, str]) -> list[str]:
    container = t.container("alertmanager")
    if container is None:
        raise RuntimeError("no Alertmanager container on the Docker host")
    argv = ["amtool", "config", "routes", "test", f"--config.file={CONFIG_PATH}",
            *(f"{k}={v}" for k, v in labels.items())]
    result = t.docker.exec(container.id, argv)
    if result.exit_code != 0:
        raise RuntimeError(f"amtool config routes test: {result.output.strip()}")
    # stdout is the receivers' names, comma-separated (stderr may carry a warning about flags).
    return [name.strip() for name in result.stdout.strip().split(",") if name.strip()]


def integrations_of(t: Target, receiver: str) -> list[str]:
    # The running configuration as Alertmanager loaded it (secrets shown as <secret>); never printed.
    status = get_json(f"{t.endpoints.alertmanager}/api/v2/status", auth=t.alertmanager_auth())
    config = yaml.safe_load(status["config"]["original"])
    entry = next(r for r in config["receivers"] if r["name"] == receiver)
    return [name for key, name in INTEGRATIONS.items() if entry.get(key)]


@dataclass
class Delivery:
    receiver: str
    integration: str
    sent_after: float | None = None
    failures: int = 0
    resolved_after: float | None = None
    error: str = ""


def _delta(now: Counters, before: Counters, metric: str,
           integration: str) -> float:
    key = (f"alertmanager_notification_requests{metric}_total", integration)
    return now.get(key, 0.0) - before.get(key, 0.0)


def wait_for(t: Target, deliveries: list[Delivery], before: dict[str, Counters],
             timeout: float, field: str) -> None:
    """Poll the counters until every delivery has `field` set (sent: total - failed rose) or the timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        # One read of Alertmanager's counters per receiver and round (a receiver may have two integrations).
        current = {receiver: counters(t, receiver) for receiver in {d.receiver for d in deliveries}}
        for d in deliveries:
            now = current[d.receiver]
            attempts = _delta(now, before[d.receiver], "", d.integration)
            failed = _delta(now, before[d.receiver], "_failed", d.integration)
            d.failures = int(failed)
            if getattr(d, field) is None and attempts - failed >= 1:
                setattr(d, field, round(time.monotonic() - start, 2))
        if all(getattr(d, field) is not None for d in deliveries):
            return
        time.sleep(0.25)


_URL = re.compile(r"(https?://[^/\s\"]+)/[^\s\"]*")


def alertmanager_errors(t: Target, since: float) -> list[str]:
    """Alertmanager's notify errors logged since `since` (webhook paths redacted: they carry tokens)."""
    lines: list[str] = []
    for container in t.containers():
        if container.service.startswith("alertmanager"):
            lines += t.docker.logs(container.id, since=int(since) - 1, tail=2000).splitlines()
    found = [line for line in lines if "otify" in line and "err=" in line and logged_since(line, since - 1)]
    return [_URL.sub(r"\1/<redacted>", line) for line in found]


ANNOTATIONS = {
    "summary": "Test alert from make test-alert: no action needed",
    "description": "Sent by an operator to prove the notification path.",
    "runbook_url": "https://github.com/christmas-trading/christmas-monitoring/blob/main/docs/operations.md#9-test-alert",
}


def send_test_alert(t: Target, severity: str, timeout: float, wait_resolved: bool) -> list[Delivery]:
    labels = alert_labels(severity)
    receivers = routed_receivers(t, labels)
    deliveries = [Delivery(r, i) for r in receivers for i in integrations_of(t, r)]
    before = {r: counters(t, r) for r in receivers}
    posted = time.time()
    starts = datetime.now(UTC)
    post_alert(t, labels, ANNOTATIONS, starts, starts + timedelta(hours=1))
    wait_for(t, deliveries, before, timeout, "sent_after")
    # Resolve it either way: an operator's test must not stay firing.
    resolved_before = {r: counters(t, r) for r in receivers}
    post_alert(t, labels, ANNOTATIONS, starts, datetime.now(UTC))
    if wait_resolved:
        wait_for(t, [d for d in deliveries if d.sent_after is not None], resolved_before, timeout, "resolved_after")
    if any(d.sent_after is None or d.failures for d in deliveries):
        errors = alertmanager_errors(t, posted)
        for d in deliveries:
            d.error = "\n".join([e for e in errors if d.integration in e] or errors)
    return deliveries


def render_deliveries(deliveries: Sequence[Delivery], severity: str, wait_resolved: bool) -> str:
    lines = [f"test alert {ALERTNAME} severity={severity} test=true"]
    for d in deliveries:
        if d.sent_after is None:
            lines.append(f"[FAIL] {d.receiver} / {d.integration}: NOT sent ({d.failures} failed attempts)")
            lines += [f"       Alertmanager: {e}" for e in d.error.splitlines()[-3:]] or ["       (no error logged)"]
            continue
        resolved = ""
        if wait_resolved:
            resolved = (f", resolved notice sent after {d.resolved_after}s" if d.resolved_after is not None
                        else ", resolved notice NOT seen")
        retried = f" after {d.failures} failed attempts" if d.failures else ""
        lines.append(f"[PASS] {d.receiver} / {d.integration}: sent in {d.sent_after}s{retried}{resolved}")
    lines.append("resolved (endsAt posted)" + ("" if wait_resolved else
                 "; Alertmanager sends the [RESOLVED] notice within the route's group_interval"))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, target: Target | None = None) -> int:
    parser = argparse.ArgumentParser(prog="test-alert", description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("stack")
    parser.add_argument("--severity", default="critical", choices=["critical", "warning"])
    parser.add_argument("--timeout", type=float, default=90.0,
                        help="seconds to wait for each notification (covers the route's group_wait, 30s)")
    parser.add_argument("--wait-resolved", action="store_true",
                        help="also wait for the resolved notice (up to --timeout; group_interval is 5m)")
    args = parser.parse_args(argv)
    t = target or load_target(args.stack)
    deliveries = send_test_alert(t, args.severity, args.timeout, args.wait_resolved)
    sys.stdout.write(render_deliveries(deliveries, args.severity, args.wait_resolved))
    ok = deliveries and all(d.sent_after is not None and (not args.wait_resolved or d.resolved_after is not None)
                            for d in deliveries)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
