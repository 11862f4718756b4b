"""The log pipeline's alerts on real Prometheus and Alertmanager, fed by stand-ins of its exporters.

Elasticsearch refuses every write from the start (tests/integration/log_pipeline.py): containers
keep logging, Fluent Bit delivers nothing, retries, gives chunks up and drops the oldest, and no
document reaches the stream. Each alert about it must reach Slack with the values the series
carry; the cluster's own health stays green, and so does its alert.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.integration.log_pipeline import CAPACITY_LEFT_PERCENT, LogPipelineStandIn
from tests.integration.notifications import description_pattern, wait_for_mail, wait_for_slack
from tests.integration.processes import require_program
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration

FIRING = ("LogsNotReachingElasticsearch", "FluentBitOutputStalled", "FluentBitRecordsDropped",
          "FluentBitBufferFilling", "FluentBitOutputRetriesFailing")


@pytest.mark.parametrize("alertname", FIRING)
def test_a_broken_log_pipeline_pages(stack: Stack, alertname: str) -> None:
    message = wait_for_slack(stack, alertname, "FIRING", 60)
    match = description_pattern(stack.settings, alertname).search(message.text)
    assert match, message.text
    assert f"{stack.settings.alerting.runbook_base_url}#{alertname.lower()}" in message.text


def test_log_freshness_is_critical_and_names_the_stream_and_the_lines_written(stack: Stack) -> None:
    message = wait_for_slack(stack, "LogsNotReachingElasticsearch", "FIRING", 60)
    assert message.severity == "CRITICAL"
    match = description_pattern(stack.settings, "LogsNotReachingElasticsearch").search(message.text)
    assert match, message.text
    (lines,) = match.groups()
    assert float(lines) > 0 and "reached logs-christmas-dev." in message.text
    # Critical: e-mailed too.
    assert wait_for_mail(stack, "LogsNotReachingElasticsearch", "FIRING", 30).subject == \
        "[FIRING] CRITICAL LogsNotReachingElasticsearch (dev)"


def test_buffer_alert_carries_the_capacity_fluent_bit_reports(stack: Stack) -> None:
    message = wait_for_slack(stack, "FluentBitBufferFilling", "FIRING", 60)
    match = description_pattern(stack.settings, "FluentBitBufferFilling").search(message.text)
    assert match, message.text
    percent, output = match.groups()
    assert float(percent) == CAPACITY_LEFT_PERCENT and output == "es.0"


def test_a_green_cluster_raises_no_elasticsearch_alert(stack: Stack) -> None:
    wait_for_slack(stack, "LogsNotReachingElasticsearch", "FIRING", 60)  # the rules have been evaluated
    for alertname in ("ElasticsearchClusterRed", "ElasticsearchClusterYellow", "ElasticsearchDiskLow"):
        assert stack.prometheus_alert_state(alertname) == set(), alertname


def test_the_stand_ins_expose_valid_metrics() -> None:
    from tests.conftest import stack_settings

    pipeline = LogPipelineStandIn(stack_settings("dev"), 0, 0)
    try:
        for registry in (pipeline.fluent_bit, pipeline.es_exporter):
            result = subprocess.run([require_program("promtool"), "check", "metrics"], input=registry.exposition(),
                                    capture_output=True, text=True, check=False)
            assert result.returncode == 0, result.stdout + result.stderr
    finally:
        for server in pipeline.servers:
            server.server.server_close()
