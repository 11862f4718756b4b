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
from collections.abc import Iterator
from typing import Any

import pytest

from components.swarm_service import ENCRYPTED_OVERLAY
from offline.mocks import ProgramRun, run_program, unwrap
from render.alertmanager_swarm import ENTRYPOINT_PATH, render_swarm_entrypoint
from tests.conftest import stack_config
from tests.engine.swarm import (
    ALERTMANAGER_IMAGE,
    NODE_EXPORTER_IMAGE,
    Swarm,
    kernel_has_esp,
    seconds_ns,
    start_swarm,
)

SERVICE = "docker:index/service:Service"
LABEL = "com.christmas.monitoring.service"

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


@pytest.fixture(scope="module")
def swarm() -> Iterator[Swarm]:
    cluster = start_swarm("cmsw", images=(ALERTMANAGER_IMAGE, NODE_EXPORTER_IMAGE))
    print(f"\nswarm of {len(cluster.nodes)} nodes formed in {cluster.formed_seconds:.1f}s")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def plan() -> ProgramRun:
    config, secret_keys = stack_config("swarm")
    return run_program("swarm", config, secret_keys)


def planned_service(run: ProgramRun, name: str) -> dict[str, Any]:
    for resource in run.of_type(SERVICE):
        inputs = unwrap(resource.inputs)
        if {item["label"]: item["value"] for item in inputs["labels"]}[LABEL] == name:
            found: dict[str, Any] = inputs
            return found
    raise KeyError(name)


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

    # The old entrypoint, started at the same time: still no task running (healthy) by now, and
    # Alertmanager never started in any of its containers.
    assert swarm.running(old_id) == []
    for task in swarm.tasks(old_id):
        container = (task["Status"].get("ContainerStatus") or {}).get("ContainerID")
        if container:
            log = swarm.node_ids[task["NodeID"]].docker("logs", container, check=False)
            assert b"Starting Alertmanager" not in log.stdout + log.stderr
    print(f"old entrypoint: {len(swarm.tasks(old_id))} tasks in {converged:.0f}s, none running; states "
          f"{sorted({t['Status']['State'] for t in swarm.tasks(old_id)})}")


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


GOOD_ENTRYPOINT = "#!/bin/sh\n: > /tmp/ready\nexec sleep 3600\n"
# Healthy at first, then failing inside the monitor window: the provider has reported the update by then.
BAD_ENTRYPOINT = "#!/bin/sh\n: > /tmp/ready\nsleep 8\necho 'a broken configuration' >&2\nexit 1\n"


def _rolling_service(swarm: Swarm, name: str, config: tuple[str, str]) -> str:
    """A service updated as the program's are (update_config: failure_action rollback, a monitor window,
    stop-first), starting from one config."""
    spec = {
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": ALERTMANAGER_IMAGE, "Command": ["/bin/sh", "/run/entry.sh"],
                "Configs": [{"File": {"Name": "/run/entry.sh", "UID": "0", "GID": "0", "Mode": 0o444},
                             "ConfigID": config[0], "ConfigName": config[1]}],
                "Healthcheck": {"Test": ["CMD-SHELL", "test -e /tmp/ready"], "Interval": seconds_ns("2s"),
                                "Timeout": seconds_ns("2s"), "Retries": 2, "StartPeriod": seconds_ns("2s")},
            },
            "RestartPolicy": {"Condition": "any", "Delay": seconds_ns("1s")},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "rollback", "Monitor": seconds_ns("15s"),
                         "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 1, "Monitor": seconds_ns("15s"), "Order": "stop-first"},
    }
    service_id = swarm.create_service(spec)
    swarm.wait(f"{name} running", lambda: len(swarm.running(service_id)) == 1, timeout=120)
    return service_id


def _update_config(swarm: Swarm, service_id: str, config: tuple[str, str]) -> None:
    """What the provider does when a config's name changes: the service spec names the new object."""
    current = swarm.service(service_id)
    spec = current["Spec"]
    spec["TaskTemplate"]["ContainerSpec"]["Configs"][0].update(ConfigID=config[0], ConfigName=config[1])
    spec["TaskTemplate"]["ForceUpdate"] = 0
    swarm.manager.client.post(f"/services/{service_id}/update", spec, version=str(current["Version"]["Index"]))


def test_a_failed_update_rolls_back_only_to_a_config_that_still_exists(swarm):
    """Pulumi deleted the replaced config once the provider reported the update; Docker lets it (the
    service's spec no longer names it) and the rollback inside the monitor window then cannot start a
    task. With the replaced config retained (the program's RETAIN_REPLACED_OBJECTS) it rolls back."""
    outcomes = {}
    for case in ("deleted", "retained"):
        good = (swarm.create_config(f"entry-good-{case}", GOOD_ENTRYPOINT), f"entry-good-{case}")
        bad = (swarm.create_config(f"entry-bad-{case}", BAD_ENTRYPOINT), f"entry-bad-{case}")
        service_id = _rolling_service(swarm, f"roll-{case}", good)
        start = time.monotonic()
        _update_config(swarm, service_id, bad)
        # The provider reports the update once the new task runs; then Pulumi deleted the replaced config.
        def on_new(service_id: str = service_id, new: str = bad[0]) -> bool:
            return any(t["Spec"]["ContainerSpec"]["Configs"][0]["ConfigID"] == new for t in swarm.running(service_id))

        swarm.wait(f"roll-{case} running the new config", on_new, timeout=60, every=0.5)
        if case == "deleted":
            swarm.manager.client.request("DELETE", f"/configs/{good[0]}")

        def settled(service_id: str = service_id) -> bool:
            state = (swarm.service(service_id).get("UpdateStatus") or {}).get("State")
            return state in ("rollback_completed", "rollback_paused")

        swarm.wait(f"roll-{case} rolled back or paused", settled, timeout=180)
        status = swarm.service(service_id)["UpdateStatus"]
        errors = {t["Status"].get("Err", "") for t in swarm.tasks(service_id)}
        outcomes[case] = (status["State"], time.monotonic() - start, errors)
        print(f"{case}: {status['State']} after {outcomes[case][1]:.1f}s; task errors {sorted(errors)}")
    state, _, errors = outcomes["deleted"]
    assert state == "rollback_paused"
    assert any("config" in e and "not found" in e for e in errors), errors
    state, _, _ = outcomes["retained"]
    assert state == "rollback_completed"
    service_id = next(s["ID"] for s in swarm.manager.client.get("/services") if s["Spec"]["Name"] == "roll-retained")
    swarm.wait("the rolled-back task running", lambda: len(swarm.running(service_id)) == 1, timeout=60)
    configs = swarm.service(service_id)["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"]
    assert configs[0]["ConfigName"] == "entry-good-retained"


def test_node_exporter_listens_on_each_nodes_swarm_address_only(swarm, plan):
    """The program's node-exporter service (global, host network, its entrypoint, mounts, user and
    healthcheck) with swarmNodeSubnet = the subnet the nodes joined on: on every node it answers at the
    node's address and nowhere else, and Swarm reports it healthy through the entrypoint's --health."""
    planned = planned_service(plan, "node-exporter")
    container = planned["taskSpec"]["containerSpec"]
    subnet = str(swarm.bridge.network)
    from render.node_exporter_swarm import ENTRYPOINT_PATH as NE_ENTRYPOINT
    from render.node_exporter_swarm import render_swarm_entrypoint as render_node_exporter
    config = (swarm.create_config("node-exporter-entrypoint", render_node_exporter(subnet, 9100)),
              "node-exporter-entrypoint")
    hc = container["healthcheck"]
    spec = {
        "Name": planned["name"],
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": NODE_EXPORTER_IMAGE, "Command": container["commands"], "Args": container["args"],
                "User": container["user"], "ReadOnly": True,
                # The plan's rslave: each daemon runs with / shared, as systemd hosts do (tests/engine/daemon.py).
                "Mounts": [{"Type": "bind", "Source": m["source"], "Target": m["target"], "ReadOnly": True,
                            "BindOptions": {"Propagation": m["bindOptions"]["propagation"]}}
                           for m in container["mounts"]],
                "Configs": [{"File": {"Name": NE_ENTRYPOINT, "UID": "0", "GID": "0", "Mode": 0o444},
                             "ConfigID": config[0], "ConfigName": config[1]}],
                "Healthcheck": {"Test": hc["tests"], "Interval": seconds_ns(hc["interval"]),
                                "Timeout": seconds_ns(hc["timeout"]), "Retries": hc["retries"],
                                "StartPeriod": seconds_ns(hc["startPeriod"])},
            },
            "Networks": [{"Target": "host"}],
        },
        "Mode": {"Global": {}},
    }
    assert planned["taskSpec"]["networksAdvanceds"] == [{"id": "host"}] and planned["mode"] == {"global": True}
    start = time.monotonic()
    service_id = swarm.create_service(spec)
    try:
        swarm.wait("node-exporter healthy on every node",
                   lambda: len(swarm.running(service_id)) == len(swarm.nodes), timeout=180)
    except AssertionError as failed:
        raise AssertionError(f"{failed}\n{swarm.diagnose(service_id)}") from None
    print(f"node-exporter healthy on {len(swarm.nodes)} nodes in {time.monotonic() - start:.1f}s")
    for node in swarm.nodes:
        listening = node.in_netns("ss", "-Hltn", "sport = :9100").stdout.split()
        # ss -H: State Recv-Q Send-Q Local:Port Peer:Port; one socket, on the node's address.
        assert [f for f in listening if f.endswith(":9100")] == [f"{node.address}:9100"], (node.name, listening)
        scraped = node.in_netns("wget", "-qO-", f"http://{node.address}:9100/metrics").stdout
        assert "node_exporter_build_info" in scraped
        assert node.in_netns("wget", "-qO-", "http://127.0.0.1:9100/metrics", check=False).returncode != 0
