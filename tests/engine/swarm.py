"""A real Swarm for the engine tests: one manager and two workers, private daemons in their own
network namespaces (tests/engine/daemon.py), joined over one bridge, labelled as the README tells
operators, each with the test image loaded.

Objects are created through the manager's Engine API with the bodies the docker provider sends
(networks by ID, configs by ID and name, healthcheck durations in nanoseconds).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.engine.daemon import Bridge, EngineUnavailableError, PrivateDaemon

# A test image made from Debian's binaries (busybox as the image's sh/ip/awk/wget, Debian's Alertmanager
# 0.25): what the stack's entrypoint and Alertmanager's gossip rely on, no registry needed.
ALERTMANAGER_IMAGE = "christmas-test/alertmanager-swarm:debian"
# Debian's node-exporter at the image's path, with the same busybox (the stack's image is busybox based).
NODE_EXPORTER_IMAGE = "christmas-test/node-exporter-swarm:debian"
_BUSYBOX = {"/bin/busybox": "/bin/busybox"}
_IMAGES: dict[str, tuple[dict[str, str], str]] = {
    ALERTMANAGER_IMAGE: ({**_BUSYBOX, "/usr/bin/prometheus-alertmanager": "/bin/alertmanager"}, "/bin/alertmanager"),
    NODE_EXPORTER_IMAGE: ({**_BUSYBOX, "/usr/bin/prometheus-node-exporter": "/bin/node_exporter"},
                          "/bin/node_exporter"),
}
_APPLETS = ("sh", "ip", "awk", "wget", "sleep", "cat", "nslookup", "echo")
# README, "From one host to a Docker Swarm": stateful services on the nodes the operator labels.
NODE_LABELS = {1: ("prometheus", "grafana", "edge"), 2: ("elasticsearch", "kibana"), 3: ()}


def seconds_ns(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(float(duration[:-1]) * units[duration[-1]] * 1_000_000_000)


def kernel_has_esp() -> bool:
    """Docker's encrypted overlays are IPsec ESP between nodes: the kernel needs INET_ESP (built in or esp4)."""
    if Path("/sys/module/esp4").exists():
        return True
    try:
        import gzip
        config = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode()
    except OSError:
        return False
    return "CONFIG_INET_ESP=y" in config or "CONFIG_INET_ESP=m" in config


def _rootfs_tar(out: Path, binaries: dict[str, str]) -> Path:
    """busybox and the program with their shared libraries; Alertmanager's templates and a minimal config."""
    missing = [path for path in binaries if not Path(path).exists()]
    if missing:
        raise EngineUnavailableError(f"{', '.join(missing)} missing: `make tools` (scripts/install-tools.sh)")
    root = out / "root"
    for source, target in binaries.items():
        (root / target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, root / target.lstrip("/"))
    for applet in _APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    ldd = subprocess.run(["ldd", *binaries], capture_output=True, text=True, check=True).stdout
    libraries = {part for line in ldd.splitlines() for part in line.split()
                 if part.startswith("/") and not part.endswith(":")}
    for library in libraries:
        (root / library.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(library), root / library.lstrip("/"))
    if "/usr/bin/prometheus-alertmanager" in binaries:  # Debian's build reads its templates from here
        shutil.copytree("/usr/share/prometheus/alertmanager", root / "usr/share/prometheus/alertmanager")
    (root / "etc/alertmanager").mkdir(parents=True)
    (root / "etc/alertmanager/alertmanager.yml").write_text("route:\n  receiver: none\nreceivers:\n  - name: none\n")
    for directory in ("alertmanager", "tmp"):
        (root / directory).mkdir()
        (root / directory).chmod(0o1777)
    tar = out / "rootfs.tar"
    subprocess.run(["tar", "-C", str(root), "-cf", str(tar), "."], check=True)
    return tar


@dataclass
class Swarm:
    bridge: Bridge
    nodes: list[PrivateDaemon]
    node_ids: dict[str, PrivateDaemon] = field(default_factory=dict)
    formed_seconds: float = 0.0

    @property
    def manager(self) -> PrivateDaemon:
        return self.nodes[0]

    # -- objects, as the docker provider creates them ------------------------------------------
    def create_network(self, name: str, *, internal: bool = False, attachable: bool = False,
                       encrypted: bool = False) -> str:
        body = {"Name": name, "Driver": "overlay", "Internal": internal, "Attachable": attachable,
                "CheckDuplicate": True, "Options": {"encrypted": ""} if encrypted else {}}
        network_id = str(self.manager.client.post("/networks/create", body)["Id"])
        # The manager allocates the subnet and the VXLAN id just after answering; the provider waits for
        # them too (terraform-provider-docker resource_docker_network_funcs.go: "pending" until options show).
        self.wait(f"network {name} allocated", lambda: bool(self.network(network_id)["IPAM"]["Config"]), 30, 0.2)
        return network_id

    def network(self, network_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.manager.client.get(f"/networks/{network_id}")
        return found

    def create_config(self, name: str, text: str) -> str:
        body = {"Name": name, "Data": base64.b64encode(text.encode()).decode()}
        return str(self.manager.client.post("/configs/create", body)["ID"])

    def create_service(self, spec: dict[str, Any]) -> str:
        return str(self.manager.client.post("/services/create", spec)["ID"])

    def service(self, service_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.manager.client.get(f"/services/{service_id}")
        return found

    def tasks(self, service_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.manager.client.get(
            "/tasks", filters=f'{{"service":["{service_id}"]}}')
        return found

    def running(self, service_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tasks(service_id)
                if t["DesiredState"] == "running" and t["Status"]["State"] == "running"]

    def exec(self, task: dict[str, Any], *command: str) -> subprocess.CompletedProcess[bytes]:
        """A command in the task's container, on the node that runs it."""
        node = self.node_ids[task["NodeID"]]
        return node.docker("exec", task["Status"]["ContainerStatus"]["ContainerID"], *command, check=False)

    def wait(self, what: str, check: Callable[[], bool], timeout: float, every: float = 2.0) -> float:
        """Seconds until check() holds; AssertionError naming `what` after timeout."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if check():
                return time.monotonic() - start
            time.sleep(every)
        raise AssertionError(f"{what}: not within {timeout:.0f}s")

    def diagnose(self, service_id: str) -> str:
        """Each task's state, error and container log tail: what a failed wait reports."""
        lines = []
        for task in self.tasks(service_id):
            status = task["Status"]
            lines.append(f"{task.get('Slot', task['NodeID'])}: {status['State']} {status.get('Err', '')}")
            container = (status.get("ContainerStatus") or {}).get("ContainerID")
            if container and task["NodeID"] in self.node_ids:
                log = self.node_ids[task["NodeID"]].docker("logs", "--tail", "5", container, check=False)
                lines.append((log.stdout + log.stderr).decode(errors="replace").strip())
        return "\n".join(lines)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()
        self.bridge.remove()


def start_swarm(prefix: str, workers: int = 2, images: Sequence[str] = (ALERTMANAGER_IMAGE,)) -> Swarm:
    """A manager and `workers` workers, each its own dockerd in its own netns, joined and labelled."""
    bridge = Bridge(prefix).create()
    nodes = [PrivateDaemon(f"{prefix}-{index}", bridge, index) for index in range(1, workers + 2)]
    swarm = Swarm(bridge, nodes)
    try:
        start = time.monotonic()
        for node in nodes:
            node.start()
        manager = nodes[0]
        manager.docker("swarm", "init", "--advertise-addr", manager.address)
        token = manager.docker("swarm", "join-token", "-q", "worker").stdout.decode().strip()
        for node in nodes[1:]:
            node.docker("swarm", "join", "--token", token, "--advertise-addr", node.address,
                        f"{manager.address}:2377")
        swarm.formed_seconds = time.monotonic() - start
        for index, node in enumerate(nodes, start=1):
            node_id = node.client.get("/info")["Swarm"]["NodeID"]
            swarm.node_ids[node_id] = node
            for label in NODE_LABELS.get(index, ()):
                manager.docker("node", "update", "--label-add", f"christmas-monitoring.{label}=true", node_id)
        for image in images:
            binaries, entrypoint = _IMAGES[image]
            with tempfile.TemporaryDirectory() as tmp:
                tar = _rootfs_tar(Path(tmp), binaries).read_bytes()
            for node in nodes:
                node.docker("import", "--change", f'ENTRYPOINT ["{entrypoint}"]', "-", image, input=tar)
        return swarm
    except BaseException:
        swarm.stop()
        raise
