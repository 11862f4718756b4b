"""`doctor` against the dev stack deployed on the engine: the checklist an operator runs after `pulumi up`,
with doctor's own Docker client on the engine's socket and its HTTP checks at the published ports
(run in the daemon's network namespace, where those ports listen). Credentials reach it on stdin, as
`pulumi stack output --json --show-secrets` would give them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.engine.daemon import PrivateDaemon

PROJECT = Path(__file__).resolve().parents[2]
# doctor with `pulumi` replaced by the outputs read on stdin; prints each result as JSON.
DOCTOR = """
import json, subprocess, sys
sys.path.insert(0, sys.argv[1])
from doctor import run
from doctor.stack import load_target
outputs = sys.stdin.read()

def pulumi(args):
    if args[:2] == ["stack", "output"]:
        return outputs
    raise subprocess.CalledProcessError(1, ["pulumi", *args])

results = run.run_checks(load_target(sys.argv[2], pulumi))
print(json.dumps([{"check": r.check, "status": r.status.value, "saw": r.saw, "fix": r.fix} for r in results]))
"""
# Where each generated password is in the dev stack's containers (the files the program uploads).
SECRET_FILES = {
    "prometheusPassword": ("prometheus", "/etc/prometheus/secrets/prometheus-password"),
    "alertmanagerPassword": ("alertmanager", "/etc/alertmanager/secrets/alertmanager-password"),
    "grafanaAdminPassword": ("grafana", "/run/secrets/grafana/admin-password"),
    "elasticPassword": ("elasticsearch", "/run/secrets/elasticsearch/elastic-password"),
}


def _outputs(engine: PrivateDaemon, stack: str) -> str:
    found = {key: engine.docker("exec", f"christmas-monitoring-{stack}-{service}", "cat", path).stdout.decode()
             for key, (service, path) in SECRET_FILES.items()}
    return json.dumps(found)


def run_doctor(engine: PrivateDaemon, stack: str) -> list[dict[str, Any]]:
    done = engine.in_netns("env", f"DOCKER_HOST=unix://{engine.socket}", sys.executable, "-c", DOCTOR,
                           str(PROJECT), stack, input=_outputs(engine, stack))
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


# Checks answered by real programs or the engine itself: Docker 20.10's API (containers, inspect, exec,
# logs), Debian's Prometheus and Alertmanager, Caddy's internal CA and handshake, the backups' files.
REAL = {"containers running and healthy", "restart counts", "Prometheus configuration and rule files valid",
        "alertmanager configuration valid", "disk free on data volumes", "rule evaluation",
        "Prometheus configuration loaded", "Alertmanager cluster", "TLS certificate", "Prometheus backups",
        "Grafana backups", "stacks on this Docker host"}
# What is not part of the stack and not on this engine: the platform's api and trading-engine (so TargetDown),
# its PostgreSQL (PostgresDown) and Slack (no internet: Alertmanager logs its failed notifications).
OUTSIDE = {"scrape targets up", "alerts in Prometheus", "Alertmanager notifications", "errors in the logs (15 min)"}
# Answered by stand-ins (tests/engine/images/standin.py) that do not implement these APIs: not judged here.
STAND_IN = {"Grafana datasources", "Elasticsearch cluster health", "newest log document", "index lifecycle (ILM)",
            "Fluent Bit", "Elasticsearch snapshots"}


def _by_check(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        print(f"{r['status']:5} {r['check']}: {r['saw'][:160]}")
        found.setdefault(r["check"], []).append(r)
    return found


def _settled(by_check: dict[str, list[dict[str, Any]]]) -> bool:
    """Every real check passes and Prometheus has scraped every target since test_2_deploy replaced it."""
    targets = by_check.get("scrape targets up", [{"saw": ""}])[0]["saw"]
    return all(r["status"] == "PASS" for name in REAL for r in by_check.get(name, [])) and \
        targets.startswith("9 of 11 up")


def test_doctor_passes_what_real_programs_answer_and_names_an_injected_fault(stacks, engine):
    """doctor on the dev stack: every check a real program or the engine answers passes (its Docker client
    on Docker 20.10, which serves API 1.41; dev's certificates from Caddy's internal CA at *.localhost
    names); the platform's absence is named (its api and trading-engine targets down); a stopped service
    fails the containers check by name, and passes again once it runs. Runs after test_2_deploy, which
    replaces Prometheus, Grafana and Alertmanager: doctor is asked again until they have settled (90 s)."""
    deadline = time.monotonic() + 90
    by_check = _by_check(run_doctor(engine, "dev"))
    while not _settled(by_check) and time.monotonic() < deadline:
        time.sleep(10)
        by_check = _by_check(run_doctor(engine, "dev"))
    assert set(by_check) == REAL | OUTSIDE | STAND_IN, sorted(by_check)
    failing = {name: [r["saw"] for r in rs if r["status"] == "FAIL"] for name, rs in by_check.items()}
    assert {name: saw for name, saw in failing.items() if name in REAL and saw} == {}
    assert all(r["status"] == "PASS" for name in REAL for r in by_check[name])
    assert len(by_check["TLS certificate"]) == 2  # Grafana's and Kibana's public names
    # prod runs beside it; both stack files name the local daemon, so `pulumi preview` compared them.
    [neighbours] = by_check["stacks on this Docker host"]
    assert neighbours["saw"] == f"unix://{engine.socket}: compared at preview: prod", neighbours
    [targets] = failing["scrape targets up"]
    assert targets.startswith("9 of 11 up; down: api api:8000 ") and "; trading-engine trading-engine:8001 " in targets
    # Only what the platform's absence explains fires, if anything yet (each alert after its `for`).
    for alerts in failing["alerts in Prometheus"]:
        firing = set(alerts.rpartition("firing: ")[2].split(", "))
        assert firing <= {"PostgresDown", "TargetDown"}, alerts

    stopped = "christmas-monitoring-dev-blackbox-exporter"
    engine.docker("stop", stopped)
    try:
        by_check = _by_check(run_doctor(engine, "dev"))
    finally:
        engine.docker("start", stopped)
    [containers] = by_check["containers running and healthy"]
    assert containers["status"] == "FAIL" and "blackbox-exporter" in containers["saw"], containers
    assert "prometheus" not in containers["saw"].replace("blackbox-exporter", ""), containers
