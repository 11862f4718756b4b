"""Private Docker daemons for the engine tests, each in its own network namespace.

    bridge = Bridge("cmeng")                      # one host bridge, 10.x.y.0/24, .1 on the host
    a = PrivateDaemon("cmeng-a", bridge).start()  # netns cmeng-a, veth into the bridge, own dockerd
    b = PrivateDaemon("cmeng-b", bridge).start()  # a second one on the same bridge (Swarm: a.address)
    a.client.get("/info"); a.docker("ps")         # the Engine API, or the CLI on that socket
    b.stop(); a.stop(); bridge.remove()           # by pid; namespaces, mounts and directories removed

Each daemon has its own --data-root, --exec-root, socket, pidfile and cgroup parent, and runs in its
own network namespace (`ip netns add`, then `nsenter --net=/var/run/netns/<ns> dockerd ...`; not
`ip netns exec`, which remounts /sys and hides the cgroups): its iptables rules and its docker0
live in that namespace only, so several daemons (other helpers', other tests') never collide and the
machine's default /var/run/docker.sock is never used. Start refuses to run when not root or when
`dockerd` is missing, loudly: the engine tests never skip.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from tests.engine.engine_api import Engine

DOCKERD = "/usr/sbin/dockerd"
DOCKER_CLI = "/usr/bin/docker"  # Debian's, the same version as the daemon (/usr/local/bin/docker may be newer)
DATA_BASE = Path("/var/lib/christmas-monitoring-engine")
RUN_BASE = Path("/run/cme")  # short: a unix socket path must stay under 108 bytes


class EngineUnavailableError(RuntimeError):
    """The private engine could not be started: the engine tests fail with this, never skip."""


def _run(args: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise EngineUnavailableError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def _ifname(prefix: str, name: str) -> str:
    """An interface name from any length of name (Linux allows 15 bytes)."""
    return prefix + hashlib.sha1(name.encode()).hexdigest()[: 15 - len(prefix)]


def _require_root() -> None:
    if os.geteuid() != 0:
        raise EngineUnavailableError(
            "the engine tests need root (network namespaces, dockerd); run `make test-engine` as root")
    if not Path(DOCKERD).exists():
        raise EngineUnavailableError(f"{DOCKERD} is missing: scripts/install-engine.sh installs docker.io")


class Bridge:
    """A host bridge joining the daemons' namespaces: one /24, the host at .1, daemon n at .n+1."""

    def __init__(self, name: str, subnet: str | None = None) -> None:
        self.name = name
        self.ifname = _ifname("cmb", name)
        if subnet is None:
            # A /24 in 10.213.0.0/16 chosen by name, so two helpers' bridges do not share one.
            third = int(hashlib.sha1(name.encode()).hexdigest(), 16) % 250 + 2
            subnet = f"10.213.{third}.0/24"
        self.network = ipaddress.ip_network(subnet)
        self.hosts = list(self.network.hosts())

    @property
    def gateway(self) -> str:
        return str(self.hosts[0])

    def address(self, index: int) -> str:
        """Daemon `index` (1-based) gets .index+1."""
        return str(self.hosts[index])

    def create(self) -> Bridge:
        _require_root()
        if _run(["ip", "link", "show", self.ifname], check=False).returncode == 0:
            self.remove()
        _run(["ip", "link", "add", self.ifname, "type", "bridge"])
        _run(["ip", "addr", "add", f"{self.gateway}/{self.network.prefixlen}", "dev", self.ifname])
        _run(["ip", "link", "set", self.ifname, "up"])
        return self

    def remove(self) -> None:
        _run(["ip", "link", "del", self.ifname], check=False)


class PrivateDaemon:
    """One dockerd in its own network namespace, attached to `bridge` at `bridge.address(index)`."""

    def __init__(
        self,
        name: str,
        bridge: Bridge | None = None,
        index: int = 1,
        storage_driver: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        if not name.replace("-", "").isalnum() or len(name) > 40:
            raise ValueError(f"daemon name {name!r}: letters, digits and '-', at most 40")
        self.name = name
        self.bridge = bridge
        self.index = index
        self.storage_driver = storage_driver
        self.extra_args = list(extra_args)
        self.netns = name
        self.data_root = DATA_BASE / name
        self.run_dir = RUN_BASE / name
        self.socket = self.run_dir / "docker.sock"
        self.pidfile = self.run_dir / "docker.pid"
        self.log_path = DATA_BASE / f"{name}.log"
        self.host_veth = _ifname("cmh", name)
        self.ns_veth = _ifname("cmn", name)
        self.pid: int | None = None
        self._owns_bridge = False
        self.client = Engine(str(self.socket))

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def address(self) -> str:
        """This daemon's address on the bridge (a Swarm's advertise address)."""
        if self.bridge is None:
            raise ValueError("no bridge")
        return self.bridge.address(self.index)

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 90.0) -> PrivateDaemon:
        _require_root()
        self._clean_leftovers()
        if self.bridge is None:
            self.bridge = Bridge(self.name).create()
            self._owns_bridge = True
        self._make_netns()
        self.data_root.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # Its own mount namespace with / made shared, as systemd makes it on a host: a bind mount with
        # rslave propagation (node-exporter's /:/host) needs a shared or slave source ("path / is mounted
        # on / but it is not a shared or slave mount" here, where / is private). The namespace keeps the
        # daemon's mounts off the host, and they go when the daemon does.
        args = [
            "unshare", "--mount", "--propagation", "unchanged", "--",
            "sh", "-c", 'mount --make-rshared / && exec "$@"', "dockerd-in-netns",
            "nsenter", f"--net=/var/run/netns/{self.netns}", DOCKERD,
            f"--data-root={self.data_root}", f"--exec-root={self.run_dir / 'exec'}",
            f"--host={self.host}", f"--pidfile={self.pidfile}",
            # Its own (empty) configuration: the machine's /etc/docker/daemon.json never applies. The
            # engine ID still comes from /etc/docker/key.json (20.10 has no flag for it); Swarm node IDs
            # are swarmkit's own, so several daemons still make distinct nodes.
            f"--config-file={self._config_file()}",
            f"--cgroup-parent=/cme-{self.name}",
            "--containerd-namespace", f"cme-{self.name}", "--containerd-plugins-namespace", f"cme-{self.name}-p",
            "--iptables=true", "--ip-masq=true",
            "--log-level=warn",
        ]
        if self.storage_driver:
            args.append(f"--storage-driver={self.storage_driver}")
        args += self.extra_args
        log = open(self.log_path, "ab")  # noqa: SIM115 - the daemon writes it while it runs
        # Its own session: a Ctrl-C on the test run does not reach dockerd before stop() does.
        proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.pid = proc.pid  # unshare, sh and nsenter each exec the next: dockerd has this pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EngineUnavailableError(f"dockerd {self.name} exited {proc.returncode}: {self.log_tail()}")
            if self.socket.exists() and self.client.ping():
                return self
            time.sleep(0.3)
        self.stop()
        raise EngineUnavailableError(
            f"dockerd {self.name} did not answer on {self.socket} in {timeout:.0f}s: {self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM by pid (dockerd stops its containers and its containerd), then remove everything."""
        pid = self.pid or self._pid_from_file()
        if pid is not None and self._is_our_dockerd(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._alive(pid):
                time.sleep(0.2)
            if self._alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.5)
        self.pid = None
        self._remove_state()

    # -- use -----------------------------------------------------------------------------------
    def docker(self, *args: str, check: bool = True, input: bytes | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
        """The Docker CLI on this daemon's socket (Debian's, matching the daemon)."""
        done = subprocess.run([DOCKER_CLI, "-H", self.host, *args], input=input, capture_output=True,
                              check=False, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
        return done

    def in_netns(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """A host command in the daemon's network namespace (`ss -ltn`, `curl` to a published port); `input`
        goes to its stdin (a credential never on its command line)."""
        done = subprocess.run(["nsenter", f"--net=/var/run/netns/{self.netns}", *args],
                              capture_output=True, text=True, check=False, input=input)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} in {self.netns}: {done.stderr.strip()}")
        return done

    def log_tail(self, lines: int = 30) -> str:
        """The daemon's last log lines (its log is removed by stop())."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- internals -----------------------------------------------------------------------------
    def _config_file(self) -> Path:
        path = self.run_dir / "daemon.json"
        path.write_text("{}\n")
        return path

    def _make_netns(self) -> None:
        assert self.bridge is not None
        ns = self.netns
        _run(["ip", "netns", "add", ns])
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        _run(["ip", "link", "add", self.host_veth, "type", "veth", "peer", "name", self.ns_veth])
        _run(["ip", "link", "set", self.ns_veth, "netns", ns])
        _run(["ip", "link", "set", self.host_veth, "master", self.bridge.ifname])
        _run(["ip", "link", "set", self.host_veth, "up"])
        prefix = self.bridge.network.prefixlen
        _run(["ip", "-n", ns, "addr", "add", f"{self.address}/{prefix}", "dev", self.ns_veth])
        _run(["ip", "-n", ns, "link", "set", self.ns_veth, "up"])
        _run(["ip", "-n", ns, "route", "add", "default", "via", self.bridge.gateway])

    def _pid_from_file(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def _is_our_dockerd(self, pid: int) -> bool:
        """Only a dockerd whose command line names our socket is ever signalled."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return any(part.endswith(b"dockerd") for part in cmdline) and f"--host={self.host}".encode() in cmdline

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return False
        return state != "Z"

    def _clean_leftovers(self) -> None:
        """A previous run killed before stop(): its daemon, namespace, veth and directories."""
        pid = self._pid_from_file()
        if pid is not None and self._is_our_dockerd(pid):
            self.pid = pid
        self.stop()

    def _remove_state(self) -> None:
        for root in (self.run_dir, self.data_root):
            _unmount_under(root)
        _run(["ip", "link", "del", self.host_veth], check=False)
        _run(["ip", "netns", "del", self.netns], check=False)
        for root in (self.run_dir, self.data_root):
            shutil.rmtree(root, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)
        if self._owns_bridge and self.bridge is not None:
            self.bridge.remove()


def _unmount_under(root: Path) -> None:
    """Unmount whatever dockerd left mounted below root (overlay layers, netns bind mounts, shm)."""
    prefix = str(root).rstrip("/") + "/"
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix) or point == str(root):
                mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        _run(["umount", "-l", point], check=False)
