"""Containers: every service running and healthy, restart counts, configuration valid inside, disk free.

The guide's §9: `docker ps`, `docker logs`, `promtool check config`, volume permissions and space.
"""

from __future__ import annotations

import re

from doctor.docker_api import DockerError
from doctor.report import Result, failed, passed, skipped, verdict
from doctor.stack import Target
from render.alertmanager import CONFIG_PATH as ALERTMANAGER_CONFIG
from render.prometheus import CONFIG_PATH as PROMETHEUS_CONFIG
from settings.catalog import CATALOG, LONG_RUNNING
from settings.names import alertmanager_hosts

# Every long-running workload of the catalog (Alertmanager once per peer, below); the one-shot
# setup jobs must have exited 0.
SERVICES = tuple(name for name in LONG_RUNNING if name != "alertmanager" and not CATALOG[name].swarm_only)
ONE_SHOT = tuple(name for name, spec in CATALOG.items() if spec.one_shot)
# A few restarts (a host reboot, an upgrade) are normal; more means a crash loop.
MAX_RESTARTS = 3


def expected_services(t: Target) -> list[str]:
    peers = alertmanager_hosts(t.settings.alerting.alertmanager_peers)
    return [*SERVICES, *peers]


def check_containers(t: Target) -> list[Result]:
    link = t.link("operations.md", "2-is-every-service-up")
    by_service = {c.service: c for c in t.containers()}
    problems: list[str] = []
    restarts: dict[str, int] = {}
    for service in expected_services(t):
        container = by_service.get(service)
        if container is None:
            problems.append(f"{service}: missing")
            continue
        details = t.inspect(container.id)
        state = details["State"]
        health = (state.get("Health") or {}).get("Status", "none")
        restarts[service] = int(details.get("RestartCount", 0))
        if state.get("Status") != "running" or health not in ("healthy", "none"):
            problems.append(f"{service}: {state.get('Status')}, {health}")
    for job in ONE_SHOT:
        container = by_service.get(job)
        code = None if container is None else t.inspect(container.id)["State"].get("ExitCode")
        if container is None or code != 0 or container.state == "running":
            problems.append(f"{job}: " + ("missing" if container is None else f"{container.state}, exit {code}"))
    looping = {s: n for s, n in restarts.items() if n > MAX_RESTARTS}
    results = [verdict("containers running and healthy", not problems,
                       "; ".join(problems) or f"{len(restarts)} services running and healthy, setup jobs exited 0",
                       "read the failing container's health log and logs (docker inspect / docker logs)", link)]
    counts = ", ".join(f"{s} {n}" for s, n in sorted(restarts.items()) if n) or "none"
    results.append(verdict("restart counts", not looping, f"restarts: {counts}",
                           f"a service restarted more than {MAX_RESTARTS} times: read its logs for the crash",
                           t.link("runbook.md", "containerrestarting")))
    return results


def _exec_check(t: Target, service: str, argv: list[str], check: str, fix: str, link: str) -> Result:
    container = t.container(service)
    if container is None or container.state != "running":
        return skipped(check, f"{service} is not running")
    try:
        result = t.docker.exec(container.id, argv)
    except DockerError as error:  # e.g. it stopped since it was listed: this container's check fails, not all
        return failed(check, f"{argv[0]} could not run: {error}", fix, link)
    if result.exit_code == 0:
        return verdict(check, True, f"{argv[0]} exit 0", fix, link)
    lines = result.output.strip().splitlines()
    errors = [line for line in lines if "FAILED" in line or "rror" in line] or lines[-3:]
    return verdict(check, False, f"{argv[0]} exit {result.exit_code}: {' | '.join(errors)[:400]}", fix, link)


def check_configuration(t: Target) -> list[Result]:
    """The configuration each container loaded, checked by the container's own promtool/amtool."""
    link = t.link("operations.md", "3-container-logs")
    fix = "run `make plan` and `make test` (promtool/amtool on the rendered files), fix, then `pulumi up`"
    results = [_exec_check(t, "prometheus", ["promtool", "check", "config", PROMETHEUS_CONFIG],
                           "Prometheus configuration and rule files valid", fix, link)]
    results += [_exec_check(t, host, ["amtool", "check-config", ALERTMANAGER_CONFIG],
                            f"{host} configuration valid", fix, link)
                for host in expected_services(t) if host.startswith("alertmanager")]
    return results


_DF_LINE = re.compile(r"^\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(\S+)$")


def check_disk_free(t: Target) -> list[Result]:
    """Free space of every named volume, as `df` inside the container that mounts it sees it."""
    check = "disk free on data volumes"
    minimum = t.settings.thresholds.disk_free_percent
    seen: list[str] = []
    low: list[str] = []
    for container in t.containers():
        if container.state != "running":
            continue
        mounts = [m for m in t.inspect(container.id).get("Mounts", []) if m.get("Type") == "volume"]
        for mount in mounts:
            result = t.docker.exec(container.id, ["df", "-Pk", mount["Destination"]])
            match = next((m for m in map(_DF_LINE.match, result.output.splitlines()) if m), None)
            if result.exit_code != 0 or match is None:
                low.append(f"{mount['Name']}: df failed ({result.output.strip()[:100]})")
                continue
            size, available = int(match[1]), int(match[3])
            free = 100.0 * available / size if size else 0.0
            seen.append(f"{mount['Name']} {free:.0f}%")
            if free < minimum:
                low.append(f"{mount['Name']} {free:.1f}% free ({available // 1024} MiB)")
    if not seen and not low:
        return [skipped(check, "no running container mounts a volume")]
    if low:
        return [failed(check, "; ".join(low), f"free space (or lower retention) below {minimum:g}% free",
                       t.link("runbook.md", "diskspacelow"))]
    return [passed(check, ", ".join(seen))]
