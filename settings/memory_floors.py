"""Memory limits below what a service's process needs, with the reason from the consumer.

Other floors live where their figure does: Prometheus' limit against the series it holds
(settings/sizing_checks.py, from `make bench`), Elasticsearch's against its JVM heap (at least twice
`logging.elasticsearchHeapMb`, settings/load.py: the heap plus as much off-heap). Services without a
floor here are held only to `memoryMb`'s grammar (16 MB and up, settings/services.py).
"""

from __future__ import annotations

from settings.problems import Problems, fix_command
from settings.stack import StackSettings

# Fluent Bit keeps at most this many chunks "up" in memory (render/fluent_bit.py writes it as
# storage.max_chunks_up); its buffering docs (administration/buffering-and-storage: "Chunks are never
# much larger than 2 MB") give each up to 2 MB. The floor is the chunks alone, not the process.
FLUENT_BIT_CHUNKS_UP = 64
FLUENT_BIT_CHUNK_MB = 2

# service -> (floor in MB, why)
MEMORY_FLOORS: dict[str, tuple[int, str]] = {
    # grafana.com/docs/grafana/<version>/setup-grafana/installation/ "Hardware recommendations", from
    # v10.1 on (v6 said 255 MB): "Minimum recommended memory: 512 MB".
    "grafana": (512, "Grafana's documented minimum (\"Minimum recommended memory: 512 MB\")"),
    "fluent-bit": (FLUENT_BIT_CHUNKS_UP * FLUENT_BIT_CHUNK_MB,
                   f"the {FLUENT_BIT_CHUNKS_UP} chunks of up to {FLUENT_BIT_CHUNK_MB} MB Fluent Bit keeps in memory "
                   "(storage.max_chunks_up) while Elasticsearch is slow"),
}


def memory_floors(s: StackSettings, problems: Problems) -> None:
    for service, (floor, why) in MEMORY_FLOORS.items():
        key, memory = f"memoryMb.{service}", s.services[service].memory_mb
        if memory < floor and not problems.about(key):
            problems.add(key, f"({memory} MB) is below the {floor} MB {service} needs: {why}",
                         fix_command(key, str(floor)))
