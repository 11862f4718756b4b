"""docs/departures.md names every difference between the guide (mixin/guide.py) and the code.

Computed for the guide's alert rules, scrape jobs and Alertmanager route (prod, the stack that
pages people): each difference must have its row in the document, and the document may not keep
a row for a difference that no longer exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mixin.alerts import alert_groups
from render.alertmanager import render_alertmanager_config
from render.prometheus import render_prometheus_config
from specification.guide import GUIDE_ALERTS, GUIDE_ROUTE, GUIDE_SCRAPE_JOBS
from tests.conftest import stack_settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "departures.md").read_text()
ROW = re.compile(r"^\| `([^`]+)` \|(.*)$", re.MULTILINE)


def rows() -> dict[str, str]:
    return {key: rest for key, rest in ROW.findall(DOC)}


def listed(key: str) -> set[str]:
    """The names in backticks in the "What" cell of a row such as `alerts added`."""
    what = rows().get(key, "").split("|")[0]
    return set(re.findall(r"`([^`]+)`", what))


def computed() -> tuple[set[str], set[str], set[str]]:
    """(differences, alerts the guide lacks, scrape jobs the guide lacks) for prod."""
    settings = stack_settings("prod")
    ours = {r.alert: r for g in alert_groups(settings) for r in g.rules}
    found: set[str] = set()
    for alert in GUIDE_ALERTS:
        rule = ours.get(alert.name)
        if rule is None:
            found.add(f"alert {alert.name}: missing")
            continue
        if rule.expr != alert.expr:
            found.add(f"alert {alert.name}: expression")
        if rule.for_ != alert.for_:
            found.add(f"alert {alert.name}: for")
    jobs = {j["job_name"]: j for j in render_prometheus_config(settings)["scrape_configs"]}
    for job, target in GUIDE_SCRAPE_JOBS.items():
        if job not in jobs:
            found.add(f"scrape {job}: job name")
        elif target is not None and target not in jobs[job]["static_configs"][0]["targets"]:
            found.add(f"scrape {job}: target")
    route = render_alertmanager_config(settings, "https://hooks.slack.com/services/x", "pw")["route"]
    found |= {f"route {key}" for key, value in GUIDE_ROUTE.items() if route[key] != value}
    guide_alerts = {a.name for a in GUIDE_ALERTS}
    return found, set(ours) - guide_alerts, set(jobs) - set(GUIDE_SCRAPE_JOBS)


def test_every_difference_from_the_guide_has_its_row_and_no_row_is_stale() -> None:
    found, _, _ = computed()
    assert found, "the comparison finds nothing: it is broken"
    documented = {key for key in rows()
                  if key.split(" ", 1)[0] in ("alert", "scrape", "route") and not key.endswith(" added")}
    assert sorted(found - documented) == [], "differences docs/departures.md does not name"
    assert sorted(documented - found) == [], "rows of docs/departures.md for differences that are gone"


@pytest.mark.parametrize("row", ["alerts added", "scrape jobs added"])
def test_every_addition_to_the_guide_is_named(row: str) -> None:
    _, alerts, jobs = computed()
    assert listed(row) == (alerts if row == "alerts added" else jobs)


def test_every_departure_gives_its_reason() -> None:
    for key, rest in rows().items():
        cells = [c.strip() for c in rest.split("|")]
        assert len([c for c in cells if c]) >= 2, f"{key}: needs what the project does and why"
