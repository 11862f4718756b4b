"""What one row of the catalog (settings/catalog.py) says about a workload of the stack.

A row is everything that is true of a workload whatever the stack: its image and limits, the user
it runs as, where it listens and keeps data, how Prometheus scrapes it and where Swarm places it.
Components, renderers, rules, doctor and tests read these rows; none repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

# The path nearly every exporter serves its metrics on (Prometheus' default `metrics_path`).
DEFAULT_METRICS_PATH = "/metrics"


@dataclass(frozen=True)
class Scrape:
    """How Prometheus scrapes a workload of the stack, on one host and on a Swarm alike."""

    # The `job` label Prometheus gives its series: what rules, dashboards and doctor select on.
    job: str
    metrics_path: str = DEFAULT_METRICS_PATH
    scheme: str = "http"


@dataclass(frozen=True)
class Placement:
    """Where Swarm runs a workload's tasks (components/swarm_service.py)."""

    global_mode: bool = False
    replicas: int = 1
    # The service runs only on nodes labelled `christmas-monitoring.<node_label>=true`.
    node_label: str | None = None
    # ...and also labelled for each of these (a task that mounts several services' volumes).
    with_labels: tuple[str, ...] = ()
    manager_only: bool = False
    max_replicas_per_node: int = 0
    # stop-first where a task holds data (two tasks never open the same volume), start-first elsewhere.
    update_order: str = "start-first"
    # Never on a node labelled for one of these (the Elasticsearch nodes keep to distinct hosts).
    avoid_labels: tuple[str, ...] = ()
    # "dnsrr": the name resolves to the running tasks themselves (no virtual IP, nothing published).
    endpoint_mode: str = "vip"
    # Names the tasks answer on the stack network besides the service's own.
    aliases: tuple[str, ...] = ()


STATEFUL = "stop-first"


@dataclass(frozen=True)
class ServiceSpec:
    # The image with its exact tag; "" for a workload that runs another row's image (`image_of`).
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
    # How Prometheus scrapes it; a long-running row with a port and no `scrape` says why in `unscraped`.
    scrape: Scrape | None = None
    unscraped: str = ""
    # The basic-auth user its server accepts (render/web_config.py); clients send this name.
    auth_user: str | None = None
    placement: Placement = Placement()
    # It runs in the host's network namespace (no address on the stack network).
    host_network: bool = False
    # Runs once to completion (setup jobs); never expected to be running.
    one_shot: bool = False
    # Exists only with `target: swarm`.
    swarm_only: bool = False
    # A workload with no settings of its own (no `images.<name>` key): it runs `image_of`'s image
    # within `limits_of`'s memory and CPU settings.
    image_of: str | None = None
    limits_of: str | None = None

    @property
    def own_settings(self) -> bool:
        return self.image_of is None
