"""The configuration the integration tests run is the dev stack's, changed only where the module says.

tests/integration/stack.py lists the changes (loopback addresses, 1s intervals, two peers, shorter
`for:` and root-route timers); this file proves nothing else differs, so what the other tests show
about routes, rules and templates holds for the generated files.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from mixin.guide import GUIDE_ROUTE
from mixin.rule_files import render_rule_files
from render.alertmanager import render_alertmanager_config
from render.prometheus import render_prometheus_config
from settings.model import PROJECT, parse_settings
from settings.stack_file import stack_file_config
from tests.integration import stack as it
from tests.integration.processes import require_program

pytestmark = pytest.mark.integration


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


@pytest.fixture(scope="module")
def ports() -> it.Ports:
    return it.Ports.allocate()


def test_settings_differ_from_the_dev_stack_only_in_the_listed_overrides(ports):
    raw, secret_keys = stack_file_config("dev")
    dev = dataclasses.asdict(parse_settings(PROJECT, "dev", raw, frozenset(secret_keys)))
    test = dataclasses.asdict(it.integration_settings(ports))
    assert sorted(differences(dev, test)) == [
        ".alerting.alertmanager_peers", ".alerting.gossip_subnet", ".alerting.slack_enabled",
        ".alerting.smtp_smarthost", ".database.host", ".database.port",
        ".prometheus.evaluation_interval", ".prometheus.scrape_interval", ".secrets_set", ".sizing.expected_series",
    ]


def test_prometheus_config_differs_only_in_target_addresses_and_the_rule_directory(ports, tmp_path):
    settings = it.integration_settings(ports)
    rendered = render_prometheus_config(settings)
    copy = it.loopback_prometheus_config(rendered, it.loopback_addresses(ports), tmp_path, tmp_path / "secrets")
    changed = differences(rendered, copy)
    assert changed and all((p.endswith("]") and ".targets[" in p) or p.startswith(".rule_files")
                           or p.endswith(".basic_auth.password_file") for p in changed), changed
    assert all(t.startswith("127.0.0.1:") for job in copy["scrape_configs"] for s in job["static_configs"]
               for t in s["targets"])


def test_rules_differ_only_in_for_durations_and_group_intervals(ports):
    settings = it.integration_settings(ports)
    production = render_rule_files(settings)
    copy = it.shortened_rules(production)
    assert set(copy) == set(production)
    changed: list[str] = []
    for name, text in production.items():
        changed += [f"{name}{d}" for d in differences(yaml.safe_load(text), yaml.safe_load(copy[name]))]
    assert changed and all(p.endswith((".for", ".interval")) for p in changed), changed


def test_alertmanager_config_differs_only_in_the_root_route_timers(ports):
    settings = it.integration_settings(ports)
    rendered = render_alertmanager_config(GUIDE_ROUTE, settings, "http://127.0.0.1:1/slack", None)
    assert differences(rendered, it.shortened_alertmanager(rendered)) == [".route.group_interval", ".route.group_wait"]


def test_a_missing_program_fails_the_run_instead_of_skipping():
    with pytest.raises(pytest.fail.Exception, match="make tools"):
        require_program("/usr/bin/prometheus-not-installed")
