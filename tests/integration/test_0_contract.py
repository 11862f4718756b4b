"""The reference exporter implements exactly the metric contract of docs/metrics.md, in valid exposition format."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.processes import require_program
from tests.integration.reference_exporter import API_FAMILIES, TRADING_FAMILIES, ReferenceExporter

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
SECTIONS = {"Platform API": API_FAMILIES, "Trading engine": TRADING_FAMILIES}


def documented(section: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Metric -> (type, labels) from the table of a docs/metrics.md section."""
    text = DOC.read_text()
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"`\w+`", cells[0]):
            continue
        labels = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cells[2]))  # values in (...) are not labels
        found[cells[0].strip("`")] = (cells[1].split()[0], tuple(labels))
    return found


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_reference_exporter_implements_exactly_the_documented_metrics(section):
    implemented = {f.name: (f.kind, f.labels) for f in SECTIONS[section]}
    assert implemented == documented(section)


def test_exposition_passes_promtool_check_metrics():
    exporter = ReferenceExporter(0, 0)
    for registry in (exporter.api, exporter.trading):
        text = registry.exposition()
        result = subprocess.run([require_program("promtool"), "check", "metrics"], input=text,
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        # Every family has samples: dashboards and rules see each series from the first scrape.
        for family in registry.families:
            assert re.search(rf"^{family}(_bucket|_sum|_count)?{{", text, re.M), family
    for server in exporter.servers:
        server.server.server_close()
