"""Alerting: Alertmanager (one peer, or a gossip cluster) routing to Slack and e-mail."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

import pulumi
import pulumi_docker as docker

from components.auth import authenticated_healthcheck, password_upload, web_config_upload
from components.context import StackContext
from components.networks import stack_network
from components.service import TYPE_PREFIX
from components.service_args import Healthcheck, NetworkAttachment, Upload, VolumeMount, secret_file, secret_uploads
from components.swarm_service import Workload, workload
from mixin.guide import GUIDE_ROUTE
from render import alertmanager as am
from render.alertmanager_swarm import ENTRYPOINT_PATH, render_swarm_entrypoint
from render.web_config import ALERTMANAGER_WEB_CONFIG
from settings.catalog import CATALOG
from settings.model import PublishedPort
from settings.names import ALERTMANAGER_USER, alertmanager_hosts, gossip_network_name

CLUSTER_PORT = 9094
# Its own password, for its healthcheck (the web config holds only the hash).
PASSWORD_FILE = "/etc/alertmanager/secrets/alertmanager-password"


def _server_flags(external_url: str) -> list[str]:
    """Every peer's own flags, on one host or a Swarm (the cluster flags follow)."""
    return [f"--config.file={am.CONFIG_PATH}", f"--storage.path={CATALOG['alertmanager'].data_path}",
            f"--web.external-url={external_url}", f"--web.config.file={ALERTMANAGER_WEB_CONFIG}"]


def _healthcheck(ctx: StackContext) -> Healthcheck:
    return authenticated_healthcheck(ctx.port("alertmanager"), ctx.health_path("alertmanager"), ALERTMANAGER_USER,
                                     PASSWORD_FILE)


class Alerting(pulumi.ComponentResource):
    """Alertmanager peers with their notification log volumes; the config carries the receivers' secrets."""

    def __init__(self, name: str, ctx: StackContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Alerting", name, None, opts)
        s = ctx.settings
        uploads = self._config_uploads(ctx)
        peers = s.alerting.alertmanager_peers
        hosts = alertmanager_hosts(peers)
        uploads += [
            web_config_upload(ctx, "alertmanager", ALERTMANAGER_USER, "alertmanagerPassword", ALERTMANAGER_WEB_CONFIG),
            password_upload(ctx, "alertmanagerPassword", PASSWORD_FILE),
        ]
        self.peers: list[Workload] = []
        self.gossip_network: docker.Network | None = None
        if s.swarm:
            self.peers.append(self._swarm_peers(ctx, uploads))
            self.alertmanager_url = s.url_of("alertmanager")
            self.register_outputs({"alertmanager_url": self.alertmanager_url})
            return
        gossip = gossip_addresses(s.alerting.gossip_subnet, peers) if peers > 1 else []
        self.gossip_network = self._gossip_network(ctx) if peers > 1 else None
        for index, host in enumerate(hosts):
            volume = ctx.data_volume(host, parent=self)
            # Only the first peer is published; the others are reached on the stack network.
            settings = s.service("alertmanager")
            publish = settings.publish if index == 0 else None
            settings = replace(settings, publish=publish)
            command = [*_server_flags(self._external_url(publish, host, ctx)), *self._cluster_flags(gossip, index)]
            networks = ([NetworkAttachment(self.gossip_network.name, ipv4_address=gossip[index])]
                        if self.gossip_network is not None else [])
            self.peers.append(workload(s.target, host, ctx.service_args(
                host,
                settings=settings,
                container_port=ctx.port("alertmanager"),
                command=command,
                healthcheck=_healthcheck(ctx),
                uploads=uploads,
                networks=networks,
                volumes=[VolumeMount(volume.name, ctx.data_path("alertmanager"))],
            ), opts=pulumi.ResourceOptions(parent=self)))
        self.alertmanager_url = s.url_of("alertmanager")
        self.register_outputs({"alertmanager_url": self.alertmanager_url})

    def _swarm_peers(self, ctx: StackContext, uploads: list[Upload]) -> Workload:
        """One Swarm service, one replica per node. The peers gossip on a network of their own (an
        encrypted, internal overlay no other service joins: anyone who can reach port 9094 can inject
        silences), each bound to its own address there (render/alertmanager_swarm.py), and find each
        other through Swarm's DNS name `tasks.<alias on that network>` (Alertmanager resolves a peer name
        to all its addresses, keeps a name that does not resolve yet, and re-resolves it every 15 s:
        alertmanager v0.28.1 cluster/cluster.go resolvePeers, refresh). Their HTTP API stays on the
        stack's overlay, where Prometheus and Grafana reach it."""
        s = ctx.settings
        volume = ctx.data_volume("alertmanager", parent=self)
        self.gossip_network = self._gossip_network(ctx)
        alias = f"{s.name('alertmanager')}-gossip"
        external_url = self._external_url(s.service("alertmanager").publish, "alertmanager", ctx)
        entrypoint: pulumi.Output[str] = self.gossip_network.ipam_configs.apply(
            lambda configs: render_swarm_entrypoint(_ipv4_subnet(configs), CLUSTER_PORT))
        return workload(s.target, "alertmanager", ctx.service_args(
            "alertmanager",
            command=[*_server_flags(external_url), f"--cluster.peer=tasks.{alias}:{CLUSTER_PORT}"],
            healthcheck=_healthcheck(ctx),
            uploads=[*uploads, Upload(ENTRYPOINT_PATH, entrypoint)],
            networks=[NetworkAttachment(self.gossip_network.id, aliases=(alias,))],
            volumes=[VolumeMount(volume.name, ctx.data_path("alertmanager"))],
            entrypoint=["/bin/sh", ENTRYPOINT_PATH],
        ), opts=pulumi.ResourceOptions(parent=self), replicas=s.alerting.alertmanager_peers)

    @staticmethod
    def _config_uploads(ctx: StackContext) -> list[Upload]:
        """alertmanager.yml, and the webhook and SMTP password as files it names (nobody's, mode 0400)."""
        s = ctx.settings
        webhook = ctx.secret("slackWebhookUrl") or pulumi.Output.from_input("")
        password = ctx.secret("smtpPassword") or pulumi.Output.from_input("")
        heartbeat = ctx.secret("heartbeatUrl") or pulumi.Output.from_input("")

        # Rendered inside apply; the file holds the heartbeat URL, so it is a secret upload too.
        def render(values: list[str]) -> str:
            return am.render_alertmanager_yml(GUIDE_ROUTE, s, values[0] or None, values[1] or None, values[2] or None)

        def files(values: list[str]) -> dict[str, str]:
            return am.secret_files(s, values[0] or None, values[1] or None)

        config_text: pulumi.Output[str] = pulumi.Output.all(webhook, password, heartbeat).apply(render)
        names = am.secret_file_names(s, slack=ctx.secret("slackWebhookUrl") is not None,
                                     smtp=ctx.secret("smtpPassword") is not None)
        return [secret_file(am.CONFIG_PATH, config_text, owner=am.UID),
                *secret_uploads(pulumi.Output.all(webhook, password).apply(files), names, am.UID,
                                directory=am.SECRETS_DIR)]

    @staticmethod
    def _cluster_flags(gossip: list[str], index: int) -> list[str]:
        if not gossip:
            return ["--cluster.listen-address="]  # a single peer needs no gossip port open
        # Gossip binds this peer's address on the gossip network only: no other container (the
        # stack network included) can reach port 9094.
        own = gossip[index]
        return [f"--cluster.listen-address={own}:{CLUSTER_PORT}",
                *(f"--cluster.peer={other}:{CLUSTER_PORT}" for other in gossip if other != own)]

    def _gossip_network(self, ctx: StackContext) -> docker.Network:
        """The peers' own network: internal (no route out), not attachable on a Swarm (no `docker run` joins
        it). On one host a fixed subnet gives each peer a known address; on a Swarm an encrypted overlay
        (IPsec between nodes: docs/scale-out.md) whose subnet Docker assigns."""
        s = ctx.settings
        return stack_network("gossip-network", s, gossip_network_name(s), "alertmanager-gossip",
                             pulumi.ResourceOptions(parent=self), internal=True,
                             subnet=s.alerting.gossip_subnet)

    @staticmethod
    def _external_url(publish: PublishedPort | None, host: str, ctx: StackContext) -> str:
        if ctx.settings.edge.alertmanager_url:  # every peer's notifications link to the public address
            return ctx.settings.edge.alertmanager_url
        if publish is not None:
            return ctx.settings.url_of("alertmanager") or ""
        return f"http://{host}:{ctx.port('alertmanager')}"


def _ipv4_subnet(configs: Sequence[docker.outputs.NetworkIpamConfig] | None) -> str:
    """The network's IPv4 subnet, as Docker assigned it (the provider reads IPAM.Config back)."""
    subnets = [c.subnet for c in configs or [] if c.subnet and ":" not in c.subnet]
    if not subnets:
        raise ValueError("the gossip network has no IPv4 subnet (docker network inspect shows IPAM.Config)")
    return subnets[0]


def gossip_addresses(subnet: str, peers: int) -> list[str]:
    """Each peer's address: the subnet's hosts after the first (Docker's gateway takes the first)."""
    hosts = list(ipaddress.IPv4Network(subnet).hosts())
    return [str(address) for address in hosts[1:peers + 1]]
