"""Alerting: Alertmanager (one peer, or a gossip cluster) routing to Slack and e-mail."""

from __future__ import annotations

import pulumi

from components.context import StackContext
from components.service import TYPE_PREFIX, Upload, VolumeMount, http_healthcheck
from components.swarm_service import Workload, workload
from render import alertmanager as am
from render.alertmanager_swarm import ENTRYPOINT_PATH, render_swarm_entrypoint
from render.prometheus import alertmanager_host
from settings.model import PublishedPort, ServiceSettings

CLUSTER_PORT = 9094


class Alerting(pulumi.ComponentResource):
    """Alertmanager peers with their notification log volumes; the config carries the receivers' secrets."""

    def __init__(self, name: str, ctx: StackContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Alerting", name, None, opts)
        s = ctx.settings
        webhook = ctx.secret("slackWebhookUrl") or pulumi.Output.from_input("")
        password = ctx.secret("smtpPassword") or pulumi.Output.from_input("")
        heartbeat = ctx.secret("heartbeatUrl") or pulumi.Output.from_input("")
        # Rendered inside apply; the file holds secrets, so its Upload is secret=True.
        def render(values: list[str]) -> str:
            return am.render_alertmanager_yml(s, values[0] or None, values[1] or None, values[2] or None)

        config_text: pulumi.Output[str] = pulumi.Output.all(webhook, password, heartbeat).apply(render)
        self.peers: list[Workload] = []
        if s.swarm:
            self.peers.append(self._swarm_peers(ctx, config_text))
            self.alertmanager_url = s.url_of("alertmanager")
            self.register_outputs({"alertmanager_url": self.alertmanager_url})
            return
        peers = s.alerting.alertmanager_peers
        hosts = [alertmanager_host(i) for i in range(peers)]
        for index, host in enumerate(hosts):
            volume = ctx.data_volume(host, parent=self)
            base = s.service("alertmanager")
            # Only the first peer is published; the others are reached on the stack network.
            publish = base.publish if index == 0 else None
            settings = ServiceSettings(image=base.image, memory_mb=base.memory_mb, cpus=base.cpus,
                                       publish=publish)
            command = [f"--config.file={am.CONFIG_PATH}", "--storage.path=/alertmanager",
                       f"--web.external-url={self._external_url(publish, host, ctx)}"]
            if peers > 1:
                command.append(f"--cluster.listen-address=0.0.0.0:{CLUSTER_PORT}")
                command += [f"--cluster.peer={other}:{CLUSTER_PORT}" for other in hosts if other != host]
            else:
                # A single peer needs no gossip port open.
                command.append("--cluster.listen-address=")
            self.peers.append(workload(s.target, host, ctx.service_args(
                host,
                settings=settings,
                container_port=ctx.port("alertmanager"),
                command=command,
                healthcheck=http_healthcheck(ctx.port("alertmanager"), "/-/healthy"),
                uploads=[Upload(am.CONFIG_PATH, config_text, secret=True)],
                volumes=[VolumeMount(volume.name, "/alertmanager")],
            ), opts=pulumi.ResourceOptions(parent=self)))
        self.alertmanager_url = s.url_of("alertmanager")
        self.register_outputs({"alertmanager_url": self.alertmanager_url})

    def _swarm_peers(self, ctx: StackContext, config_text: pulumi.Output[str]) -> Workload:
        """One Swarm service, one replica per node; each peer finds the others through Swarm's DNS name
        `tasks.<service>` (Alertmanager resolves a peer name to all its addresses and re-resolves it:
        alertmanager v0.28.1 cluster/cluster.go resolvePeers) and advertises its own overlay address
        (render/alertmanager_swarm.py)."""
        s = ctx.settings
        volume = ctx.data_volume("alertmanager", parent=self)
        peers_name = f"tasks.{s.name('alertmanager')}:{CLUSTER_PORT}"
        return workload(s.target, "alertmanager", ctx.service_args(
            "alertmanager",
            command=[f"--config.file={am.CONFIG_PATH}", "--storage.path=/alertmanager",
                     f"--web.external-url={self._external_url(s.service('alertmanager').publish, 'alertmanager', ctx)}",
                     f"--cluster.listen-address=0.0.0.0:{CLUSTER_PORT}", f"--cluster.peer={peers_name}"],
            healthcheck=http_healthcheck(ctx.port("alertmanager"), "/-/healthy"),
            uploads=[Upload(am.CONFIG_PATH, config_text, secret=True),
                     Upload(ENTRYPOINT_PATH, render_swarm_entrypoint(s.name("alertmanager"), CLUSTER_PORT))],
            volumes=[VolumeMount(volume.name, "/alertmanager")],
        ), opts=pulumi.ResourceOptions(parent=self), replicas=s.alerting.alertmanager_peers,
            entrypoint=["/bin/sh", ENTRYPOINT_PATH])

    @staticmethod
    def _external_url(publish: PublishedPort | None, host: str, ctx: StackContext) -> str:
        if publish is not None:
            return ctx.settings.url_of("alertmanager") or ""
        return f"http://{host}:{ctx.port('alertmanager')}"
