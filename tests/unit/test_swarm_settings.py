"""The `target` setting, and what a swarm stack must not ask for."""

from __future__ import annotations

import json

import pytest

from settings.model import SettingsError, parse_settings
from tests.conftest import stack_config


def _swarm(**changes: object) -> dict[str, str]:
    config, _ = stack_config("swarm")
    for key, value in changes.items():
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config


def _parse(config: dict[str, str]):
    _, secret_keys = stack_config("swarm")
    return parse_settings("christmas-monitoring", "swarm", config, frozenset(secret_keys))


def test_the_swarm_example_stack_targets_swarm_and_the_others_one_docker_host():
    assert _parse(_swarm()).target == "swarm"
    dev, secret_keys = stack_config("dev")
    assert parse_settings("christmas-monitoring", "dev", dev, frozenset(secret_keys)).target == "docker"


def test_an_unknown_target_is_refused_with_the_choices():
    with pytest.raises(SettingsError, match=r"target: .*docker.*swarm"):
        _parse(_swarm(target="kubernetes"))


def test_swarm_publishes_the_edge_on_every_node():
    config = _swarm()
    edge = {**json.loads(config["edge"]), "address": "127.0.0.1"}
    with pytest.raises(SettingsError, match=r"edge.address: must be 0.0.0.0 with target swarm"):
        _parse({**config, "edge": json.dumps(edge)})


def test_swarm_needs_no_gossip_subnet_one_host_does():
    assert not _parse(_swarm()).alerting.gossip_subnet  # the swarm stack sets none, and is valid
    dev, secret_keys = stack_config("prod")
    alerting = {k: v for k, v in json.loads(dev["alerting"]).items() if k != "gossipSubnet"}
    with pytest.raises(SettingsError, match=r"alerting.gossipSubnet: is required"):
        parse_settings("christmas-monitoring", "prod", {**dev, "alerting": json.dumps(alerting)},
                       frozenset(secret_keys))


def test_swarm_needs_two_alertmanager_peers_to_survive_a_node():
    config = _swarm()
    alerting = {**json.loads(config["alerting"]), "alertmanagerPeers": 1}
    with pytest.raises(SettingsError, match=r"alerting.alertmanagerPeers: must be at least 2 with target swarm"):
        _parse({**config, "alerting": json.dumps(alerting)})


def test_swarm_cannot_publish_on_loopback_only():
    config = _swarm()
    publish = {**json.loads(config.get("publish", "{}")), "prometheus": {"port": 9090, "address": "127.0.0.1"}}
    with pytest.raises(SettingsError, match=r"publish.prometheus.address: must be 0.0.0.0 with target swarm"):
        _parse({**config, "publish": json.dumps(publish)})


def test_swarm_needs_the_nodes_subnet_for_node_exporter_and_it_must_be_a_subnet():
    config = _swarm()
    assert _parse(config).swarm_node_subnet == "172.16.20.0/24"
    del config["swarmNodeSubnet"]
    with pytest.raises(SettingsError, match=r"(?s)swarmNodeSubnet: is required with target swarm .*fix: pulumi "
                                            r"config set swarmNodeSubnet"):
        _parse(config)
    with pytest.raises(SettingsError, match=r"swarmNodeSubnet: must be an IPv4 subnet"):
        _parse(_swarm(swarmNodeSubnet="172.16.20.7"))
