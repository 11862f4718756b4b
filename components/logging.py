"""Logging: Fluent Bit -> Elasticsearch (single node, security on) -> Kibana, and their setup jobs.

Start order, each step waiting for the previous one to be healthy (or done):
Elasticsearch -> elastic-setup (passwords, roles, users, ILM, template) -> Kibana and Fluent Bit
-> kibana-setup (data view, saved searches). Grafana waits for `ready`.
"""

from __future__ import annotations

import pulumi

from components.backups import elasticsearch_s3_keystore, elasticsearch_snapshot_volume
from components.context import StackContext
from components.elasticsearch_cluster import ElasticsearchCluster, elasticsearch_healthcheck
from components.service import TYPE_PREFIX
from components.service_args import Healthcheck, HostMount, Upload, VolumeMount, secret_file, secret_uploads
from components.swarm_service import Workload, workload
from render import elastic_setup as setup
from render import elasticsearch, elasticsearch_exporter, fluent_bit, kibana
from render import elasticsearch_s3 as s3
from settings import log_pipeline as logs


class Logging(pulumi.ComponentResource):
    """The log pipeline of one stack; `ready` = what Grafana's logs datasource needs."""

    ready: list[pulumi.Resource]

    def __init__(self, name: str, ctx: StackContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Logging", name, None, opts)
        self.elasticsearch = self._elasticsearch(ctx)
        self.elastic_setup = self._elastic_setup(ctx)
        self.kibana = self._kibana(ctx)
        self.kibana_setup = self._kibana_setup(ctx)
        self.fluent_bit = self._fluent_bit(ctx)
        self.elasticsearch_exporter = self._elasticsearch_exporter(ctx)
        # Grafana's logs datasource needs Elasticsearch up and the logs_reader user created.
        self.ready = [self.elasticsearch.container, self.elastic_setup.container]
        self.kibana_url = ctx.settings.logging.kibana_public_base_url
        self.register_outputs({"kibana_url": self.kibana_url})

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _elasticsearch(self, ctx: StackContext) -> Workload | ElasticsearchCluster:
        s = ctx.settings
        if logs.is_cluster(s):
            return ElasticsearchCluster("elasticsearch", ctx, opts=self._child())
        volume = ctx.data_volume("elasticsearch", parent=self)
        snapshots, snapshots_owner = elasticsearch_snapshot_volume(ctx, parent=self)
        files = ctx.require_secret("elasticPassword").apply(elasticsearch.secret_files)
        # With an S3 bucket for snapshots: its keys go to the keystore before the image's entrypoint runs.
        keystore_uploads, command = elasticsearch_s3_keystore(ctx)
        return workload(ctx.settings.target, "elasticsearch", ctx.service_args(
            "elasticsearch", container_port=elasticsearch.PORT,
            # ELASTIC_PASSWORD_FILE names the uploaded password: no secret in the environment.
            envs=[f"{k}={v}" for k, v in {**elasticsearch.environment(s), **s3.client_environment(s)}.items()],
            command=command,
            uploads=[*secret_uploads(files, elasticsearch.SECRET_FILES, elasticsearch.UID), *keystore_uploads],
            # curl reads the credentials from its config file: no password in the healthcheck.
            healthcheck=elasticsearch_healthcheck(),
            volumes=[VolumeMount(volume.name, elasticsearch.DATA_DIR), snapshots],
            depends_on=[snapshots_owner.container],
        ), opts=self._child())

    def _elastic_setup(self, ctx: StackContext) -> Workload:
        keys = ("elasticPassword", "kibanaSystemPassword", "elasticWriterPassword", "elasticReaderPassword",
                "kibanaOperatorPassword")

        def render(values: list[str]) -> dict[str, str]:
            return setup.elastic_setup_files(*values)

        files = pulumi.Output.all(*(ctx.require_secret(k) for k in keys)).apply(render)
        return self._script_job(ctx, "elastic-setup", setup.ELASTIC_SCRIPT_PATH,
                                setup.render_elastic_setup_script(ctx.settings), files, setup.ELASTIC_SETUP_FILES,
                                after=self.elasticsearch.container)

    def _kibana(self, ctx: StackContext) -> Workload:
        s = ctx.settings

        def render(values: list[str]) -> str:
            return kibana.render_kibana_yml(s, values[0], values[1])

        # kibana.yml holds the kibana_system password and the encryption key (no _FILE option).
        config: pulumi.Output[str] = pulumi.Output.all(
            ctx.require_secret("kibanaSystemPassword"), ctx.require_secret("kibanaEncryptionKey")).apply(render)
        # Ready when it answers `/` with its redirect to the app (503 "not ready yet" before).
        health = f"curl -s -I --max-time 8 http://localhost:{kibana.PORT} | grep -q 'HTTP/1.1 302 Found'"
        return workload(ctx.settings.target, "kibana", ctx.service_args(
            "kibana", container_port=kibana.PORT,
            uploads=[secret_file(kibana.CONFIG_PATH, config, owner=kibana.UID)],
            healthcheck=Healthcheck(test=["CMD-SHELL", health], interval="15s", timeout="10s",
                                    # Kibana's first start (saved-object migrations, on one CPU) can take
                                    # minutes; a failed check in the start period does not count, and
                                    # `pulumi up` waits as long as Docker would (components/service.py).
                                    retries=10, start_period="300s"),
            # kibana_system's password is set by the setup job before Kibana starts.
            depends_on=[self.elastic_setup.container],
        ), opts=self._child())

    def _kibana_setup(self, ctx: StackContext) -> Workload:
        files = ctx.require_secret("elasticPassword").apply(setup.kibana_setup_files)
        return self._script_job(ctx, "kibana-setup", setup.KIBANA_SCRIPT_PATH,
                                setup.render_kibana_setup_script(ctx.settings), files, setup.KIBANA_SETUP_FILES,
                                after=self.kibana.container)

    def _script_job(self, ctx: StackContext, name: str, path: str, script: str,
                    files: pulumi.Output[dict[str, str]], names: tuple[str, ...], after: pulumi.Resource) -> Workload:
        """A one-shot job running `script` once `after` is healthy (image and limits of elastic-setup).

        The script holds no secret; its secret files go to /tmp as the job's user, which the
        script removes on exit.
        """
        return workload(ctx.settings.target, name, ctx.service_args(
            name,
            command=["sh", path],
            uploads=[Upload(path, script),
                     *secret_uploads(files, names, setup.UID, directory=setup.SECRETS_DIR)],
            healthcheck=Healthcheck(test=["NONE"]),
            one_shot=True,
            user=ctx.user(name),
            depends_on=[after],
        ), opts=self._child())

    def _fluent_bit(self, ctx: StackContext) -> Workload:
        s = ctx.settings
        volume = ctx.data_volume("fluent-bit", parent=self)
        password = ctx.require_secret("elasticWriterPassword").apply(fluent_bit.render_password_include)
        return workload(ctx.settings.target, "fluent-bit", ctx.service_args(
            "fluent-bit", container_port=fluent_bit.HTTP_PORT,
            # The -debug image has no entrypoint: the full command line.
            command=["/fluent-bit/bin/fluent-bit", "-c", fluent_bit.CONFIG_PATH],
            uploads=[Upload(fluent_bit.CONFIG_PATH, fluent_bit.render_fluent_bit_conf(s)),
                     Upload(fluent_bit.PARSERS_PATH, fluent_bit.render_parsers_conf()),
                     # The writer's password, `@INCLUDE`d by the configuration (no _FILE option).
                     secret_file(fluent_bit.PASSWORD_INCLUDE, password, owner=fluent_bit.UID)],
            # The buffer and the tail offsets outlive the container: nothing is lost or re-sent.
            volumes=[VolumeMount(volume.name, fluent_bit.DATA_DIR)],
            host_mounts=[HostMount(
                s.logging.docker_log_dir, s.logging.docker_log_dir, read_only=True,
                why="Fluent Bit tails every container's json-file log here; read-only, it never alters them")],
            # /api/v1/health turns 500 once flushes to Elasticsearch keep failing (HC_* in the config).
            healthcheck=Healthcheck(test=["CMD", "curl", "-fsS", "-o", "/dev/null", "--max-time", "4",
                                          f"http://localhost:{fluent_bit.HTTP_PORT}{fluent_bit.HEALTH_PATH}"]),
            # The writer user must exist before the first flush.
            depends_on=[self.elastic_setup.container],
        ), opts=self._child())

    def _elasticsearch_exporter(self, ctx: StackContext) -> Workload:
        """Cluster health, disk and the log streams' indexing counters for Prometheus.

        It reads as logs_reader (cluster `monitor`; `read`, `monitor` on the log streams only),
        from a 0400 password file its start reads (render/elasticsearch_exporter.py).
        """
        password = ctx.require_secret("elasticReaderPassword")
        return workload(ctx.settings.target, "elasticsearch-exporter", ctx.service_args(
            "elasticsearch-exporter",
            entrypoint=elasticsearch_exporter.entrypoint(),
            command=elasticsearch_exporter.flags(all_nodes=logs.is_cluster(ctx.settings)),
            uploads=[secret_file(elasticsearch_exporter.PASSWORD_FILE, password, owner=elasticsearch_exporter.UID)],
            healthcheck=ctx.http_health("elasticsearch-exporter"),
            # Docker refuses uploads into a read-only root filesystem (ServiceArgs); it writes nothing.
            user=elasticsearch_exporter.UID,
            # logs_reader must exist before the first scrape.
            depends_on=[self.elastic_setup.container],
        ), opts=self._child())
