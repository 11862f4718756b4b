"""The entrypoint of an Alertmanager peer on a Swarm (pure): gossip on the task's own address on the
peers' gossip network, found without asking Swarm's DNS.

Alertmanager, listening on 0.0.0.0 without `--cluster.advertise-address`, advertises the private
IP of the interface holding the default route (alertmanager v0.28.1 cluster/advertise.go,
go-sockaddr GetPrivateIP). In a Swarm task that is the node-local docker_gwbridge address, which
peers on other nodes cannot reach: the cluster flaps (prometheus/alertmanager#1909). The address
must be an IP and is known only inside the task. It is not looked up in Swarm's DNS: Swarm lists a
task under `tasks.<service>` only once its healthcheck passes, and the healthcheck needs
Alertmanager running, so a peer waiting for its own name never starts (seen on a real Swarm:
tests/engine/test_swarm.py). Instead the script takes the task's address inside the gossip
network's subnet (Docker assigns it; the program reads it back from the network) from its own
interfaces, binds gossip there only and advertises it. The other peers are found by Alertmanager
itself (`--cluster.peer=tasks.<gossip alias>`): a name that does not resolve yet is kept and
retried, and the list is resolved again every 15 s (alertmanager v0.28.1 cluster/cluster.go
resolvePeers, refresh), so nothing waits on its own health. POSIX sh with busybox's ip and awk (the
image is quay.io/prometheus/busybox, i.e. busybox:glibc); shellcheck-clean.
"""

from __future__ import annotations

import ipaddress
import shlex

from render.swarm_address import ADDRESS_IN_SUBNET

ENTRYPOINT_PATH = "/etc/alertmanager/swarm-entrypoint.sh"
ALERTMANAGER_BINARY = "/bin/alertmanager"  # the image's ENTRYPOINT (alertmanager v0.28.1 Dockerfile)
# How long a new task waits for its gossip interface (attached before the task starts; a margin).
WAIT_SECONDS = 10

_TEMPLATE = """#!/bin/sh
# Alertmanager on a Swarm: gossip on this task's address on the gossip network
# (render/alertmanager_swarm.py says why).
set -eu
{address_in}
subnet={subnet}
tries=0
until mine=$(address_in "$subnet") && [ -n "$mine" ]; do
  tries=$((tries + 1))
  if [ "$tries" -ge {wait} ]; then
    echo "this task has no address in $subnet (the gossip network) after {wait}s" >&2
    exit 1
  fi
  sleep 1
done
exec {binary} "--cluster.listen-address=$mine:{port}" "--cluster.advertise-address=$mine:{port}" "$@"
"""


def render_swarm_entrypoint(gossip_subnet: str, cluster_port: int, binary: str = ALERTMANAGER_BINARY,
                            wait_seconds: int = WAIT_SECONDS) -> str:
    """The script; `gossip_subnet` is the gossip network's IPv4 subnet as Docker assigned it."""
    subnet = str(ipaddress.IPv4Network(gossip_subnet))  # refuses anything but an IPv4 subnet
    return _TEMPLATE.format(address_in=ADDRESS_IN_SUBNET, subnet=shlex.quote(subnet), binary=shlex.quote(binary),
                            port=int(cluster_port), wait=int(wait_seconds))
