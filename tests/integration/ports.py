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

    @staticmethod
    def allocate() -> Ports:
        p = free_ports(9 + 2 * PEERS)
        return Ports(prometheus=p[0], node_exporter=p[1], postgres=p[2], postgres_exporter=p[3], api=p[4],
                     trading=p[5], webhook=p[6], smtp=p[7], closed=p[8],
                     alertmanager=tuple(p[9:9 + PEERS]), cluster=tuple(p[9 + PEERS:]))
