"""What both Prometheus configurations (render/prometheus.py for one host, render/prometheus_swarm.py
for a Swarm) build their scrape jobs from: the catalog rows' `scrape` (settings/catalog.py), in
SCRAPE_ORDER, each reached by one discovery mechanism per target (pure).

How a row is reached decides the mechanism:
- `self`: Prometheus scrapes itself at localhost (a static target on both targets);
- `host`: the workload runs in the host's network namespace (node-exporter): at the host's address
  on the stack network on one host, at each node's address on a Swarm (`role: nodes`);
- `service`: at its name on the stack network on one host, at each running task on a Swarm (`role: tasks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from render import blackbox
from settings.catalog import CATALOG, CONTAINER_PORTS, PLATFORM, SCRAPE_ORDER, scrape_of
from settings.model import StackSettings
from settings.workload import DEFAULT_METRICS_PATH

Reach = Literal["self", "host", "service"]
# The scraper itself.
SCRAPER = "prometheus"
# Where Prometheus reads the passwords it sends (files uploaded from secret Outputs; never in
# prometheus.yml itself), one per basic-auth user of the catalog.
SECRETS_DIR = "/etc/prometheus/secrets"

# One scrape job for a catalog row; the jobs of the platform's own services.
Mechanism = Callable[[str], dict[str, Any]]
PlatformJobs = Callable[[], list[dict[str, Any]]]


def password_file(user: str) -> str:
    return f"{SECRETS_DIR}/{user}-password"


def basic_auth(user: str, password_file: str) -> dict[str, str]:
    return {"username": user, "password_file": password_file}


def auth_of(service: str) -> dict[str, Any]:
    """`basic_auth` for a scrape of `service` when its server asks for one (settings/catalog.py `auth_user`)."""
    user = CATALOG[service].auth_user
    return {"basic_auth": basic_auth(user, password_file(user))} if user else {}


def path_and_scheme(service: str, always_path: bool = False) -> dict[str, str]:
    """`metrics_path` and `scheme` where they differ from Prometheus' defaults (or the path always)."""
    scrape = scrape_of(service)
    path = {"metrics_path": scrape.metrics_path} if always_path or scrape.metrics_path != DEFAULT_METRICS_PATH else {}
    return {**path, **({"scheme": scrape.scheme} if scrape.scheme != "http" else {})}


def reach(service: str) -> Reach:
    if service == SCRAPER:
        return "self"
    return "host" if CATALOG[service].host_network else "service"


def self_job(port: int = CONTAINER_PORTS[SCRAPER]) -> dict[str, Any]:
    """Prometheus' own metrics, at localhost (on `port`), on one host and on a Swarm."""
    return {"job_name": scrape_of(SCRAPER).job, **auth_of(SCRAPER), **path_and_scheme(SCRAPER),
            "static_configs": [{"targets": [f"localhost:{port}"]}]}


def scrape_configs(settings: StackSettings, mechanisms: dict[Reach, Mechanism],
                   platform: PlatformJobs) -> list[dict[str, Any]]:
    """Every job: each scraped row through its mechanism, the platform's jobs, then the HTTPS probes."""
    jobs: list[dict[str, Any]] = []
    for service in SCRAPE_ORDER:
        jobs += platform() if service == PLATFORM else [mechanisms[reach(service)](service)]
    # The public endpoints, probed through the exporter by name, on one host as on a Swarm.
    probes = blackbox.scrape_job(settings)
    return [*jobs, *([probes] if probes else [])]
