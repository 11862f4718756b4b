"""FluentBitBufferFilling reads a series Fluent Bit serves only on its v2 metrics endpoint: both
targets must scrape it there (on a Swarm the job asked v1, so the alert could never fire)."""

from __future__ import annotations

from typing import Any

from mixin.alerts import alert_groups
from render.prometheus import render_prometheus_config
from render.prometheus_swarm import render_swarm_prometheus_config
from tests.conftest import stack_settings

# Fluent Bit 3.2 serves the buffer's fill level only on its v2 endpoint (cmetrics:
# src/http_server/api/v2/metrics.c); v1 (/api/v1/metrics/prometheus) has the counters only.
FLUENT_BIT_V2 = "/api/v2/metrics/prometheus"
BUFFER_SERIES = "fluentbit_output_chunk_available_capacity_percent"


def _fluent_bit_job(config: dict[str, Any]) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = [job for job in config["scrape_configs"] if job["job_name"] == "fluent-bit"]
    assert len(jobs) == 1
    return jobs[0]


def test_the_buffer_alert_reads_a_v2_only_series():
    rules = [rule for group in alert_groups(stack_settings("swarm")) for rule in group.rules
             if rule.alert == "FluentBitBufferFilling"]
    assert len(rules) == 1 and BUFFER_SERIES in rules[0].expr


def test_one_host_scrapes_fluent_bit_on_v2():
    assert _fluent_bit_job(render_prometheus_config(stack_settings("prod")))["metrics_path"] == FLUENT_BIT_V2


def test_a_swarm_scrapes_fluent_bit_on_v2():
    assert _fluent_bit_job(render_swarm_prometheus_config(stack_settings("swarm")))["metrics_path"] == FLUENT_BIT_V2
