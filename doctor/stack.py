"""What `doctor` talks to: the stack's settings, its URLs, its Docker host, and its credentials.

`load_target` reads them the way an operator's shell would: the stack file (settings and
`docker:host`), `pulumi stack output --json --show-secrets` (URLs, generated passwords) and
`pulumi config get` (passwords set in the config). Pulumi runs as a subprocess whose output is
parsed here and never printed; no credential is passed on a command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from doctor.docker_api import Container, DockerClient
from doctor.web import BasicAuth, get_json
from render import elasticsearch
from settings.model import PROJECT, StackSettings, parse_settings
from settings.names import ALERTMANAGER_USER, PROMETHEUS_USER
from settings.neighbours import stack_file
from settings.stack_file import stack_config

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
# `pulumi` and its arguments -> its stdout (a CalledProcessError when it fails); replaceable in tests.
PulumiRunner = Callable[[Sequence[str]], str]


def run_pulumi(args: Sequence[str]) -> str:
    program = shutil.which("pulumi")
    if program is None:
        raise FileNotFoundError("pulumi is not on PATH")
    done = subprocess.run([program, *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    return done.stdout


class StackCredentials:
    """Secrets of the stack, read on first use: generated ones from the stack outputs, set ones from the config."""

    def __init__(self, stack: str, runner: PulumiRunner = run_pulumi) -> None:
        self.stack = stack
        self.runner = runner

    def __repr__(self) -> str:
        return f"StackCredentials(stack={self.stack!r})"

    @cached_property
    def outputs(self) -> dict[str, Any]:
        try:
            found: dict[str, Any] = json.loads(
                self.runner(["stack", "output", "--json", "--show-secrets", "--stack", self.stack]))
            return found
        except (OSError, subprocess.SubprocessError, ValueError):
            return {}

    def get(self, key: str) -> str | None:
        value = self.outputs.get(key)
        if isinstance(value, str) and value:
            return value
        try:
            text = self.runner(["config", "get", key, "--stack", self.stack]).rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return None
        return text or None


@dataclass(frozen=True)
class Endpoints:
    prometheus: str
    alertmanager: str
    grafana: str
    # None: not published on the host; reached with curl inside its container instead.
    elasticsearch: str | None
    # Public URLs whose TLS certificate is checked (https only).
    entry_points: tuple[str, ...] = ()


@dataclass
class Target:
    settings: StackSettings
    endpoints: Endpoints
    docker: DockerClient
    credentials: StackCredentials
    _containers: list[Container] | None = field(default=None, repr=False)
    _inspected: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def refresh(self) -> None:
        """Forget what was read of the containers: the next check lists them again (a new run sees
        the stack as it is now)."""
        self._containers = None
        self._inspected = {}

    def inspect(self, container_id: str) -> dict[str, Any]:
        """`docker inspect` of a container, once per run (over ssh:// each request is an ssh session)."""
        if container_id not in self._inspected:
            self._inspected[container_id] = self.docker.inspect(container_id)
        return self._inspected[container_id]

    def containers(self) -> list[Container]:
        if self._containers is None:
            self._containers = self.docker.containers(self.settings.stack)
        return self._containers

    def container(self, service: str) -> Container | None:
        return next((c for c in self.containers() if c.service == service), None)

    def link(self, document: str, anchor: str) -> str:
        """A link into docs/ next to the runbook the alerts link to."""
        base = self.settings.alerting.runbook_base_url.rsplit("/", 1)[0]
        return f"{base}/{document}#{anchor}"

    def grafana_auth(self) -> BasicAuth | None:
        password = self.credentials.get("grafanaAdminPassword")
        return BasicAuth(self.settings.grafana.admin_user, password) if password else None

    def prometheus_auth(self) -> BasicAuth | None:
        password = self.credentials.get("prometheusPassword")
        return BasicAuth(PROMETHEUS_USER, password) if password else None

    def alertmanager_auth(self) -> BasicAuth | None:
        password = self.credentials.get("alertmanagerPassword")
        return BasicAuth(ALERTMANAGER_USER, password) if password else None

    def elastic(self, path: str) -> Any:
        """GET an Elasticsearch API as `elastic`: over the published port, else with curl in its container,
        which reads the credentials from the container's own curl config file (they never leave the host)."""
        if self.endpoints.elasticsearch is not None:
            password = self.credentials.get("elasticPassword")
            auth = BasicAuth("elastic", password) if password else None
            return get_json(f"{self.endpoints.elasticsearch}{path}", auth=auth)
        container = self.container("elasticsearch")
        if container is None:
            raise RuntimeError("no Elasticsearch container")
        # curl reads the superuser's credentials from the healthcheck's config file in the container.
        result = self.docker.exec(container.id, ["curl", "-K", elasticsearch.HEALTHCHECK_CURLRC, "-fsS",
                                                 "--max-time", "10",
                                                 f"http://localhost:{elasticsearch.PORT}{path}"])
        if result.exit_code != 0:
            raise RuntimeError(f"curl {path} in the Elasticsearch container: {result.output.strip()[:200]}")
        return json.loads(result.output)


def load_settings(stack: str) -> StackSettings:
    """The stack file's settings. Secrets are validated by `pulumi up`, not here: the plan's placeholders
    stand in for them (doctor reads the real ones from Pulumi only when it needs them)."""
    raw, secret_keys = stack_config(stack)
    return parse_settings(PROJECT, stack, raw, frozenset(secret_keys))


# doctor and test-alert read one Docker host's containers and each Alertmanager peer directly; on a
# Swarm the tasks are spread over nodes and the peers sit behind the routing mesh (docs/scale-out.md).
SWARM_UNSUPPORTED = ("stack '{stack}' runs on a Docker Swarm (target swarm): doctor and test-alert check a "
                     "single Docker host only; on a Swarm use the runbook's manual steps (docs/scale-out.md, "
                     "\"Day-2 on a Swarm\")")


def load_target(stack: str, runner: PulumiRunner = run_pulumi) -> Target:
    settings = load_settings(stack)
    if settings.swarm:
        raise SystemExit(f"error: {SWARM_UNSUPPORTED.format(stack=stack)}")
    credentials = StackCredentials(stack, runner)
    outputs = credentials.outputs

    def url(key: str, service: str) -> str:
        return str(outputs.get(key) or settings.url_of(service) or "")

    docker_host = str(stack_file(PROJECT_DIR, stack).get("docker:host") or os.environ.get("DOCKER_HOST")
                      or DEFAULT_DOCKER_HOST)
    # Every host name the edge serves (Grafana, Kibana; Prometheus and Alertmanager when set).
    public = (settings.grafana.root_url, settings.logging.kibana_public_base_url, settings.edge.prometheus_url,
              settings.edge.alertmanager_url)
    endpoints = Endpoints(
        prometheus=url("prometheus_url", "prometheus"),
        alertmanager=url("alertmanager_url", "alertmanager"),
        grafana=settings.grafana_api_url,
        elasticsearch=settings.url_of("elasticsearch"),
        entry_points=tuple(u for u in public if u.startswith("https://")),
    )
    return Target(settings, endpoints, DockerClient(docker_host), credentials)
