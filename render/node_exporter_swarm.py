"""The entrypoint of node-exporter on a Swarm (pure): listen on the node's own Swarm address only.

node-exporter runs on each node's host network (its own docs: the host's interfaces and counters),
where the image's default `--web.listen-address=:9100` would open the port on every interface of
the node, public ones included. Prometheus scrapes it at the node's Swarm address
(`__meta_dockerswarm_node_address`, render/prometheus_swarm.py), which lies in `swarmNodeSubnet`;
each node has its own address there, known only on the node: the script finds it among the host's
interfaces and starts node-exporter bound to it. `--health` makes the same choice and asks that
address (the Swarm healthcheck; `localhost` is not listened on). POSIX sh with busybox's ip, awk
and wget (the image is quay.io/prometheus/busybox based); shellcheck-clean.
"""

from __future__ import annotations

import ipaddress
import shlex

from render.swarm_address import ADDRESS_IN_SUBNET

ENTRYPOINT_PATH = "/etc/node-exporter/swarm-entrypoint.sh"
NODE_EXPORTER_BINARY = "/bin/node_exporter"  # the image's ENTRYPOINT (node_exporter Dockerfile)

_TEMPLATE = """#!/bin/sh
# node-exporter on a Swarm: listen on this node's Swarm address only
# (render/node_exporter_swarm.py says why).
set -eu
{address_in}
subnet={subnet}
mine=$(address_in "$subnet")
if [ -z "$mine" ]; then
  echo "this node has no address in $subnet (swarmNodeSubnet): not listening anywhere" >&2
  exit 1
fi
if [ "${{1:-}}" = "--health" ]; then
  exec wget -q --spider "http://$mine:{port}{path}"
fi
exec {binary} "--web.listen-address=$mine:{port}" "$@"
"""


def render_swarm_entrypoint(node_subnet: str, port: int, path: str = "/metrics",
                            binary: str = NODE_EXPORTER_BINARY) -> str:
    subnet = str(ipaddress.IPv4Network(node_subnet))  # refuses anything but an IPv4 subnet
    return _TEMPLATE.format(address_in=ADDRESS_IN_SUBNET, subnet=shlex.quote(subnet), port=int(port),
                            path=shlex.quote(path), binary=shlex.quote(binary))
