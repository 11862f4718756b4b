"""The Swarm sibling of components/service.py: the same `ServiceArgs` in, a `docker.Service` out.

With `target: swarm` (`docker:host` is a Swarm manager) every service of the stack is a Swarm
service, hardened as the containers are: an image by exact tag, memory and CPU limits, a
healthcheck Swarm acts on, every capability dropped, json-file logs with rotation, labels. What
differs, and why:
- configuration files are `docker.ServiceConfig`s and files holding a secret `docker.Secret`s, both
  named `<service>-<file>-<random id>` (a RandomId drawn again when the content changes; for a secret,
  a hash of a password must not be public), and left in the Swarm when replaced (RETAIN_REPLACED_OBJECTS:
  a rollback still finds them). A change makes a new
  object, so the service rolls to it (configs and secrets are immutable in Swarm). Each is mounted
  at the path the container's upload would have used, with its owner and mode (Docker honours an
  absolute target for both: moby v20.10.23 container/container.go getSecretTargetPath,
  getConfigTargetPath), so the components' paths work unchanged;
- `placement` per service (its catalog row's, settings/catalog.py): global agents, stateful services
  on operator-labelled nodes (`docker node update --label-add christmas-monitoring.<service>=true <node>`), Alertmanager
  peers one per node; update order stop-first where a task holds data, start-first elsewhere;
- not available on a Swarm service through the provider (docker.ServiceTaskSpecContainerSpecArgs):
  `pid_mode`, `devices`, `no-new-privileges` (docs/scale-out.md lists what that costs).
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Sequence

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from components.docker_args import label_map
from components.service import TYPE_PREFIX, Service
from components.service_args import LOG_OPTS, MIN_WAIT_SECONDS, SECRET_FILE_MODE, ServiceArgs, Upload
from components.swarm_placement import constraints, placement_of
from settings.catalog import CATALOG, LABEL_PREFIX
from settings.workload import Placement

# Docker's overlay option for IPsec (ESP) between nodes (`docker network create --opt encrypted`):
# every overlay of the stack carries credentials (basic auth, Elasticsearch passwords, the database DSN).
ENCRYPTED_OVERLAY: dict[str, str] = {"encrypted": ""}
# A replaced config or secret is left in the Swarm, not deleted: Pulumi deletes the old object as soon
# as the service update is reported, and the provider reports it once the new tasks run
# (terraform-provider-docker resource_docker_service_funcs.go resourceDockerServiceUpdateRefreshFunc:
# "completed" when the up-to-date tasks run, before Swarm's monitor window ends), while a task that
# fails inside that window makes Swarm roll back to the previous spec, which names the old object.
# Operators prune them (docs/scale-out.md, "Rolling and rolling back").
RETAIN_REPLACED_OBJECTS = True


def _object_base(prefix: str, path: str) -> str:
    """`<prefix>-<file>`, cut to leave room for `-<12 hex>` within Swarm's 64 characters
    (swarmkit validateAnnotations)."""
    return f"{prefix}-{posixpath.basename(path).replace('.', '-')}"[:64 - 13].rstrip("-")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class SwarmService(pulumi.ComponentResource):
    """A Swarm service with the stack's hardening, its configs and secrets."""

    service: docker.Service

    def __init__(self, name: str, args: ServiceArgs, placement: Placement,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:SwarmService", name, None, opts)
        self.configs: list[docker.ServiceConfig] = []
        self.secrets: list[docker.Secret] = []
        configs = [self._config(args, u) for u in args.uploads if not u.secret]
        secrets = [self._secret(args, u) for u in args.uploads if u.secret]
        self.service = docker.Service(
            f"{name}-service",
            name=args.container_name,
            labels=[docker.ServiceLabelArgs(label=k, value=v) for k, v in label_map(args).items()],
            mode=docker.ServiceModeArgs(global_=True) if placement.global_mode else docker.ServiceModeArgs(
                replicated=docker.ServiceModeReplicatedArgs(replicas=placement.replicas)),
            task_spec=self._task_spec(args, placement, configs, secrets),
            endpoint_spec=_endpoint(args, placement),
            update_config=docker.ServiceUpdateConfigArgs(
                parallelism=1, order=placement.update_order, failure_action="rollback", monitor="30s", delay="10s"),
            rollback_config=docker.ServiceRollbackConfigArgs(
                parallelism=1, order=placement.update_order, monitor="30s"),
            # `pulumi up` waits until every task runs healthy (as `wait` does for a container), and no
            # shorter than Docker may take to call it unhealthy (components/service.py wait_timeout): the
            # provider deletes a new service that has not converged in time (terraform-provider-docker
            # resource_docker_service_funcs.go resourceDockerServiceCreate: "the service will be deleted in
            # case it cannot be converged"), and Kibana's start period alone is five minutes.
            converge_config=None if args.one_shot else docker.ServiceConvergeConfigArgs(
                delay="7s", timeout=_duration(max(MIN_WAIT_SECONDS, args.healthcheck.seconds_until_unhealthy()))),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(args.depends_on),
                ignore_changes=_HOST_NETWORK_READ_BACK if args.network_mode == "host" else None),
        )
        # The resource dependents wait for: the same attribute name as Service's.
        self.container = self.service
        self.container_name = self.service.name
        self.register_outputs({"service_name": self.service.name})

    def _config(self, args: ServiceArgs, upload: Upload) -> docker.ServiceTaskSpecContainerSpecConfigArgs:
        content = pulumi.Output.from_input(upload.content)
        resource_name = f"{args.service}-{posixpath.basename(upload.path)}"
        # A new name whenever the content changes (configs are immutable): a random suffix kept while the
        # content's SHA-256 stays the same, so a content that comes back later gets a name of its own and
        # never meets the retained object of the same content (below).
        suffix = random.RandomId(f"{resource_name}-version", byte_length=6,
                                 keepers={"sha256": content.apply(_sha256)}, opts=pulumi.ResourceOptions(parent=self))
        base = _object_base(args.container_name, upload.path)
        config = docker.ServiceConfig(
            resource_name, name=suffix.hex.apply(lambda hex_: f"{base}-{hex_}"), data=content.apply(_b64),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=RETAIN_REPLACED_OBJECTS))
        self.configs.append(config)
        uid, gid = _owner(args, upload)
        return docker.ServiceTaskSpecContainerSpecConfigArgs(
            config_id=config.id, config_name=config.name, file_name=upload.path,
            file_mode=int(upload.mode or "0444", 8), file_uid=uid, file_gid=gid)

    def _secret(self, args: ServiceArgs, upload: Upload) -> docker.ServiceTaskSpecContainerSpecSecretArgs:
        content = pulumi.Output.secret(upload.content)
        resource_name = f"{args.service}-{posixpath.basename(upload.path)}"
        # The name is public (`docker secret ls`), so it must not be derived from the content (a hash of
        # a password can be guessed): a random suffix, drawn again whenever the content changes.
        suffix = random.RandomId(f"{resource_name}-version", byte_length=6, keepers={"content": content},
                                 opts=pulumi.ResourceOptions(parent=self))
        base = _object_base(args.container_name, upload.path)
        name = pulumi.Output.unsecret(suffix.hex.apply(lambda hex_: f"{base}-{hex_}"))
        secret = docker.Secret(resource_name, name=name, data=content.apply(_b64),
                               opts=pulumi.ResourceOptions(parent=self, retain_on_delete=RETAIN_REPLACED_OBJECTS))
        self.secrets.append(secret)
        uid, gid = _owner(args, upload)
        return docker.ServiceTaskSpecContainerSpecSecretArgs(
            secret_id=secret.id, secret_name=secret.name, file_name=upload.path,
            file_uid=uid, file_gid=gid, file_mode=int(upload.mode or SECRET_FILE_MODE, 8))

    def _task_spec(self, args: ServiceArgs, placement: Placement,
                   configs: Sequence[docker.ServiceTaskSpecContainerSpecConfigArgs],
                   secrets: Sequence[docker.ServiceTaskSpecContainerSpecSecretArgs]) -> docker.ServiceTaskSpecArgs:
        s, hc = args.settings, args.healthcheck
        return docker.ServiceTaskSpecArgs(
            container_spec=docker.ServiceTaskSpecContainerSpecArgs(
                image=s.image,
                # Replaces the image's ENTRYPOINT (only where a service needs one); `args` stay its arguments.
                commands=list(args.entrypoint or []) or None,
                args=args.command,
                env=_env_map(args.envs),
                labels=[docker.ServiceTaskSpecContainerSpecLabelArgs(label=k, value=v)
                        for k, v in label_map(args).items()],
                healthcheck=docker.ServiceTaskSpecContainerSpecHealthcheckArgs(
                    tests=list(hc.test), interval=hc.interval, timeout=hc.timeout,
                    retries=hc.retries, start_period=hc.start_period),
                cap_drops=["ALL"], cap_adds=list(args.cap_add) or None,
                read_only=args.read_only_rootfs, user=args.user,
                mounts=_mounts(args), configs=list(configs) or None, secrets=list(secrets) or None,
                stop_grace_period="30s",
            ),
            resources=docker.ServiceTaskSpecResourcesArgs(
                limits=docker.ServiceTaskSpecResourcesLimitsArgs(
                    memory_bytes=s.memory_mb * 1024 * 1024, nano_cpus=int(s.cpus * 1_000_000_000)),
                # Reserved as much as the limit: Swarm places a task only where its memory really is.
                reservation=docker.ServiceTaskSpecResourcesReservationArgs(memory_bytes=s.memory_mb * 1024 * 1024)),
            restart_policy=docker.ServiceTaskSpecRestartPolicyArgs(
                condition="none" if args.one_shot else "any", delay="5s", window="60s"),
            placement=docker.ServiceTaskSpecPlacementArgs(
                constraints=constraints(placement) or None,
                max_replicas=placement.max_replicas_per_node or None),
            networks_advanceds=_networks(args, placement),
            log_driver=docker.ServiceTaskSpecLogDriverArgs(name="json-file", options=LOG_OPTS),
        )


# Docker stores `host` as the Swarm's own host network ID (seen on a real Swarm: tests/engine/test_swarm.py),
# which the program cannot know (`GET /networks/host` answers the node's local one); the provider reads
# the ID back into the ForceNew `networks_advanced.id`: ignored, so a second `pulumi up` replaces nothing.
_HOST_NETWORK_READ_BACK = ["taskSpec.networksAdvanceds"]


def _duration(seconds: int) -> str:
    """Whole minutes as minutes (`3m`, as every service declared before the wait followed its healthcheck:
    no diff for those), anything else in seconds."""
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _owner(args: ServiceArgs, upload: Upload) -> tuple[str, str]:
    """uid and gid of a mounted file: the upload's owner, else the user the service runs as."""
    uid, _, gid = (upload.owner or args.user or CATALOG[args.service].user).partition(":")
    return uid, gid or uid


def _networks(args: ServiceArgs, placement: Placement) -> list[docker.ServiceTaskSpecNetworksAdvancedArgs]:
    """The stack network (aliased by the service's name) and the other networks it joins, each by the
    Network resource's ID (components/stack.py network_ref: a name would replace every service at every
    `pulumi up`). Fixed addresses do not exist for tasks."""
    if args.network_mode == "host":
        return [docker.ServiceTaskSpecNetworksAdvancedArgs(id="host")]
    aliases = [args.service, *placement.aliases]
    return [docker.ServiceTaskSpecNetworksAdvancedArgs(id=args.network_name, aliases=aliases),
            *(docker.ServiceTaskSpecNetworksAdvancedArgs(id=n.name, aliases=list(n.aliases) or None)
              for n in args.networks)]


def _env_map(envs: pulumi.Input[Sequence[pulumi.Input[str]]] | None) -> pulumi.Output[dict[str, str]] | None:
    """`KEY=value` entries as Swarm's map; a secret list stays a secret map."""
    if envs is None:
        return None

    def as_map(entries: Sequence[str]) -> dict[str, str]:
        return dict(entry.split("=", 1) for entry in entries)

    return pulumi.Output.from_input(envs).apply(as_map)  # type: ignore[arg-type]


def _mounts(args: ServiceArgs) -> list[docker.ServiceTaskSpecContainerSpecMountArgs] | None:
    # The node creates the volume on first mount, labelled like the single-host stack's volumes.
    volume_labels = docker.ServiceTaskSpecContainerSpecMountVolumeOptionsArgs(labels=[
        docker.ServiceTaskSpecContainerSpecMountVolumeOptionsLabelArgs(label=f"{LABEL_PREFIX}.{k}", value=v)
        for k, v in (("stack", args.stack), ("service", args.service))])
    mounts = [docker.ServiceTaskSpecContainerSpecMountArgs(type="volume", source=v.volume_name, target=v.container_path,
                                                          read_only=v.read_only, volume_options=volume_labels)
              for v in args.volumes]
    mounts += [docker.ServiceTaskSpecContainerSpecMountArgs(
        type="bind", source=m.host_path, target=m.container_path, read_only=m.read_only,
        bind_options=docker.ServiceTaskSpecContainerSpecMountBindOptionsArgs(propagation=m.propagation)
        if m.propagation else None) for m in args.host_mounts]
    mounts += [docker.ServiceTaskSpecContainerSpecMountArgs(
        type="tmpfs", target=path, tmpfs_options=docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs(
            size_bytes=_tmpfs_size(options))) for path, options in args.tmpfs.items()]
    return mounts or None


def _tmpfs_size(options: str) -> int | None:
    """`size=64m` of a container's tmpfs options, in bytes (a Swarm tmpfs mount takes only a size and a
    mode: ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs)."""
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    for option in options.split(","):
        if option.startswith("size="):
            value = option.removeprefix("size=")
            return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)
    return None


def _endpoint(args: ServiceArgs, placement: Placement) -> docker.ServiceEndpointSpecArgs | None:
    """Published ports, through the routing mesh (every node; a bind address cannot be honoured)."""
    if placement.endpoint_mode == "dnsrr":  # settings refuse a published port here
        return docker.ServiceEndpointSpecArgs(mode="dnsrr")
    publish = args.settings.publish
    pairs = [(p.internal, p.external) for p in args.ports]
    if publish is not None and args.container_port is not None:
        pairs.insert(0, (args.container_port, publish.host_port))
    if not pairs or args.network_mode == "host":
        return None
    return docker.ServiceEndpointSpecArgs(mode="vip", ports=[docker.ServiceEndpointSpecPortArgs(
        target_port=internal, published_port=external, publish_mode="ingress") for internal, external in pairs])


# What a component declares for a service: a container, or a Swarm service.
Workload = Service | SwarmService


def workload(target: str, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None,
             replicas: int | None = None, placement: Placement | None = None) -> Workload:
    """A container on one Docker host, or a Swarm service: what `target` asks for (`replicas`
    and `placement` apply to a Swarm service only)."""
    if target == "swarm":
        return SwarmService(name, args, placement or placement_of(args.service, replicas), opts)
    return Service(name, args, opts)
