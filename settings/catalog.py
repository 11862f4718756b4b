"""Every container image of the stack, pinned to an exact version, in one place.

Override one per stack with `pulumi config set --path images.<service> <image:tag>`.
Grafana's tag matches `grafana-foundation-sdk` (11.6) in requirements.txt.
"""

from __future__ import annotations

DEFAULT_IMAGES: dict[str, str] = {
    "prometheus": "prom/prometheus:v3.5.0",
    "alertmanager": "prom/alertmanager:v0.28.1",
    "node-exporter": "prom/node-exporter:v1.9.1",
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.52.1",
    "postgres-exporter": "quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
    "grafana": "grafana/grafana:11.6.3",
    "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:8.18.2",
    "kibana": "docker.elastic.co/kibana/kibana:8.18.2",
    # The -debug variant of the same release: the default image is distroless (no shell, no curl),
    # so a healthcheck could not run in it.
    "fluent-bit": "cr.fluentbit.io/fluent/fluent-bit:3.2.10-debug",
    # One-shot job that sets the built-in Elasticsearch users' passwords and the index lifecycle.
    "elastic-setup": "curlimages/curl:8.13.0",
}

SERVICES: tuple[str, ...] = tuple(DEFAULT_IMAGES)
