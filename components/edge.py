"""The edge: Caddy, the stack's one TLS entry point, in front of Grafana and Kibana, and Grafana's
guarded way to Prometheus (render/caddy.py DatasourceGuard).

It serves the public host names of `grafana.rootUrl` and `logging.kibanaPublicBaseUrl` (and of
`edge.prometheusUrl` / `edge.alertmanagerUrl`, behind basic auth, when set), redirects HTTP to
HTTPS and adds HSTS and security headers (render/caddy.py). Certificates: ACME, the operator's
own (secrets tlsCertificate/tlsKey), or Caddy's internal CA. Its storage (`/data`: ACME account,
certificates, the internal CA's keys) is a data volume, protected in prod like every other.

Image facts (caddy:2.11.2, caddyserver/caddy-docker 2.11/alpine/Dockerfile): runs as root with
`setcap cap_net_bind_service=+ep /usr/bin/caddy`, XDG_DATA_HOME=/data, XDG_CONFIG_HOME=/config,
busybox wget and curl present. With every capability dropped, exec of a binary carrying a file
capability outside the bounding set fails (EPERM), so NET_BIND_SERVICE is kept, and only it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.auth import derived_password_hash, password_hash
from components.context import StackContext
from components.service import TYPE_PREFIX
from components.service_args import SECRET_FILE_MODE, Healthcheck, PortMapping, Upload, VolumeMount
from components.swarm_service import Workload, workload
from render import caddy
from settings.names import ALERTMANAGER_USER, GRAFANA_GUARD_PURPOSE, GRAFANA_GUARD_USER, PROMETHEUS_USER


def edge_healthcheck(port: int) -> Healthcheck:
    """busybox wget (in the image) on Caddy's loopback-only health listener."""
    return Healthcheck(test=["CMD", "wget", "-q", "--spider", f"http://127.0.0.1:{port}{caddy.HEALTH_PATH}"])


_PASSWORD_OF = {PROMETHEUS_USER: ("prometheus", "prometheusPassword"),
                ALERTMANAGER_USER: ("alertmanager", "alertmanagerPassword")}


class Edge(pulumi.ComponentResource):
    """The Caddy container: the only one published beyond loopback in prod."""

    service: Workload

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Edge", name, None, opts)
        s = ctx.settings
        volume = ctx.data_volume("edge", parent=self)
        e = s.edge
        self.service = workload(s.target, "edge", ctx.service_args(
            "edge",
            container_port=None,
            command=["caddy", "run", "--config", caddy.CONFIG_PATH, "--adapter", "caddyfile"],
            uploads=[self._caddyfile(ctx), *self._certificate(ctx)],
            volumes=[VolumeMount(volume.name, ctx.data_path("edge"))],
            # /config only holds Caddy's autosave of the loaded configuration: scratch.
            tmpfs={"/config": "rw,noexec,nosuid,size=16m"},
            ports=[PortMapping(port, port, e.address) for port in (e.http_port, e.https_port)],
            cap_add=["NET_BIND_SERVICE"],
            healthcheck=edge_healthcheck(caddy.health_port(e.http_port, e.https_port)),
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"container_name": self.service.container_name})

    @staticmethod
    def _caddyfile(ctx: StackContext) -> Upload:
        s = ctx.settings
        users = caddy.basic_auth_users(s)
        hashes = [password_hash(ctx, _PASSWORD_OF[u][0], u, _PASSWORD_OF[u][1]) for u in users]
        guard = [derived_password_hash(ctx, "prometheusPassword", GRAFANA_GUARD_PURPOSE, GRAFANA_GUARD_USER),
                 ctx.require_secret("prometheusPassword")]

        def render(values: list[str]) -> str:
            *site_hashes, guard_hash, prometheus_password = values
            return caddy.render_caddyfile(caddy.edge_config(
                s, dict(zip(users, site_hashes, strict=True)), caddy.GuardCredentials(guard_hash, prometheus_password)))

        # The file holds Prometheus' password (the datasource guard sends it upstream) and bcrypt hashes
        # (which allow offline guessing): a secret, root's alone.
        text: pulumi.Output[str] = pulumi.Output.all(*hashes, *guard).apply(render)
        return Upload(caddy.CONFIG_PATH, text, secret=True, owner="0", mode=SECRET_FILE_MODE)

    @staticmethod
    def _certificate(ctx: StackContext) -> list[Upload]:
        if ctx.settings.edge.tls != "files":
            return []
        # Caddy runs as root in its image: root-owned, read-only.
        return [Upload(f"{caddy.TLS_DIR}/cert.pem", ctx.require_secret("tlsCertificate"), secret=True,
                       owner="0", mode=SECRET_FILE_MODE),
                Upload(f"{caddy.TLS_DIR}/key.pem", ctx.require_secret("tlsKey"), secret=True,
                       owner="0", mode=SECRET_FILE_MODE)]
