"""The typed, frozen settings of one stack, as components and renderers read them.

Everything an operator can set is declared once, in settings/sections.py (object settings),
settings/services.py (per-service settings), settings/secrets.py (secrets) and
settings/sections.StackOptions (top-level flags); settings/load.py parses and validates.
settings/model.py re-exports the names the rest of the program imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from settings import sections as sec
from settings.catalog import CATALOG
from settings.secrets import SECRET_KEYS
from settings.services import SERVICE_KEYS, ServiceSettings
from settings.sizing import SizingSettings

PROJECT = "christmas-monitoring"
# Every top-level key, from the declarations: per-service objects, sections, flags, secrets.
TOP_LEVEL_KEYS: tuple[str, ...] = (*SERVICE_KEYS, *sec.SECTIONS, *sec.OPTION_KEYS, *SECRET_KEYS)

@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    services: Mapping[str, ServiceSettings]
    prometheus: sec.PrometheusSettings
    thresholds: sec.AlertThresholds
    alerting: sec.AlertingSettings
    grafana: sec.GrafanaSettings
    logging: sec.LoggingSettings
    database: sec.DatabaseSettings
    edge: sec.EdgeSettings
    protect_data: bool
    generate_missing_secrets: bool
    # Secret keys that were set in the stack configuration (their values are never held here).
    secrets_set: frozenset[str] = field(default_factory=frozenset)
    # "docker" (one Docker host) or "swarm" (`docker:host` is a Swarm manager).
    target: str = "docker"
    # The series Prometheus is sized for (settings/sizing.py).
    sizing: SizingSettings = field(default_factory=SizingSettings)
    # With target swarm: the subnet of the nodes' Swarm addresses (node-exporter listens there only).
    swarm_node_subnet: str = ""
    # With target swarm: the Swarm's pool for overlay networks (settings/subnets.py).
    swarm_address_pool: str = "10.0.0.0/8"

    @property
    def swarm(self) -> bool:
        return self.target == "swarm"

    def name(self, service: str) -> str:
        """Docker object name `<project>-<stack>-<service>` (dev and prod share one host)."""
        return f"{self.project}-{self.stack}-{service}"

    def service(self, service: str) -> ServiceSettings:
        """A workload's image, limits and published port; a catalog row without settings of its own
        runs `image_of`'s image within `limits_of`'s limits, published nowhere."""
        spec = CATALOG.get(service)
        if spec is None or spec.own_settings:
            return self.services[service]
        assert spec.image_of is not None and spec.limits_of is not None  # settings/catalog.py checks it
        limits = self.services[spec.limits_of]
        return ServiceSettings(image=self.services[spec.image_of].image, memory_mb=limits.memory_mb,
                               cpus=limits.cpus, publish=None)

    @property
    def grafana_api_url(self) -> str:
        if self.grafana.api_url:
            return self.grafana.api_url
        publish = self.services["grafana"].publish
        assert publish is not None  # guaranteed by validation
        host = "127.0.0.1" if publish.bind_address == "0.0.0.0" else publish.bind_address
        return f"http://{host}:{publish.host_port}"

    def url_of(self, service: str) -> str | None:
        """The URL an operator on the Docker host uses, or None when not published."""
        publish = self.services[service].publish
        if publish is None:
            return None
        host = "localhost" if publish.bind_address in ("0.0.0.0", "127.0.0.1") else publish.bind_address
        return f"http://{host}:{publish.host_port}"


@dataclass(frozen=True)
class StackSecrets:
    """The secrets that were set, each a secret `Output` (never a plain value)."""

    values: Mapping[str, pulumi.Output[str]]


