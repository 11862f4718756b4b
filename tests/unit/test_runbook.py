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
def test_no_documented_command_lets_the_host_shell_expand_a_secret(doc: str) -> None:
    # `docker exec c curl -u elastic:$ELASTIC_PASSWORD` expands the variable on the host (empty, or
    # worse, the host's value) and shows it in `ps`; `docker exec -e PASS=...` puts it on the host's
    # command line. The container's shell must expand its own variable, inside single quotes.
    text = (Path(__file__).resolve().parents[2] / "docs" / doc).read_text().replace("\\\n", " ")
    commands = re.findall(r"`(docker exec [^`]+)`", text) + re.findall(r"^(docker exec .+)$", text, re.MULTILINE)
    checked = [c for c in commands if "PASS" in c]
    assert checked, "no command to check: the test is looking in the wrong place"
    for command in checked:
        assert " -e " not in command, command
        assert re.search(r"sh -c\s+'[^']*\$ELASTIC_PASSWORD[^']*'", command), command
