"""The dev stack's rendered configuration, run on loopback by Debian's real programs.

What the test copy changes, and nothing else:
- settings (through `parse_settings`, as a stack file would): 1s scrape and evaluation intervals,
  two Alertmanager peers (the prod value), the SMTP smarthost and database address on loopback,
  a Slack webhook set (the renderer is handed the local receivers' Slack and heartbeat URLs);
- the rendered prometheus.yml: target addresses remapped to loopback ports, rule_files and the
  basic-auth `password_file`s to a temp dir (passwords: random per run, hashed by render/web_config.py);
- alert rules: `for:` shortened (SHORT_FOR, FOR_EXCEPTIONS); the 5-minute recording groups' `interval`
  dropped (they run at the test's 1s); alertmanager.yml: the root route's group_wait / group_interval
  shortened. `test_configuration_copy.py` proves these are the only changes.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats.yamlout import dump_yaml
from mixin.guide import GUIDE_ROUTE
from mixin.rule_files import render_rule_files
from render import alertmanager as alertmanager_yml
from render.blackbox import render_blackbox_yml
from render.prometheus import render_prometheus_config
from settings.model import StackSettings
from tests.integration.config_copy import (  # re-exported: the tests read them as it.<name>
    FOR_EXCEPTIONS as FOR_EXCEPTIONS,
)
from tests.integration.config_copy import (
    GROUP_INTERVAL as GROUP_INTERVAL,
)
from tests.integration.config_copy import (
    GROUP_WAIT as GROUP_WAIT,
)
from tests.integration.config_copy import (
    INTERVAL as INTERVAL,
)
from tests.integration.config_copy import (
    SHORT_FOR as SHORT_FOR,
)
from tests.integration.config_copy import (
    STACK as STACK,
)
from tests.integration.config_copy import (
    integration_raw as integration_raw,
)
from tests.integration.config_copy import (
    integration_settings as integration_settings,
)
from tests.integration.config_copy import (
    loopback_addresses as loopback_addresses,
)
from tests.integration.config_copy import (
    loopback_prometheus_config as loopback_prometheus_config,
)
from tests.integration.config_copy import (
    shortened_alertmanager as shortened_alertmanager,
)
from tests.integration.config_copy import (
    shortened_rules as shortened_rules,
)
from tests.integration.credentials import Credentials
from tests.integration.log_pipeline import LogPipelineStandIn
from tests.integration.ports import PEERS as PEERS  # re-exported: the tests read it.PEERS, it.Ports
from tests.integration.ports import Ports as Ports
from tests.integration.postgres import Postgres, postgres_exporter_files, remove_data_dir, start_postgres
from tests.integration.processes import Auth, Process, Processes, http_json, require_program, wait_until
from tests.integration.receivers import SmtpRecorder, WebhookRecorder
from tests.integration.reference_exporter import ReferenceExporter

# Exporters that cannot run here (no Docker engine, no Grafana server): their jobs stay down. Fluent
# Bit and the Elasticsearch exporter are played by stand-ins (tests/integration/log_pipeline.py).
NOT_RUNNABLE_JOBS = frozenset({"cadvisor", "grafana"})
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "integration"

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter"
BLACKBOX_EXPORTER = "/usr/bin/prometheus-blackbox-exporter"


@dataclass
class Stack:
    settings: StackSettings
    ports: Ports
    work: Path
    processes: Processes
    exporter: ReferenceExporter
    log_pipeline: LogPipelineStandIn
    webhook: WebhookRecorder
    smtp: SmtpRecorder
    prometheus_config: dict[str, Any]
    alertmanager_config: dict[str, Any]
    rule_files: dict[str, str]
    credentials: Credentials = field(default_factory=Credentials)
    postgres: Postgres | None = None
    alertmanagers: list[Process] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prometheus}"

    def alertmanager_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports.alertmanager[index]}"

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus_url}/api/v1/query?query={urllib.parse.quote(promql)}"
        answer = http_json(url, auth=self.credentials.prometheus_auth)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def targets(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = http_json(f"{self.prometheus_url}/api/v1/targets",
                                                        auth=self.credentials.prometheus_auth)["data"]["activeTargets"]
        return active

    def query_rules(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = http_json(f"{self.prometheus_url}/api/v1/rules",
                                                        auth=self.credentials.prometheus_auth)["data"]["groups"]
        return groups

    def alertmanager_alerts(self, index: int = 0) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = http_json(f"{self.alertmanager_url(index)}/api/v2/alerts",
                                                 auth=self.credentials.alertmanager_auth)
        return alerts

    def prometheus_alert_state(self, alertname: str) -> set[str]:
        """States ("pending", "firing") of `alertname` in Prometheus now."""
        return {s["metric"]["alertstate"] for s in self.query(f'ALERTS{{alertname="{alertname}"}}')}

    def stop(self) -> None:
        try:
            self.processes.stop_all()
        finally:
            self.exporter.stop()
            self.log_pipeline.stop()
            self.webhook.stop()
            self.smtp.stop()
            if self.postgres is not None:
                remove_data_dir(self.postgres)
            shutil.rmtree(self.work, ignore_errors=True)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _sees_all_peers(status_url: str, auth: Auth) -> bool:
    return len(http_json(status_url, auth=auth)["cluster"]["peers"]) == PEERS


def start_stack(prometheus_flags: tuple[str, ...] = (), logs: str = "", healthy_logs: bool = False,
                production_timing: bool = False) -> Stack:
    """Start everything; on any failure, stop what was started before re-raising.

    `prometheus_flags`: more command-line flags for Prometheus (e.g. the admin API the backups use);
    `logs`: a subdirectory for the processes' logs, for a second stack running beside the first;
    `healthy_logs`: the log pipeline's stand-ins deliver everything (by default Elasticsearch refuses writes);
    `production_timing`: the rendered intervals, `for:` and route timers, unshortened (minutes, not seconds)."""
    programs = {name: require_program(path) for name, path in (
        ("prometheus", PROMETHEUS), ("alertmanager", ALERTMANAGER), ("node-exporter", NODE_EXPORTER),
        ("postgres-exporter", POSTGRES_EXPORTER), ("blackbox-exporter", BLACKBOX_EXPORTER))}
    ports = Ports.allocate()
    settings = integration_settings(ports, production_timing)
    work = Path(tempfile.mkdtemp(prefix="christmas-it-"))
    webhook = WebhookRecorder(ports.webhook)
    am_secrets = work / "alertmanager-secrets"  # as in the container: the webhook is a file it names
    for name, content in alertmanager_yml.secret_files(settings, webhook.url("/slack"), None).items():
        _write(am_secrets / name, content)
    rendered_am = alertmanager_yml.render_alertmanager_config(
        GUIDE_ROUTE,
        settings, webhook.url("/slack"), None, webhook.url("/heartbeat"), str(am_secrets))
    stack = Stack(
        settings=settings, ports=ports, work=work,
        processes=Processes(BUILD_DIR / "logs" / str(os.getpid()) / logs),  # one directory per run
        exporter=ReferenceExporter(ports.api, ports.trading),
        log_pipeline=LogPipelineStandIn(settings, ports.fluent_bit, ports.es_exporter),
        webhook=webhook, smtp=SmtpRecorder(ports.smtp),
        prometheus_config=loopback_prometheus_config(render_prometheus_config(settings), loopback_addresses(ports),
                                                     work / "rules", work / "secrets"),
        alertmanager_config=rendered_am if production_timing else shortened_alertmanager(rendered_am),
        rule_files=render_rule_files(settings) if production_timing else shortened_rules(render_rule_files(settings)),
    )
    if healthy_logs:
        stack.log_pipeline.heal()
    try:
        _start(stack, programs, prometheus_flags)
    except BaseException:
        stack.stop()
        raise
    return stack


def _start_alertmanagers(stack: Stack, programs: dict[str, str]) -> Path:
    """The peers as components/alerting.py starts them, ready; returns Prometheus' web config."""
    ports, work, procs = stack.ports, stack.work, stack.processes
    prometheus_web, alertmanager_web = stack.credentials.write(work / "secrets")
    am_file = _write(work / "alertmanager.yml", dump_yaml(stack.alertmanager_config))
    cluster = [f"127.0.0.1:{p}" for p in ports.cluster]
    for i, port in enumerate(ports.alertmanager):
        # As components/alerting.py starts the peers: gossip on the cluster port, every other peer listed.
        argv = [programs["alertmanager"], f"--config.file={am_file}", f"--storage.path={work / f'am{i}'}",
                f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}",
                f"--web.config.file={alertmanager_web}",
                f"--cluster.listen-address={cluster[i]}", f"--cluster.advertise-address={cluster[i]}"]
        argv += [f"--cluster.peer={other}" for other in cluster if other != cluster[i]]
        stack.alertmanagers.append(procs.start(f"alertmanager-{i}", argv))
    # As components/stack.py orders them: Prometheus starts once Alertmanager answers, so its first
    # alerts (the Watchdog at the first evaluation) are not refused ("Error sending alert" in its log).
    creds = stack.credentials
    for i, am in enumerate(stack.alertmanagers):
        procs.wait_http(am, f"{stack.alertmanager_url(i)}/-/ready", auth=creds.alertmanager_auth)
    return prometheus_web


def _start(stack: Stack, programs: dict[str, str], prometheus_flags: tuple[str, ...] = ()) -> None:
    s, ports, work, procs = stack.settings, stack.ports, stack.work, stack.processes
    stack.webhook.start()
    stack.smtp.start()
    stack.exporter.start()
    stack.log_pipeline.start()
    stack.postgres = start_postgres(procs, ports.postgres, s.database.name, s.database.exporter_user)

    pg_exporter = procs.start("postgres-exporter", [
        programs["postgres-exporter"], f"--web.listen-address=127.0.0.1:{ports.postgres_exporter}",
    ], env=postgres_exporter_files(s, work / "postgres-exporter-secrets"))
    node = procs.start("node-exporter", [programs["node-exporter"],
                                         f"--web.listen-address=127.0.0.1:{ports.node_exporter}"])
    # The rendered configuration, run by the real program (it refuses a configuration it cannot parse).
    blackbox_file = _write(work / "blackbox.yml", render_blackbox_yml())
    blackbox = procs.start("blackbox-exporter", [programs["blackbox-exporter"], f"--config.file={blackbox_file}",
                                                 f"--web.listen-address=127.0.0.1:{ports.blackbox}"])

    prometheus_web = _start_alertmanagers(stack, programs)

    for name, text in stack.rule_files.items():
        _write(work / "rules" / name, text)
    prom_file = _write(work / "prometheus.yml", dump_yaml(stack.prometheus_config))
    prometheus = procs.start("prometheus", [
        programs["prometheus"], f"--config.file={prom_file}", f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{ports.prometheus}", f"--web.config.file={prometheus_web}",
        *prometheus_flags,
    ])

    procs.wait_http(pg_exporter, f"http://127.0.0.1:{ports.postgres_exporter}/metrics")
    procs.wait_http(node, f"http://127.0.0.1:{ports.node_exporter}/metrics")
    procs.wait_http(blackbox, f"http://127.0.0.1:{ports.blackbox}/-/healthy")
    creds = stack.credentials
    procs.wait_http(prometheus, f"{stack.prometheus_url}/-/ready", auth=creds.prometheus_auth)
    # The peers gossip: each sees the whole cluster before any test relies on deduplication.
    for i in range(len(stack.alertmanagers)):
        wait_until(functools.partial(_sees_all_peers, f"{stack.alertmanager_url(i)}/api/v2/status",
                                     creds.alertmanager_auth), 30,
                   f"alertmanager-{i} to see {PEERS} cluster peers")

    # Prometheus hands discovered targets to the scrapers at most every 5s: wait for the first scrape of each.
    expected = sum(len(static["targets"]) for job in stack.prometheus_config["scrape_configs"]
                   for static in job["static_configs"])
    wait_until(lambda: len([t for t in stack.targets() if t["health"] != "unknown"]) == expected, 30,
               f"Prometheus to scrape its {expected} targets once")
