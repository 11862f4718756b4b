"""What a component declares for one workload (ServiceArgs and its parts), read by the container
wrapper (components/service.py), its list-valued arguments (components/docker_args.py) and the Swarm
wrapper (components/swarm_service.py)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from settings.catalog import SERVICE_LABEL, STACK_LABEL
from settings.model import ServiceSettings

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
