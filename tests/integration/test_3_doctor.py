"""`doctor` and `test-alert` against the loopback stack: healthy -> every check passes; each injected fault
fails the matching check with its fix; the test alert is delivered, timed and resolved, or reported with
Alertmanager's error."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator

import pytest

from doctor import run, test_alert
from doctor.report import Result, Status
from tests.integration.doctor_stack import DoctorStack, start_doctor_stack
from tests.integration.notifications import mails, wait_for_slack
from tests.integration.processes import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def doctor() -> Iterator[DoctorStack]:
    running = start_doctor_stack()
    try:
        yield running
    finally:
        running.stop()


def run_doctor(d: DoctorStack) -> tuple[int, str, dict[str, list[Result]]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run.main([d.target.settings.stack], target=d.target)
    by_check: dict[str, list[Result]] = {}
    for result in run.run_checks(d.target):
        by_check.setdefault(result.check, []).append(result)
    return code, out.getvalue(), by_check


def failing(by_check: dict[str, list[Result]]) -> dict[str, Result]:
    return {name: r for name, rs in by_check.items() for r in rs if r.status is Status.FAIL}


def run_test_alert(d: DoctorStack, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = test_alert.main([d.target.settings.stack, *args], target=d.target)
    return code, out.getvalue()


def test_healthy_stack_passes_every_check(doctor: DoctorStack):
    started = time.monotonic()
    code, printed, by_check = run_doctor(doctor)
    print(f"\n{printed}doctor took {time.monotonic() - started:.2f}s (twice: printed run and checked run)")
    assert code == 0, printed
    statuses = {name: {r.status for r in rs} for name, rs in by_check.items()}
    # Only the certificate check has nothing to look at: the loopback stack serves plain http.
    assert statuses.pop("TLS certificates") == {Status.SKIP}
    assert all(s == {Status.PASS} for s in statuses.values()), statuses
    assert len(statuses) >= 15
    # Credentials came from `pulumi stack output --show-secrets`, were sent (the stand-ins demand them),
    # and were never printed.
    assert ["stack", "output", "--json", "--show-secrets", "--stack", "dev"] in doctor.pulumi.calls
    assert not any(p in printed for p in doctor.passwords)
    # promtool/amtool ran in "their containers" through the Engine API's exec endpoints.
    assert sum(r.startswith("POST /v1.43/containers/") and r.endswith("/exec") for r in doctor.docker.requests) >= 3


def test_test_alert_is_delivered_timed_and_resolved(doctor: DoctorStack):
    code, printed = run_test_alert(doctor, "--severity", "critical", "--timeout", "20", "--wait-resolved")
    print(f"\n{printed}")
    assert code == 0, printed
    # critical -> Slack and e-mail (the rendered route), each reported with its time.
    assert "[PASS] slack-and-email / slack: sent in" in printed
    assert "[PASS] slack-and-email / email: sent in" in printed
    assert printed.count("resolved notice sent after") == 2
    firing = wait_for_slack(doctor.stack, "ChristmasTestAlert", "FIRING", 5)
    resolved = wait_for_slack(doctor.stack, "ChristmasTestAlert", "RESOLVED", 5)
    assert firing.severity == "CRITICAL" and resolved.received.at > firing.received.at
    assert {m.subject.split("]")[0] for m in mails(doctor.stack, "ChristmasTestAlert")} == {"[FIRING", "[RESOLVED"}


def test_a_failing_receiver_is_reported_with_alertmanagers_error(doctor: DoctorStack):
    doctor.stack.webhook.status = 500
    try:
        code, printed = run_test_alert(doctor, "--severity", "warning", "--timeout", "6")
        # Alertmanager counted the failed attempts; doctor reads them through Prometheus.
        wait_until(lambda: "Alertmanager notifications" in failing(run_doctor(doctor)[2]), 10,
                   "doctor to see the failed notifications")
        result = failing(run_doctor(doctor)[2])["Alertmanager notifications"]
    finally:
        doctor.stack.webhook.status = 200
    print(f"\n{printed}")
    assert code == 1
    assert "[FAIL] slack / slack: NOT sent" in printed
    assert "500" in printed and "Alertmanager:" in printed  # its own log line, e.g. "unexpected status code 500"
    assert "/slack" not in printed  # the webhook's path (its token, in a real stack) is redacted
    assert "slack on 127.0.0.1" in result.saw
    assert result.link.endswith("runbook.md#alertmanagernotificationsfailing")


def test_a_stale_data_stream_fails_log_freshness(doctor: DoctorStack):
    doctor.services.log_lag_seconds = 3600
    try:
        _, printed, by_check = run_doctor(doctor)
    finally:
        doctor.services.log_lag_seconds = 5
    result = failing(by_check)["newest log document"]
    assert "3600s old" in result.saw and "logs-christmas-dev" in result.saw
    assert "Fluent Bit" in result.fix and result.link.endswith("operations.md#5-elasticsearch-health-and-logs")
    assert "[FAIL] newest log document" in printed


def test_a_broken_rule_file_fails_the_configuration_check(doctor: DoctorStack):
    broken = doctor.stack.work / "rules" / "zz-broken.yml"
    broken.write_text("groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: rate(up[\n")
    try:
        code, _, by_check = run_doctor(doctor)
    finally:
        broken.unlink()
    result = failing(by_check)["Prometheus configuration and rule files valid"]
    assert code == 1
    assert "zz-broken.yml" in result.saw and "promtool exit 1" in result.saw
    assert "promtool" in result.fix and result.link.endswith("operations.md#3-container-logs")


def test_a_target_down_is_named(doctor: DoctorStack):
    doctor.stack.exporter.trading.failing = True
    try:
        wait_until(lambda: "scrape targets up" in failing(run_doctor(doctor)[2]), 10, "the target to be down")
        result = failing(run_doctor(doctor)[2])["scrape targets up"]
    finally:
        doctor.stack.exporter.trading.failing = False
    assert "down: trading-engine" in result.saw and "503" in result.saw
    assert "api " not in result.saw.split("down:")[1]
    assert result.link.endswith("runbook.md#targetdown")


def test_a_killed_peer_fails_the_cluster_and_container_checks(doctor: DoctorStack):
    peer = doctor.stack.alertmanagers[1]
    doctor.stack.processes.stop(peer)
    wait_until(lambda: "Alertmanager cluster" in failing(run_doctor(doctor)[2]), 20, "the cluster to shrink")
    failed = failing(run_doctor(doctor)[2])
    assert "1 of 2 peers" in failed["Alertmanager cluster"].saw
    assert failed["Alertmanager cluster"].link.endswith("operations.md#4-alerts-not-arriving")
    assert "alertmanager-1: exited" in failed["containers running and healthy"].saw
