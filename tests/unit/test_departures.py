"""docs/departures.md names every difference between the guide (mixin/guide.py) and what prod renders.

Computed from the rendered prod stack (the one that pages people) for each value the guide states
about alert rules, prometheus.yml and alertmanager.yml: every difference must have its row, and no
row may stay for a difference that is gone. The first cell of a row holds its keys in backticks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mixin import guide
from mixin.alerts import alert_groups
from render.alertmanager import render_alertmanager_config
from render.prometheus import render_prometheus_config
from tests.conftest import stack_settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "departures.md").read_text()
ROW = re.compile(r"^\|([^|]*)\|(.*)$", re.MULTILINE)
COMPARED = ("alert ", "prometheus ", "scrape ", "alertmanager ", "route ", "receiver ")


def rows() -> dict[str, str]:
    """Each key of a row's first cell -> the rest of the row."""
    return {key: rest for first, rest in ROW.findall(DOC) for key in re.findall(r"`([^`]+)`", first)}


def listed(key: str) -> set[str]:
    """The names in backticks in the second cell of a row such as `alerts added`."""
    return set(re.findall(r"`([^`]+)`", rows().get(key, "").split("|")[0]))


def _email(config: dict[str, Any]) -> dict[str, Any]:
    """The guide's e-mail keys as the project's Alertmanager reads them (globals fill what a receiver omits)."""
    g = config["global"]
    email: dict[str, Any] = next((c for r in config["receivers"] for c in r.get("email_configs", [])), {})
    return {"to": email.get("to"), "from": email.get("from", g.get("smtp_from")),
            "smarthost": email.get("smarthost", g.get("smtp_smarthost")),
            "auth_username": email.get("auth_username", g.get("smtp_auth_username")),
            "auth_password": email.get("auth_password", g.get("smtp_auth_password")),
            "require_tls": email.get("require_tls", g.get("smtp_require_tls"))}


def computed() -> tuple[set[str], set[str], set[str]]:
    """(differences, alerts the guide lacks, scrape jobs the guide lacks) for prod."""
    settings = stack_settings("prod")
    ours = {r.alert: r for g in alert_groups(settings) for r in g.rules}
    found: set[str] = set()
    for alert in guide.GUIDE_ALERTS:
        rule = ours.get(alert.name)
        if rule is None:
            found.add(f"alert {alert.name}: missing")
            continue
        for field, theirs, mine in (("expression", alert.expr, rule.expr), ("for", alert.for_, rule.for_),
                                    ("severity", alert.severity, rule.severity),
                                    ("summary", alert.summary, rule.summary),
                                    ("description", alert.description, rule.description)):
            if theirs != mine:
                found.add(f"alert {alert.name}: {field}")
    prometheus = render_prometheus_config(settings)
    found |= {f"prometheus global: {k}" for k, v in guide.GUIDE_PROMETHEUS_GLOBAL.items()
              if prometheus["global"].get(k) != v}
    jobs = {j["job_name"]: j for j in prometheus["scrape_configs"]}
    for job, target in guide.GUIDE_SCRAPE_JOBS.items():
        if job not in jobs:
            found.add(f"scrape {job}: job name")
        elif target not in [t for c in jobs[job].get("static_configs", []) for t in c["targets"]]:
            found.add(f"scrape {job}: target")
    found |= {f"scrape {job}: metrics_path" for job, path in guide.GUIDE_METRICS_PATHS.items()
              if job in jobs and jobs[job].get("metrics_path", "/metrics") != path}
    config = render_alertmanager_config(guide.GUIDE_ROUTE, settings, "https://hooks.slack.com/services/x", "pw")
    found |= {f"alertmanager global: {k}" for k, v in guide.GUIDE_ALERTMANAGER_GLOBAL.items()
              if config["global"].get(k) != v}
    found |= {f"route {k}" for k, v in guide.GUIDE_ROUTE.items() if config["route"].get(k) != v}
    receivers = {r["name"]: r for r in config["receivers"]}
    slack = (receivers.get(guide.GUIDE_SLACK_RECEIVER, {}).get("slack_configs") or [{}])[0]
    found |= {f"receiver {guide.GUIDE_SLACK_RECEIVER}: {k}" for k, v in guide.GUIDE_SLACK_CONFIG.items()
              if slack.get(k) != v}
    if guide.GUIDE_EMAIL_RECEIVER not in receivers:
        found.add(f"receiver {guide.GUIDE_EMAIL_RECEIVER}: name")
    email = _email(config)
    found |= {f"receiver {guide.GUIDE_EMAIL_RECEIVER}: {k}" for k, v in guide.GUIDE_EMAIL_CONFIG.items()
              if email[k] != v}
    guide_alerts = {a.name for a in guide.GUIDE_ALERTS}
    return found, set(ours) - guide_alerts, set(jobs) - set(guide.GUIDE_SCRAPE_JOBS)


def test_every_difference_from_the_guide_has_its_row_and_no_row_is_stale() -> None:
    found, _, _ = computed()
    assert found, "the comparison finds nothing: it is broken"
    documented = {key for key in rows() if key.startswith(COMPARED) and not key.endswith(" added")}
    assert sorted(found - documented) == [], "differences docs/departures.md does not name"
    assert sorted(documented - found) == [], "rows of docs/departures.md for differences that are gone"


def test_the_guides_timing_is_kept_so_no_alert_pages_later() -> None:
    found, _, _ = computed()
    later = sorted(k for k in found if k.endswith((": for", "group_wait", "group_interval", "repeat_interval",
                                                   ": severity")))
    assert later == [], "the guide's `for`, severities and route timers are the program's"


@pytest.mark.parametrize("row", ["alerts added", "scrape jobs added"])
def test_every_addition_to_the_guide_is_named(row: str) -> None:
    _, alerts, jobs = computed()
    assert listed(row) == (alerts if row == "alerts added" else jobs)


def test_every_departure_quotes_the_guide_and_gives_the_project_and_its_reason() -> None:
    for key, rest in rows().items():
        cells = [c.strip() for c in rest.split("|")]
        assert len([c for c in cells if c]) >= 2, f"{key}: needs what the project does and why"
