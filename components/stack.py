"""MonitoringStack: the networks by purpose, and every area of the monitoring stack.

Networks: `<project>-<stack>` is the stack's own (its services talk to each other; nothing of
the platform joins it); `<project>-<stack>-targets` is where the platform's services are
scraped (Prometheus and postgres-exporter are the stack's only members); Alertmanager's
gossip has a network of its own (components/alerting.py). The edge publishes the UIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi
import pulumi_docker as docker

from components.alerting import Alerting
from components.backups import Backups
from components.context import StackContext
from components.edge import Edge
from components.grafana import Grafana
from components.logging import Logging
from components.metrics import Metrics
from components.networks import network_ref, stack_network
from components.secrets import GeneratedSecrets
from components.service import TYPE_PREFIX
from settings.model import StackSecrets, StackSettings
from settings.names import stack_network_name, targets_network_name


@dataclass(frozen=True)
class MonitoringStackArgs:
    settings: StackSettings
    secrets: StackSecrets


def _gateway(configs: Sequence[docker.outputs.NetworkIpamConfig]) -> str:
    """Docker assigns the bridge's subnet and gateway; the provider reads them back."""
    # IPv4 only: node-exporter listens there and Prometheus' target is host:port without brackets.
    gateways = [c.gateway for c in configs or [] if c.gateway and ":" not in c.gateway]
    if not gateways:
        raise ValueError("the stack network has no IPv4 gateway (docker network inspect shows IPAM.Config)")
    return gateways[0]


class MonitoringStack(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:MonitoringStack", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        # The names Prometheus' Swarm discovery filters tasks by (render/prometheus_swarm.py).
        self.network = stack_network("network", s, stack_network_name(s), "internal", child)
        self.targets_network = stack_network("targets-network", s, targets_network_name(s), "targets", child)
        self.secrets = GeneratedSecrets("secrets", s, args.secrets.values, opts=child)
        ctx = StackContext(settings=s, secrets=self.secrets.all, network_name=network_ref(s, self.network),
                           network_gateway=self.network.ipam_configs.apply(_gateway),
                           targets_network_name=network_ref(s, self.targets_network))
        self.alerting = Alerting("alerting", ctx, opts=child)
        # Prometheus starts once Alertmanager is healthy, so no alert is sent into the void.
        self.metrics = Metrics("metrics", ctx, depends_on=[p.container for p in self.alerting.peers], opts=child)
        self.logging = Logging("logging", ctx, opts=child)
        self.grafana = Grafana("grafana", ctx, depends_on=[self.metrics.prometheus.container,
                                                           *self.logging.ready], opts=child)
        # The entry point starts once what it serves is healthy.
        self.edge = Edge("edge", ctx, depends_on=[self.grafana.service.container, self.logging.kibana.container],
                         opts=child)
        # Pulumi reaches Grafana's API through the edge when grafana.apiUrl is the public URL.
        self.grafana.manage(ctx, served_by=[self.edge.service.container] if edge_serves_grafana_api(s) else [])
        # Snapshots of Prometheus and copies of Grafana's database, from their volumes.
        self.backups = Backups("backups", ctx, depends_on=[self.metrics.prometheus.container,
                                                           self.grafana.service.container], opts=child)
        self.urls: dict[str, str | None] = {
            "grafana_url": s.grafana.root_url,
            "prometheus_url": s.edge.prometheus_url or self.metrics.prometheus_url,
            "alertmanager_url": s.edge.alertmanager_url or self.alerting.alertmanager_url,
            "kibana_url": s.logging.kibana_public_base_url,
        }
        self.generated_secrets = self.secrets.generated
        self.register_outputs({**self.urls})


def edge_serves_grafana_api(s: StackSettings) -> bool:
    """The API URL is the public one, which the edge serves (render/caddy.py: grafana.rootUrl's site)."""
    api, public = urlsplit(s.grafana_api_url), urlsplit(s.grafana.root_url)
    return (api.scheme, api.netloc) == (public.scheme, public.netloc)
