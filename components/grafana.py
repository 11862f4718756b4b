"""Grafana: the container, and every Grafana object managed through the Grafana provider.

Datasources, folders and the four dashboards are Pulumi resources, so `pulumi preview` shows
every dashboard change. Prometheus' alerts are routed by Alertmanager (render/alertmanager.py),
which Grafana shows through its Alertmanager datasource; the alerts on the logs, the Slack contact
point and the notification policy are Grafana's own (components/grafana_alerting.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumiverse_grafana as grafana

from components.auth import derived_password
from components.context import StackContext
from components.grafana_alerting import GrafanaAlerting
from components.service import TYPE_PREFIX
from components.service_args import VolumeMount, secret_file
from components.swarm_service import Workload, workload
from mixin import log_alerts
from mixin.dashboards import render_dashboards
from mixin.dashboards.common import ALERTMANAGER_UID, ELASTICSEARCH_UID, FOLDERS, PROMETHEUS_UID
from render import caddy, elasticsearch
from render import grafana as gf
from settings.names import ALERTMANAGER_USER, GRAFANA_GUARD_PURPOSE, GRAFANA_GUARD_USER


class Grafana(pulumi.ComponentResource):
    """The Grafana container, and an explicit provider bound to it for every Grafana resource
    (`manage`, called once what serves the API URL is declared)."""

    service: Workload
    provider: grafana.Provider

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Grafana", name, None, opts)
        self.service = self._container(ctx, depends_on)
        self.url = ctx.settings.grafana.root_url

    def manage(self, ctx: StackContext, served_by: Sequence[pulumi.Resource] = ()) -> None:
        """The provider and every Grafana object; `served_by` is what serves `grafana.apiUrl` besides
        Grafana itself (the edge, when the URL is its public one): the provider waits for it too, or the
        first `pulumi up` races the edge's start."""
        s = ctx.settings
        password = ctx.require_secret("grafanaAdminPassword")
        auth: pulumi.Output[str] = pulumi.Output.secret(password.apply(lambda p: f"{s.grafana.admin_user}:{p}"))
        # Explicit, never the ambient provider: Pulumi talks to this stack's Grafana only, and only
        # once its container is healthy (the container waits for its healthcheck).
        self.provider = grafana.Provider(
            "grafana-provider",
            url=s.grafana_api_url,
            auth=auth,
            retries=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service.container, *served_by]),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.datasources = self._datasources(ctx, child)
        self.folders = {uid: grafana.oss.Folder(f"folder-{uid}", uid=uid, title=title, opts=child)
                        for uid, title in FOLDERS.items()}
        self.dashboards = [
            grafana.oss.Dashboard(
                f"dashboard-{ref.uid}", config_json=model, folder=self.folders[ref.folder].uid, overwrite=True,
                message="Managed by Pulumi (christmas-monitoring)",
                # A dashboard's queries need its datasources to exist first.
                opts=pulumi.ResourceOptions(parent=self, provider=self.provider,
                                            depends_on=list(self.datasources.values())))
            for ref, model in render_dashboards(s).items()
        ]
        # Alerts on the logs (which Prometheus cannot see), sent through Grafana's Slack contact point.
        self.alerting = GrafanaAlerting("grafana-alerting", ctx, self.provider, self.folders[log_alerts.FOLDER],
                                        self.datasources["elasticsearch"], opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"grafana_url": self.url})

    def _container(self, ctx: StackContext, depends_on: Sequence[pulumi.Resource]) -> Workload:
        s = ctx.settings
        volume = ctx.data_volume("grafana", parent=self)

        smtp_password = ctx.secret("smtpPassword")
        uploads = [secret_file(gf.ADMIN_PASSWORD_FILE, ctx.require_secret("grafanaAdminPassword"), owner=gf.UID)]
        if smtp_password is not None:
            uploads.append(secret_file(gf.SMTP_PASSWORD_FILE, smtp_password, owner=gf.UID))
        # File names only: the passwords are read from the uploads (mode 0400, Grafana's uid).
        envs = gf.as_env_list(gf.grafana_env(s, smtp_password=smtp_password is not None))
        port = ctx.port("grafana")
        return workload(ctx.settings.target, "grafana", ctx.service_args(
            "grafana",
            container_port=port,
            envs=envs,
            uploads=uploads,
            # busybox wget ships in the (Alpine-based) Grafana image.
            healthcheck=ctx.http_health("grafana"),
            volumes=[VolumeMount(volume.name, gf.DATA_PATH)],
            # The password files are uploads, which Docker refuses into a read-only root
            # filesystem: the root stays writable (Grafana runs as uid 472, not root); state
            # lives on the volume, scratch files in /tmp.
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            depends_on=list(depends_on),
        ), opts=pulumi.ResourceOptions(parent=self))

    def _datasources(self, ctx: StackContext, child: pulumi.ResourceOptions) -> dict[str, grafana.oss.DataSource]:
        json_data = gf.datasource_json(ctx.settings)
        s = ctx.settings

        def secure_password(password: pulumi.Output[str]) -> pulumi.Output[str]:
            """secureJsonData with the password, a secret as a whole."""
            secure: pulumi.Output[str] = password.apply(lambda p: json.dumps({"basicAuthPassword": p}))
            return pulumi.Output.secret(secure)

        def basic_auth_password(key: str) -> pulumi.Output[str]:
            return secure_password(ctx.require_secret(key))

        return {
            # Prometheus and Alertmanager require basic auth (their web config): Grafana sends it.
            # Through the edge's datasource guard, with a credential Prometheus itself does not accept: the
            # admin API (on for the backups' snapshots) is refused there (render/caddy.py DatasourceGuard).
            "prometheus": grafana.oss.DataSource(
                "datasource-prometheus", uid=PROMETHEUS_UID, name="Prometheus", type="prometheus",
                url=f"http://edge:{caddy.guard_port(s.edge.http_port, s.edge.https_port)}", access_mode="proxy",
                is_default=True, basic_auth_enabled=True, basic_auth_username=GRAFANA_GUARD_USER,
                secure_json_data_encoded=secure_password(
                    derived_password(ctx, "prometheusPassword", GRAFANA_GUARD_PURPOSE)),
                json_data_encoded=json.dumps(json_data["prometheus"], sort_keys=True), opts=child),
            "alertmanager": grafana.oss.DataSource(
                "datasource-alertmanager", uid=ALERTMANAGER_UID, name="Alertmanager", type="alertmanager",
                url=f"http://alertmanager:{ctx.port('alertmanager')}", access_mode="proxy",
                basic_auth_enabled=True, basic_auth_username=ALERTMANAGER_USER,
                secure_json_data_encoded=basic_auth_password("alertmanagerPassword"),
                json_data_encoded=json.dumps(json_data["alertmanager"], sort_keys=True), opts=child),
            # Read-only user (created by the Elasticsearch setup job), never the superuser.
            "elasticsearch": grafana.oss.DataSource(
                "datasource-elasticsearch", uid=ELASTICSEARCH_UID, name="Elasticsearch logs",
                type="elasticsearch", url=f"http://elasticsearch:{ctx.port('elasticsearch')}",
                access_mode="proxy", basic_auth_enabled=True, basic_auth_username=elasticsearch.READER_USER,
                json_data_encoded=json.dumps(json_data["elasticsearch"], sort_keys=True),
                secure_json_data_encoded=basic_auth_password("elasticReaderPassword"), opts=child),
        }
