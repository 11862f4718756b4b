"""Grafana: the container, and every Grafana object managed through the Grafana provider."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumiverse_grafana as grafana

from components.context import StackContext
from components.service import TYPE_PREFIX, Healthcheck, Service, ServiceArgs, VolumeMount
from config import grafana as gf


class Grafana(pulumi.ComponentResource):
    """The Grafana container, and an explicit provider bound to it for every Grafana resource."""

    service: Service
    provider: grafana.Provider

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Grafana", name, None, opts)
        s = ctx.settings
        self.service = self._container(ctx, depends_on)
        password = ctx.require_secret("grafanaAdminPassword")
        auth: pulumi.Output[str] = pulumi.Output.secret(password.apply(lambda p: f"{s.grafana.admin_user}:{p}"))
        # Explicit, never the ambient provider: Pulumi talks to this stack's Grafana only, and only
        # once its container is healthy (the container waits for its healthcheck).
        self.provider = grafana.Provider(
            "grafana-provider",
            url=s.grafana_api_url,
            auth=auth,
            retries=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service.container]),
        )
        self.url = s.grafana.root_url
        self.register_outputs({"grafana_url": self.url})

    def _container(self, ctx: StackContext, depends_on: Sequence[pulumi.Resource]) -> Service:
        s = ctx.settings
        volume = ctx.data_volume("grafana", parent=self)

        smtp_password = ctx.secret("smtpPassword") or pulumi.Output.from_input("")

        def render(values: list[str]) -> list[str]:
            env = {**gf.grafana_env(s), **gf.grafana_secret_env(values[0], values[1] or None)}
            return gf.as_env_list(env)

        # The environment carries the passwords, so it is a secret as a whole (Pulumi would
        # mark the whole list secret anyway once one element is).
        envs: pulumi.Output[list[str]] = pulumi.Output.secret(
            pulumi.Output.all(ctx.require_secret("grafanaAdminPassword"), smtp_password).apply(render))
        port = ctx.port("grafana")
        return Service("grafana", ServiceArgs(
            service="grafana",
            container_name=ctx.container_name("grafana"),
            settings=s.service("grafana"),
            container_port=port,
            network_name=ctx.network_name,
            stack=s.stack,
            project=s.project,
            envs=envs,
            # busybox wget ships in the (Alpine-based) Grafana image.
            healthcheck=Healthcheck(test=["CMD", "wget", "-q", "--spider",
                                          f"http://localhost:{port}{gf.HEALTH_PATH}"]),
            volumes=[VolumeMount(volume.name, gf.DATA_PATH)],
            # Nothing is uploaded into Grafana (settings come as environment), so its root
            # filesystem can be read-only; state lives on the volume, scratch files in /tmp.
            read_only_rootfs=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))
