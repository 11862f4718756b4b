"""The swarm stack on a real Swarm: one manager and two workers (private daemons, own netns each).

Proves, in this order: the Alertmanager peer entrypoint the program had before never starts (it waits
for its own address in Swarm's DNS, which lists a task only once it is healthy, and the healthcheck
needs Alertmanager), the program's entrypoint does, and its peers form one cluster across two nodes;
what Docker stores for a service's networks and an overlay's options (why the program gives network
IDs and ignores two read-backs, so a second `pulumi up` replaces nothing). Times are printed and
asserted loosely (2 shared cores).

The Alertmanager service is the program's: its arguments, replicas, placement, networks and aliases,
healthcheck timing and entrypoint come from the swarm example stack run under mocks; what differs is
stated where it is done (the test image, no web config or receivers, an unauthenticated healthcheck).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from components.swarm_service import ENCRYPTED_OVERLAY
from render.alertmanager_swarm import ENTRYPOINT_PATH, render_swarm_entrypoint
from tests.engine.swarm import (
    ALERTMANAGER_IMAGE,
    Swarm,
    kernel_has_esp,
    seconds_ns,
)
from tests.engine.swarm_fixtures import planned_service, swarm_cluster, swarm_plan  # noqa: F401 - fixtures

# The entrypoint the program rendered before (render/alertmanager_swarm.py at 8f7de90), verbatim but
# for its formatting: it starts Alertmanager only once `tasks.<service>` lists one of the task's own
# addresses, and gives up after 60 tries.
OLD_ENTRYPOINT = """#!/bin/sh
set -eu
peers_name=tasks.{service}
tries=0
while :; do
  mine=$(ip -o -4 addr show | awk '{{ split($4, a, "/"); print a[1] }}')
  listed=$(nslookup "$peers_name" 2>/dev/null \\
    | awk '/^Address/ {{ for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/) print $i }}')
  for ip in $mine; do
    for peer in $listed; do
      if [ "$ip" = "$peer" ]; then
        exec /bin/alertmanager "--cluster.advertise-address=$ip:9094" "$@"
      fi
    done
  done
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "none of this task's addresses is listed for $peers_name after 60s: no address to advertise" >&2
    exit 1
  fi
  sleep 1
done
"""


def _healthcheck(planned: dict[str, Any]) -> dict[str, Any]:
    """The plan's timing; the test: Alertmanager's health endpoint without the basic auth the test omits."""
    hc = planned["taskSpec"]["containerSpec"]["healthcheck"]
    return {"Test": ["CMD", "wget", "-q", "--spider", "http://localhost:9093/-/healthy"],
            "Interval": seconds_ns(hc["interval"]), "Timeout": seconds_ns(hc["timeout"]),
            "Retries": hc["retries"], "StartPeriod": seconds_ns(hc["startPeriod"])}


def _args(planned: dict[str, Any]) -> list[str]:
    """The plan's arguments, with the image's minimal alertmanager.yml and no web config (no basic auth)."""
    args = [a for a in planned["taskSpec"]["containerSpec"]["args"] if not a.startswith("--web.config.file")]
    return [("--config.file=/etc/alertmanager/alertmanager.yml" if a.startswith("--config.file") else a)
            for a in args]


def _spec(name: str, planned: dict[str, Any], args: list[str], networks: list[dict[str, Any]],
          config: tuple[str, str]) -> dict[str, Any]:
    task = planned["taskSpec"]
    return {
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": ALERTMANAGER_IMAGE, "Command": task["containerSpec"]["commands"], "Args": args,
                "Configs": [{"File": {"Name": ENTRYPOINT_PATH, "UID": "0", "GID": "0", "Mode": 0o444},
                             "ConfigID": config[0], "ConfigName": config[1]}],
                "Healthcheck": _healthcheck(planned),
            },
            "Networks": networks,
            "Placement": {"MaxReplicas": task["placement"]["maxReplicas"]},
            "RestartPolicy": {"Condition": "any", "Delay": seconds_ns(task["restartPolicy"]["delay"])},
        },
        "Mode": {"Replicated": {"Replicas": planned["mode"]["replicated"]["replicas"]}},
    }


def cluster_peers(swarm: Swarm, task: dict[str, Any]) -> list[str]:
    """The gossip addresses a peer reports in /api/v2/status (asked inside its own container)."""
    done = swarm.exec(task, "wget", "-qO-", "http://127.0.0.1:9093/api/v2/status")
    if done.returncode != 0:
        return []
    cluster = json.loads(done.stdout)["cluster"]
    return sorted(p["address"] for p in cluster.get("peers") or []) if cluster.get("status") == "ready" else []


def test_old_entrypoint_never_starts_and_the_programs_peers_form_a_cluster_across_nodes(swarm, plan):
    planned = planned_service(plan, "alertmanager")
    name = str(planned["name"])
    # The program's networks: the stack's overlay (alias `alertmanager`) and the peers' own gossip
    # overlay (internal, not attachable, encrypted where the kernel can: IPsec needs INET_ESP).
    encrypted = kernel_has_esp()
    print(f"kernel ESP support (encrypted overlays): {encrypted}")
    stack_id = swarm.create_network("christmas-monitoring-swarm")
    gossip_name = f"{name}-gossip"
    gossip_id = swarm.create_network(f"{name}-net", internal=True, encrypted=encrypted)
    gossip_subnet = swarm.manager.client.get(f"/networks/{gossip_id}")["IPAM"]["Config"][0]["Subnet"]
    networks = [{"Target": stack_id, "Aliases": ["alertmanager"]}, {"Target": gossip_id, "Aliases": [gossip_name]}]
    assert [n.get("aliases") for n in planned["taskSpec"]["networksAdvanceds"]] == [["alertmanager"], [gossip_name]]
    # The entrypoint as the program renders it, for the subnet Docker assigned (the program reads it back).
    script = render_swarm_entrypoint(gossip_subnet, 9094)
    new = swarm.create_config("am-entrypoint-new", script)
    old_name = "christmas-monitoring-old-alertmanager"
    old = swarm.create_config("am-entrypoint-old", OLD_ENTRYPOINT.format(service=old_name))
    old_args = [a for a in _args(planned) if not a.startswith("--cluster.peer")]
    old_args += ["--cluster.listen-address=0.0.0.0:9094", f"--cluster.peer=tasks.{old_name}:9094"]

    start = time.monotonic()
    new_id = swarm.create_service(_spec(name, planned, _args(planned), networks, (new, "am-entrypoint-new")))
    old_id = swarm.create_service(_spec(old_name, planned, old_args, [{"Target": stack_id}],
                                        (old, "am-entrypoint-old")))

    def formed() -> bool:
        running = swarm.running(new_id)
        return len(running) == 2 and all(len(cluster_peers(swarm, t)) == 2 for t in running)

    swarm.wait("the program's two Alertmanager peers forming one cluster", formed, timeout=300)
    converged = time.monotonic() - start
    running = swarm.running(new_id)
    nodes = {t["NodeID"] for t in running}
    print(f"2 Alertmanager peers healthy and clustered on {len(nodes)} nodes in {converged:.1f}s")
    assert len(nodes) == 2, "one peer per node (MaxReplicas 1)"
    # Each peer advertises its address on the gossip network, and each lists both.
    gossip_addresses = sorted(f"{a['Addresses'][0].split('/')[0]}:9094" for t in running
                              for a in t["NetworksAttachments"] if a["Network"]["ID"] == gossip_id)
    assert all(cluster_peers(swarm, t) == gossip_addresses for t in running)

    # The old entrypoint, started at the same time: still nothing running (healthy) by now.
    assert_never_started(swarm, old_id)
    print(f"old entrypoint: {len(swarm.tasks(old_id))} tasks in {converged:.0f}s, none running; states "
          f"{sorted({t['Status']['State'] for t in swarm.tasks(old_id)})}")


def assert_never_started(swarm: Swarm, service_id: str) -> None:
    """No task of the service running, and Alertmanager never started in any of its containers."""
    assert swarm.running(service_id) == []
    for task in swarm.tasks(service_id):
        container = (task["Status"].get("ContainerStatus") or {}).get("ContainerID")
        if container:
            log = swarm.node_ids[task["NodeID"]].docker("logs", container, check=False)
            assert b"Starting Alertmanager" not in log.stdout + log.stderr


def test_docker_stores_networks_by_id_and_adds_its_own_overlay_option(swarm):
    """What the provider reads back (so what a second `pulumi up` compares): a name given for a
    network comes back as its ID, `host` as the Swarm's own host network ID, and an overlay's options
    with Docker's vxlanid_list added. The program gives IDs and ignores the other two."""
    options = dict(ENCRYPTED_OVERLAY) if kernel_has_esp() else {}
    network_id = swarm.create_network("christmas-monitoring-readback", encrypted=bool(options))
    read_back = swarm.manager.client.get(f"/networks/{network_id}")["Options"]
    assert set(read_back) == {*options, "com.docker.network.driver.overlay.vxlanid_list"}, read_back
    entry = swarm.create_config("readback-entrypoint", "#!/bin/sh\nexec sleep 600\n")
    base = {"TaskTemplate": {"ContainerSpec": {
        "Image": ALERTMANAGER_IMAGE, "Command": ["/bin/sh", "/run/entry.sh"],
        "Configs": [{"File": {"Name": "/run/entry.sh", "UID": "0", "GID": "0", "Mode": 0o444},
                     "ConfigID": entry, "ConfigName": "readback-entrypoint"}]}}}
    targets = {}
    for name, target in (("by-name", "christmas-monitoring-readback"), ("by-id", network_id), ("on-host", "host")):
        spec = json.loads(json.dumps(base))
        spec["Name"] = f"readback-{name}"
        spec["TaskTemplate"]["Networks"] = [{"Target": target}]
        service_id = swarm.create_service(spec)
        targets[name] = swarm.service(service_id)["Spec"]["TaskTemplate"]["Networks"][0]["Target"]
    assert targets["by-name"] == network_id != "christmas-monitoring-readback"  # a name: replaced every time
    assert targets["by-id"] == network_id  # an ID: read back as given
    local_host = swarm.manager.client.get("/networks/host")["Id"]
    assert targets["on-host"] not in ("host", local_host)  # neither the name nor what /networks/host answers
    print(f"read back: {targets}, overlay options {sorted(read_back)}")


def test_a_config_is_stored_as_given(swarm):
    """The entrypoint reaches the task as the plan's config data (the program uploads it base64)."""
    config_id = swarm.create_config("readback-text", "x=1\n")
    data = swarm.manager.client.get(f"/configs/{config_id}")["Spec"]["Data"]
    assert base64.b64decode(data) == b"x=1\n"
