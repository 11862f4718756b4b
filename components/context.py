"""What every area component receives: the settings, the secrets, the network, and helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from components.service_args import Healthcheck, ServiceArgs, http_healthcheck
from settings.catalog import CATALOG, SERVICE_LABEL, STACK_LABEL
from settings.model import CONTAINER_PORTS, ServiceSettings, StackSettings
from settings.names import volume_name


@dataclass(frozen=True)
class NodeVolume:
    """A Swarm task's named volume: created by Docker on the node where the task runs."""

    name: str


@dataclass(frozen=True)
class StackContext:
    settings: StackSettings
    # Every secret the stack uses, each a secret Output (set in config or generated in dev).
    secrets: Mapping[str, pulumi.Output[str]]
    # The stack's own network: its services talk to each other here, and nothing else joins it.
    # Its name on one host, its ID on a Swarm (components/stack.py network_ref says why).
    network_name: pulumi.Input[str]
    # The host's address on the stack network (its bridge gateway): where containers reach a
    # service that runs in the host's network namespace (node-exporter).
    network_gateway: pulumi.Input[str] = "172.17.0.1"
    # The network the platform's services join to be scraped: Prometheus (and postgres-exporter,
    # which must reach the database) are the stack's only members. Name or ID as network_name.
    targets_network_name: pulumi.Input[str] = ""
    # bcrypt hashes already made in this run, by (service, user, secret key): the server's web
    # configuration and the edge ask for the same one (components/auth.py).
    password_hashes: dict[tuple[str, str, str], pulumi.Output[str]] = field(default_factory=dict)

    def secret(self, key: str) -> pulumi.Output[str] | None:
        return self.secrets.get(key)

    def require_secret(self, key: str) -> pulumi.Output[str]:
        value = self.secrets.get(key)
        if value is None:  # settings validation makes this unreachable for a user mistake
            raise KeyError(f"secret {key} is neither set nor generated")
        return value

    def container_name(self, service: str) -> str:
        return self.settings.name(service)

    @staticmethod
    def port(service: str) -> int:
        return CONTAINER_PORTS[service]

    @staticmethod
    def health_path(service: str) -> str:
        return CATALOG[service].health_path

    @staticmethod
    def http_health(service: str, **timing: Any) -> Healthcheck:
        """The service's health endpoint from the catalog, asked with the image's busybox wget."""
        return http_healthcheck(CONTAINER_PORTS[service], CATALOG[service].health_path, **timing)

    @staticmethod
    def data_path(service: str) -> str:
        """Where the service keeps the data its named volume holds (settings/catalog.py)."""
        return CATALOG[service].data_path

    @staticmethod
    def user(service: str) -> str:
        """The uid:gid the image runs as (settings/catalog.py)."""
        return CATALOG[service].user

    def service_args(self, service: str, *, settings: ServiceSettings | None = None, **fields: Any) -> ServiceArgs:
        """ServiceArgs with what every container of the stack shares filled in: the catalog row's
        image and limits (`settings` overrides them, e.g. for a second Alertmanager peer), and its
        well-known port as `container_port`.
        """
        fields.setdefault("container_port", CONTAINER_PORTS.get(service))
        # Another primary network than the stack's (the Engine API proxy's own).
        fields.setdefault("network_name", self.network_name)
        return ServiceArgs(
            service=service,
            container_name=self.container_name(service),
            settings=settings or self.settings.service(service),
            stack=self.settings.stack,
            project=self.settings.project,
            **fields,
        )

    def data_volume(self, service: str, parent: pulumi.Resource, suffix: str = "data") -> docker.Volume | NodeVolume:
        """A named volume for a service's data.

        It outlives container replacement (a new container mounts the same volume). With
        `protectData` (prod) it is also protected and retained on delete, so neither
        `pulumi destroy` nor a replacement can remove it.
        On a Swarm the provider would create it on the manager only: the node that runs the task
        creates it on first mount instead, and removing a service never removes a volume.
        """
        if self.settings.swarm:
            return NodeVolume(volume_name(self.settings, service, suffix))
        protect = self.settings.protect_data
        return docker.Volume(
            f"{service}-{suffix}",
            name=volume_name(self.settings, service, suffix),
            labels=[
                docker.VolumeLabelArgs(label=STACK_LABEL, value=self.settings.stack),
                docker.VolumeLabelArgs(label=SERVICE_LABEL, value=service),
            ],
            opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
        )
