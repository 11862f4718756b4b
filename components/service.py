"""The one hardened `docker.Container` wrapper: every container of the stack is declared here.

Hardening that every service gets without asking: an image pulled by exact tag, restart
`unless-stopped`, a healthcheck that `pulumi up` waits for, memory and CPU limits,
`no-new-privileges`, json-file log rotation, labels, configuration through `uploads`
(never bind mounts of repository files, so a remote `docker:host` works unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from settings.model import ServiceSettings

TYPE_PREFIX = "christmas:monitoring"
LABEL_PREFIX = "com.christmas.monitoring"

# Docker's json-file driver rotates at 10 MiB x 3 files: a chatty container cannot fill the disk.
LOG_OPTS: dict[str, str] = {
    "max-size": "10m",
    "max-file": "3",
    # Fluent Bit reads these attributes from each log line to tell services apart.
    "labels": f"{LABEL_PREFIX}.service,{LABEL_PREFIX}.stack",
    "tag": "{{.Name}}",
}


@dataclass(frozen=True)
class Upload:
    """A file written into the container before it starts."""

    path: str
    content: pulumi.Input[str]
    # A file holding a secret is uploaded from a secret Output (encrypted in state).
    secret: bool = False


@dataclass(frozen=True)
class VolumeMount:
    volume_name: pulumi.Input[str]
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class HostMount:
    """A host path made visible in the container; only for services that watch the host."""

    host_path: str
    container_path: str
    why: str
    read_only: bool = True


@dataclass(frozen=True)
class Healthcheck:
    test: Sequence[str]
    interval: str = "15s"
    timeout: str = "5s"
    retries: int = 5
    start_period: str = "20s"


def http_healthcheck(port: int, path: str, **timing: Any) -> Healthcheck:
    """A GET on the service's own health endpoint with the busybox wget its image ships."""
    return Healthcheck(test=["CMD", "wget", "-q", "--spider", f"http://localhost:{port}{path}"], **timing)


@dataclass(frozen=True)
class ServiceArgs:
    service: str
    container_name: str
    settings: ServiceSettings
    container_port: int | None
    network_name: pulumi.Input[str]
    healthcheck: Healthcheck
    stack: str
    project: str
    command: Sequence[str] | None = None
    envs: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    uploads: Sequence[Upload] = ()
    volumes: Sequence[VolumeMount] = ()
    host_mounts: Sequence[HostMount] = ()
    # Read-only root filesystem: Docker refuses `uploads` into a read-only rootfs, so a service
    # whose configuration is uploaded keeps a writable one (its data still lives on volumes).
    read_only_rootfs: bool = False
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    pid_mode: str | None = None
    devices: Sequence[str] = ()
    cap_add: Sequence[str] = ()
    # A one-shot job (runs to completion, never restarted) rather than a long-running service.
    one_shot: bool = False
    depends_on: Sequence[pulumi.Resource] = ()


class Service(pulumi.ComponentResource):
    """A container with the stack's hardening defaults, and the image it runs."""

    container: docker.Container
    image: docker.RemoteImage

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.image = docker.RemoteImage(
            f"{name}-image",
            name=args.settings.image,
            # Keep the image on `pulumi destroy`: another stack on the host may share it.
            keep_locally=True,
            opts=child,
        )
        self.container = docker.Container(
            f"{name}-container",
            args=self._container_args(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.container_name = self.container.name
        self.register_outputs({"container_name": self.container.name})

    def _container_args(self, args: ServiceArgs) -> docker.ContainerArgs:
        s = args.settings
        labels = {
            f"{LABEL_PREFIX}.project": args.project,
            f"{LABEL_PREFIX}.stack": args.stack,
            f"{LABEL_PREFIX}.service": args.service,
        }
        ports = []
        if s.publish is not None and args.container_port is not None:
            ports.append(docker.ContainerPortArgs(
                internal=args.container_port, external=s.publish.host_port, ip=s.publish.bind_address))
        hc = args.healthcheck
        return docker.ContainerArgs(
            name=args.container_name,
            image=self.image.image_id,
            command=list(args.command) if args.command else None,
            envs=args.envs,
            restart="no" if args.one_shot else "unless-stopped",
            must_run=not args.one_shot,
            # `pulumi up` waits until the healthcheck passes, so dependents start on a healthy service.
            wait=not args.one_shot,
            wait_timeout=180,
            attach=args.one_shot,
            logs=args.one_shot,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=list(hc.test), interval=hc.interval, timeout=hc.timeout,
                retries=hc.retries, start_period=hc.start_period),
            memory=s.memory_mb,
            # Same as memory: no swap, so the limit is a real limit.
            memory_swap=s.memory_mb,
            cpu_period=100_000,
            cpu_quota=int(s.cpus * 100_000),
            security_opts=["no-new-privileges:true"],
            # Every capability dropped; a service that needs one names it (and why) in cap_add.
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=list(args.cap_add) or None),
            privileged=False,
            read_only=args.read_only_rootfs,
            tmpfs=dict(args.tmpfs) or None,
            user=args.user,
            pid_mode=args.pid_mode,
            devices=[docker.ContainerDeviceArgs(host_path=d, container_path=d, permissions="r") for d in args.devices]
            or None,
            log_driver="json-file",
            log_opts=LOG_OPTS,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in labels.items()],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.network_name, aliases=[args.service])],
            ports=ports or None,
            uploads=[self._upload(u) for u in args.uploads] or None,
            volumes=[
                docker.ContainerVolumeArgs(volume_name=v.volume_name, container_path=v.container_path,
                                           read_only=v.read_only)
                for v in args.volumes
            ]
            + [
                docker.ContainerVolumeArgs(host_path=m.host_path, container_path=m.container_path,
                                           read_only=m.read_only)
                for m in args.host_mounts
            ]
            or None,
            # Give a service time to flush (TSDB head, Elasticsearch translog) before it is killed.
            stop_timeout=30,
            destroy_grace_seconds=30,
        )

    @staticmethod
    def _upload(upload: Upload) -> docker.ContainerUploadArgs:
        content: pulumi.Input[str] = pulumi.Output.secret(upload.content) if upload.secret else upload.content
        return docker.ContainerUploadArgs(file=upload.path, content=content)
