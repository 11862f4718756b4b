"""Every fix `doctor` prints links to a section that exists in docs/ (GitHub's heading anchors)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from doctor import checks_backups, checks_containers, checks_edge, checks_grafana, checks_logging, checks_metrics, run

DOCS = Path(__file__).resolve().parents[2] / "docs"
LINK = re.compile(r'link\("(?P<doc>[\w.]+)", "(?P<anchor>[\w-]+)"\)')


def github_anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(document: str) -> set[str]:
    headings = [line.lstrip("#") for line in (DOCS / document).read_text().splitlines() if line.startswith("#")]
    return {github_anchor(h) for h in headings}


def test_every_fix_links_to_an_existing_section():
    sources = [inspect.getsource(m) for m in (checks_backups, checks_containers, checks_edge, checks_grafana,
                                               checks_logging, checks_metrics)]
    linked = {(m["doc"], m["anchor"]) for src in sources for m in LINK.finditer(src)}
    linked |= {(doc, anchor) for _, _, doc, anchor in run.CHECKS}
    assert len(linked) >= 10
    missing = [f"{doc}#{anchor}" for doc, anchor in sorted(linked) if anchor not in anchors(doc)]
    assert missing == []


def test_the_anchor_rule_matches_githubs():
    assert github_anchor(" 6. Data and disaster recovery") == "6-data-and-disaster-recovery"
    assert github_anchor(" AlertmanagerNotificationsFailing") == "alertmanagernotificationsfailing"
