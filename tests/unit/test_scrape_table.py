"""Both Prometheus configurations come from the catalog's rows (settings/catalog.py): one host and a
Swarm scrape every row under the same job, path, scheme and credentials, and give its series the
same labels (a Swarm adds where the task ran)."""

from __future__ import annotations

from typing import Any

import pytest

from render.prometheus import render_prometheus_config
from render.prometheus_swarm import render_swarm_prometheus_config
from settings.catalog import CATALOG, SCRAPE_ORDER
from tests.conftest import stack_settings

SCRAPED = [name for name, spec in CATALOG.items() if spec.scrape is not None]
# What a Swarm adds to every task's series: where it ran (render/prometheus_swarm.py).
SWARM_PLACE_LABELS = {"node", "service", "task"}


def _jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in config["scrape_configs"]}


@pytest.fixture(scope="module")
def both() -> dict[str, dict[str, dict[str, Any]]]:
    # The same platform, on one host (prod) and on a Swarm.
    return {"docker": _jobs(render_prometheus_config(stack_settings("prod"))),
            "swarm": _jobs(render_swarm_prometheus_config(stack_settings("swarm")))}


def _labels(job: dict[str, Any]) -> set[str]:
    """The labels a job's series carry: job and instance, and every label its relabelling sets."""
    return {"job", "instance"} | {r["target_label"] for r in job.get("relabel_configs", [])
                                  if "target_label" in r and not r["target_label"].startswith("__")}


@pytest.mark.parametrize("service", SCRAPED)
def test_every_scraped_row_has_the_same_job_path_scheme_and_credentials_on_both_targets(both, service):
    scrape = CATALOG[service].scrape
    assert scrape is not None
    docker, swarm = both["docker"].get(scrape.job), both["swarm"].get(scrape.job)
    assert docker is not None and swarm is not None, f"{service}: job {scrape.job} missing"
    for job in (docker, swarm):
        assert job.get("metrics_path", "/metrics") == scrape.metrics_path
        assert job.get("scheme", "http") == scrape.scheme
    assert docker.get("basic_auth") == swarm.get("basic_auth")
    assert ("basic_auth" in docker) == (CATALOG[service].auth_user is not None)


@pytest.mark.parametrize("service", SCRAPED)
def test_every_scraped_row_gets_the_same_labels_on_both_targets_and_a_swarm_adds_where_it_ran(both, service):
    scrape = CATALOG[service].scrape
    assert scrape is not None
    docker, swarm = _labels(both["docker"][scrape.job]), _labels(both["swarm"][scrape.job])
    if service == "prometheus":  # itself, at localhost, alike on both
        assert docker == swarm == {"job", "instance"}
        return
    assert swarm - docker == SWARM_PLACE_LABELS and docker <= swarm


def test_the_stack_jobs_are_the_catalog_rows_in_the_same_order_on_both_targets(both):
    stack_jobs = {CATALOG[s].scrape.job for s in SCRAPED}  # type: ignore[union-attr]
    for target, platform in (("docker", ["api", "trading-engine"]), ("swarm", ["platform"])):
        expected = [j for s in SCRAPE_ORDER
                    for j in (platform if s == "platform" else [CATALOG[s].scrape.job])]  # type: ignore[union-attr]
        assert [j for j in both[target] if j in stack_jobs or j in platform] == expected, target
