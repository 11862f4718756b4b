"""The loopback ports of one integration run (below the ephemeral range: processes.free_ports)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.integration.processes import free_ports

# Alertmanager peers in the test (the prod value): gossip and exactly-once delivery are exercised.
PEERS = 2


@dataclass(frozen=True)
class Ports:
    prometheus: int
    node_exporter: int
    postgres: int
    postgres_exporter: int
    api: int
    trading: int
    webhook: int
    smtp: int
    alertmanager: tuple[int, ...]
    cluster: tuple[int, ...]
    # Where the jobs of NOT_RUNNABLE_JOBS point: a port nothing listens on.
    closed: int
    # The stand-ins of Fluent Bit and the Elasticsearch exporter, and the Blackbox exporter.
    fluent_bit: int
    es_exporter: int
    blackbox: int

    @staticmethod
    def allocate() -> Ports:
        p = free_ports(12 + 2 * PEERS)
        return Ports(prometheus=p[0], node_exporter=p[1], postgres=p[2], postgres_exporter=p[3], api=p[4],
                     trading=p[5], webhook=p[6], smtp=p[7], closed=p[8], fluent_bit=p[9], es_exporter=p[10],
                     blackbox=p[11], alertmanager=tuple(p[12:12 + PEERS]), cluster=tuple(p[12 + PEERS:]))
