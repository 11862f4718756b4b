"""The private daemons themselves: several on one bridge reach each other, and stop() leaves nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine.daemon import Bridge, PrivateDaemon


def _netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_two_daemons_on_one_bridge_reach_each_other_and_leave_nothing() -> None:
    bridge = Bridge("cmeng-t-daemon").create()
    a = PrivateDaemon("cmeng-t-a", bridge, 1)
    b = PrivateDaemon("cmeng-t-b", bridge, 2)
    try:
        a.start()
        b.start()
        assert a.client.get("/info")["ServerVersion"] == b.client.get("/info")["ServerVersion"]
        assert a.client.get("/info")["DockerRootDir"] == str(a.data_root)
        assert b.client.get("/info")["DockerRootDir"] == str(b.data_root)
        # A listener in a's namespace, a client in b's: the bridge carries TCP between them.
        listener = subprocess.Popen(
            ["nsenter", "--net=/var/run/netns/cmeng-t-a", sys.executable, "-c",
             "import socket;s=socket.create_server(('0.0.0.0',7946));c,_=s.accept();c.sendall(b'hello')"])
        try:
            client = (
                "import socket,time\n"
                "for _ in range(50):\n"
                "    try:\n"
                f"        print(socket.create_connection(('{a.address}',7946),timeout=2).recv(5).decode());break\n"
                "    except OSError: time.sleep(0.1)\n")
            assert b.in_netns(sys.executable, "-c", client).stdout.strip() == "hello"
        finally:
            listener.kill()
            listener.wait()
        # Each daemon's iptables rules are in its own namespace, none on the host.
        assert "DOCKER" in a.in_netns("iptables", "-t", "nat", "-S").stdout
    finally:
        b.stop()
        a.stop()
        bridge.remove()
    assert not {"cmeng-t-a", "cmeng-t-b"} & _netns_names()
    for daemon in (a, b):
        assert not daemon.data_root.exists() and not daemon.run_dir.exists() and not daemon.log_path.exists()
        assert str(daemon.data_root) not in Path("/proc/self/mountinfo").read_text()
    assert subprocess.run(["ip", "link", "show", bridge.ifname], capture_output=True).returncode != 0
