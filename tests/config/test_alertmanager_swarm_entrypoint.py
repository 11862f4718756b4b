"""The Swarm entrypoint of an Alertmanager peer, run by busybox sh with busybox's ip and awk (as in the image)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from render.alertmanager_swarm import render_swarm_entrypoint
from tests.shell import POSIX_SH, assert_script_passes

SERVICE = "christmas-monitoring-swarm-alertmanager"
# busybox 1.35's nslookup, as in the image: the server line carries a port, the answers do not.
NEW_FORMAT = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\t{name}\n{answers}\n"
OLD_FORMAT = "Server:    127.0.0.11\nAddress 1: 127.0.0.11\n\nName:      {name}\n{answers}\n"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: run `make tools`", pytrace=False)
    return path


def isolated(argv: list[str]) -> list[str]:
    """`argv` in a network namespace of its own with only loopback up: no query leaves it, whichever
    nslookup runs (a busybox built to prefer its applets over PATH would run its own, not the stand-in)."""
    unshare = _tool("unshare")
    user_ns = [] if os.geteuid() == 0 else ["--map-root-user"]
    return [unshare, "--net", *user_ns, "--", _tool("busybox"), "sh", "-c", 'ip link set lo up && exec "$@"',
            "isolated", *argv]


def run(tmp_path: Path, nslookup_output: str, wait: int = 2,
        service: str = SERVICE) -> subprocess.CompletedProcess[str]:
    """The script with busybox applets and a stand-in nslookup; the 'binary' prints what it was given."""
    busybox = _tool("busybox")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in ("ip", "awk", "sleep", "cat"):
        (bin_dir / applet).symlink_to(busybox)
    (tmp_path / "answer").write_text(nslookup_output)
    # The stand-in records each name it is asked for: a test that passes without it proves nothing.
    (bin_dir / "nslookup").write_text(f"#!{busybox} sh\necho \"$1\" >> {tmp_path / 'asked'}\n"
                                      f"cat {tmp_path / 'answer'}\n")
    (bin_dir / "nslookup").chmod(0o755)
    binary = tmp_path / "alertmanager"
    binary.write_text(f"#!{busybox} sh\nfor arg in \"$@\"; do echo \"$arg\"; done\n")
    binary.chmod(0o755)
    script = tmp_path / "entrypoint.sh"
    script.write_text(render_swarm_entrypoint(service, 9094, binary=str(binary), wait_seconds=wait))
    return subprocess.run(isolated([busybox, "sh", str(script), "--config.file=/run/secrets/alertmanager.yml",
                                    "--cluster.peer=tasks.x:9094"]), capture_output=True, text=True, timeout=30,
                          env={"PATH": str(bin_dir)}, check=False)


def asked(tmp_path: Path) -> list[str]:
    """The names the stand-in nslookup was asked for (none: the script never ran it)."""
    path = tmp_path / "asked"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("tool", POSIX_SH)
def test_shell_and_shellcheck_accept_the_entrypoint(tmp_path, tool):
    assert_script_passes(tool, render_swarm_entrypoint(SERVICE, 9094), tmp_path)


@pytest.mark.parametrize("template", [NEW_FORMAT, OLD_FORMAT])
def test_advertises_the_task_address_that_swarm_dns_lists_and_passes_every_argument(tmp_path, template):
    # 127.0.0.1 is an address of this machine (lo), 10.0.9.9 another peer's: only the first is ours.
    answers = ("Address: 10.0.9.9\nAddress: 127.0.0.1" if template is NEW_FORMAT
               else "Address 1: 10.0.9.9 peer-1\nAddress 2: 127.0.0.1 peer-2")
    result = run(tmp_path, template.format(name=f"tasks.{SERVICE}", answers=answers))
    assert result.returncode == 0, result.stderr
    assert asked(tmp_path) == [f"tasks.{SERVICE}"]
    assert result.stdout.splitlines() == ["--cluster.advertise-address=127.0.0.1:9094",
                                          "--config.file=/run/secrets/alertmanager.yml",
                                          "--cluster.peer=tasks.x:9094"]


def test_gives_up_with_a_message_when_dns_never_lists_the_task(tmp_path):
    result = run(tmp_path, NEW_FORMAT.format(name=f"tasks.{SERVICE}", answers="Address: 10.0.9.9"), wait=1)
    assert result.returncode == 1
    assert f"tasks.{SERVICE}" in result.stderr and result.stdout == ""
    # It asked (once a second, for `wait` seconds) and gave up on the answer, not on a missing tool.
    assert asked(tmp_path) == [f"tasks.{SERVICE}"]


def test_the_service_name_reaches_the_shell_quoted(tmp_path):
    assert "peers_name='tasks.a;b'" in render_swarm_entrypoint("a;b", 9094)
    # As one word, not as a command: nslookup is asked for the whole name.
    result = run(tmp_path, NEW_FORMAT.format(name="tasks.a;b", answers="Address: 127.0.0.1"), service="a;b")
    assert result.returncode == 0, result.stderr
    assert asked(tmp_path) == ["tasks.a;b"]


def test_the_script_runs_where_nothing_beyond_loopback_is_reachable():
    # The namespace the tests run the script in has no route: a real nslookup could query nobody.
    result = subprocess.run(isolated([_tool("busybox"), "ip", "-4", "route", "show"]), capture_output=True,
                            text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    addresses = subprocess.run(isolated([_tool("busybox"), "ip", "-o", "-4", "addr", "show"]), capture_output=True,
                               text=True, timeout=30, check=True).stdout
    assert [line.split()[1] for line in addresses.splitlines()] == ["lo"]
