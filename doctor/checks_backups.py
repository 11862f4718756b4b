"""The age of the newest backup of each kind: Elasticsearch's snapshot policy (GET _slm/policy/<id>:
last_success / last_failure, epoch millis) and the scheduler's Prometheus snapshots and Grafana copies
(their names carry the UTC time they were taken)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from doctor.report import Result, failed, skipped, verdict
from doctor.stack import Target
from render import backups as bk

_STAMP = re.compile(r"(\d{8}T\d{6}Z)")
LINK = ("operations.md", "6-data-and-disaster-recovery")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}h"


def check_elasticsearch_snapshots(t: Target) -> list[Result]:
    check, link = "Elasticsearch snapshots", t.link(*LINK)
    policy = t.elastic(f"/_slm/policy/{bk.SLM_POLICY}").get(bk.SLM_POLICY, {})
    now_ms = time.time() * 1000
    success, failure = policy.get("last_success") or {}, policy.get("last_failure") or {}
    fix = "read the failure (GET _slm/policy/<id>), check the repository (POST _snapshot/<repo>/_verify)"
    if failure and failure.get("time", 0) > success.get("time", 0):
        return [failed(check, f"last run failed: {str(failure.get('details', ''))[:200]}", fix, link)]
    if not success:
        age = now_ms - policy.get("modified_date_millis", 0)
        # A policy younger than one schedule period has simply not run yet.
        return [verdict(check, age < bk.MAX_AGE_HOURS * 3_600_000,
                        f"no snapshot yet (policy set {_hours(age / 1000)} ago, runs {bk.SLM_SCHEDULE})", fix, link)]
    age = (now_ms - success["time"]) / 1000
    return [verdict(check, age < bk.MAX_AGE_HOURS * 3600,
                    f"newest {success.get('snapshot_name')}: {_hours(age)} old (limit {bk.MAX_AGE_HOURS}h)", fix, link)]


def check_backup_files(t: Target) -> list[Result]:
    link = t.link(*LINK)
    container = t.container("backups")
    if container is None or container.state != "running":
        return [failed("Prometheus and Grafana backups", "the backups scheduler is not running",
                       "`pulumi up` recreates it; `docker logs` of the backups container tells why it stopped", link)]
    results = []
    for kind in ("prometheus", "grafana"):
        check = f"{kind.capitalize()} backups"
        listing = t.docker.exec(container.id, ["ls", "-1", f"{bk.BACKUP_DIR}/{kind}"])
        stamps = [m[1] for m in map(_STAMP.search, listing.stdout.splitlines()) if m and not m.string.endswith(".part")]
        if listing.exit_code != 0 or not stamps:
            results.append(failed(check, f"no backup in {bk.BACKUP_DIR}/{kind}",
                                  "read `docker logs` of the backups container", link))
            continue
        newest = max(stamps)
        age = time.time() - datetime.strptime(newest, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        results.append(verdict(check, age < bk.MAX_AGE_HOURS * 3600,
                               f"{len(stamps)} kept, newest {newest}: {_hours(age)} old (limit {bk.MAX_AGE_HOURS}h)",
                               "read `docker logs` of the backups container (admin API, permissions, disk)", link))
    return results or [skipped("backups", "nothing to check")]



