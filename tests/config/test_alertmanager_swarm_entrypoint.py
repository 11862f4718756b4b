"""The Swarm entrypoint of an Alertmanager peer, run by busybox sh with busybox's ip and awk (as in the image).

The task's own interfaces are given by a stand-in `ip` (the output format of busybox's `ip -o -4 addr
show`); there is no `nslookup` on the PATH: the script must not depend on Swarm's DNS, which lists a
task only once it is healthy (the old script waited there for ever on a real Swarm).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from render.alertmanager_swarm import render_swarm_entrypoint
from tests.shell import POSIX_SH, assert_script_passes

# A Swarm task: lo, the stack's overlay, the gossip overlay, docker_gwbridge (default route).
TASK_INTERFACES = """1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
94: eth0    inet 10.0.1.7/24 brd 10.0.1.255 scope global eth0\\       valid_lft forever preferred_lft forever
96: eth1    inet 10.0.5.12/24 brd 10.0.5.255 scope global eth1\\       valid_lft forever preferred_lft forever
98: eth2    inet 172.18.0.4/16 brd 172.18.255.255 scope global eth2\\       valid_lft forever preferred_lft forever
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: run `make tools`", pytrace=False)
    return path


def run(tmp_path: Path, subnet: str, interfaces: str = TASK_INTERFACES, wait: int = 2
        ) -> subprocess.CompletedProcess[str]:
    """The script with busybox applets and a stand-in ip; the 'binary' prints what it was given."""
    busybox = _tool("busybox")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in ("awk", "sleep", "cat"):
        (bin_dir / applet).symlink_to(busybox)
    (tmp_path / "interfaces").write_text(interfaces)
    (bin_dir / "ip").write_text(f"#!{busybox} sh\ncat {tmp_path / 'interfaces'}\n")
    (bin_dir / "ip").chmod(0o755)
    binary = tmp_path / "alertmanager"
    binary.write_text(f"#!{busybox} sh\nfor arg in \"$@\"; do echo \"$arg\"; done\n")
    binary.chmod(0o755)
    script = tmp_path / "entrypoint.sh"
    script.write_text(render_swarm_entrypoint(subnet, 9094, binary=str(binary), wait_seconds=wait))
    return subprocess.run([busybox, "sh", str(script), "--config.file=/run/secrets/alertmanager.yml",
                           "--cluster.peer=tasks.x-gossip:9094"], capture_output=True, text=True, timeout=30,
                          env={"PATH": str(bin_dir)}, check=False)


@pytest.mark.parametrize("tool", POSIX_SH)
def test_shell_and_shellcheck_accept_the_entrypoint(tmp_path, tool):
    assert_script_passes(tool, render_swarm_entrypoint("10.0.5.0/24", 9094), tmp_path)


def test_binds_and_advertises_the_task_address_on_the_gossip_network_without_dns(tmp_path):
    result = run(tmp_path, "10.0.5.0/24")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["--cluster.listen-address=10.0.5.12:9094",
                                          "--cluster.advertise-address=10.0.5.12:9094",
                                          "--config.file=/run/secrets/alertmanager.yml",
                                          "--cluster.peer=tasks.x-gossip:9094"]


@pytest.mark.parametrize(("subnet", "expected"), [("10.0.1.0/24", "10.0.1.7"), ("172.16.0.0/12", "172.18.0.4"),
                                                  ("10.0.4.0/23", "10.0.5.12"), ("10.0.0.0/8", "10.0.1.7")])
def test_the_address_is_the_first_one_inside_the_subnet_whatever_its_length(tmp_path, subnet, expected):
    result = run(tmp_path, subnet)
    assert result.stdout.splitlines()[0] == f"--cluster.listen-address={expected}:9094", result.stderr


def test_gives_up_with_a_message_when_the_task_has_no_address_in_the_subnet(tmp_path):
    result = run(tmp_path, "10.0.9.0/24", wait=1)
    assert result.returncode == 1
    assert "10.0.9.0/24" in result.stderr and result.stdout == ""


def test_only_an_ipv4_subnet_reaches_the_script():
    with pytest.raises(ValueError):
        render_swarm_entrypoint("10.0.5.0/24; rm -rf /", 9094)
    assert "subnet=10.0.5.0/24" in render_swarm_entrypoint("10.0.5.0/24", 9094)
