"""The one hardened `docker.Container` wrapper: every container of the stack is declared here.

Hardening that every service gets without asking: an image pulled by exact tag, restart
`unless-stopped`, a healthcheck that `pulumi up` waits for, memory and CPU limits,
`no-new-privileges`, json-file log rotation, labels, configuration through `uploads`
(never bind mounts of repository files, so a remote `docker:host` works unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from components import docker_args
from components.service_args import LOG_OPTS, MIN_WAIT_SECONDS, SECRET_FILE_MODE, ServiceArgs, Upload

TYPE_PREFIX = "christmas:monitoring"


def _input_list(value: pulumi.Input[Sequence[str]] | None) -> pulumi.Input[Sequence[str]] | None:
    """A list of strings, or the Output of one (a flag that holds an address Docker assigns)."""
    if value is None or isinstance(value, (list, tuple)):
        return list(value) if value else None
    return pulumi.Output.from_input(value).apply(list)


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
