"""The published Alertmanager peer, over HTTP with its basic auth: its notification counters, and alerts
posted to it.

Only the first peer is published on the host, and the stack's peers answer only with the Alertmanager
password, which no container holds in clear (Alertmanager has its bcrypt hash; Prometheus a file meant
for itself). So the test alert goes to the published peer only. In a cluster that peer sends it after
waiting its position times --cluster.peer-timeout (0 or 15 s with two peers), as for any alert only one
peer has; the counters that move are its own.
"""

from __future__ import annotations

import re
from datetime import datetime

from doctor.stack import Target
from doctor.web import get_text, post_json

_SAMPLE = re.compile(r'^(alertmanager_notification_requests(?:_failed)?_total)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
Counters = dict[tuple[str, str], float]


def parse_counters(text: str, receiver: str) -> Counters:
    """(metric, integration) -> value (summed over receivers unless the metrics carry `receiver_name`)."""
    out: Counters = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        # With the receiver-names-in-metrics feature flag the counters carry the receiver too.
        if labels.get("receiver_name", receiver) != receiver:
            continue
        key = (match[1], labels.get("integration", ""))
        out[key] = out.get(key, 0.0) + float(match["value"])
    return out


def counters(t: Target, receiver: str) -> Counters:
    return parse_counters(get_text(f"{t.endpoints.alertmanager}/metrics", auth=t.alertmanager_auth()), receiver)


def post_alert(t: Target, labels: dict[str, str], annotations: dict[str, str], starts: datetime,
               ends: datetime) -> None:
    """POST /api/v2/alerts (an HttpError names the status when Alertmanager refuses it)."""
    body = [{"labels": labels, "annotations": annotations, "startsAt": starts.isoformat(),
             "endsAt": ends.isoformat()}]
    post_json(f"{t.endpoints.alertmanager}/api/v2/alerts", body, auth=t.alertmanager_auth())
