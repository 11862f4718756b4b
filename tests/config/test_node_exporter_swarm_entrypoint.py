"""node-exporter's Swarm entrypoint, run by busybox sh with busybox's awk (as in the image) on a stand-in
`ip` listing a node's interfaces: it listens on the node's Swarm address only, never on every interface."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from render.node_exporter_swarm import render_swarm_entrypoint
from tests.shell import POSIX_SH, assert_script_passes

# A node: loopback, a public interface, the private one it joined the Swarm on, docker_gwbridge.
NODE_INTERFACES = """1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.5/24 brd 203.0.113.255 scope global eth0\\       valid_lft forever preferred_lft forever
3: eth1    inet 10.20.0.7/24 brd 10.20.0.255 scope global eth1\\       valid_lft forever preferred_lft forever
5: docker_gwbridge    inet 172.18.0.1/16 scope global docker_gwbridge\\       valid_lft forever preferred_lft forever
"""


def run(tmp_path: Path, subnet: str, *args: str) -> subprocess.CompletedProcess[str]:
    busybox = shutil.which("busybox")
    if not busybox:
        pytest.fail("busybox is not installed: run `make tools`", pytrace=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in ("awk", "cat"):
        (bin_dir / applet).symlink_to(busybox)
    (tmp_path / "interfaces").write_text(NODE_INTERFACES)
    for stand_in, body in (("ip", f"cat {tmp_path / 'interfaces'}"), ("wget", 'echo "wget $*"')):
        (bin_dir / stand_in).write_text(f"#!{busybox} sh\n{body}\n")
        (bin_dir / stand_in).chmod(0o755)
    binary = tmp_path / "node_exporter"
    binary.write_text(f"#!{busybox} sh\nfor arg in \"$@\"; do echo \"$arg\"; done\n")
    binary.chmod(0o755)
    script = tmp_path / "entrypoint.sh"
    script.write_text(render_swarm_entrypoint(subnet, 9100, binary=str(binary)))
    return subprocess.run([busybox, "sh", str(script), *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": str(bin_dir)}, check=False)


@pytest.mark.parametrize("tool", POSIX_SH)
def test_shell_and_shellcheck_accept_the_entrypoint(tmp_path, tool):
    assert_script_passes(tool, render_swarm_entrypoint("10.20.0.0/24", 9100), tmp_path)


def test_listens_on_the_nodes_swarm_address_only_and_passes_every_argument(tmp_path):
    result = run(tmp_path, "10.20.0.0/24", "--path.rootfs=/host")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["--web.listen-address=10.20.0.7:9100", "--path.rootfs=/host"]


def test_the_healthcheck_asks_that_address(tmp_path):
    result = run(tmp_path, "10.20.0.0/24", "--health")
    assert result.stdout.strip() == "wget -q --spider http://10.20.0.7:9100/metrics", result.stderr


def test_a_node_without_an_address_in_the_subnet_does_not_start(tmp_path):
    result = run(tmp_path, "10.30.0.0/24")
    assert result.returncode == 1 and result.stdout == ""
    assert "10.30.0.0/24" in result.stderr and "swarmNodeSubnet" in result.stderr
