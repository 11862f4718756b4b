"""Recent errors in the logs of the services the guide names (§9: `docker logs` of Prometheus,
Alertmanager, Fluent Bit), and the volume-permission problem that shows only there."""

from __future__ import annotations

import re
import time
from datetime import datetime

from doctor.report import Result, verdict
from doctor.stack import Target

WINDOW_SECONDS = 15 * 60
# Alertmanager once per peer (alertmanager, alertmanager-1, ... as many as alerting.alertmanagerPeers).
SERVICES = ("prometheus", "fluent-bit", "grafana")
# logfmt (Prometheus, Alertmanager, Grafana) and Fluent Bit's `[time] [error]`.
_ERROR = re.compile(r"level=(error|crit)|\[ ?error\]|permission denied", re.IGNORECASE)
_TS = re.compile(r"(?:ts|t)=(\S+)")


def logged_since(line: str, since: float) -> bool:
    """The line's own timestamp (`ts=` or `t=`) is not older than `since`; a line without one, or
    with one it cannot read, counts (Docker's `since` already filtered it)."""
    match = _TS.search(line)
    if not match:
        return True
    try:
        return datetime.fromisoformat(match[1].strip('"').replace("Z", "+00:00")).timestamp() >= since
    except ValueError:
        return True


def check_logs(t: Target) -> list[Result]:
    since = time.time() - WINDOW_SECONDS
    found: dict[str, list[str]] = {}
    for container in t.containers():
        if container.service not in SERVICES and not container.service.startswith("alertmanager"):
            continue
        lines = t.docker.logs(container.id, since=int(since), tail=5000).splitlines()
        errors = [line for line in lines if _ERROR.search(line) and logged_since(line, since)]
        if errors:
            found[container.service] = errors
    denied = [s for s, lines in found.items() if any("permission denied" in x.lower() for x in lines)]
    saw = "; ".join(f"{s}: {len(lines)} error lines, last: {lines[-1].strip()[:200]}" for s, lines in found.items())
    fix = "read the lines, then the service's section of docs/operations.md"
    if denied:
        fix = "a volume the service cannot write (permission denied): its owner must be the image's user; " + fix
    return [verdict("errors in the logs (15 min)", not found, saw or "no error line", fix,
                    t.link("operations.md", "3-container-logs"))]
