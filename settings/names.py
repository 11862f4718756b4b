"""The names the stack's parts know each other by, in one place: components, renderers, doctor and
tests read them here (the Docker object names are `StackSettings.name`)."""

from __future__ import annotations

from settings.catalog import CATALOG
from settings.stack import StackSettings


def volume_name(settings: StackSettings, service: str, suffix: str = "data") -> str:
    """The named volume holding a service's data (`<project>-<stack>-<service>-<suffix>`): created by
    its component, mounted by name by the backups and the snapshot job."""
    return f"{settings.name(service)}-{suffix}"


def stack_network_name(settings: StackSettings) -> str:
    """The stack's own network (an overlay on a Swarm): its services talk to each other there."""
    return f"{settings.project}-{settings.stack}"


def targets_network_name(settings: StackSettings) -> str:
    """The network the platform's services join to be scraped (components/stack.py)."""
    return f"{settings.project}-{settings.stack}-targets"


def gossip_network_name(settings: StackSettings) -> str:
    """The Alertmanager peers' own network: on one host fixed addresses for gossip, on a Swarm an encrypted
    internal overlay (components/alerting.py)."""
    return f"{settings.project}-{settings.stack}-alertmanager-gossip"


def discovery_network_name(settings: StackSettings) -> str:
    """Swarm only: the network Prometheus shares with the Engine API proxy alone (components/metrics.py)."""
    return f"{settings.project}-{settings.stack}-discovery"


def alertmanager_host(index: int) -> str:
    """The container (and network alias) of Alertmanager peer `index` on one host."""
    return "alertmanager" if index == 0 else f"alertmanager-{index}"


def alertmanager_hosts(peers: int) -> list[str]:
    return [alertmanager_host(i) for i in range(peers)]


def hosts_of(service: str, alertmanager_peers: int) -> list[str]:
    """The names a service answers on within the stack network of one host (one per instance)."""
    return alertmanager_hosts(alertmanager_peers) if service == "alertmanager" else [service]


def auth_user(service: str) -> str:
    """The basic-auth user a server of the stack accepts (settings/catalog.py)."""
    user = CATALOG[service].auth_user
    if user is None:
        raise KeyError(f"settings/catalog.py: {service} has no auth_user")
    return user


PROMETHEUS_USER = auth_user("prometheus")
ALERTMANAGER_USER = auth_user("alertmanager")
# Grafana's user at the edge's datasource guard (render/caddy.py DatasourceGuard): not a Prometheus user.
GRAFANA_GUARD_USER = "grafana"
# What that credential is derived from `prometheusPassword` for (components/auth.py derived_password).
GRAFANA_GUARD_PURPOSE = "grafana-datasource-guard"
