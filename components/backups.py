"""Backups: the scheduler that snapshots Prometheus' TSDB and copies Grafana's database, and the volume
of Elasticsearch's snapshot repository (its snapshots are taken by Elasticsearch itself, on the lifecycle
policy the elastic-setup job declares: render/backups.py).

Restore procedures: docs/operations.md, section 6. `doctor` reports the newest backup of each kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.context import StackContext
from components.service import TYPE_PREFIX
from components.service_args import Healthcheck, Upload, VolumeMount, secret_file, secret_uploads
from components.swarm_service import Workload, workload
from render import backups as bk
from render import elasticsearch
from render import elasticsearch_s3 as s3
from settings.catalog import CATALOG
from settings.names import volume_name
from settings.snapshot_s3 import ACCESS_KEY as S3_ACCESS_KEY
from settings.snapshot_s3 import SECRET_KEY as S3_SECRET_KEY

SCHEDULER = "backups"
SNAPSHOTS_INIT = "elasticsearch-snapshots-init"
# nobody (Prometheus' user, who owns its snapshots) in group root (Grafana's files are 472:0): settings/catalog.py.
USER = CATALOG[SCHEDULER].user


def elasticsearch_snapshot_volume(ctx: StackContext, parent: pulumi.Resource) -> tuple[VolumeMount, Workload]:
    """The repository's volume for the Elasticsearch container, and the job that must run before it mounts.

    A new named volume takes the owner of the directory it is first mounted on, when the image has
    that directory: mounted once on the image's own data directory (1000:0, group-writable), the
    volume is writable by Elasticsearch without any privilege; its own mount point does not exist in
    the image and would otherwise be created root-owned.
    """
    volume = ctx.data_volume("elasticsearch", parent=parent, suffix="snapshots")
    # Elasticsearch's image (its data directory gives the volume its owner) and user: settings/catalog.py.
    owner = workload(ctx.settings.target, SNAPSHOTS_INIT, ctx.service_args(
        SNAPSHOTS_INIT,
        command=["true"],
        user=ctx.user(SNAPSHOTS_INIT),
        volumes=[VolumeMount(volume.name, elasticsearch.DATA_DIR)],
        healthcheck=Healthcheck(test=["NONE"]),
        one_shot=True,
    ), opts=pulumi.ResourceOptions(parent=parent))
    return VolumeMount(volume.name, elasticsearch.SNAPSHOT_DIR), owner


def elasticsearch_s3_keystore(ctx: StackContext) -> tuple[list[Upload], list[str] | None]:
    """With logging.snapshotS3Bucket: the uploads and command that put the S3 keys in Elasticsearch's keystore.

    The keys are secret files (0400, the image's user); the uploaded script (no secret in it) adds each to
    the keystore on every start, then runs the image's entrypoint (render/elasticsearch_s3.py). Without a
    bucket: nothing, and the image's own command.
    """
    if not s3.enabled(ctx.settings):
        return [], None
    files = pulumi.Output.all(ctx.require_secret(S3_ACCESS_KEY), ctx.require_secret(S3_SECRET_KEY)).apply(
        lambda keys: s3.secret_files(keys[0], keys[1]))
    uploads = [Upload(s3.ENTRYPOINT_SCRIPT, s3.render_entrypoint_script()),
               *secret_uploads(files, s3.SECRET_FILES, elasticsearch.UID)]
    return uploads, list(s3.COMMAND)


# Prometheus' data directory: the image has it, owned by nobody (prom/prometheus Dockerfile at v3.5.0:
# `chown -R nobody:nobody ... /prometheus`), so a volume first mounted there takes that owner.
PROMETHEUS_DATA_DIR = "/prometheus"


def backups_volume_owner(ctx: StackContext, volume_name: pulumi.Input[str], parent: pulumi.Resource) -> Workload:
    """The job that gives the new backups volume its owner before the scheduler mounts it.

    Docker copies a directory's owner into a new (empty) volume only when the image has that
    directory (moby `CopyImagePathContent` / `copyExistingContents`); the curl image has no
    /backups, so the volume stayed root 0755 and the scheduler (uid 65534) could not write it
    (`touch /backups/first-run`: permission denied; `pulumi up` timed out waiting for its health,
    tests/engine/test_1_backups_volume.py). Mounted once on Prometheus' own data directory (nobody,
    0755), the volume belongs to uid 65534 with no privilege involved.
    """
    return workload(ctx.settings.target, "backups-volume-init", ctx.service_args(
        "backups-volume-init", container_port=None,
        # The image's entrypoint is Prometheus; busybox `true` only lets Docker mount the volume.
        entrypoint=["/bin/true"],
        user=USER,
        volumes=[VolumeMount(volume_name, PROMETHEUS_DATA_DIR)],
        healthcheck=Healthcheck(test=["NONE"]),
        one_shot=True,
    ), opts=pulumi.ResourceOptions(parent=parent))


class Backups(pulumi.ComponentResource):
    """One long-running scheduler (the setup jobs' curl image): Prometheus snapshot + Grafana copy each day."""

    scheduler: Workload

    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Backups", name, None, opts)
        s = ctx.settings
        volume = ctx.data_volume(SCHEDULER, parent=self)
        owner = backups_volume_owner(ctx, volume.name, parent=self)
        self.scheduler = workload(s.target, SCHEDULER, ctx.service_args(
            SCHEDULER,
            command=["sh", bk.SCRIPT_PATH],
            uploads=[Upload(bk.SCRIPT_PATH, bk.render_backup_script()),
                     secret_file(bk.PROMETHEUS_CURLRC,
                                 ctx.require_secret("prometheusPassword").apply(bk.prometheus_curlrc), USER)],
            volumes=[
                VolumeMount(volume.name, bk.BACKUP_DIR),
                # Read-write: the snapshot Prometheus writes there is removed once archived.
                VolumeMount(volume_name(s, "prometheus"), bk.TSDB_MOUNT),
                VolumeMount(volume_name(s, "grafana"), bk.GRAFANA_MOUNT, read_only=True),
            ],
            user=USER,
            # `pulumi up` waits for the first probe (after `interval`): healthy at once while the first run goes.
            healthcheck=Healthcheck(test=bk.healthcheck_command(), interval="30s", timeout="10s", retries=3,
                                    start_period="1m"),
            # The volumes it mounts by name exist once their services do; its own has its owner.
            depends_on=[*depends_on, owner.container],
        ), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"backup_volume": volume.name})
