"""Real Prometheus with the rendered swarm configuration, against a 3-node Swarm's Engine API on loopback.

Proves what an operator relies on in swarm mode: every node's agents and every labelled platform task
become targets with `node`, `service`, `task` and `instance`, and are really scraped (up == 1); a task
that stops disappears; scaling a service from 2 to 4 replicas gives 4 targets; Alertmanager peers are
found the same way. Nothing here lists an address: everything comes from the stand-in's answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.integration.processes import wait_until
from tests.integration.swarm import SwarmStack, start_swarm

pytestmark = pytest.mark.integration

# Discovery refreshes every 1s; Prometheus hands target changes to the scrapers at most every 5s.
SETTLE = 20


@pytest.fixture(scope="module")
def swarm() -> Iterator[SwarmStack]:
    running = start_swarm()
    try:
        yield running
    finally:
        running.stop()


def _all_expected_up(swarm: SwarmStack) -> bool:
    expected = {(e.job, e.instance) for e in swarm.expected.values()}
    up = swarm.up()
    return swarm.shown() == set(swarm.expected.values()) and set(up) == expected \
        and all(value == "1" for value in up.values())


def test_every_agent_and_labelled_task_is_a_target_with_its_labels_and_is_scraped(swarm: SwarmStack):
    started = time.monotonic()
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "every expected target shown and up == 1")
    print(f"\nswarm: {len(swarm.expected)} targets discovered and scraped in {time.monotonic() - started:.1f}s")
    by_job: dict[str, set[str]] = {}
    for expected in swarm.expected.values():
        by_job.setdefault(expected.job, set()).add(expected.node)
    # One per node for each agent: node-4 is drained, so it has none.
    for agent in ("node_exporter", "cadvisor", "fluent-bit"):
        assert by_job[agent] == {"node-1", "node-2", "node-3"}, agent
    assert len([t for t in swarm.expected.values() if t.job == "api"]) == 2
    # Everything Prometheus scrapes has its 4 labels, and the instance of an agent is its node.
    for target in swarm.targets():
        labels = target["labels"]
        assert {"node", "service", "task", "instance"} <= set(labels), labels
        if labels["job"] in ("node_exporter", "cadvisor", "fluent-bit"):
            assert labels["instance"] == labels["node"]


def test_the_engine_api_is_asked_exactly_what_docker_answers(swarm: SwarmStack):
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "targets up")
    asked = set(swarm.api.requests)
    assert {"/nodes", "/services", "/tasks", "/networks"} <= asked
    # No request the stand-in could not answer (it would have answered 404).
    assert asked <= {"/_ping", "/version", "/nodes", "/services", "/tasks", "/networks"}, asked


def test_unlabelled_stopped_and_foreign_network_tasks_are_not_targets(swarm: SwarmStack):
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "targets up")
    services = {t["labels"]["service"] for t in swarm.targets()}
    assert "christmas_postgres" not in services
    urls = {t["scrapeUrl"] for t in swarm.targets()}
    # The api tasks are also on the ingress network (127.0.2.x): scraped once, on the overlay only.
    assert not [u for u in urls if "//127.0.2." in u]
    # postgres-exporter is also on the targets network (127.0.3.x): scraped once, on the stack's own.
    assert not [u for u in urls if "//127.0.3." in u]
    # The shut-down api task of slot 1 (on node-3) is not scraped: slot 1 is its replacement on node-1.
    api = {t["labels"]["task"]: t["labels"]["node"] for t in swarm.targets() if t["labels"]["job"] == "api"}
    assert api == {"christmas_api.1": "node-1", "christmas_api.2": "node-2"}
    assert "127.0.0.4" not in " ".join(urls)  # the drained node


def test_platform_labels_choose_port_path_and_job(swarm: SwarmStack):
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "targets up")
    trading = [t for t in swarm.targets() if t["labels"]["service"] == "christmas_trading-engine"]
    assert trading and all(t["labels"]["job"] == "trading-engine" for t in trading)
    assert all(t["scrapeUrl"].endswith(f":{swarm.ports['trading']}/internal/metrics") for t in trading)
    # Without the job label, the job is the service's name.
    assert {t["labels"]["job"] for t in swarm.targets() if t["labels"]["service"] == "christmas_worker"} == {
        "christmas_worker"}


def test_alertmanager_peers_are_found_as_tasks(swarm: SwarmStack):
    port = swarm.ports["alertmanager"]
    peers = {e.scrape_url.replace("/metrics", "/api/v2/alerts") for e in swarm.expected.values()
             if e.job == "alertmanager"}
    assert len(peers) == 2 and all(f":{port}/" in p for p in peers)
    wait_until(lambda: swarm.alertmanagers() == peers, SETTLE, "both Alertmanager peers discovered")


def test_a_task_that_stops_is_no_longer_a_target(swarm: SwarmStack):
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "targets up")
    trading = swarm.cluster.tasks_of("christmas_trading-engine")
    stopped = next(t for t in trading if t.desired_state == "running")
    task_name = swarm.expected[stopped.id].task
    started = time.monotonic()
    swarm.stop_task(stopped)
    wait_until(lambda: task_name not in {t["labels"]["task"] for t in swarm.targets()}, SETTLE,
               f"{task_name} to leave the targets")
    print(f"\nswarm: stopped task gone from the targets in {time.monotonic() - started:.1f}s")
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "the other targets still up")


def test_a_service_scaled_from_2_to_4_replicas_gives_4_targets(swarm: SwarmStack):
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "targets up")

    def api_targets() -> list[dict[str, str]]:
        return [t["labels"] for t in swarm.targets() if t["labels"]["job"] == "api" and t["health"] == "up"]

    assert len(api_targets()) == 2
    api = swarm.cluster.service("christmas_api")
    nodes = swarm.cluster.nodes
    started = time.monotonic()
    for node in nodes[1:3]:
        swarm.add_task(api, node, "api", swarm.ports["api"])
    wait_until(lambda: len(api_targets()) == 4, SETTLE, "4 api targets up")
    print(f"\nswarm: scaled 2 -> 4, four targets up in {time.monotonic() - started:.1f}s")
    assert {t["task"] for t in api_targets()} == {f"christmas_api.{slot}" for slot in (1, 2, 3, 4)}
    assert {t["node"] for t in api_targets()} == {"node-1", "node-2", "node-3"}
    wait_until(lambda: _all_expected_up(swarm), SETTLE, "every target up after scaling")
