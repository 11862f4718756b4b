"""The service catalog: one row per workload of the stack (services and one-shot jobs), read by every
component, renderer, rule, doctor and test (fields: settings/workload.py).

Images are pinned to exact versions (override one per stack with
`pulumi config set --path images.<service> <image:tag>`); Grafana's tag matches
`grafana-foundation-sdk` (11.6) in requirements.txt. What each image does (user, paths,
healthcheck binary) is cited from its build files in docs/images.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from settings.grammar import pinned_image
from settings.workload import STATEFUL, Placement, Scrape, ServiceSpec

# Docker labels on every object of the stack (containers, volumes, networks). Fluent Bit reads the
# service and stack labels from each log line, cAdvisor keeps them on its series.
LABEL_PREFIX = "com.christmas.monitoring"
PROJECT_LABEL = f"{LABEL_PREFIX}.project"
STACK_LABEL = f"{LABEL_PREFIX}.stack"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
PURPOSE_LABEL = f"{LABEL_PREFIX}.purpose"


CATALOG: dict[str, ServiceSpec] = {
    "prometheus": ServiceSpec("prom/prometheus:v3.5.0", 9090, 1024, 1.0, "/-/healthy", "65534:65534",
                              "/prometheus", scrape=Scrape("prometheus"), auth_user="prometheus",
                              placement=Placement(node_label="prometheus", update_order=STATEFUL)),
    # On Swarm: replicas = alerting.alertmanagerPeers (components/alerting.py), one per node.
    "alertmanager": ServiceSpec("prom/alertmanager:v0.28.1", 9093, 128, 0.25, "/-/healthy", "65534:65534",
                                "/alertmanager", scrape=Scrape("alertmanager"), auth_user="alertmanager",
                                placement=Placement(max_replicas_per_node=1, update_order=STATEFUL)),
    # node-exporter's docs: host network (and PID; a Swarm service cannot share the host PID namespace).
    "node-exporter": ServiceSpec("prom/node-exporter:v1.9.1", 9100, 64, 0.25, "/metrics", "65534:65534",
                                 scrape=Scrape("node_exporter"), host_network=True,
                                 placement=Placement(global_mode=True)),
    # 0.56.2: reads containers on Docker's containerd image store (fixed in v0.54.0) and needs the
    # containerd socket only there (fixed in v0.56.0); published on ghcr.io since v0.53.0, tags
    # without the leading v (docs/images.md).
    "cadvisor": ServiceSpec("ghcr.io/google/cadvisor:0.56.2", 8080, 256, 0.5, "/healthz",
                            scrape=Scrape("cadvisor"), placement=Placement(global_mode=True)),
    # Health on its landing page, not /metrics: a scrape connects to the database, so an unreachable
    # database (a DNS or connect timeout longer than the check's 5 s) made the exporter "unhealthy" and
    # `pulumi up` failed, while the exporter is what reports the database down (pg_up 0). "/" is served
    # without touching the database (cmd/postgres_exporter/main.go at v0.17.1: web.NewLandingPage).
    "postgres-exporter": ServiceSpec("quay.io/prometheuscommunity/postgres-exporter:v0.17.1", 9187, 64, 0.25,
                                     "/", "65534:65534", scrape=Scrape("postgres-exporter")),
    "grafana": ServiceSpec("grafana/grafana:11.6.3", 3000, 512, 0.5, "/api/health", "472:0", "/var/lib/grafana",
                           scrape=Scrape("grafana"),
                           placement=Placement(node_label="grafana", update_order=STATEFUL)),
    "elasticsearch": ServiceSpec("docker.elastic.co/elasticsearch/elasticsearch:8.18.2", 9200, 2048, 1.0, "",
                                 "1000:0", "/usr/share/elasticsearch/data",
                                 unscraped="no Prometheus endpoint of its own: elasticsearch-exporter is scraped",
                                 placement=Placement(node_label="elasticsearch", update_order=STATEFUL)),
    "kibana": ServiceSpec("docker.elastic.co/kibana/kibana:8.18.2", 5601, 1024, 1.0, "", "1000:0",
                          unscraped="Kibana 8 serves no Prometheus metrics; its healthcheck watches it",
                          placement=Placement(node_label="kibana")),
    # The -debug variant of the same release: the default image is distroless (no shell, no curl),
    # so a healthcheck could not run in it. Scraped on v2 (cmetrics): the v1 counters plus the
    # buffer's fill level (fluentbit_output_chunk_available_capacity_percent) the alerts read,
    # which v1 does not serve (src/flb_output.c, src/http_server/api/v2/metrics.c). Its buffer and
    # tail offsets are on the node's volume: the old task stops before the new one reads them.
    "fluent-bit": ServiceSpec("cr.fluentbit.io/fluent/fluent-bit:3.2.10-debug", 2020, 128, 0.5,
                              "/api/v1/health", "0:0", "/fluent-bit/data",
                              scrape=Scrape("fluent-bit", metrics_path="/api/v2/metrics/prometheus"),
                              placement=Placement(global_mode=True, update_order=STATEFUL)),
    # Elasticsearch's cluster health, disk and indexing counters for Prometheus (docs/images.md).
    "elasticsearch-exporter": ServiceSpec("quay.io/prometheuscommunity/elasticsearch-exporter:v1.11.0", 9114, 64,
                                          0.25, "/healthz", "65534:65534", scrape=Scrape("elasticsearch-exporter")),
    # Probes the public HTTPS endpoints for their certificates' expiry (docs/images.md). The image
    # has no USER (root): the program runs it as nobody.
    "blackbox-exporter": ServiceSpec("prom/blackbox-exporter:v0.28.0", 9115, 64, 0.25, "/-/healthy",
                                     "65534:65534", scrape=Scrape("blackbox-exporter")),
    # One-shot jobs that set the Elasticsearch users' passwords, the index lifecycle and Kibana's
    # saved objects. The image's user is curl_user (uid 100); the program runs them as nobody,
    # who owns their secret files (render/elastic_setup.py).
    "elastic-setup": ServiceSpec("curlimages/curl:8.13.0", None, 64, 0.25, "", "65534:65534", one_shot=True),
    # The TLS entry point in front of Grafana and Kibana (components/edge.py; docs/edge.md). It
    # listens on edge.httpPort/httpsPort, published by the edge itself (not `publish.<service>`).
    # Its certificates (ACME account and issued ones) are on its node's volume.
    "edge": ServiceSpec("caddy:2.11.2", None, 128, 0.5, "", "0:0", "/data",
                        placement=Placement(node_label="edge", update_order=STATEFUL)),
    # Swarm only: the Engine API for Prometheus' discovery, read-only (GET of nodes, services, tasks,
    # networks), so Prometheus never holds the Docker socket. HAProxy on Alpine, runs as root to read the
    # socket; the Engine API is served by managers only.
    "docker-api": ServiceSpec("ghcr.io/tecnativa/docker-socket-proxy:0.4.1", 2375, 64, 0.25, "/_ping",
                              unscraped="Prometheus' discovery reads it; it serves no metrics",
                              swarm_only=True, placement=Placement(manager_only=True)),
    # The workloads below have no settings of their own: each runs another row's image within the
    # setup jobs' limits. They mount other services' volumes by name, which exist on those services'
    # nodes only (on Swarm the backups run only on a node labelled both `prometheus` and `grafana`:
    # placed with Prometheus only, the Grafana copy could mount an empty volume on another node).
    # Kibana's saved objects (data view, saved searches), once Kibana is healthy.
    "kibana-setup": ServiceSpec("", None, 0, 0.0, user="65534:65534", one_shot=True,
                                image_of="elastic-setup", limits_of="elastic-setup"),
    # Prometheus snapshot and Grafana copy each day (components/backups.py). nobody (Prometheus' user,
    # who owns its snapshots) in group root (Grafana's files are 472:0).
    "backups": ServiceSpec("", None, 0, 0.0, user="65534:0", data_path="/backups",
                           placement=Placement(node_label="prometheus", with_labels=("grafana",),
                                               update_order=STATEFUL),
                           image_of="elastic-setup", limits_of="elastic-setup"),
    # Gives the backups' new volume its owner (nobody) before the scheduler mounts it: mounted once on
    # Prometheus' own data directory by Prometheus' image (components/backups.py, tests/engine).
    "backups-volume-init": ServiceSpec("", None, 0, 0.0, user="65534:65534", one_shot=True,
                                       placement=Placement(node_label="prometheus", with_labels=("grafana",)),
                                       image_of="prometheus", limits_of="elastic-setup"),
    # Gives the snapshot repository's new volume its owner: mounted once on Elasticsearch's own data
    # directory (1000:0, group-writable) by Elasticsearch's image (components/backups.py).
    "elasticsearch-snapshots-init": ServiceSpec("", None, 0, 0.0, user="1000:0", one_shot=True,
                                                placement=Placement(node_label="elasticsearch"),
                                                image_of="elasticsearch", limits_of="elastic-setup"),
}

# The workloads with settings of their own (`images.<s>`, `memoryMb.<s>`, `cpus.<s>`, `publish.<s>`).
SERVICES: tuple[str, ...] = tuple(name for name, spec in CATALOG.items() if spec.own_settings)
# Services that exist only with `target: swarm` (components/swarm_service.py).
SWARM_ONLY_SERVICES: tuple[str, ...] = tuple(name for name, spec in CATALOG.items() if spec.swarm_only)
# The long-running workloads (not the one-shot jobs), with their own settings or borrowing another's.
LONG_RUNNING: tuple[str, ...] = tuple(name for name, spec in CATALOG.items() if not spec.one_shot)
DEFAULT_IMAGES: dict[str, str] = {name: CATALOG[name].image for name in SERVICES}
# Ports inside the containers, for the services that serve one (the ones that can be published).
CONTAINER_PORTS: dict[str, int] = {name: spec.port for name, spec in CATALOG.items() if spec.port is not None}
# The jobs of the platform's own services (what the rules select, mixin/selectors.py): on one host the
# jobs of prometheus.appTargets and prometheus.tradingTargets, on a Swarm the services' JOB_LABEL.
PLATFORM_JOBS: dict[str, str] = {"api": "api", "trading": "trading-engine"}
# Where the `job` label of the platform's own services goes among the scrape jobs (render/scrape.py).
PLATFORM = "platform"
# The order of the jobs in prometheus.yml, on one host and on a Swarm: each scraped row once, and
# the platform's jobs after the host's agents. Checked against the rows below (a row with
# `scrape` missing here, or a name here without one, stops the program at import).
SCRAPE_ORDER: tuple[str, ...] = ("prometheus", "node-exporter", "cadvisor", PLATFORM, "postgres-exporter",
                                 "alertmanager", "grafana", "fluent-bit", "elasticsearch-exporter",
                                 "blackbox-exporter")


def scrape_of(service: str) -> Scrape:
    """How Prometheus scrapes a row (KeyError for a row that is not scraped)."""
    scrape = CATALOG[service].scrape
    if scrape is None:
        raise KeyError(f"settings/catalog.py: {service} is not scraped")
    return scrape


def catalog_problems(catalog: Mapping[str, ServiceSpec], scrape_order: Sequence[str]) -> list[str]:
    """What keeps a catalog from working: each problem names the row and what it lacks (docs/extending.md)."""
    problems: list[str] = []
    scraped = [name for name, spec in catalog.items() if spec.scrape is not None]
    for name in scraped:
        if name not in scrape_order:
            problems.append(f"row {name!r} is scraped but not in SCRAPE_ORDER: add it where its job goes in "
                            "prometheus.yml")
    for name in scrape_order:
        if name != PLATFORM and name not in scraped:
            problems.append(f"SCRAPE_ORDER names {name!r}, which is no scraped row")
    if len(scrape_order) != len(set(scrape_order)):
        problems.append("SCRAPE_ORDER names a row twice")
    for name, spec in catalog.items():
        borrowed = (spec.image_of, spec.limits_of)
        if spec.own_settings == any(borrowed) or not all(b in catalog and catalog[b].own_settings
                                                         for b in borrowed if b is not None):
            problems.append(f"row {name!r} needs either its own image or both image_of and limits_of naming rows "
                            "with their own settings")
        elif spec.own_settings and (wrong := pinned_image(spec.image)):
            problems.append(f"row {name!r}: image {spec.image!r} {wrong}")
        if spec.scrape is not None and spec.port is None:
            problems.append(f"row {name!r} is scraped but has no port")
        if spec.port is not None and not spec.one_shot and spec.scrape is None and not spec.unscraped:
            problems.append(f"row {name!r} listens on {spec.port} but has no `scrape`: give it one (its metrics "
                            "path and job) or say in `unscraped` why Prometheus does not scrape it")
    return problems


def _check_catalog() -> None:
    """A row that cannot work stops the program before anything is planned."""
    problems = catalog_problems(CATALOG, SCRAPE_ORDER)
    if problems:
        raise ValueError("settings/catalog.py: " + "; ".join(problems))


_check_catalog()
