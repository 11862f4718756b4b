"""Every Alertmanager peer of the stack, reached from inside the published peer's container.

Only the first peer is published on the host; the others are reached on the stack network, with the
tools the Alertmanager image ships (busybox `wget`, `amtool`), through the Engine API's exec. A test
alert goes to every peer, as Prometheus sends alerts (render/prometheus.py): then the peer first in
the cluster's order sends it at once, and the others find it in the gossiped notification log.
"""

from __future__ import annotations

import re
from datetime import datetime

from doctor.docker_api import ExecResult
from doctor.stack import Target
from render.prometheus import alertmanager_host
from settings.model import CONTAINER_PORTS

_SAMPLE = re.compile(r'^(alertmanager_notification_requests(?:_failed)?_total)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
Counters = dict[tuple[str, str], float]


def peer_urls(t: Target) -> list[str]:
    port = CONTAINER_PORTS["alertmanager"]
    return [f"http://{alertmanager_host(i)}:{port}" for i in range(t.settings.alerting.alertmanager_peers)]


def in_alertmanager(t: Target, argv: list[str]) -> ExecResult:
    container = t.container("alertmanager")
    if container is None or container.state != "running":
        raise RuntimeError("the published Alertmanager container is not running")
    return t.docker.exec(container.id, argv)


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
    """Notification request counters summed over every peer that answers."""
    total: Counters = {}
    for url in peer_urls(t):
        result = in_alertmanager(t, ["wget", "-qO-", f"{url}/metrics"])
        if result.exit_code != 0:
            continue  # a peer down: the others still count
        for key, value in parse_counters(result.stdout, receiver).items():
            total[key] = total.get(key, 0.0) + value
    return total


def post_alert(t: Target, labels: dict[str, str], annotations: dict[str, str], starts: datetime,
               ends: datetime) -> list[str]:
    """`amtool alert add` to every peer; the peers that refused, with amtool's reason."""
    refused = []
    for url in peer_urls(t):
        argv = ["amtool", "alert", "add", f"--alertmanager.url={url}", f"--start={starts.isoformat()}",
                f"--end={ends.isoformat()}", *(f"--annotation={k}={v}" for k, v in annotations.items()),
                *(f"{k}={v}" for k, v in labels.items())]
        result = in_alertmanager(t, argv)
        if result.exit_code != 0:
            refused.append(f"{url}: {result.output.strip()[:200]}")
    return refused
