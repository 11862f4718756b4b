"""Rules across settings and across stacks: intervals against the rules' windows, retention against
them, rollover against the shard limit, Kibana's version against Elasticsearch's, Swarm's name limit,
and stacks found on the same daemon however its URL is written. Each fix is applied and accepted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from offline.mocks import ProgramRun, run_program, unwrap
from settings import places
from settings.load import neighbour_ports
from settings.model import SettingsError, parse_settings
from settings.stack_file import stack_config as plan_config
from tests.conftest import stack_config
from tests.unit.fixes import apply_fix


def outcome(stack: str, config: dict[str, str], secret_keys: set[str]) -> str:
    try:
        parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))
    except SettingsError as error:
        return str(error)
    return ""


def refused_then_fixed(key: str, fragment: str, stack: str = "prod", name: str | None = None,
                       **sections: dict[str, object]) -> str:
    config, secret_keys = stack_config(stack)
    for section, values in sections.items():
        config[section] = json.dumps({**json.loads(config.get(section, "{}")), **values})
    message = outcome(name or stack, config, secret_keys)
    problems = re.findall(r"^  - (\(stack name\)|\S+): (.*)$", message, flags=re.MULTILINE)
    assert [k for k, _ in problems] == [key] and fragment in problems[0][1], message
    fix = str(re.findall(r"^      fix: (.*)$", message, flags=re.MULTILINE)[0])
    new_name, applied = apply_fix(config, name or stack, fix)
    assert applied, fix
    assert outcome(new_name, config, secret_keys) == "", fix
    return fix


def test_a_trading_idle_window_shorter_than_four_scrapes_is_refused() -> None:
    refused_then_fixed("thresholds.tradingIdleMinutes", "four scrapes",
                       prometheus={"scrapeInterval": "75s"}, thresholds={"tradingIdleMinutes": 2})


@pytest.mark.parametrize("retention", ["1h", "5h"])
def test_a_retention_shorter_than_what_the_rules_read_is_refused(retention: str) -> None:
    refused_then_fixed("prometheus.retentionTime", "6h", prometheus={"retentionTime": retention})


def test_a_rollover_that_breaks_the_shard_limit_gets_an_age_that_fits() -> None:
    fix = refused_then_fixed("logging.rolloverMaxAge", "cluster.max_shards_per_node",
                             logging={"retentionDays": 3650, "rolloverMaxAge": "1d"})
    assert fix.endswith(" 8d"), fix


def test_kibana_at_another_version_than_elasticsearch_is_refused() -> None:
    fix = refused_then_fixed("images.kibana", "must be the version of images.elasticsearch",
                             images={"kibana": "docker.elastic.co/kibana/kibana:8.17.0"})
    assert fix.endswith("kibana:8.18.2")


@pytest.mark.parametrize("name", ["christmas.prod", "a-very-long-swarm-stack-name-for-the-trading-platform"])
def test_a_swarm_stack_name_swarm_cannot_use_is_refused_with_a_rename_that_works(name: str) -> None:
    fix = refused_then_fixed("(stack name)", "Swarm", stack="swarm", name=name)
    assert fix.startswith("pulumi stack rename ")


def test_the_longest_swarm_service_name_is_the_one_the_rule_counts() -> None:
    config, secret_keys = plan_config("swarm")
    run = ProgramRun()
    run_program("swarm", config, secret_keys, into=run)
    prefix = "christmas-monitoring-swarm-"
    names = [unwrap(r.inputs)["name"] for r in run.resources if r.type == "docker:index/service:Service"]
    assert names and max(len(n) - len(prefix) for n in names) == len(places.LONGEST_SWARM_SERVICE)


@pytest.mark.parametrize(("a", "b"), [("", "unix:///var/run/docker.sock"), ("ssh://deploy@Host.example.com",
                                      "ssh://root@host.example.com:22"), ("tcp://10.0.0.5:2375", "tcp://10.0.0.5")])
def test_two_stacks_on_one_daemon_are_found_however_its_url_is_written(a: str, b: str, tmp_path: Path) -> None:
    for stack, host, port in (("one", a, 3000), ("two", b, 3000)):
        lines = ["config:", f"  christmas-monitoring:publish:\n    grafana: {{port: {port}, address: 127.0.0.1}}"]
        if host:
            lines.insert(1, f"  docker:host: {host}")
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("\n".join(lines) + "\n")
    assert "two" in neighbour_ports("christmas-monitoring", "one", tmp_path)


def test_stacks_on_different_daemons_are_apart(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.one.yaml").write_text("config:\n  docker:host: ssh://a.example.com\n")
    (tmp_path / "Pulumi.two.yaml").write_text("config:\n  docker:host: ssh://b.example.com\n")
    assert neighbour_ports("christmas-monitoring", "one", tmp_path) == {}
