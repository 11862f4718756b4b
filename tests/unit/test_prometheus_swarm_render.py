"""The swarm prometheus.yml: every job discovered through the Swarm API, nothing listed by address."""

from __future__ import annotations

import re
from typing import Any

from render.prometheus_swarm import (
    DOCKER_API_URL,
    JOB_LABEL,
    PATH_LABEL,
    PORT_LABEL,
    SCRAPE_LABEL,
    overlay_network_name,
    render_swarm_prometheus_config,
    service_label_meta,
)
from settings.catalog import CATALOG
from tests.conftest import stack_settings


def _jobs() -> dict[str, dict[str, Any]]:
    config = render_swarm_prometheus_config(stack_settings("swarm"))
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_same_job_names_as_the_single_host_stack_plus_the_labelled_platform():
    # Rules and dashboards select by these job names; the platform's own jobs come from JOB_LABEL.
    stack_jobs = [spec.scrape.job for spec in CATALOG.values() if spec.scrape is not None]
    assert {"prometheus", "node_exporter", "cadvisor", "postgres-exporter", "fluent-bit"} <= set(stack_jobs)
    assert sorted(_jobs()) == sorted([*stack_jobs, "platform", "blackbox-https"])


def test_only_prometheus_itself_and_the_public_probes_are_static_targets():
    for name, job in _jobs().items():
        if name == "prometheus":
            assert job["static_configs"] == [{"targets": ["localhost:9090"]}]
            continue
        if name == "blackbox-https":  # public URLs, probed through the exporter by its name
            assert {"target_label": "__address__", "replacement": "blackbox-exporter:9115"} in job["relabel_configs"]
            continue
        assert "static_configs" not in job
        (sd,) = job["dockerswarm_sd_configs"]
        assert sd["host"] == DOCKER_API_URL
        assert sd["role"] == ("nodes" if name == "node_exporter" else "tasks")


def test_each_stack_service_is_selected_by_its_swarm_service_name_and_port():
    settings = stack_settings("swarm")
    jobs = _jobs()
    for name, port in (("cadvisor", 8080), ("fluent-bit", 2020), ("alertmanager", 9093)):
        relabels = jobs[name]["relabel_configs"]
        keep = relabels[0]
        assert keep["action"] == "keep" and re.fullmatch(keep["regex"], settings.name(name))
        assert {"source_labels": ["__address__"], "regex": "(.+):\\d+", "replacement": f"${{1}}:{port}",
                "target_label": "__address__"} in relabels
    # v2: the only path serving the buffer's fill level FluentBitBufferFilling reads (tests/unit/test_scrape_table.py).
    assert jobs["fluent-bit"]["metrics_path"] == "/api/v2/metrics/prometheus"


def test_platform_labels_are_the_documented_ones():
    assert (SCRAPE_LABEL, PORT_LABEL, PATH_LABEL, JOB_LABEL) == (
        "com.christmas.monitoring.scrape", "com.christmas.monitoring.port", "com.christmas.monitoring.path",
        "com.christmas.monitoring.job")
    # Prometheus sanitises the label name: every character outside [a-zA-Z0-9_] becomes "_".
    assert service_label_meta(SCRAPE_LABEL) == "__meta_dockerswarm_service_label_com_christmas_monitoring_scrape"
    platform = _jobs()["platform"]
    sources = {label for r in platform["relabel_configs"] for label in r.get("source_labels", [])}
    assert {service_label_meta(label) for label in (SCRAPE_LABEL, PORT_LABEL, PATH_LABEL, JOB_LABEL)} <= sources


def test_the_stack_is_scraped_on_its_own_overlay_and_the_platform_on_the_targets_one():
    settings = stack_settings("swarm")
    assert overlay_network_name(settings) == "christmas-monitoring-swarm"
    for name, job in _jobs().items():
        if name in ("prometheus", "node_exporter", "blackbox-https"):
            continue
        keeps = [r for r in job["relabel_configs"]
                 if r.get("source_labels") == ["__meta_dockerswarm_network_name"]]
        network = "christmas-monitoring-swarm-targets" if name == "platform" else "christmas-monitoring-swarm"
        assert keeps == [{"source_labels": ["__meta_dockerswarm_network_name"], "regex": network,
                          "action": "keep"}], name


def test_prometheus_authenticates_to_itself_and_to_alertmanager_as_on_one_host():
    config = render_swarm_prometheus_config(stack_settings("swarm"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["prometheus"]["basic_auth"]["password_file"] == "/etc/prometheus/secrets/prometheus-password"
    assert jobs["alertmanager"]["basic_auth"]["password_file"] == "/etc/prometheus/secrets/alertmanager-password"
    assert config["alerting"]["alertmanagers"][0]["basic_auth"]["username"] == "alertmanager"
