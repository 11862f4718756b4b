"""`doctor` and `test-alert` against the loopback stack: healthy -> every check passes; each injected fault
fails the matching check with its fix; the test alert is delivered, timed and resolved, or reported with
Alertmanager's error."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from doctor import checks_metrics, run, test_alert
from doctor.am_peers import counters
from doctor.report import Result, Status
from tests.integration.doctor_stack import DoctorStack, start_doctor_stack
from tests.integration.notifications import mails, wait_for_slack
from tests.integration.processes import free_ports, http_json, require_program, wait_until
from tests.integration.stack import PROMETHEUS

pytestmark = pytest.mark.integration
# Series compared between the stack's Prometheus and the one restored from its snapshot.
RESTORED = 'up{job=~"prometheus|node_exporter|postgres-exporter|alertmanager"}'


@dataclass
class BackupRun:
    started: float  # time.time() when the scheduler's round began
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def doctor() -> Iterator[DoctorStack]:
    running = start_doctor_stack()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def backup(doctor: DoctorStack) -> BackupRun:
    """One round of the stack's backup schedule (the rendered script) against the loopback Prometheus."""
    # Some history first: every series of RESTORED has 3 samples in Prometheus' head.
    wait_until(lambda: len([s for s in doctor.stack.query(f"count_over_time({RESTORED}[3s])")
                            if float(s["value"][1]) >= 3]) == 5, 15, "3s of samples of every target")
    started = time.time()
    result = doctor.run_backup_once()
    assert result.returncode == 0, result.stdout + result.stderr
    return BackupRun(started, result)


def run_doctor(d: DoctorStack) -> tuple[int, str]:
    """`doctor <stack>` as the command runs it: exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run.main([d.target.settings.stack], target=d.target)
    return code, out.getvalue()


def checks(d: DoctorStack) -> dict[str, list[Result]]:
    by_check: dict[str, list[Result]] = {}
    for result in run.run_checks(d.target):
        by_check.setdefault(result.check, []).append(result)
    return by_check


def failing(d: DoctorStack) -> dict[str, Result]:
    return {name: r for name, rs in checks(d).items() for r in rs if r.status is Status.FAIL}


def run_test_alert(d: DoctorStack, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = test_alert.main([d.target.settings.stack, *args], target=d.target)
    return code, out.getvalue()


def test_healthy_stack_passes_every_check(doctor: DoctorStack, backup: BackupRun):
    # Healthy means settled: TargetDown's test copy fires after one failed scrape (`for` 1s), and a
    # target that was still starting at Prometheus' first scrape makes it fire until the next one.
    wait_until(lambda: checks_metrics.check_alerts(doctor.target)[0].status is Status.PASS, 30,
               "the startup alerts to resolve")
    started = time.monotonic()
    code, printed = run_doctor(doctor)
    by_check = checks(doctor)
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


def _quiet_receiver(doctor: DoctorStack, receiver: str, quiet: float = 3.0, timeout: float = 45.0) -> None:
    """Until no alert is firing and the receiver's counters have not moved for `quiet` seconds (more than the
    test copy's group_interval, 2 s). Alertmanager counts notifications per integration, not per alert: the
    startup alerts' resolved notices, still going out under load, were once counted as the test alert's."""
    wait_until(lambda: checks_metrics.check_alerts(doctor.target)[0].status is Status.PASS, timeout,
               "the startup alerts to resolve")
    start = last_change = time.monotonic()
    last = counters(doctor.target, receiver)
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = counters(doctor.target, receiver)
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            return
    raise AssertionError(f"{receiver}: notifications still going out after {timeout:.0f}s")


def test_test_alert_is_delivered_timed_and_resolved(doctor: DoctorStack):
    _quiet_receiver(doctor, "slack-and-email-notifications")
    code, printed = run_test_alert(doctor, "--severity", "critical", "--timeout", "45", "--wait-resolved")
    print(f"\n{printed}")
    assert code == 0, printed
    # critical -> Slack and e-mail (the rendered route), each reported with its time.
    assert "[PASS] slack-and-email-notifications / slack: sent in" in printed
    assert "[PASS] slack-and-email-notifications / email: sent in" in printed
    assert printed.count("resolved notice sent after") == 2
    firing = wait_for_slack(doctor.stack, "ChristmasTestAlert", "FIRING", 5)
    resolved = wait_for_slack(doctor.stack, "ChristmasTestAlert", "RESOLVED", 5)
    assert firing.severity == "CRITICAL" and resolved.received.at > firing.received.at
    assert {m.subject.split("]")[0] for m in mails(doctor.stack, "ChristmasTestAlert")} == {"[FIRING", "[RESOLVED"}


def test_a_failing_receiver_is_reported_with_alertmanagers_error(doctor: DoctorStack):
    # The Slack stand-in answers 500 until test_alertmanager_gives_up_on_the_failing_receiver (below) has
    # seen Alertmanager give up: that takes its notify timeout (10s at least), which the tests between overlap.
    doctor.stack.webhook.status = 500
    code, printed = run_test_alert(doctor, "--severity", "warning", "--timeout", "3")
    print(f"\n{printed}")
    assert code == 1
    assert "[FAIL] slack-notifications / slack: NOT sent" in printed
    assert "500" in printed and "Alertmanager:" in printed  # its own log line, e.g. "unexpected status code 500"
    assert "/slack" not in printed  # the webhook's path (its token, in a real stack) is redacted


def test_a_stale_data_stream_fails_log_freshness(doctor: DoctorStack):
    doctor.services.log_lag_seconds = 3600
    try:
        _, printed = run_doctor(doctor)
        result = failing(doctor)["newest log document"]
    finally:
        doctor.services.log_lag_seconds = 5
    assert "3600s old" in result.saw and "logs-christmas-dev" in result.saw
    assert "Fluent Bit" in result.fix and result.link.endswith("operations.md#5-elasticsearch-health-and-logs")
    assert "[FAIL] newest log document" in printed


def test_fluent_bit_losing_records_or_unable_to_read_fails_its_checks(doctor: DoctorStack):
    [fluent_bit] = [c for c in doctor.docker.containers if c.service == "fluent-bit"]
    doctor.services.output_retries_failed = 3
    # Fluent Bit's own log line when the Docker log directory is not readable (the volume-permission case).
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    fluent_bit.log_lines = [f"[{stamp}] [error] [input:tail:tail.0] read error, check permissions: "
                            "/var/lib/docker/containers/abc/abc-json.log: Permission denied"]
    try:
        failed = failing(doctor)
    finally:
        doctor.services.output_retries_failed = 0
        fluent_bit.log_lines = []
    assert "failed retries / dropped 3" in failed["Fluent Bit output and buffer"].saw
    logs = failed["errors in the logs (15 min)"]
    assert "fluent-bit: 1 error lines" in logs.saw and "permission denied" in logs.fix


def test_a_broken_rule_file_fails_the_configuration_check(doctor: DoctorStack):
    broken = doctor.stack.work / "rules" / "zz-broken.yml"
    broken.write_text("groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: rate(up[\n")
    try:
        code, _ = run_doctor(doctor)
        result = failing(doctor)["Prometheus configuration and rule files valid"]
    finally:
        broken.unlink()
    assert code == 1
    assert "zz-broken.yml" in result.saw and "promtool exit 1" in result.saw
    assert "promtool" in result.fix and result.link.endswith("operations.md#3-container-logs")


def test_a_target_down_is_named(doctor: DoctorStack):
    doctor.stack.exporter.trading.failing = True
    try:
        wait_until(lambda: "scrape targets up" in failing(doctor), 30, "the target to be down")
        result = failing(doctor)["scrape targets up"]
        # TargetDown (critical; `for` 1s in the test copy) fires in Prometheus: the alerts check fails too.
        # (Other critical alerts may fire before it: the Slack stand-in still answers 500, see above.)
        alerts = wait_until(lambda: next((r for r in [failing(doctor).get("alerts in Prometheus")]
                                          if r and "TargetDown" in r.saw), None), 10, "TargetDown")
    finally:
        doctor.stack.exporter.trading.failing = False
    assert "Watchdog firing" in alerts.saw
    assert "down: trading-engine" in result.saw and "503" in result.saw
    assert "api " not in result.saw.split("down:")[1]
    assert result.link.endswith("runbook.md#targetdown")


def test_alertmanager_gives_up_on_the_failing_receiver(doctor: DoctorStack):
    try:
        # Alertmanager counts the notification failed once its retries time out; doctor reads that through Prometheus.
        result = wait_until(lambda: failing(doctor).get("Alertmanager notifications"), 45,
                            "doctor to see the failed notifications")
        logs = failing(doctor)["errors in the logs (15 min)"]
    finally:
        doctor.stack.webhook.status = 200
    assert "slack on 127.0.0.1" in result.saw
    assert result.link.endswith("runbook.md#alertmanagernotificationsfailing")
    # Its error line ("Notify for alerts failed") fails the log check too.
    assert "alertmanager" in logs.saw and "Notify for alerts failed" in logs.saw


def test_a_killed_peer_fails_the_cluster_and_container_checks(doctor: DoctorStack):
    # The unpublished peer (the published one answers doctor's cluster questions).
    [peer] = [c.process for c in doctor.docker.containers if c.service == "alertmanager-1"]
    assert peer is not None
    doctor.stack.processes.stop(peer)
    wait_until(lambda: "Alertmanager cluster" in failing(doctor), 40, "the cluster to shrink")
    failed = failing(doctor)
    assert "1 of 2 peers" in failed["Alertmanager cluster"].saw
    assert failed["Alertmanager cluster"].link.endswith("operations.md#4-alerts-not-arriving")
    assert "alertmanager-1: exited" in failed["containers running and healthy"].saw
    # Checks that exec in a container see it stopped (a new run lists the containers again): skipped, not crashed.
    assert [r.status for r in checks(doctor)["alertmanager-1 configuration valid"]] == [Status.SKIP]
    assert "configuration" not in failed and "disk" not in failed


def test_a_stale_elasticsearch_snapshot_fails_the_backup_check(doctor: DoctorStack):
    doctor.services.snapshot_age_seconds = 3 * 86400
    try:
        result = failing(doctor)["Elasticsearch snapshots"]
    finally:
        doctor.services.snapshot_age_seconds = 3600
    assert "72.0h old" in result.saw and result.link.endswith("operations.md#6-data-and-disaster-recovery")


def query_range(url: str, promql: str, start: float, end: float,
                auth: tuple[str, str] | None = None) -> dict[str, list[tuple[float, str]]]:
    params = urllib.parse.urlencode({"query": promql, "start": start, "end": end, "step": 1})
    answer = http_json(f"{url}/api/v1/query_range?{params}", auth=auth)
    return {json.dumps(s["metric"], sort_keys=True): [tuple(v) for v in s["values"]] for s in answer["data"]["result"]}


def test_a_prometheus_snapshot_restores_into_a_fresh_prometheus(doctor: DoctorStack, backup: BackupRun, tmp_path):
    archives = sorted((doctor.backup_dir / "prometheus").glob("*.tar"))
    assert len(archives) == 1 and "prometheus snapshot" in backup.result.stdout
    # The snapshot left Prometheus' own disk once archived (its hard links would pin deleted blocks).
    assert not list((doctor.stack.work / "tsdb" / "snapshots").iterdir())
    # Restore as docs/operations.md says: the archive's directory becomes an empty TSDB directory.
    restored = tmp_path / "tsdb"
    restored.mkdir()
    subprocess.run(["tar", "-xf", str(archives[0]), "-C", str(restored), "--strip-components=1"], check=True)
    port = free_ports(1)[0]
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {}\n")  # scrapes nothing: every series it answers with came from the archive
    fresh = doctor.stack.processes.start("prometheus-restored", [
        require_program(PROMETHEUS), f"--config.file={config}", f"--storage.tsdb.path={restored}",
        f"--web.listen-address=127.0.0.1:{port}"])
    doctor.stack.processes.wait_http(fresh, f"http://127.0.0.1:{port}/-/ready")
    end = backup.started - 0.5
    start = end - 2.5
    original = query_range(doctor.stack.prometheus_url, RESTORED, start, end, doctor.stack.credentials.prometheus_auth)
    restored_series = query_range(f"http://127.0.0.1:{port}", RESTORED, start, end)
    print(f"\nrestored {len(restored_series)} series of {RESTORED} over 2.5s; archive {archives[0].stat().st_size} "
          "bytes")
    # Every target of those jobs (both Alertmanager peers), each sample for sample.
    assert len(original) == 5 and all(len(values) >= 2 for values in original.values())
    assert restored_series == original


def test_grafanas_database_copy_is_a_whole_database(doctor: DoctorStack, backup: BackupRun):
    [copy] = (doctor.backup_dir / "grafana").glob("grafana-*.db")
    assert copy.read_bytes() == doctor.grafana_db.read_bytes()
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT title FROM dashboard").fetchall() == [("System Overview",)]
    db.close()
    assert (doctor.backup_dir / "last-success").exists()
    # The first round is over: from now on the healthcheck asks for a recent success.
    assert not (doctor.backup_dir / "first-run").exists()
