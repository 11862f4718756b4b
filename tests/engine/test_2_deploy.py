"""Dev and prod deployed side by side on one private engine, as the docker provider deploys them.

Proven here (with the test images of tests/engine/images.py standing for the pinned ones): every
long-running container becomes healthy and every one-shot job exits 0 within the provider's
`wait_timeout`, the whole stack within DEPLOY_BUDGET_S; every uploaded file has the owner and mode
the program declares and is readable by the container's own user; every writable data volume is
writable by that user; only the ports the plan publishes are listening.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from offline.mocks import unwrap
from render.web_config import derive_password
from settings.model import PROJECT
from settings.names import GRAFANA_GUARD_PURPOSE
from tests.engine.conftest import DEPLOY_BUDGET_S
from tests.engine.daemon import PrivateDaemon
from tests.engine.deploy import Deployment, replace_container


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_healthy_and_every_job_exited_zero(stacks, stack):
    deployment = stacks[stack]
    assert deployment.failures() == {}
    assert len(deployment.outcomes) == len(deployment.containers())
    assert deployment.seconds < DEPLOY_BUDGET_S


def _inspect(engine: PrivateDaemon, name: str) -> dict[str, Any]:
    result: dict[str, Any] = engine.client.get(f"/containers/{name}/json")
    return result


def _running(deployment: Deployment, engine: PrivateDaemon) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for c in deployment.containers():
        inputs = unwrap(c.inputs)
        if _inspect(engine, inputs["name"])["State"]["Running"]:
            found.append((inputs["name"], inputs))
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_uploaded_files_have_their_owner_and_mode_and_their_user_reads_them(stacks, engine, stack):
    checked = 0
    for name, inputs in _running(stacks[stack], engine):
        for upload in inputs.get("uploads") or []:
            path = upload["file"]
            stat = engine.docker("exec", name, "stat", "-c", "%a %u %g", path, check=False)
            assert stat.returncode == 0, (name, path, stat.stderr)
            mode, uid, gid = stat.stdout.decode().split()
            assert int(mode, 8) == int(upload.get("permissions") or "644", 8), (name, path, mode)
            assert (uid, gid) == (str(upload.get("owner") or 0), str(upload.get("group") or 0)), (name, path)
            # As the container's own user (exec runs as the configured user).
            read = engine.docker("exec", name, "sh", "-c", f"cat '{path}' >/dev/null", check=False)
            assert read.returncode == 0, (name, path, read.stderr)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_writable_volume_is_writable_by_its_container_user(stacks, engine, stack):
    checked = []
    for name, inputs in _running(stacks[stack], engine):
        for volume in inputs.get("volumes") or []:
            if not volume.get("volumeName") or volume.get("readOnly"):
                continue
            probe = f"{volume['containerPath']}/.engine-write-probe"
            done = engine.docker("exec", name, "sh", "-c", f"touch '{probe}' && rm '{probe}'", check=False)
            assert done.returncode == 0, (name, volume["containerPath"], done.stderr)
            checked.append(f"{name}:{volume['containerPath']}")
    assert len(checked) >= 7, checked


def _published(deployment: Deployment, gateway_of: dict[str, str]) -> set[str]:
    expected = set()
    for c in deployment.containers():
        inputs = unwrap(c.inputs)
        for port in inputs.get("ports") or []:
            expected.add(f"{port.get('ip', '0.0.0.0')}:{port['external']}")
        for arg in inputs.get("command") or []:
            match = re.fullmatch(r"--web\.listen-address=(\S+)", arg)
            if match and inputs.get("networkMode") == "host":
                expected.add(match.group(1))
    return expected


def test_only_the_published_ports_listen_on_the_host(stacks, engine):
    listening = engine.in_netns("ss", "-Hltn").stdout
    found = {line.split()[3] for line in listening.splitlines() if line.strip()}
    expected = _published(stacks["dev"], {}) | _published(stacks["prod"], {})
    assert found == expected


# The platform's own services: scraped by the stack, not part of it (no API or trading engine here).
PLATFORM_JOBS = frozenset({"api", "trading-engine"})
# One HTTP request with basic auth in the engine's namespace: argv = url, user[, JSON body]; password on stdin.
ASK = """
import base64, json, sys, urllib.request
url, user, body = sys.argv[1], sys.argv[2], (sys.argv[3].encode() if len(sys.argv) > 3 else None)
password = sys.stdin.read()
request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json",
    "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
print(urllib.request.urlopen(request, timeout=10).read().decode())
"""


def _ask(engine: PrivateDaemon, url: str, user: str, password: str, body: Any = None) -> Any:
    """A service's API at its published port in the engine's namespace (the password on stdin, not in argv)."""
    extra = [json.dumps(body)] if body is not None else []
    return json.loads(engine.in_netns(sys.executable, "-c", ASK, url, user, *extra, input=password).stdout)


def _targets(engine: PrivateDaemon, url: str, password: str) -> list[dict[str, Any]]:
    """Prometheus' active targets."""
    found: list[dict[str, Any]] = _ask(engine, url, "prometheus", password)["data"]["activeTargets"]
    return found


def test_prometheus_scrapes_every_service_of_the_stack_up(stacks, engine):
    """Prometheus (Debian's 2.42) reaches every service of the dev stack over the stack's networks and
    Docker's DNS, with the credentials the program gave it; only the platform's targets are down."""
    password = engine.docker("exec", "christmas-monitoring-dev-prometheus", "cat",
                             "/etc/prometheus/secrets/prometheus-password").stdout.decode()
    planned = unwrap(next(c for c in stacks["dev"].containers() if c.name == "prometheus-container").inputs)
    [port] = [p for p in planned["ports"] if p["internal"] == 9090]
    url = f"http://{port.get('ip', '127.0.0.1')}:{port['external']}/api/v1/targets?state=active"
    deadline = time.monotonic() + 60
    while True:
        targets = _targets(engine, url, password)
        health = {t["labels"]["job"]: t["health"] for t in targets}
        down = {job: h for job, h in health.items() if h != "up" and job not in PLATFORM_JOBS}
        if not down or time.monotonic() > deadline:
            break
        time.sleep(3)
    errors = {t["labels"]["job"]: t["lastError"] for t in targets if t["health"] != "up"}
    assert down == {}, errors
    assert {job for job, h in health.items() if h != "up"} == PLATFORM_JOBS, errors
    assert len(health) >= 11  # every scrape job of the dev stack's configuration


def _replace(engine: PrivateDaemon, deployment: Deployment, resource_name: str) -> dict[str, Any]:
    """Pulumi's replacement of a container with a fixed name, as the provider deletes and creates it."""
    [resource] = [c for c in deployment.containers() if c.name == resource_name]
    inputs: dict[str, Any] = unwrap(resource.inputs)
    assert replace_container(engine, inputs).error == ""
    return inputs


def test_data_survives_replacing_prometheus_and_grafana(stacks, engine):
    """A replaced container (new image tag or configuration: Pulumi deletes and recreates it) mounts the
    same named volume: Prometheus' TSDB (its WAL and a file written before) and the Grafana stand-in's
    database (one line appended per start, as uid 472) are still there."""
    dev = stacks["dev"]
    prometheus, grafana = "christmas-monitoring-dev-prometheus", "christmas-monitoring-dev-grafana"
    engine.docker("exec", prometheus, "sh", "-c", "echo before > /prometheus/engine-marker")
    wal_before = engine.docker("exec", prometheus, "ls", "/prometheus/wal").stdout.split()
    assert wal_before
    _replace(engine, dev, "prometheus-container")
    _replace(engine, dev, "grafana-container")
    assert engine.docker("exec", prometheus, "cat", "/prometheus/engine-marker").stdout == b"before\n"
    assert set(wal_before) <= set(engine.docker("exec", prometheus, "ls", "/prometheus/wal").stdout.split())
    starts = engine.docker("exec", grafana, "cat", "/var/lib/grafana/grafana.db").stdout.decode().splitlines()
    assert len(starts) == 2 and all(line.endswith("uid 472") for line in starts), starts


def _silence(name: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"matchers": [{"name": "alertname", "value": name, "isRegex": False, "isEqual": True}],
            "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
            "createdBy": "tests/engine", "comment": "made just before Alertmanager is replaced"}


def test_a_silence_survives_replacing_alertmanager_as_the_provider_replaces_it(stacks, engine):
    """An operator's silence made a moment before `pulumi up` replaces Alertmanager is still active after.
    Alertmanager writes its silences to /alertmanager (a named volume) every 15 minutes and once more when it
    is stopped by SIGTERM; the provider stops a container for `destroy_grace_seconds` before removing it
    (the program: 30; unset, 0: SIGKILL right after the stop signal). Killed instead, the same silence is
    gone: the graceful stop, not the volume alone, is what keeps it."""
    inputs = unwrap(next(c for c in stacks["dev"].containers() if c.name == "alertmanager-container").inputs)
    assert inputs["destroyGraceSeconds"] >= 10
    name = inputs["name"]
    password = engine.docker("exec", name, "cat", "/etc/alertmanager/secrets/alertmanager-password").stdout.decode()
    [port] = [p for p in inputs["ports"] if p["internal"] == 9093]
    url = f"http://{port['ip']}:{port['external']}/api/v2/silences"

    def active() -> set[str]:
        deadline = time.monotonic() + 30
        while True:
            try:
                return {s["id"] for s in _ask(engine, url, "alertmanager", password)
                        if s["status"]["state"] == "active"}
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    kept = _ask(engine, url, "alertmanager", password, _silence("EngineProbeKept"))["silenceID"]
    started = time.monotonic()
    assert replace_container(engine, inputs).error == ""
    print(f"Alertmanager replaced (stopped, removed, created, healthy) in {time.monotonic() - started:.1f}s")
    assert kept in active()

    lost = _ask(engine, url, "alertmanager", password, _silence("EngineProbeLost"))["silenceID"]
    engine.docker("kill", name)
    assert replace_container(engine, inputs).error == ""
    after_kill = active()
    assert kept in after_kill and lost not in after_kill, (kept, lost, after_kill)


# From inside a container: (status of) one request with basic auth; argv = url, user, method; password on stdin.
ASK_INSIDE = """
import base64, sys, urllib.error, urllib.request
url, user, method = sys.argv[1:4]
token = base64.b64encode(f"{user}:{sys.stdin.read()}".encode()).decode()
request = urllib.request.Request(url, method=method, headers={"Authorization": "Basic " + token})
try:
    print(urllib.request.urlopen(request, timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code)
"""


def test_from_grafanas_container_its_credential_queries_prometheus_and_cannot_delete_series(stacks, engine):
    """Inside the dev stack's Grafana container, over Docker's DNS on the stack network: the credential the
    program gives Grafana's Prometheus datasource (user `grafana` at the edge's guard) queries Prometheus
    through the edge (Debian's Caddy 2.6 with the rendered Caddyfile); the admin API is refused there, and
    Prometheus itself refuses that credential."""
    prometheus_password = engine.docker("exec", "christmas-monitoring-dev-prometheus", "cat",
                                        "/etc/prometheus/secrets/prometheus-password").stdout.decode()
    grafana_password = derive_password(prometheus_password, f"{PROJECT}/{GRAFANA_GUARD_PURPOSE}")

    def status(url: str, user: str, password: str, method: str = "GET") -> int:
        done = engine.docker("exec", "-i", "christmas-monitoring-dev-grafana", "python3", "-c", ASK_INSIDE, url,
                             user, method, input=password.encode())
        return int(done.stdout)

    delete = "/api/v1/admin/tsdb/delete_series?match[]=up"
    assert status("http://edge:9091/api/v1/query?query=up", "grafana", grafana_password) == 200
    assert status(f"http://edge:9091{delete}", "grafana", grafana_password, "POST") == 403
    assert status(f"http://edge:9091{delete}", "grafana", grafana_password, "PUT") == 403
    assert status("http://edge:9091/api/v1/query?query=up", "prometheus", prometheus_password) == 401
    assert status(f"http://prometheus:9090{delete}", "grafana", grafana_password, "POST") == 401
    assert status("http://prometheus:9090/api/v1/query?query=up", "grafana", grafana_password) == 401
