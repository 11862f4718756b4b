"""Alerting: Alertmanager (one peer, or a gossip cluster) routing to Slack and e-mail."""

from __future__ import annotations

import pulumi

from components.context import StackContext
from components.service import TYPE_PREFIX, Service, Upload, VolumeMount, http_healthcheck
from render import alertmanager as am
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
        peers = s.alerting.alertmanager_peers
        hosts = [alertmanager_host(i) for i in range(peers)]
        self.peers: list[Service] = []
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
            self.peers.append(Service(host, ctx.service_args(
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

    @staticmethod
    def _external_url(publish: PublishedPort | None, host: str, ctx: StackContext) -> str:
        if publish is not None:
            return ctx.settings.url_of("alertmanager") or ""
        return f"http://{host}:{ctx.port('alertmanager')}"
