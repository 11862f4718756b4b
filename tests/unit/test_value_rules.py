"""Rules across settings and across stacks: intervals against the rules' windows, retention against
them, rollover against the shard limit, Kibana's version against Elasticsearch's, Swarm's name limit,
stacks found on the same daemon however its URL is written, the subnets a stack chooses, and the
services' memory floors. Each fix is applied and accepted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from offline.mocks import ProgramRun, run_program, unwrap
from render.fluent_bit import render_fluent_bit_conf
from settings import places
from settings.memory_floors import FLUENT_BIT_CHUNKS_UP, MEMORY_FLOORS
from settings.model import SettingsError, parse_settings
from settings.neighbours import neighbour_ports, neighbour_subnets
from settings.stack_file import stack_config as plan_config
from tests.conftest import stack_config
from tests.unit.fixes import apply_fix
from tests.unit.value_classes import SWARM_GENERATORS


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
                             images={"kibana": "docker.elastic.co/kibana/kibana:8.18.1"})
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


# ----------------------------------------------------------------------------- subnets (settings/subnets.py)


@pytest.mark.parametrize(("key", "value", "named"), [c for g in SWARM_GENERATORS for c in g()])
def test_a_swarm_node_subnet_in_the_overlay_pool_or_public_is_refused(key: str, value: str, named: str) -> None:
    config, secret_keys = stack_config("swarm")
    config[key] = value
    message = outcome("swarm", config, secret_keys)
    problems = re.findall(r"^  - (\S+): ", message, flags=re.MULTILINE)
    assert problems == [named], message
    assert re.search(r"^      fix: pulumi config set (swarmNodeSubnet|swarmAddressPool) <", message, re.MULTILINE)


def test_a_node_subnet_inside_swarms_default_pool_is_accepted_once_the_swarms_own_pool_is_declared() -> None:
    config, secret_keys = stack_config("swarm")
    config["swarmNodeSubnet"] = "10.20.0.0/24"
    assert "swarmAddressPool" in outcome("swarm", config, secret_keys)
    config["swarmAddressPool"] = "10.128.0.0/9"
    assert outcome("swarm", config, secret_keys) == ""


@pytest.mark.parametrize("subnet", ["172.16.255.240/28", "172.16.94.0/28", "10.0.0.0/28", "10.255.255.248/29"])
def test_private_gossip_subnets_outside_dockers_pools_are_accepted(subnet: str) -> None:
    """Just below 172.17.0.0/16, and Swarm's 10.0.0.0/8, which a single Docker host gives nobody."""
    config, secret_keys = stack_config("prod")
    config["alerting"] = json.dumps({**json.loads(config["alerting"]), "gossipSubnet": subnet})
    assert outcome("prod", config, secret_keys) == ""


def _stack_files(tmp_path: Path, stacks: dict[str, tuple[str, str]]) -> None:
    """Pulumi.<stack>.yaml files: (docker:host, the lines of the project's settings)."""
    for stack, (host, settings) in stacks.items():
        line = f"  docker:host: {host}\n" if host else ""  # none: the local socket
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(f"config:\n{line}{settings}")


_GOSSIP = "  christmas-monitoring:alerting:\n    alertmanagerPeers: 2\n    gossipSubnet: {}\n"


@pytest.mark.parametrize(("host", "other"), [("unix:///var/run/docker.sock", "unix:///run/docker.sock/"),
                                             ("tcp://localhost:2376", "tcp://127.0.0.1:2376")])
def test_a_gossip_subnet_overlapping_another_stacks_on_the_same_daemon_is_refused(host: str, other: str,
                                                                               tmp_path: Path) -> None:
    _stack_files(tmp_path, {"prod": (host, _GOSSIP.format("172.16.94.0/28")),
                            "staging": (other, _GOSSIP.format("172.16.94.8/29"))})
    neighbours = neighbour_subnets("christmas-monitoring", "prod", tmp_path)
    assert neighbours == {"staging": {"alerting.gossipSubnet": "172.16.94.8/29"}}
    config, secret_keys = stack_config("prod")
    message = outcome_with(config, secret_keys, neighbours)
    assert re.findall(r"^  - (\S+): ", message, flags=re.MULTILINE) == ["alerting.gossipSubnet"], message
    assert "stack 'staging'" in message
    fix = str(re.findall(r"^      fix: (.*)$", message, flags=re.MULTILINE)[0])
    _, applied = apply_fix(config, "prod", fix)
    assert applied and outcome_with(config, secret_keys, neighbours) == "", fix


def test_a_swarm_node_subnet_under_another_stacks_gossip_bridge_on_the_same_daemon_is_refused(tmp_path: Path) -> None:
    manager = "ssh://deploy@swarm-manager-1.christmas.internal"
    _stack_files(tmp_path, {"swarm": (manager, "  christmas-monitoring:target: swarm\n"),
                            "lab": ("ssh://swarm-manager-1.christmas.internal:22", _GOSSIP.format("172.16.20.16/28"))})
    neighbours = neighbour_subnets("christmas-monitoring", "swarm", tmp_path)
    config, secret_keys = stack_config("swarm")
    message = ""
    try:
        parse_settings("christmas-monitoring", "swarm", config, frozenset(secret_keys), neighbour_subnets=neighbours)
    except SettingsError as error:
        message = str(error)
    assert re.findall(r"^  - (\S+): ", message, flags=re.MULTILINE) == ["swarmNodeSubnet"], message
    assert "fix: pulumi config set --stack lab --path alerting.gossipSubnet <" in message


def test_stacks_on_other_daemons_or_on_a_swarm_do_not_hold_each_others_gossip_subnets(tmp_path: Path) -> None:
    _stack_files(tmp_path, {"prod": ("ssh://a.example.com", _GOSSIP.format("172.16.94.0/28")),
                            "elsewhere": ("ssh://b.example.com", _GOSSIP.format("172.16.94.0/28")),
                            "swarm": ("ssh://a.example.com", "  christmas-monitoring:target: swarm\n"
                                      + _GOSSIP.format("172.16.94.0/28"))})
    # The Swarm stack's peers gossip on its overlay: its gossipSubnet is never a network.
    assert neighbour_subnets("christmas-monitoring", "prod", tmp_path) == {}


def outcome_with(config: dict[str, str], secret_keys: set[str], neighbours: dict[str, dict[str, str]]) -> str:
    try:
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys), neighbour_subnets=neighbours)
    except SettingsError as error:
        return str(error)
    return ""


@pytest.mark.parametrize(("a", "b"), [("unix:///run/docker.sock/", "unix:///var/run/docker.sock"),
                                      ("unix:/var/run/docker.sock", ""),
                                      ("tcp://localhost:2376", "tcp://127.0.0.1:2376"),
                                      ("tcp://[::1]:2376/", "tcp://localhost:2376"),
                                      ("ssh://user@host.example.com", "ssh://host.example.com:22"),
                                      ("ssh://HOST.example.com.", "ssh://host.example.com")])
def test_one_daemon_written_two_ways_is_one_identity(a: str, b: str) -> None:
    assert places.daemon_identity(a) == places.daemon_identity(b)


@pytest.mark.parametrize(("a", "b"), [("tcp://127.0.0.1:2376", "tcp://127.0.0.2:2376"),
                                      ("unix:///run/docker.sock", "unix:///run/user/1000/docker.sock"),
                                      ("tcp://localhost:2375", "tcp://localhost:2376"),
                                      ("ssh://host.example.com", "ssh://host.example.com:2222")])
def test_two_daemons_keep_two_identities(a: str, b: str) -> None:
    assert places.daemon_identity(a) != places.daemon_identity(b)


# ----------------------------------------------------------------------------- memory floors


@pytest.mark.parametrize("service", sorted(MEMORY_FLOORS))
def test_a_memory_limit_at_its_floor_is_accepted_and_below_it_refused_with_the_floor(service: str) -> None:
    floor = MEMORY_FLOORS[service][0]
    fix = refused_then_fixed(f"memoryMb.{service}", f"below the {floor} MB", memoryMb={service: floor - 1})
    assert fix.endswith(f" {floor}")


def test_fluent_bits_floor_counts_the_chunks_the_rendered_service_section_keeps_up() -> None:
    config, secret_keys = stack_config("prod")
    settings = parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    assert re.search(rf"storage\.max_chunks_up\s+{FLUENT_BIT_CHUNKS_UP}\n", render_fluent_bit_conf(settings))


def test_a_gossip_subnet_no_network_uses_is_neither_refused_nor_held_against_others(tmp_path: Path) -> None:
    """With one peer there is no gossip network (components/alerting.py): nothing to collide."""
    config, secret_keys = stack_config("prod")
    config["alerting"] = json.dumps({**json.loads(config["alerting"]), "alertmanagerPeers": 1,
                                     "gossipSubnet": "172.17.0.0/28"})
    assert outcome("prod", config, secret_keys) == ""
    _stack_files(tmp_path, {"prod": ("", _GOSSIP.format("172.16.94.0/28")),
                            "dev": ("", _GOSSIP.format("172.16.94.0/28").replace("Peers: 2", "Peers: 1"))})
    assert neighbour_subnets("christmas-monitoring", "prod", tmp_path) == {}
