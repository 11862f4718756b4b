"""The program's declared resources applied to a real engine as the docker provider applies them.

pulumi-docker 5.2 bridges kreuzwerker/terraform-provider-docker (4.x). Each step below follows that
provider's create functions (`internal/provider/*.go` at v4.0.0, read in the source):

- Network (`resource_docker_network_funcs.go` `resourceDockerNetworkCreate`): `NetworkCreate` with
  name, driver, internal, labels, options, IPAM; then `resourceDockerNetworkReadRefreshFunc` sets
  `ipam_config` from `NetworkInspect` `IPAM.Config`: Docker's own subnet and **gateway** go back into the
  program (here: the mocks answer the program with the inspected IPAM, `EngineMocks`), which is
  how node-exporter's listen address is the real gateway.
- Volume (`resource_docker_volume.go` `resourceDockerVolumeCreate`): `VolumeCreate` with name,
  driver, labels.
- RemoteImage with `keep_locally`: the image found locally (`findImage`); its id is the
  container's `image` (here: the test image standing for the pinned one, `tests/engine/images.py`).
- Container (`resource_docker_container_funcs.go` `resourceDockerContainerCreate`):
  `ContainerCreate` (Cmd, Entrypoint, User, Env, Labels, Healthcheck with Go durations,
  ExposedPorts, StopTimeout; HostConfig: RestartPolicy, Mounts, Binds `volume:path:rw|ro`,
  ReadonlyRootfs, Tmpfs, PortBindings, CapAdd/CapDrop, SecurityOpt, Devices, LogConfig,
  Memory and MemorySwap in MB * 1024 * 1024, CPUQuota/CPUPeriod, NetworkMode, PidMode); then, with
  `networks_advanced`, `NetworkDisconnect("bridge")` and `NetworkConnect` per network with its
  aliases; then **one tar archive per upload** put at `/` with `CopyToContainer` (header name =
  the file, mode = `permissions` parsed as octal, else 0644/0744), **before** `ContainerStart`;
  with `wait`, `ContainerInspect` every second until `State.Health.Status == healthy` or
  `wait_timeout` seconds ("container failed to be in healthy state"); with `attach`,
  `ContainerWait(not-running)`.
  The upload's `owner`/`group` (pulumi-docker 5.2 `ContainerUploadArgs`: "numeric IDs can be used
  directly") came after the 4.x source read here (kreuzwerker issue #996); they are applied the way
  Docker honours ownership in a copied archive: the tar header's uid/gid.
- Order: Pulumi creates a resource once every resource it depends on exists (a component
  dependency means all its children), independent ones in parallel: `apply` does the same with
  threads.

Host paths the program names for the default daemon (/var/lib/docker) are mapped to this daemon's
data root; that is the one departure, stated in README ("Tests on a real engine").
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pulumi

from offline.mocks import DeclaredResource, Mocks, ProgramRun, run_program, unwrap
from offline.plan import placeholder_config
from settings.stack_file import stack_config as plan_config
from tests.engine.container_spec import container_body, labels, upload_tar
from tests.engine.daemon import PrivateDaemon
from tests.engine.engine_api import EngineError

NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"


class EngineMocks(Mocks):
    """The offline mocks, but a network is created on the engine and its real IPAM answered back."""

    def __init__(self, run: ProgramRun, daemon: PrivateDaemon, images: dict[str, str]) -> None:
        super().__init__(run)
        self.daemon = daemon
        self.images = images

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        if args.typ == NETWORK:
            inspected = create_network(self.daemon, unwrap(dict(args.inputs)))
            outputs["ipamConfigs"] = [{"subnet": c.get("Subnet", ""), "gateway": c.get("Gateway", "")}
                                      for c in inspected["IPAM"]["Config"]]
            rid = inspected["Id"]
        elif args.typ == IMAGE:
            name = str(args.inputs.get("name"))
            if name not in self.images:
                raise KeyError(f"no test image stands for {name} (tests/engine/images.py)")
            outputs["imageId"] = self.daemon.client.get(f"/images/{self.images[name]}/json")["Id"]
            outputs["repoDigest"] = f"{name}@test-image"
        return rid, outputs


def create_network(daemon: PrivateDaemon, inputs: dict[str, Any]) -> dict[str, Any]:
    name = inputs["name"]
    existing = daemon.client.request("GET", f"/networks/{name}", ok=(404,))
    if existing.status == 404:
        body: dict[str, Any] = {"Name": name, "CheckDuplicate": True, "Driver": inputs.get("driver", "bridge"),
                                "Internal": bool(inputs.get("internal", False)),
                                "Attachable": bool(inputs.get("attachable", False)),
                                "Labels": labels(inputs.get("labels")), "Options": inputs.get("options") or {}}
        if inputs.get("ipamConfigs"):
            body["IPAM"] = {"Config": [{"Subnet": c.get("subnet"), "Gateway": c.get("gateway")}
                                       for c in inputs["ipamConfigs"]]}
        daemon.client.post("/networks/create", body)
    inspected: dict[str, Any] = daemon.client.get(f"/networks/{name}")
    return inspected


@dataclass
class Outcome:
    """One container's result: healthy (or exited 0) after `seconds`, or the provider's error."""

    name: str
    id: str = ""
    seconds: float = 0.0
    error: str = ""
    state: dict[str, Any] = field(default_factory=dict)


class ContainerFailedError(RuntimeError):
    pass


def create_container(daemon: PrivateDaemon, inputs: dict[str, Any]) -> Outcome:
    """resourceDockerContainerCreate: create, networks, uploads, start, wait/attach."""
    started = time.monotonic()
    name = inputs["name"]
    outcome = Outcome(name)
    client = daemon.client
    created = client.post("/containers/create", container_body(inputs, daemon), name=name)
    outcome.id = created["Id"]
    networks = inputs.get("networksAdvanced") or []
    if networks:
        try:
            client.post("/networks/bridge/disconnect", {"Container": outcome.id, "Force": False})
        except EngineError as error:
            if "is not connected to the network bridge" not in error.body:
                raise
        for net in networks:
            # As the provider: aliases, and the fixed addresses in EndpointConfig.IPAMConfig.
            ipam = {key: net[field] for key, field in (("IPv4Address", "ipv4Address"), ("IPv6Address", "ipv6Address"))
                    if net.get(field)}
            client.post(f"/networks/{net['name']}/connect",
                        {"Container": outcome.id, "EndpointConfig": {"Aliases": net.get("aliases") or [],
                                                                      "IPAMConfig": ipam}})
    for upload in inputs.get("uploads") or []:
        client.request("PUT", f"/containers/{outcome.id}/archive", body=upload_tar(upload),
                       content_type="application/x-tar", query={"path": "/"})
    if inputs.get("start", True) is not False:
        client.request("POST", f"/containers/{outcome.id}/start")
        if inputs.get("wait"):
            outcome.state = _wait_healthy(daemon, name, outcome.id, float(inputs.get("waitTimeout", 60)), started)
        if inputs.get("attach"):
            waited = client.request("POST", f"/containers/{outcome.id}/wait", timeout=600,
                                    query={"condition": "not-running"}).json()
            outcome.state = client.get(f"/containers/{outcome.id}/json")["State"]
            if waited.get("StatusCode", 1) != 0:
                raise ContainerFailedError(f"{name}: exited {waited.get('StatusCode')}; logs: "
                                           f"{container_logs(daemon, outcome.id)[-1500:]}")
    outcome.seconds = time.monotonic() - started
    return outcome


def destroy_container(daemon: PrivateDaemon, inputs: dict[str, Any]) -> None:
    """resourceDockerContainerDelete (v4.0.0): `ContainerStop` with `destroy_grace_seconds` as its timeout
    (0 when unset: SIGKILL right after the stop signal), then `ContainerRemove` with Force and
    `remove_volumes` (a forced removal returns once the container is gone)."""
    name = inputs["name"]
    grace = int(inputs.get("destroyGraceSeconds") or 0)
    if not inputs.get("attach"):
        daemon.client.request("POST", f"/containers/{name}/stop", query={"t": str(grace)}, timeout=grace + 60,
                              ok=(304,))
    daemon.client.request("DELETE", f"/containers/{name}",
                          query={"force": "1", "v": "1" if inputs.get("removeVolumes", True) else "0"})


def replace_container(daemon: PrivateDaemon, inputs: dict[str, Any]) -> Outcome:
    """Pulumi's replacement of a container with a fixed name (delete before create): the provider's delete,
    then its create from the same inputs."""
    destroy_container(daemon, inputs)
    return create_container(daemon, inputs)


def _wait_healthy(daemon: PrivateDaemon, name: str, container: str, timeout: float, started: float) -> dict[str, Any]:
    """The provider's `wait`: ContainerInspect every second until healthy, or fail after `wait_timeout`."""
    while True:
        state: dict[str, Any] = daemon.client.get(f"/containers/{container}/json")["State"]
        if state.get("Health") is None:
            raise ContainerFailedError(f"{name}: 'wait' without a healthcheck")
        if state["Health"]["Status"] == "healthy":
            return state
        if time.monotonic() - started > timeout:
            log = (state["Health"].get("Log") or [{}])[-1].get("Output", "")
            raise ContainerFailedError(
                f"{name}: container failed to be in healthy state in {timeout:.0f}s "
                f"(status {state['Health']['Status']}, running {state.get('Running')}, "
                f"last check: {log.strip()[:300]!r}); logs: {container_logs(daemon, container)[-1500:]}")
        time.sleep(1)


def container_logs(daemon: PrivateDaemon, container: str) -> str:
    done = daemon.docker("logs", "--tail", "40", container, check=False)
    return (done.stdout + done.stderr).decode(errors="replace")


@dataclass
class Deployment:
    stack: str
    run: ProgramRun
    outcomes: dict[str, Outcome]
    seconds: float

    def containers(self) -> list[DeclaredResource]:
        return self.run.containers()

    def failures(self) -> dict[str, str]:
        return {name: o.error for name, o in self.outcomes.items() if o.error}


def declare(stack: str, daemon: PrivateDaemon, images: dict[str, str],
            config_override: dict[str, str] | None = None) -> ProgramRun:
    """The program run for `stack` with the plan's placeholder secrets, networks created on the engine."""
    config, secret_keys = plan_config(stack)
    config.update(config_override or {})
    return run_program(stack, placeholder_config(config, secret_keys), secret_keys,
                       mocks=lambda run: EngineMocks(run, daemon, images))


def _containers_under(run: ProgramRun, urn: str) -> set[str]:
    """The containers a dependency on `urn` waits for: itself, or every container below a component."""
    found = set()
    for r in run.resources:
        if r.urn == urn and r.type == CONTAINER:
            found.add(r.urn)
    children = [r for r in run.resources if r.parent == urn]
    for child in children:
        found |= _containers_under(run, child.urn)
    return found


def apply(daemon: PrivateDaemon, run: ProgramRun,
          transform: Callable[[DeclaredResource, dict[str, Any]], dict[str, Any] | None] | None = None,
          ) -> dict[str, Outcome]:
    """Volumes, then every container once its dependencies exist, independent ones in parallel.

    `transform(resource, inputs)` may change a container's inputs before it is created, or return
    None to leave it out (a test reproducing an old definition).
    """
    for volume in run.of_type(VOLUME):
        inputs = unwrap(volume.inputs)
        daemon.client.post("/volumes/create", {"Name": inputs["name"], "Driver": inputs.get("driver", "local"),
                                               "Labels": labels(inputs.get("labels"))})
    containers = {c.urn: c for c in run.containers()}
    plans: dict[str, dict[str, Any]] = {}
    for urn, c in containers.items():
        inputs = unwrap(c.inputs)
        changed = transform(c, inputs) if transform else inputs
        if changed is not None:
            plans[urn] = changed
    deps = {urn: set().union(*(_containers_under(run, d) for d in containers[urn].dependencies)) & set(plans)
            for urn in plans}
    outcomes: dict[str, Outcome] = {}
    futures: dict[str, Future[Outcome]] = {}
    lock = threading.Lock()

    def job(urn: str) -> Outcome:
        for dep in deps[urn]:
            dep_outcome = futures[dep].result()
            if dep_outcome.error:
                return Outcome(plans[urn]["name"], error=f"not created: dependency {dep_outcome.name} failed")
        try:
            outcome = create_container(daemon, plans[urn])
        except (ContainerFailedError, EngineError) as error:
            outcome = Outcome(plans[urn]["name"], error=str(error))
        with lock:
            outcomes[containers[urn].name] = outcome
        return outcome

    with ThreadPoolExecutor(max_workers=len(plans) or 1) as pool:
        for urn in plans:
            futures[urn] = pool.submit(job, urn)
        for urn, future in futures.items():
            outcomes[containers[urn].name] = future.result()
    return outcomes


def deploy_side_by_side(stacks: tuple[str, ...], daemon: PrivateDaemon, images: dict[str, str],
                        ) -> dict[str, Deployment]:
    """Several stacks on one engine at once, as two operators' `pulumi up` would run: each program declared
    in turn (the mocks' runtime is one per process), then their containers created concurrently. Each
    stack's seconds are its own declaration and creation."""
    runs: dict[str, tuple[ProgramRun, float]] = {}
    for stack in stacks:
        started = time.monotonic()
        runs[stack] = (declare(stack, daemon, images), time.monotonic() - started)

    def create(stack: str) -> Deployment:
        started = time.monotonic()
        run, declared = runs[stack]
        outcomes = apply(daemon, run)
        return Deployment(stack, run, outcomes, declared + time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=len(stacks), thread_name_prefix="deploy") as pool:
        created = {stack: pool.submit(create, stack) for stack in stacks}
        # result() re-raises a stack's failure here.
        return {stack: future.result() for stack, future in created.items()}


def deploy(stack: str, daemon: PrivateDaemon, images: dict[str, str],
           transform: Callable[[DeclaredResource, dict[str, Any]], dict[str, Any] | None] | None = None,
           ) -> Deployment:
    started = time.monotonic()
    run = declare(stack, daemon, images)
    outcomes = apply(daemon, run, transform)
    return Deployment(stack, run, outcomes, time.monotonic() - started)


def remove_stack(daemon: PrivateDaemon, stack: str) -> None:
    """Every container, volume and network labelled with `stack` (what `pulumi destroy` would remove)."""
    label = f"com.christmas.monitoring.stack={stack}"
    filters = json.dumps({"label": [label]})
    for c in daemon.client.get("/containers/json", all="1", filters=filters):
        daemon.client.request("DELETE", f"/containers/{c['Id']}", query={"force": "1", "v": "0"})
    for v in daemon.client.get("/volumes", filters=filters)["Volumes"] or []:
        daemon.client.request("DELETE", f"/volumes/{v['Name']}")
    for n in daemon.client.get("/networks", filters=filters):
        daemon.client.request("DELETE", f"/networks/{n['Id']}")
