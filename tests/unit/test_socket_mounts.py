"""Every service that can reach the host's Docker socket through a bind mount has its row in
docs/images.md "Docker socket mounts" (issue 21): who has it, why, and what it could do with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from offline.mocks import DeclaredResource, ProgramRun, unwrap

DOC = Path(__file__).resolve().parents[2] / "docs" / "images.md"
# /var/run is a link to /run on Debian: a bind of any of these reaches /run/docker.sock.
REACHES_SOCKET = frozenset({"/", "/var", "/var/run", "/run", "/var/run/docker.sock", "/run/docker.sock"})


def _host_paths(resource: DeclaredResource) -> set[str]:
    inputs: dict[str, Any] = unwrap(resource.inputs)
    if resource.type == "docker:index/service:Service":
        mounts = inputs["taskSpec"]["containerSpec"].get("mounts") or []
        return {m["source"] for m in mounts if m.get("type") == "bind"}
    return ({m["source"] for m in inputs.get("mounts") or [] if m.get("type") == "bind"}
            | {v["hostPath"] for v in inputs.get("volumes") or [] if v.get("hostPath")})


def socket_reachers(run: ProgramRun) -> dict[str, set[str]]:
    """service -> the host paths it mounts that reach the Docker socket."""
    found: dict[str, set[str]] = {}
    for resource in run.containers() + run.of_type("docker:index/service:Service"):
        paths = {p.rstrip("/") or "/" for p in _host_paths(resource)} & REACHES_SOCKET
        if paths:
            service = resource.name.removesuffix("-container").removesuffix("-service")
            found.setdefault(service, set()).update(paths)
    return found


def documented() -> dict[str, str]:
    """service -> its row's 'host path mounted' cell."""
    section = DOC.read_text().split("## Docker socket mounts", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip().split()[0]: cells[1] for cells in rows[1:]}


@pytest.mark.parametrize("stack", ["dev", "prod", "swarm"])
def test_every_socket_reaching_mount_has_its_row(stack, dev_run, prod_run, swarm_run):
    run = {"dev": dev_run, "prod": prod_run, "swarm": swarm_run}[stack]
    reachers = socket_reachers(run)
    assert "cadvisor" in reachers  # the scan sees the program's mounts
    rows = documented()
    missing = {service: sorted(p for p in paths if f"`{p}`" not in rows.get(service, "")
                               and not (p == "/" and "`/` at" in rows.get(service, "")))
               for service, paths in reachers.items()}
    assert {s: p for s, p in missing.items() if p or s not in rows} == {}


def test_a_new_mount_of_the_socket_is_caught(swarm_run):
    assert socket_reachers(swarm_run)["docker-api"] == {"/var/run/docker.sock"}
    assert "backups" not in socket_reachers(swarm_run)
    assert not ({"/var/run/docker.sock"} - REACHES_SOCKET)
