"""The edge: Caddy, the stack's one TLS entry point, in front of Grafana and Kibana.

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

from components.auth import password_hash
from components.context import StackContext
from components.service import TYPE_PREFIX, Healthcheck, PortMapping, Service, Upload, VolumeMount
from render import caddy
from render.prometheus import ALERTMANAGER_USER, PROMETHEUS_USER
from settings.model import StackSettings
from settings.validation import edge_host


def public_sites(s: StackSettings) -> list[tuple[str, str, str | None]]:
    """(host, upstream, basic-auth user or None) for each service the edge serves."""
    sites: list[tuple[str, str, str | None]] = [
        (edge_host(s.grafana.root_url), "grafana:3000", None),
        (edge_host(s.logging.kibana_public_base_url), "kibana:5601", None),
    ]
    if s.edge.prometheus_url:
        sites.append((edge_host(s.edge.prometheus_url), "prometheus:9090", PROMETHEUS_USER))
    if s.edge.alertmanager_url:
        sites.append((edge_host(s.edge.alertmanager_url), "alertmanager:9093", ALERTMANAGER_USER))
    return sites


_PASSWORD_OF = {PROMETHEUS_USER: ("prometheus", "prometheusPassword"),
                ALERTMANAGER_USER: ("alertmanager", "alertmanagerPassword")}


class Edge(pulumi.ComponentResource):
    """The Caddy container: the only one published beyond loopback in prod."""

    service: Service

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Edge", name, None, opts)
        s = ctx.settings
        volume = ctx.data_volume("edge", parent=self)
        e = s.edge
        self.service = Service("edge", ctx.service_args(
            "edge",
            container_port=None,
            command=["caddy", "run", "--config", caddy.CONFIG_PATH, "--adapter", "caddyfile"],
            uploads=[self._caddyfile(ctx), *self._certificate(ctx)],
            volumes=[VolumeMount(volume.name, "/data")],
            # /config only holds Caddy's autosave of the loaded configuration: scratch.
            tmpfs={"/config": "rw,noexec,nosuid,size=16m"},
            ports=[PortMapping(port, port, e.address) for port in (e.http_port, e.https_port)],
            cap_add=["NET_BIND_SERVICE"],
            healthcheck=Healthcheck(test=["CMD", "wget", "-q", "--spider",
                                          f"http://127.0.0.1:{caddy.HEALTH_PORT}{caddy.HEALTH_PATH}"]),
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"container_name": self.service.container_name})

    @staticmethod
    def _caddyfile(ctx: StackContext) -> Upload:
        s = ctx.settings
        e = s.edge
        sites = public_sites(s)
        users = [user for _, _, user in sites if user is not None]
        hashes = [password_hash(ctx, _PASSWORD_OF[u][0], u, _PASSWORD_OF[u][1]) for u in users]

        def render(values: list[str]) -> str:
            by_user = dict(zip(users, values, strict=True))
            return caddy.render_caddyfile(caddy.CaddyConfig(
                sites=[caddy.Site(host, upstream, caddy.BasicAuth(user, by_user[user]) if user else None)
                       for host, upstream, user in sites],
                tls=e.tls,  # type: ignore[arg-type]  # validated by settings: acme | internal | files
                http_port=e.http_port, https_port=e.https_port,
                acme_email=e.acme_email, acme_ca=e.acme_ca))

        if not hashes:
            return Upload(caddy.CONFIG_PATH, render([]))
        # The hashes allow offline guessing: the file is a secret once it holds one.
        text: pulumi.Output[str] = pulumi.Output.all(*hashes).apply(render)
        return Upload(caddy.CONFIG_PATH, text, secret=True)

    @staticmethod
    def _certificate(ctx: StackContext) -> list[Upload]:
        if ctx.settings.edge.tls != "files":
            return []
        return [Upload(f"{caddy.TLS_DIR}/cert.pem", ctx.require_secret("tlsCertificate"), secret=True),
                Upload(f"{caddy.TLS_DIR}/key.pem", ctx.require_secret("tlsKey"), secret=True)]
