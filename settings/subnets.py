"""The subnets a stack chooses, against the address space Docker and Swarm give away by themselves,
public ranges, and the subnets of the other stacks on the same daemon.

`alerting.gossipSubnet` (target docker) is a bridge network the program creates with that subnet
(components/alerting.py); `swarmNodeSubnet` (target swarm) is the nodes' own network, which
Prometheus, on the stack's overlays, dials to scrape node-exporter.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from settings.problems import Problems, fix_command

if TYPE_CHECKING:
    from settings.stack import StackSettings

Net = ipaddress.IPv4Network

# RFC 1918: a subnet elsewhere is someone's public addresses, which the network's bridge (or the
# nodes' routes) would shadow on the host.
PRIVATE = tuple(Net(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

# Docker's default address pools for local (bridge) networks, as Docker 20.10 splits them: 172.17-31
# in /16s, 192.168.0.0/16 in /20s (moby v20.10.24 vendors libnetwork's ipamutils/utils.go:
# localScopeDefaultNetworks). docker0 takes the first; every network created without a subnet (a
# Compose project, `docker network create x`) takes the next free one. A network created with a subnet
# in them fails ("Pool overlaps with other one on this address space") once Docker has given that
# range away, and a later network without a subnet skips it: the outcome depends on what else runs.
DOCKER_LOCAL_POOLS = tuple(Net(n) for n in ("172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/14",
                                            "172.24.0.0/14", "172.28.0.0/14", "192.168.0.0/16"))
DOCKER_LOCAL_POOLS_TEXT = "172.17.0.0/16 to 172.31.0.0/16 and 192.168.0.0/16"
# Swarm's default pool for overlay networks, /24 each (the same file: globalScopeDefaultNetworks),
# unless the swarm was created with `docker swarm init --default-addr-pool`. It matters where an
# overlay's subnet meets another network: the nodes' (swarmNodeSubnet). A single Docker host that is
# no Swarm manager gives none of it away, so gossipSubnet is not held to it.
SWARM_DEFAULT_POOL = "10.0.0.0/8"
# What the fixes suggest: private, outside both default pools.
_FREE_RANGES = (Net("172.16.0.0/16"), Net("10.0.0.0/8"))
GOSSIP_EXAMPLE = "172.16.94.0/28"

GOSSIP, NODES, POOL = "alerting.gossipSubnet", "swarmNodeSubnet", "swarmAddressPool"


def _net(text: str) -> Net | None:
    try:
        return Net(text, strict=False)
    except ValueError:
        return None


def _others(neighbours: Mapping[str, Mapping[str, str]], keys: tuple[str, ...]) -> Iterator[tuple[str, str, Net]]:
    """(stack, key, subnet) of the other stacks on the same daemon, for the keys given."""
    for stack, subnets in sorted(neighbours.items()):
        for key, text in sorted(subnets.items()):
            if key in keys and (net := _net(text)) is not None:
                yield stack, key, net


def free_subnet(prefix: int, taken: list[Net]) -> str:
    """The first private subnet of `prefix` bits outside Docker's pools and `taken`."""
    for whole in _FREE_RANGES:
        if prefix < whole.prefixlen:
            continue
        for candidate in whole.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(t) for t in taken):
                return str(candidate)
    return GOSSIP_EXAMPLE


def _gossip(s: StackSettings, neighbours: Mapping[str, Mapping[str, str]], problems: Problems) -> None:
    net = _net(s.alerting.gossip_subnet)
    if net is None:
        return
    others = list(_others(neighbours, (GOSSIP, NODES)))
    fix = fix_command(GOSSIP, free_subnet(net.prefixlen, [n for _, _, n in others]))
    if not any(net.subnet_of(p) for p in PRIVATE):
        problems.add(GOSSIP, f"({net}) must be a private (RFC 1918) subnet: the gossip network's bridge would "
                     "shadow those addresses, someone else's, on the Docker host", fix)
    elif any(net.overlaps(p) for p in DOCKER_LOCAL_POOLS):
        problems.add(GOSSIP, f"({net}) overlaps Docker's default address pools ({DOCKER_LOCAL_POOLS_TEXT}), from which "
                     "Docker gives docker0 and every network created without a subnet their own: creating the gossip "
                     "network fails (\"Pool overlaps\") once Docker has given that range away", fix)
    else:
        for stack, key, other in others:
            if net.overlaps(other):
                problems.add(GOSSIP, f"({net}) overlaps {key} of stack '{stack}' ({other}) on the same Docker daemon: "
                             "Docker refuses "
                             "the second network, or its bridge shadows the other's addresses", fix)
                return


def _nodes(s: StackSettings, neighbours: Mapping[str, Mapping[str, str]], problems: Problems) -> None:
    net, pool = _net(s.swarm_node_subnet), _net(s.swarm_address_pool)
    if net is None or pool is None:
        return
    placeholder = f"pulumi config set {NODES} <the private subnet of the nodes' --advertise-addr>"
    if not any(net.subnet_of(p) for p in PRIVATE):
        problems.add(NODES, f"({net}) must be a private (RFC 1918) subnet: node-exporter serves the host's metrics "
                     "on each node's address in it", placeholder)
    elif net.overlaps(pool):
        problems.add(NODES, f"({net}) overlaps the Swarm's address pool for overlay networks ({POOL}: {pool}): "
                     "Prometheus, on the stack's overlays, would send a scrape of a node address inside an overlay's "
                     "subnet into that overlay instead of to the node",
                     f"pulumi config set {POOL} <the pool given to docker swarm init --default-addr-pool, outside "
                     f"{net}>")
    else:
        for stack, key, other in _others(neighbours, (GOSSIP,)):
            if net.overlaps(other):
                free = free_subnet(other.prefixlen, [net])
                problems.add(NODES, f"({net}) overlaps {key} of stack '{stack}' ({other}) on the same Docker daemon: "
                             "that stack's gossip bridge shadows the nodes' addresses on this host",
                             f"pulumi config set --stack {stack} --path {key} <a subnet outside {net}, e.g. {free}>")
                return


def check_subnets(s: StackSettings, neighbours: Mapping[str, Mapping[str, str]], problems: Problems) -> None:
    """Each chosen subnet where it is used: the gossip network on one Docker host, the nodes on a Swarm."""
    # The gossip network exists with two or more peers on one Docker host only (components/alerting.py).
    if not s.swarm and s.alerting.alertmanager_peers > 1 and s.alerting.gossip_subnet \
            and not problems.about(GOSSIP, "alerting.alertmanagerPeers"):
        _gossip(s, neighbours, problems)
    if s.swarm and s.swarm_node_subnet and not problems.about(NODES, POOL):
        _nodes(s, neighbours, problems)
