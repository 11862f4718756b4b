"""The entrypoint of an Alertmanager peer on a Swarm (pure): advertise the task's overlay address.

Alertmanager, listening on 0.0.0.0 without `--cluster.advertise-address`, advertises the private
IP of the interface holding the default route (alertmanager v0.28.1 cluster/advertise.go,
go-sockaddr GetPrivateIP). In a Swarm task that is the node-local docker_gwbridge address, which
peers on other nodes cannot reach: the cluster flaps (prometheus/alertmanager#1909). The address
must be an IP and is known only inside the task, so this script finds it: the one address of the
task that Swarm's DNS lists for `tasks.<service>` (the peers on the stack's overlay network), then
starts Alertmanager with it. POSIX sh with busybox's ip, nslookup and awk (the image is
quay.io/prometheus/busybox, i.e. busybox:glibc); shellcheck-clean.
"""

from __future__ import annotations

import shlex

ENTRYPOINT_PATH = "/etc/alertmanager/swarm-entrypoint.sh"
ALERTMANAGER_BINARY = "/bin/alertmanager"  # the image's ENTRYPOINT (alertmanager v0.28.1 Dockerfile)
# How long a new task waits for Swarm's DNS to list it before giving up (Swarm then restarts it).
WAIT_SECONDS = 60

_TEMPLATE = """#!/bin/sh
# Alertmanager on a Swarm: advertise this task's address on the stack's overlay network
# (render/alertmanager_swarm.py says why).
set -eu
peers_name={peers_name}
tries=0
while :; do
  mine=$(ip -o -4 addr show | awk '{{ split($4, a, "/"); print a[1] }}')
  listed=$(nslookup "$peers_name" 2>/dev/null \\
    | awk '/^Address/ {{ for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/) print $i }}')
  for ip in $mine; do
    for peer in $listed; do
      if [ "$ip" = "$peer" ]; then
        exec {binary} "--cluster.advertise-address=$ip:{port}" "$@"
      fi
    done
  done
  tries=$((tries + 1))
  if [ "$tries" -ge {wait} ]; then
    echo "none of this task's addresses is listed for $peers_name after {wait}s: no address to advertise" >&2
    exit 1
  fi
  sleep 1
done
"""


def render_swarm_entrypoint(service_name: str, cluster_port: int, binary: str = ALERTMANAGER_BINARY,
                            wait_seconds: int = WAIT_SECONDS) -> str:
    """The script; `service_name` is the Swarm service (`tasks.<it>` lists its peers)."""
    return _TEMPLATE.format(peers_name=shlex.quote(f"tasks.{service_name}"), binary=shlex.quote(binary),
                            port=int(cluster_port), wait=int(wait_seconds))
