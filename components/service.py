"""The one hardened `docker.Container` wrapper: every container of the stack is declared here.

Hardening that every service gets without asking: an image pulled by exact tag, restart
`unless-stopped`, a healthcheck that `pulumi up` waits for, memory and CPU limits,
`no-new-privileges`, json-file log rotation, labels, configuration through `uploads`
(never bind mounts of repository files, so a remote `docker:host` works unchanged).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from components import docker_args
from settings.catalog import SERVICE_LABEL, STACK_LABEL
from settings.model import ServiceSettings

TYPE_PREFIX = "christmas:monitoring"
# Secret files: readable by their owner only.
SECRET_FILE_MODE = "0400"

# Docker's json-file driver rotates at 10 MiB x 3 files: a chatty container cannot fill the disk.
LOG_OPTS: dict[str, str] = {
    "max-size": "10m",
    "max-file": "3",
    # Fluent Bit reads these attributes from each log line to tell services apart.
    "labels": f"{SERVICE_LABEL},{STACK_LABEL}",
    "tag": "{{.Name}}",
}


@dataclass(frozen=True)
class Upload:
    """A file written into the container before it starts."""

    path: str
    content: pulumi.Input[str]
    # A file holding a secret is uploaded from a secret Output (encrypted in state), readable only
    # by the service's user: `owner` is its numeric uid or uid:gid (the image's, or the one the
    # container runs as), `mode` defaults to 0400; the provider writes both into the upload's tar
    # header, which Docker extracts as it is.
    secret: bool = False
    owner: str | None = None
    mode: str | None = None

    def __post_init__(self) -> None:
        if self.secret and self.owner is None:
            raise ValueError(f"{self.path}: a secret upload names the uid that reads it (owner)")


def secret_file(path: str, content: pulumi.Input[str], owner: str) -> Upload:
    """A file holding a secret, mode 0400 for `owner` (`uid` or `uid:gid`)."""
    return Upload(path, content, secret=True, owner=owner)


def secret_uploads(files: pulumi.Output[dict[str, str]], names: Sequence[str], owner: str,
                   directory: str = "") -> list[Upload]:
    """One secret file per entry of `files` (a secret Output {name: content} whose keys are `names`).

    The names are known without the secrets (uploads are declared before values resolve);
    each content stays a secret Output.
    """
    def content(name: str) -> pulumi.Output[str]:
        return files.apply(lambda contents: contents[name])

    return [secret_file(posixpath.join(directory, name), content(name), owner) for name in names]


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
    # "rslave": mounts the host adds later (a new disk) appear in the container too.
    propagation: str | None = None


@dataclass(frozen=True)
class NetworkAttachment:
    """Another network the container joins (the stack network is always joined)."""

    name: pulumi.Input[str]
    # A fixed address, for a program that binds an IP rather than an interface (Alertmanager's gossip).
    ipv4_address: str | None = None
    # Names the service answers on this network (Swarm only; `tasks.<alias>` lists its tasks there).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortMapping:
    """A published port beyond the service's one `publish` setting (the edge's HTTP and HTTPS)."""

    internal: int
    external: int
    address: str


@dataclass(frozen=True)
class Healthcheck:
    test: Sequence[str]
    interval: str = "15s"
    timeout: str = "5s"
    retries: int = 5
    start_period: str = "20s"

    def seconds_until_unhealthy(self) -> int:
        """The longest Docker may take to call the container unhealthy: start period + every retry."""
        return _seconds(self.start_period) + (self.retries + 1) * (_seconds(self.interval) + _seconds(self.timeout))


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(float(duration[:-1]) * units[duration[-1]])


def _input_list(value: pulumi.Input[Sequence[str]] | None) -> pulumi.Input[Sequence[str]] | None:
    """A list of strings, or the Output of one (a flag that holds an address Docker assigns)."""
    if value is None or isinstance(value, (list, tuple)):
        return list(value) if value else None
    return pulumi.Output.from_input(value).apply(list)


# `pulumi up` waits at least this long for a container to turn healthy.
MIN_WAIT_SECONDS = 180


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
    command: pulumi.Input[Sequence[str]] | None = None
    # Replaces the image's ENTRYPOINT (a shell that reads a secret file first, for a consumer
    # that has no file option).
    entrypoint: Sequence[str] | None = None
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
    # "host": the container shares the host's network stack (node-exporter: the host's interfaces).
    network_mode: str | None = None
    devices: Sequence[str] = ()
    cap_add: Sequence[str] = ()
    networks: Sequence[NetworkAttachment] = ()
    ports: Sequence[PortMapping] = ()
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
        hc = args.healthcheck
        return docker.ContainerArgs(
            name=args.container_name,
            image=self.image.image_id,
            command=_input_list(args.command),
            entrypoints=list(args.entrypoint) if args.entrypoint else None,
            envs=args.envs,
            restart="no" if args.one_shot else "unless-stopped",
            must_run=not args.one_shot,
            # `pulumi up` waits until the healthcheck passes, so dependents start on a healthy service.
            wait=not args.one_shot,
            # Never give up before Docker itself could have called the container unhealthy: a slow
            # first start (Kibana on one CPU) must not fail `pulumi up`.
            wait_timeout=max(MIN_WAIT_SECONDS, hc.seconds_until_unhealthy()),
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
            labels=docker_args.labels(args),
            network_mode=args.network_mode,
            networks_advanced=docker_args.networks(args),
            ports=docker_args.ports(args),
            uploads=[self._upload(u) for u in args.uploads] or None,
            volumes=docker_args.volumes(args),
            mounts=docker_args.propagated_mounts(args),
            # Give a service time to flush (TSDB head, Elasticsearch translog) before it is killed.
            stop_timeout=30,
            destroy_grace_seconds=30,
        )

    @staticmethod
    def _upload(upload: Upload) -> docker.ContainerUploadArgs:
        content: pulumi.Input[str] = pulumi.Output.secret(upload.content) if upload.secret else upload.content
        uid, _, gid = (upload.owner or "").partition(":")
        # pulumi-docker 5.2 ContainerUploadArgs: `permissions` (octal string), `owner`/`group`
        # (numeric ids are used as they are, sdk/python/pulumi_docker/_inputs.py).
        return docker.ContainerUploadArgs(
            file=upload.path, content=content, owner=uid or None, group=(gid or uid) or None,
            permissions=upload.mode or (SECRET_FILE_MODE if upload.secret else None))
