"""Where each Swarm service runs and how it is updated (components/swarm_service.py applies it)."""

from __future__ import annotations

from dataclasses import dataclass

# Node labels the operator sets to place the stateful services (README, docs/scale-out.md).
NODE_LABEL_PREFIX = "christmas-monitoring"


@dataclass(frozen=True)
class SwarmPlacement:
    global_mode: bool = False
    replicas: int = 1
    # The service runs only on nodes labelled `christmas-monitoring.<node_label>=true`.
    node_label: str | None = None
    # ...and also labelled for each of these (a task that mounts several services' volumes).
    with_labels: tuple[str, ...] = ()
    manager_only: bool = False
    max_replicas_per_node: int = 0
    # stop-first where a task holds data (two tasks never open the same volume), start-first elsewhere.
    update_order: str = "start-first"
    # Never on a node labelled for one of these (the Elasticsearch nodes keep to distinct hosts).
    avoid_labels: tuple[str, ...] = ()
    # "dnsrr": the name resolves to the running tasks themselves (no virtual IP, nothing published).
    endpoint_mode: str = "vip"
    # Names the tasks answer on the stack network besides the service's own.
    aliases: tuple[str, ...] = ()


_STATEFUL = "stop-first"
PLACEMENTS: dict[str, SwarmPlacement] = {
    # node-exporter's docs: host network (and PID; a Swarm service cannot share the host PID namespace).
    "node-exporter": SwarmPlacement(global_mode=True),
    "cadvisor": SwarmPlacement(global_mode=True),
    # Its buffer and tail offsets are on the node's volume: the old task stops before the new one reads them.
    "fluent-bit": SwarmPlacement(global_mode=True, update_order=_STATEFUL),
    "prometheus": SwarmPlacement(node_label="prometheus", update_order=_STATEFUL),
    "grafana": SwarmPlacement(node_label="grafana", update_order=_STATEFUL),
    "elasticsearch": SwarmPlacement(node_label="elasticsearch", update_order=_STATEFUL),
    "kibana": SwarmPlacement(node_label="kibana"),
    # The entry point: its certificates (ACME account and issued ones) are on its node's volume.
    "edge": SwarmPlacement(node_label="edge", update_order=_STATEFUL),
    # replicas = alerting.alertmanagerPeers, set by components/alerting.py.
    "alertmanager": SwarmPlacement(max_replicas_per_node=1, update_order=_STATEFUL),
    "postgres-exporter": SwarmPlacement(),
    # The Engine API is served by managers only.
    "docker-api": SwarmPlacement(manager_only=True),
    # They mount other services' volumes by name, which exist on those services' nodes only (elsewhere
    # Docker would create empty ones): the backups scheduler only where both Prometheus and Grafana may
    # run (one node carries both labels, else the task stays pending and says so), the snapshot
    # repository's first mount with Elasticsearch.
    "backups": SwarmPlacement(node_label="prometheus", with_labels=("grafana",), update_order=_STATEFUL),
    "elasticsearch-snapshots-init": SwarmPlacement(node_label="elasticsearch"),
    # The backups volume's first mount, on the scheduler's node (components/backups.py).
    "backups-volume-init": SwarmPlacement(node_label="prometheus", with_labels=("grafana",)),
}


def placement_of(service: str, replicas: int | None = None) -> SwarmPlacement:
    base = PLACEMENTS.get(service, SwarmPlacement())
    if replicas is None:
        return base
    return SwarmPlacement(**{**base.__dict__, "replicas": replicas})


def constraints(placement: SwarmPlacement) -> list[str]:
    found = ["node.role==manager"] if placement.manager_only else []
    if placement.node_label:
        found.append(f"node.labels.{NODE_LABEL_PREFIX}.{placement.node_label}==true")
    found += [f"node.labels.{NODE_LABEL_PREFIX}.{label}==true" for label in placement.with_labels]
    return found + [f"node.labels.{NODE_LABEL_PREFIX}.{label}!=true" for label in placement.avoid_labels]
