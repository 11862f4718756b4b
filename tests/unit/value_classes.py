"""The corpus grows by class: bad values generated from the declarations and the consumers' limits,
so a new setting of a class gets its cases without anyone writing them (tests/unit/test_bad_inputs.py).

Each generator walks every declared key of its class (settings/sections.py, services.py, secrets.py)
and derives the values from the constants the checks use: the consumer's bounds and floors, the
loopback spellings, the host trees a mount may not expose, the services on the host's network.
"""

from __future__ import annotations

import json
from typing import Any, get_type_hints

from offline.placeholders import PLACEHOLDERS
from settings import grammar as g
from settings import image_versions as iv
from settings import places, subnets
from settings.catalog import CATALOG, CONTAINER_PORTS, SERVICES
from settings.declare import declarations
from settings.memory_floors import MEMORY_FLOORS
from settings.sections import SECTIONS
from tests.conftest import stack_config

Case = tuple[str, Any, str]

# Values just past each bounded grammar's limits (settings/grammar.py cites the consumer of each).
BEYOND: dict[Any, tuple[Any, ...]] = {
    g.prometheus_size: ("8192PB", "9" * 19 + "B", f"{(g.PROMETHEUS_SIZE_FLOOR >> 20) - 1}MB"),
    g.prometheus_interval: ("999ms", "1ms"),
    g.es_time: ("9" * 20 + "d", f"{g.ES_ROLLOVER_FLOOR_SECONDS // 60 - 1}m"),
    g.es_size: ("8192pb", f"{(g.ES_SIZE_FLOOR >> 20) - 1}mb"),
    g.fluent_bit_size: ("9223372036G", "9223372036854M", "9223372036854775K", "9999K"),
    g.tcp_port: (0, 65536, -1),
}
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "127.8.9.10", "[::1]", "0.0.0.0", "api.localhost")
SECRET_URLS = ("slackWebhookUrl", "heartbeatUrl", "postgresExporterDsn")


def _with_host(example: str, host: str) -> str:
    """`example` (host, host:port or URL) with its host replaced by `host`."""
    old = places.host_of(example)
    return example.replace(old, host, 1)


def _declared() -> list[tuple[str, Any, Any, Any]]:
    """(full key, declaration, type, field default) of every object setting."""
    found = []
    for section, cls in SECTIONS.items():
        hints = get_type_hints(cls)
        for field, d in declarations(cls):
            found.append((f"{section}.{d.key}", d, hints[field.name], field.default))
    return found


def numbers_beyond_the_consumer() -> list[Case]:
    cases = []
    for key, d, _, _ in _declared():
        check = d.check
        cases += [(key, value, key) for value in BEYOND.get(check, ())]
    return cases


def loopback_inside_a_container() -> list[Case]:
    cases: list[Case] = []
    for key, d, kind, _ in _declared():
        if not d.read_by:
            continue
        for host in LOOPBACK_HOSTS:
            value = _with_host(d.example, host)
            # The S3 endpoint's grammar takes no brackets (Elasticsearch's endpoint setting is host[:port]).
            if key.endswith("snapshotS3Endpoint") and host.startswith("["):
                continue
            cases.append((key, [value] if kind is not str else value, key))
    for key in SECRET_URLS:
        cases += [(key, _with_host(PLACEHOLDERS[key], host), key) for host in ("localhost", "127.0.0.1", "[::1]")]
    return cases


def host_trees_a_mount_may_not_expose() -> list[Case]:
    trees = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/usr", "/run", "/var/run",
             places.FLUENT_BIT_OWN_TREE)
    return [("logging.dockerLogDir", f"{tree}/containers", "logging.dockerLogDir") for tree in trees]


def ports_published_where_docker_ignores_or_exposes_them() -> list[Case]:
    cases: list[Case] = [(f"publish.{s}.port", 9100, f"publish.{s}") for s in places.HOST_NETWORK_SERVICES]
    for number, service in enumerate(CONTAINER_PORTS):
        if service in places.HOST_NETWORK_SERVICES:
            continue
        cases += [(f"publish.{service}.port", port, f"publish.{service}.port") for port in (0, 65536)]
        # prod has protectData: the services' plain-http ports stay on loopback (a free port each).
        cases.append((f"publish.{service}", {"port": 20000 + number, "address": "0.0.0.0"},
                      f"publish.{service}.address"))
    return cases


def thresholds_that_never_or_always_fire() -> list[Case]:
    cases = []
    for key, _, kind, _ in _declared():
        if key.startswith("thresholds.") and key.endswith("Percent") and kind is float:
            cases += [(key, value, key) for value in (0, 100, 100.000001, -0.5)]
    return cases


def floating_image_tags() -> list[Case]:
    return [(f"images.{s}", f"example/{s}:latest", f"images.{s}") for s in SERVICES]


def image_at(service: str, version: iv.Version) -> str:
    """The pinned image of `service` with its tag moved to `version` (the same `v` prefix and variant)."""
    pinned = CATALOG[service].image
    repository, _, tag = pinned.rpartition(":")
    found = iv.tag_version(pinned)
    assert found is not None, pinned
    return f"{repository}:{'v' if tag.startswith('v') else ''}{iv.shown(version)}{found[1]}"


def just_below(version: iv.Version) -> iv.Version:
    major, minor, patch = version
    return (major, minor, patch - 1) if patch else (major, minor - 1, 0) if minor else (major - 1, 0, 0)


def image_tags_outside_what_the_program_writes() -> list[Case]:
    """Each image just below the oldest release that takes the flags and fields the program writes, one
    major above the newest where there is one, as a digest without a tag, and without the variant its
    healthcheck needs (settings/image_versions.py)."""
    cases: list[Case] = []
    for service, row in iv.IMAGE_VERSIONS.items():
        key = f"images.{service}"
        cases.append((key, image_at(service, just_below(row.floor)), key))
        if row.major is not None:
            cases.append((key, image_at(service, (row.major + 1, 0, 0)), key))
        cases.append((key, f"{CATALOG[service].image.rpartition(':')[0]}@sha256:{'0' * 64}", key))
        if row.variant:
            cases.append((key, CATALOG[service].image.removesuffix(row.variant), key))
    return cases


def _edges(net: subnets.Net, prefix: int) -> list[str]:
    """The first and the last subnet of `prefix` bits inside `net`."""
    inside = list(net.subnets(new_prefix=prefix)) if net.prefixlen <= prefix else [net]
    return [str(inside[0]), str(inside[-1])]


def _just_outside(net: subnets.Net, prefix: int) -> list[str]:
    """The subnets of `prefix` bits just before and just after `net`."""
    size = 2 ** (32 - prefix)
    first, last = int(net.network_address), int(net.broadcast_address)
    return [str(subnets.Net((n, prefix))) for n in (first - size, last + 1) if 0 <= n < 2**32]


def subnets_docker_gives_away_or_others_own() -> list[Case]:
    """The gossip network's subnet (prod: two peers on one Docker host) inside each of Docker's default
    local pools at both ends, and just outside each private range (someone's public addresses)."""
    key = subnets.GOSSIP
    cases = [(key, value, key) for pool in subnets.DOCKER_LOCAL_POOLS for value in _edges(pool, 28)]
    outside = {v for private in subnets.PRIVATE for v in _just_outside(private, 28)}
    # 172.16.0.0/12 ends where Docker's 172.17-31 pools end: its next neighbour is public.
    return cases + [(key, value, key) for value in sorted(outside)]


def memory_below_the_process_floor() -> list[Case]:
    """Each memory floor one MB short, and the grammar's least; Elasticsearch's limit one MB below twice the
    corpus stack's heap, reported on the heap the limit must hold."""
    cases = [(f"memoryMb.{service}", value, f"memoryMb.{service}")
             for service, (floor, _) in MEMORY_FLOORS.items() for value in (floor - 1, 16)]
    heap = json.loads(stack_config("prod")[0]["logging"])["elasticsearchHeapMb"]
    return [*cases, ("memoryMb.elasticsearch", 2 * heap - 1, "logging.elasticsearchHeapMb")]


GENERATORS = (numbers_beyond_the_consumer, loopback_inside_a_container, host_trees_a_mount_may_not_expose,
              ports_published_where_docker_ignores_or_exposes_them, thresholds_that_never_or_always_fire,
              floating_image_tags, subnets_docker_gives_away_or_others_own, memory_below_the_process_floor,
              image_tags_outside_what_the_program_writes)


def swarm_node_subnets_the_overlays_or_others_own() -> list[Case]:
    """The nodes' subnet of a Swarm stack (the swarm stack file) inside Swarm's default overlay pool at both
    ends, and just outside each private range. Run on the swarm stack (tests/unit/test_value_rules.py)."""
    key, pool = subnets.NODES, subnets.Net(subnets.SWARM_DEFAULT_POOL)
    outside = {v for private in subnets.PRIVATE for v in _just_outside(private, 24)}
    return [(key, value, key) for value in (*_edges(pool, 24), *sorted(outside))]


SWARM_GENERATORS = (swarm_node_subnets_the_overlays_or_others_own,)


def generated_cases() -> list[Case]:
    return [case for generate in GENERATORS for case in generate()]
