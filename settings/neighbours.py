"""The project's other stacks that share this stack's Docker daemon, read from their stack files
(`Pulumi.<stack>.yaml` beside the program): the ports they publish and the subnets they use.

Only the files are read, never the daemon: "the same daemon" is the identity `docker:host`'s URL
tells (settings/places.py daemon_identity).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from settings.places import daemon_identity
from settings.sections import EdgeSettings
from settings.services import PublishedPort
from settings.subnets import GOSSIP, NODES


def stack_file(project_dir: Path, stack: str) -> dict[str, Any]:
    """The `config:` of Pulumi.<stack>.yaml (secure values stay as their ciphertext objects)."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        return {}
    return dict(_read_yaml(path.read_text()).get("config") or {})


@functools.lru_cache(maxsize=16)
def _read_yaml(text: str) -> dict[str, Any]:
    # libyaml's loader where PyYAML has it; cached: every stack file is read for the port check.
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return dict(yaml.load(text, Loader=loader) or {})


def _same_daemon(stack: str, project_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The project's other stacks whose `docker:host` reaches this stack's daemon, however its URL is
    written (settings/places.py daemon_identity), with their configuration."""
    host = daemon_identity(str(stack_file(project_dir, stack).get("docker:host", "")))
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        other = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = stack_file(project_dir, other)
        if other != stack and daemon_identity(str(config.get("docker:host", ""))) == host:
            yield other, config


def same_daemon_stacks(stack: str, project_dir: Path) -> set[str]:
    """The project's other stacks `pulumi preview` compares with this one (their `docker:host` names the
    same daemon as written)."""
    return {other for other, _ in _same_daemon(stack, project_dir)}


def neighbour_ports(project: str, stack: str, project_dir: Path) -> dict[str, dict[str, PublishedPort]]:
    """Ports published by the project's other stacks on the same Docker host (`docker:host`)."""
    found: dict[str, dict[str, PublishedPort]] = {}
    for other, config in _same_daemon(stack, project_dir):
        publish = config.get(f"{project}:publish") or {}
        found[other] = {
            service: PublishedPort(int(entry["port"]), str(entry.get("address", "127.0.0.1")))
            for service, entry in publish.items()
            if isinstance(entry, dict) and isinstance(entry.get("port"), int)
        }
        found[other].update(_edge_ports_of(config.get(f"{project}:edge") or {}))
    return found


def neighbour_subnets(project: str, stack: str, project_dir: Path) -> dict[str, dict[str, str]]:
    """The subnets the project's other stacks on the same daemon use: a Docker stack's gossip network,
    a Swarm stack's nodes (settings/subnets.py)."""
    found: dict[str, dict[str, str]] = {}
    for other, config in _same_daemon(stack, project_dir):
        swarm = config.get(f"{project}:target") == "swarm"
        alerting = config.get(f"{project}:alerting")
        peers = alerting.get("alertmanagerPeers", 1) if isinstance(alerting, dict) else 1
        # The network exists with two or more peers on one Docker host only (components/alerting.py).
        gossip = alerting.get("gossipSubnet") if isinstance(alerting, dict) and not swarm \
            and isinstance(peers, int) and peers > 1 else None
        nodes = config.get(f"{project}:{NODES}") if swarm else None
        subnets = {key: str(value) for key, value in ((GOSSIP, gossip), (NODES, nodes)) if value}
        if subnets:
            found[other] = subnets
    return found


def _edge_ports_of(edge: Any) -> dict[str, PublishedPort]:
    """The two ports another stack's edge publishes (its `edge` section, or the defaults)."""
    d = EdgeSettings()
    edge = edge if isinstance(edge, dict) else {}
    address = str(edge.get("address", d.address))
    ports = {"edge.httpPort": edge.get("httpPort", d.http_port), "edge.httpsPort": edge.get("httpsPort", d.https_port)}
    return {key: PublishedPort(port, address) for key, port in ports.items() if isinstance(port, int)}
