"""Where each Swarm service runs and how it is updated: its catalog row's Placement (settings/catalog.py),
as constraints components/swarm_service.py applies."""

from __future__ import annotations

from settings.catalog import CATALOG
from settings.workload import Placement

# Node labels the operator sets to place the stateful services (README, docs/scale-out.md).
NODE_LABEL_PREFIX = "christmas-monitoring"


def placement_of(service: str, replicas: int | None = None) -> Placement:
    """The catalog row's placement (settings/catalog.py); `replicas` for a replicated service."""
    base = CATALOG[service].placement if service in CATALOG else Placement()
    if replicas is None:
        return base
    return Placement(**{**base.__dict__, "replicas": replicas})


def constraints(placement: Placement) -> list[str]:
    found = ["node.role==manager"] if placement.manager_only else []
    if placement.node_label:
        found.append(f"node.labels.{NODE_LABEL_PREFIX}.{placement.node_label}==true")
    found += [f"node.labels.{NODE_LABEL_PREFIX}.{label}==true" for label in placement.with_labels]
    return found + [f"node.labels.{NODE_LABEL_PREFIX}.{label}!=true" for label in placement.avoid_labels]
