"""The service catalog: one row per service of the stack, read by every component and renderer.

Images are pinned to exact versions (override one per stack with
`pulumi config set --path images.<service> <image:tag>`); Grafana's tag matches
`grafana-foundation-sdk` (11.6) in requirements.txt. What each image does (user, paths,
healthcheck binary) is cited from its build files in docs/images.md.
"""

from __future__ import annotations

from dataclasses import dataclass

# Docker labels on every object of the stack (containers, volumes, networks). Fluent Bit reads the
# service and stack labels from each log line, cAdvisor keeps them on its series.
LABEL_PREFIX = "com.christmas.monitoring"
PROJECT_LABEL = f"{LABEL_PREFIX}.project"
STACK_LABEL = f"{LABEL_PREFIX}.stack"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
PURPOSE_LABEL = f"{LABEL_PREFIX}.purpose"


@dataclass(frozen=True)
class ServiceSpec:
    image: str
    # The port the service listens on inside its container (fixed by the image); None = no server.
    port: int | None
    memory_mb: int
    cpus: float
    # The path its healthcheck asks for on `port` ("" = the component defines its own check).
    health_path: str = ""
    # The user the image runs as (uid:gid), which owns its writable paths and uploaded files.
    user: str = "0:0"
    # Where it keeps data that must survive container replacement (a named volume).
    data_path: str = ""


CATALOG: dict[str, ServiceSpec] = {
    "prometheus": ServiceSpec("prom/prometheus:v3.5.0", 9090, 1024, 1.0, "/-/healthy", "65534:65534",
                              "/prometheus"),
    "alertmanager": ServiceSpec("prom/alertmanager:v0.28.1", 9093, 128, 0.25, "/-/healthy", "65534:65534",
                                "/alertmanager"),
    "node-exporter": ServiceSpec("prom/node-exporter:v1.9.1", 9100, 64, 0.25, "/metrics", "65534:65534"),
    # 0.56.2: reads containers on Docker's containerd image store (fixed in v0.54.0) and needs the
    # containerd socket only there (fixed in v0.56.0); published on ghcr.io since v0.53.0, tags
    # without the leading v (docs/images.md).
    "cadvisor": ServiceSpec("ghcr.io/google/cadvisor:0.56.2", 8080, 256, 0.5, "/healthz"),
    # Health on its landing page, not /metrics: a scrape connects to the database, so an unreachable
    # database (a DNS or connect timeout longer than the check's 5 s) made the exporter "unhealthy" and
    # `pulumi up` failed, while the exporter is what reports the database down (pg_up 0). "/" is served
    # without touching the database (cmd/postgres_exporter/main.go at v0.17.1: web.NewLandingPage).
    "postgres-exporter": ServiceSpec("quay.io/prometheuscommunity/postgres-exporter:v0.17.1", 9187, 64, 0.25,
                                     "/", "65534:65534"),
    "grafana": ServiceSpec("grafana/grafana:11.6.3", 3000, 512, 0.5, "/api/health", "472:0", "/var/lib/grafana"),
    "elasticsearch": ServiceSpec("docker.elastic.co/elasticsearch/elasticsearch:8.18.2", 9200, 2048, 1.0, "",
                                 "1000:0", "/usr/share/elasticsearch/data"),
    "kibana": ServiceSpec("docker.elastic.co/kibana/kibana:8.18.2", 5601, 1024, 1.0, "", "1000:0"),
    # The -debug variant of the same release: the default image is distroless (no shell, no curl),
    # so a healthcheck could not run in it.
    "fluent-bit": ServiceSpec("cr.fluentbit.io/fluent/fluent-bit:3.2.10-debug", 2020, 128, 0.5,
                              "/api/v1/health", "0:0", "/fluent-bit/data"),
    # Elasticsearch's cluster health, disk and indexing counters for Prometheus (docs/images.md).
    "elasticsearch-exporter": ServiceSpec("quay.io/prometheuscommunity/elasticsearch-exporter:v1.11.0", 9114, 64,
                                          0.25, "/healthz", "65534:65534"),
    # Probes the public HTTPS endpoints for their certificates' expiry (docs/images.md). The image
    # has no USER (root): the program runs it as nobody.
    "blackbox-exporter": ServiceSpec("prom/blackbox-exporter:v0.28.0", 9115, 64, 0.25, "/-/healthy",
                                     "65534:65534"),
    # One-shot jobs that set the Elasticsearch users' passwords, the index lifecycle and Kibana's
    # saved objects. The image's user is curl_user (uid 100); the program runs them as nobody,
    # who owns their secret files (render/elastic_setup.py).
    "elastic-setup": ServiceSpec("curlimages/curl:8.13.0", None, 64, 0.25, "", "65534:65534"),
    # The TLS entry point in front of Grafana and Kibana (components/edge.py; docs/edge.md). It
    # listens on edge.httpPort/httpsPort, published by the edge itself (not `publish.<service>`).
    "edge": ServiceSpec("caddy:2.11.2", None, 128, 0.5, "", "0:0", "/data"),
    # Swarm only: the Engine API for Prometheus' discovery, read-only (GET of nodes, services, tasks,
    # networks), so Prometheus never holds the Docker socket. HAProxy on Alpine, runs as root to read the socket.
    "docker-api": ServiceSpec("ghcr.io/tecnativa/docker-socket-proxy:0.4.1", 2375, 64, 0.25, "/_ping"),
}

SERVICES: tuple[str, ...] = tuple(CATALOG)
# Services that exist only with `target: swarm` (components/swarm_service.py).
SWARM_ONLY_SERVICES: tuple[str, ...] = ("docker-api",)
DEFAULT_IMAGES: dict[str, str] = {name: spec.image for name, spec in CATALOG.items()}
# Ports inside the containers, for the services that serve one (the ones that can be published).
CONTAINER_PORTS: dict[str, int] = {name: spec.port for name, spec in CATALOG.items() if spec.port is not None}
