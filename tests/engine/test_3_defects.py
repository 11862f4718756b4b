"""Defects only the engine showed, each reproduced with the old definition and passing with the fix."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from offline.mocks import DeclaredResource, unwrap
from tests.engine.daemon import PrivateDaemon
from tests.engine.deploy import apply, declare, remove_stack

STACK = "dev"


@pytest.fixture
def clean(engine: PrivateDaemon):
    remove_stack(engine, STACK)
    yield
    remove_stack(engine, STACK)


def _only(name: str, change: dict[str, Any]):
    def transform(resource: DeclaredResource, inputs: dict[str, Any]) -> dict[str, Any] | None:
        return {**inputs, **change} if resource.name == name else None
    return transform


def _healthcheck_on(path: str, inputs_check: dict[str, Any]) -> dict[str, Any]:
    return {**inputs_check, "tests": ["CMD", "wget", "-q", "--spider", f"http://localhost:9187{path}"]}


@pytest.mark.parametrize("path, healthy", [("/metrics", False), ("/", True)])
def test_postgres_exporter_is_healthy_while_its_database_is_unreachable(engine, images, clean, path, healthy):
    """The plan's database host does not resolve here (no upstream DNS: each lookup times out), as a
    firewalled or down database would. The old check (/metrics: a scrape, which waits on the
    database) outlasts its 5 s timeout and the container never becomes healthy, so `pulumi up`
    failed; the landing page answers at once (the fix: settings/catalog.py health_path "/")."""
    run = declare(STACK, engine, images)
    [exporter] = [c for c in run.containers() if c.name == "postgres-exporter-container"]
    declared = unwrap(exporter.inputs)
    assert declared["healthcheck"]["tests"][-1] == "http://localhost:9187/"  # the program's, today
    outcomes = apply(engine, run, _only("postgres-exporter-container", {
        "healthcheck": _healthcheck_on(path, declared["healthcheck"]), "waitTimeout": 50}))
    outcome = outcomes["postgres-exporter-container"]
    if healthy:
        assert outcome.error == ""
    else:
        assert "failed to be in healthy state" in outcome.error, outcome.error


SHIM = """#!/bin/sh
# Records the program's name and argv, then runs the real busybox applet.
echo "$(basename "$0") $*" >> /tmp/argv.log
exec /bin/busybox "$(basename "$0")" "$@"
"""
RECORDED = ("wget", "nc", "base64", "cat", "head", "grep")
OLD_CHECK = ("wget -q --spider --header \"Authorization: Basic $(printf '%s:%s' 'prometheus' "
             "\"$(cat /etc/prometheus/secrets/prometheus-password)\" | base64 -w 0)\" http://localhost:9090/-/healthy")


def _argv_during(engine: PrivateDaemon, container: str, command: str) -> tuple[int, str]:
    """Every program's command line while the healthcheck command runs (shims first on PATH)."""
    install = "mkdir -p /tmp/shim && cat > /tmp/shim/rec && chmod 0755 /tmp/shim/rec && " + " && ".join(
        f"ln -sf /tmp/shim/rec /tmp/shim/{name}" for name in RECORDED) + " && : > /tmp/argv.log"
    engine.docker("exec", "-i", container, "sh", "-c", install, input=SHIM.encode())
    done = engine.docker("exec", "-e", "PATH=/tmp/shim:/usr/local/bin:/usr/bin:/bin", container,
                         "sh", "-c", command, check=False)
    log = engine.docker("exec", container, "cat", "/tmp/argv.log").stdout.decode()
    return done.returncode, log


def test_no_credential_on_a_command_line_during_prometheus_healthcheck(engine, images, clean):
    """The old check put `Authorization: Basic <base64 of user:password>` in wget's argv every 15 s
    (visible to `ps` on the host); the new one (components/auth.py) passes it through a pipe only."""
    run = declare(STACK, engine, images)
    outcomes = apply(engine, run, _only("prometheus-container", {}))
    prometheus = outcomes["prometheus-container"]
    assert prometheus.error == ""  # healthy with the new check, on the engine
    password = engine.docker("exec", prometheus.id, "cat",
                             "/etc/prometheus/secrets/prometheus-password").stdout.decode()
    secret = base64.b64encode(f"prometheus:{password}".encode()).decode()
    [container] = [c for c in run.containers() if c.name == "prometheus-container"]
    new_check = unwrap(container.inputs)["healthcheck"]["tests"][1]

    old_rc, old_log = _argv_during(engine, prometheus.id, OLD_CHECK)
    assert old_rc == 0 and secret in old_log  # the recorder sees what ps would
    new_rc, new_log = _argv_during(engine, prometheus.id, new_check)
    assert new_rc == 0, new_log
    assert {line.split()[0] for line in new_log.splitlines()} >= {"nc", "base64", "cat"}
    assert secret not in new_log and password not in new_log
