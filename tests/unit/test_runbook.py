"""docs/runbook.md: one section per alert, each naming the source of every metric its alert reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mixin.alerts import alert_groups
from tests.conftest import stack_settings
from tests.unit.test_metric_docs import METRIC

RUNBOOK = (Path(__file__).resolve().parents[2] / "docs" / "runbook.md").read_text()
HISTOGRAM = ("_bucket", "_sum", "_count")


def sections() -> dict[str, str]:
    parts = re.split(r"^## ", RUNBOOK, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def source_line(section: str) -> str:
    found = re.search(r"^\*\*Source:\*\* (.+)$", section, re.MULTILINE)
    return found.group(1) if found else ""


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_alert_names_the_source_of_each_metric_it_reads(stack: str) -> None:
    by_name = sections()
    rules = [r for g in alert_groups(stack_settings(stack)) for r in g.rules]
    assert sorted(by_name) == sorted(r.alert for r in rules)
    for rule in rules:
        source = source_line(by_name[rule.alert])
        assert source, f"{rule.alert}: no **Source:** line"
        for metric in set(METRIC.findall(rule.expr)):
            base = next((metric.removesuffix(x) for x in HISTOGRAM if metric.endswith(x)), metric)
            # A recording rule's input counts: the Source names the raw metric behind it.
            assert f"`{metric}" in source or f"`{base}" in source, f"{rule.alert}: Source does not name {metric}"
        for record in re.findall(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b", rule.expr):
            assert f"`{record}`" in source, f"{rule.alert}: Source does not name the recording rule {record}"


def test_alerts_that_cannot_fire_in_a_setup_say_so() -> None:
    cannot = {name for name, text in sections().items() if "**Cannot fire**" in source_line(text)}
    assert cannot == {"PostgresReplicationLag", "PostgresReplicaBehind", "NoTradingSignals",
                      "CertificateExpiringSoon", "PublicEndpointDown"}


@pytest.mark.parametrize("doc", ["runbook.md", "operations.md"])
def test_no_documented_command_puts_a_password_on_a_command_line(doc: str) -> None:
    # `curl -u elastic:$X` (expanded by the host's shell, shown by `ps`) or `docker exec -e X=...`
    # would; the container's curl config file (written by the stack, 0400) holds the credentials.
    text = (Path(__file__).resolve().parents[2] / "docs" / doc).read_text().replace("\\\n", " ")
    commands = re.findall(r"`(docker exec [^`]*elasticsearch[^`]*)`", text)
    commands += re.findall(r"^(docker exec .*elasticsearch.*)$", text, re.MULTILINE)
    assert commands, "no command to check: the test is looking in the wrong place"
    for command in commands:
        assert " -e " not in command and " -u " not in command and "PASS" not in command, command
        if "curl" in command:
            assert "-K /run/secrets/elasticsearch/healthcheck.curlrc" in command, command
