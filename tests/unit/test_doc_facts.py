"""Facts the documents state that the code can prove: names, durations, paths, images, users."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mixin.alerts import alert_groups, alert_names
from mixin.guide import GUIDE_ROUTE, GUIDE_TROUBLESHOOTING_COMMANDS
from offline.mocks import ProgramRun, unwrap
from render import fluent_bit
from render.alertmanager import render_alertmanager_config
from render.elasticsearch import HEALTHCHECK_CURLRC
from settings.catalog import DEFAULT_IMAGES, SWARM_ONLY_SERVICES
from tests.conftest import stack_settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = {p.name: p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}


def rule(name: str):  # type: ignore[no-untyped-def]
    return next(r for g in alert_groups(stack_settings("prod")) for r in g.rules if r.alert == name)


def test_target_down_delay_is_the_rules_for() -> None:
    minutes = re.search(r"`TargetDown` alert fires for any target down for (\d+) minutes", DOCS["operations.md"])
    assert minutes and f"{minutes.group(1)}m" == rule("TargetDown").for_


def test_readme_counts_the_alert_rules_and_their_files() -> None:
    settings = stack_settings("prod")
    stated = re.search(r"(\d+) rules in (\d+) files", DOCS["README.md"])
    assert stated and (int(stated.group(1)), int(stated.group(2))) == (len(alert_names(settings)),
                                                                       len(alert_groups(settings)))


def test_readme_states_the_routes_timers() -> None:
    route = render_alertmanager_config(GUIDE_ROUTE, stack_settings("prod"), "https://hooks.slack.com/x", "pw")["route"]
    expected = (f"group_wait {route['group_wait']}, group_interval {route['group_interval']}, "
                f"repeat_interval {route['repeat_interval']}")
    assert expected in " ".join(DOCS["README.md"].split())


def test_docs_name_the_fluent_bit_metrics_path_the_scrape_uses() -> None:
    for name, text in DOCS.items():
        for path in re.findall(r"/api/v\d/metrics/prometheus", text):
            # v1 appears only where a document explains why it is not used.
            assert path == fluent_bit.METRICS_PATH or "lacks" in text, name
    assert fluent_bit.METRICS_PATH in DOCS["operations.md"]


def test_every_volume_a_document_names_exists(dev_run: ProgramRun) -> None:
    volumes = {unwrap(v.inputs)["name"].removeprefix("christmas-monitoring-dev-")
               for v in dev_run.of_type("docker:index/volume:Volume")}
    for name, text in DOCS.items():
        for volume in re.findall(r"\$P-([a-z-]+-data)\b", text):
            assert volume in volumes, f"{name} names a volume the stack does not create: $P-{volume}"


def summary_rows() -> dict[str, list[str]]:
    table = DOCS["images.md"].split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("| ")]
    return {row[0]: row for row in rows[1:]}


def test_images_summary_covers_every_image_as_pinned() -> None:
    rows = summary_rows()
    assert sorted(rows) == sorted(DEFAULT_IMAGES)
    for service, row in rows.items():
        assert row[1] == f"`{DEFAULT_IMAGES[service]}`", service


@pytest.mark.parametrize("column", ["user", "capabilities added", "healthcheck runs", "network"])
def test_images_summary_matches_the_containers(dev_run: ProgramRun, column: str) -> None:
    rows = summary_rows()
    containers = {unwrap(c.inputs)["name"].removeprefix("christmas-monitoring-dev-"): unwrap(c.inputs)
                  for c in dev_run.containers()}
    for service, row in rows.items():
        if service in SWARM_ONLY_SERVICES:  # no container on one host (tests/unit/test_swarm_program.py)
            assert service not in containers
            continue
        spec = containers[service]
        if column == "user":
            user = spec.get("user")
            assert row[2] == (f"`{user}`" if user else row[2]) and (user is not None) == row[2].startswith("`"), service
        elif column == "capabilities added":
            adds = (spec.get("capabilities") or {}).get("adds") or []
            assert row[3] == (", ".join(f"`{a}`" for a in adds) or "none"), service
        elif column == "healthcheck runs":
            tests = spec["healthcheck"]["tests"]
            binary = "none" if tests == ["NONE"] else (tests[1] if tests[0] == "CMD" else tests[1].split()[0])
            assert row[4].split()[0].strip("`") == binary, service
        else:
            assert row[5] == ("host" if spec.get("networkMode") == "host" else "stack"), service


def test_the_operations_guide_port_table_matches_the_stack_files():
    """docs/operations.md's table of published ports says what Pulumi.<stack>.yaml publishes."""
    import re
    from pathlib import Path

    from tests.conftest import stack_settings

    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    rows = {m.group(1): (m.group(2).strip(), m.group(3).strip())
            for m in re.finditer(r"^\| [^|]+ \| `\$P-([a-z-]+)`[^|]* \| [^|]+ \| ([^|]+) \| ([^|]+) \|$", text,
                                 flags=re.MULTILINE)}
    for index, stack in enumerate(("dev", "prod")):
        settings = stack_settings(stack)
        published_ports = {n: s.publish for n, s in settings.services.items() if n in rows and n != "edge"}
        for service, published in published_ports.items():
            shown = rows[service][index]
            expected = f"{published.bind_address}:{published.host_port}" if published else None
            assert (shown == expected) if expected else shown in ("\u2013", "not published"), (stack, service, shown)
        edge = settings.edge
        assert rows["edge"][index] == f"{edge.address}:{edge.http_port}, {edge.address}:{edge.https_port}"


def test_each_of_the_guides_section_9_commands_has_its_equivalent_in_operations(prod_run: ProgramRun) -> None:
    """Every command of the guide's §9 is a row, next to one that names a real container and file."""
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", DOCS["operations.md"], re.M)}
    names = {unwrap(c.inputs)["name"].removeprefix("christmas-monitoring-prod-") for c in prod_run.containers()}
    for command in GUIDE_TROUBLESHOOTING_COMMANDS:
        assert command in rows, f"operations.md lacks the guide's `{command}`"
        for service in re.findall(r"\$P-([a-z0-9-]+)", rows[command]):
            assert service in names, f"{command}: no container $P-{service}"
        assert "_cat" not in command or HEALTHCHECK_CURLRC in rows[command]
