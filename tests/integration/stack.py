"""The dev stack's rendered configuration, run on loopback by Debian's real programs.

What the test copy changes, and nothing else:
- settings (through `parse_settings`, as a stack file would): 1s scrape and evaluation intervals,
  two Alertmanager peers (the prod value), the SMTP smarthost and database address on loopback,
  a Slack webhook set (the renderer is handed the local receivers' Slack and heartbeat URLs);
- the rendered prometheus.yml: target addresses remapped to loopback ports, rule_files and the
  basic-auth `password_file`s to a temp dir (passwords: random per run, hashed by render/web_config.py);
- alert rules: `for:` shortened (SHORT_FOR, FOR_EXCEPTIONS); alertmanager.yml: the root route's
  group_wait / group_interval shortened. `test_configuration_copy.py` proves these are the only changes.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offline.mocks import PLACEHOLDERS, stack_file_config
from render import alertmanager as alertmanager_yml
from render.blackbox import render_blackbox_yml
from render.prometheus import (
    NODE_EXPORTER_GATEWAY_PLACEHOLDER,
    alertmanager_host,
    node_exporter_target,
    render_prometheus_config,
    render_rule_files,
)
from render.yamlout import dump_yaml
from settings.model import CONTAINER_PORTS, PROJECT, StackSettings, parse_settings
from tests.integration.credentials import Credentials
from tests.integration.log_pipeline import LogPipelineStandIn
from tests.integration.ports import PEERS as PEERS  # re-exported: the tests read it.PEERS, it.Ports
from tests.integration.ports import Ports as Ports
from tests.integration.postgres import Postgres, postgres_exporter_files, remove_data_dir, start_postgres
from tests.integration.processes import Auth, Process, Processes, http_json, require_program, wait_until
from tests.integration.receivers import SmtpRecorder, WebhookRecorder
from tests.integration.reference_exporter import ReferenceExporter

STACK = "dev"
INTERVAL = "1s"
# Shortened `for:` of every alert rule (production: 1m-30m, checked by promtool test rules).
SHORT_FOR = "5s"
FOR_EXCEPTIONS = {
    # TargetDown fires before the alerts it inhibits, as it does in production (2m against 5m).
    "TargetDown": "1s",
    # These read "no data yet" as "no activity": true from Prometheus' first evaluation until two
    # scrapes have landed (target discovery alone takes 5s). Production's 5m covers that; 5s does not.
    "NoTradingSignals": "20s",
    "NoTradesExecuted": "20s",
}
# The root route's timers (production: 30s / 5m, see test_configuration_copy.py).
GROUP_WAIT = "1s"
GROUP_INTERVAL = "2s"
# Exporters that cannot run here (no Docker engine, no Grafana server): their jobs stay down. Fluent
# Bit and the Elasticsearch exporter are played by stand-ins (tests/integration/log_pipeline.py).
NOT_RUNNABLE_JOBS = frozenset({"cadvisor", "grafana"})
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "integration"

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter"
BLACKBOX_EXPORTER = "/usr/bin/prometheus-blackbox-exporter"


def integration_settings(ports: Ports) -> StackSettings:
    """The dev stack file's settings with the test's overrides, validated by the real parser."""
    raw, secret_keys = integration_raw(ports)
    return parse_settings(PROJECT, STACK, raw, frozenset(secret_keys))


def integration_raw(ports: Ports) -> tuple[dict[str, str], set[str]]:
    """The raw settings behind `integration_settings` (the edge test adds its own overrides)."""
    raw, secret_keys = stack_file_config(STACK)
    prometheus = {**json.loads(raw.get("prometheus", "{}")), "scrapeInterval": INTERVAL,
                  "evaluationInterval": INTERVAL}
    alerting = {**json.loads(raw.get("alerting", "{}")), "alertmanagerPeers": PEERS,
                "smtpSmarthost": f"127.0.0.1:{ports.smtp}", "smtpRequireTls": False,
                # Required with two peers; the test's peers gossip on loopback instead.
                "gossipSubnet": "172.30.94.0/28"}
    database = {**json.loads(raw.get("database", "{}")), "host": "127.0.0.1", "port": ports.postgres}
    raw.update(prometheus=json.dumps(prometheus), alerting=json.dumps(alerting), database=json.dumps(database))
    # Slack on: the renderer receives the local receiver's URL in place of this placeholder.
    raw["slackWebhookUrl"] = PLACEHOLDERS["slackWebhookUrl"]
    return raw, {*secret_keys, "slackWebhookUrl"}


def loopback_addresses(ports: Ports) -> dict[str, str]:
    """The stack's target addresses (Docker DNS names) -> where the test runs them."""
    closed = f"127.0.0.1:{ports.closed}"
    addresses = {
        f"localhost:{CONTAINER_PORTS['prometheus']}": f"127.0.0.1:{ports.prometheus}",
        # The stack scrapes node-exporter at its network's gateway (known once Docker made the network).
        node_exporter_target(NODE_EXPORTER_GATEWAY_PLACEHOLDER): f"127.0.0.1:{ports.node_exporter}",
        f"postgres-exporter:{CONTAINER_PORTS['postgres-exporter']}": f"127.0.0.1:{ports.postgres_exporter}",
        "api:8000": f"127.0.0.1:{ports.api}",
        "trading-engine:8001": f"127.0.0.1:{ports.trading}",
        f"cadvisor:{CONTAINER_PORTS['cadvisor']}": closed,
        f"grafana:{CONTAINER_PORTS['grafana']}": closed,
        f"fluent-bit:{CONTAINER_PORTS['fluent-bit']}": f"127.0.0.1:{ports.fluent_bit}",
        f"elasticsearch-exporter:{CONTAINER_PORTS['elasticsearch-exporter']}": f"127.0.0.1:{ports.es_exporter}",
        f"blackbox-exporter:{CONTAINER_PORTS['blackbox-exporter']}": f"127.0.0.1:{ports.blackbox}",
    }
    for i, port in enumerate(ports.alertmanager):
        addresses[f"{alertmanager_host(i)}:{CONTAINER_PORTS['alertmanager']}"] = f"127.0.0.1:{port}"
    return addresses


def _remap(targets: list[str], addresses: dict[str, str]) -> list[str]:
    unknown = [t for t in targets if t not in addresses]
    if unknown:
        raise AssertionError(f"prometheus.yml has targets the integration test does not know how to run: {unknown}")
    return [addresses[t] for t in targets]


def loopback_prometheus_config(rendered: dict[str, Any], addresses: dict[str, str], rules_dir: Path,
                               secrets_dir: Path | None = None) -> dict[str, Any]:
    config = copy.deepcopy(rendered)
    config["rule_files"] = [f"{rules_dir}/{Path(pattern).name}" for pattern in rendered["rule_files"]]
    for section in [*config["alerting"]["alertmanagers"], *config["scrape_configs"]]:
        for static in section["static_configs"]:
            static["targets"] = _remap(static["targets"], addresses)
        if "basic_auth" in section:
            section["basic_auth"]["password_file"] = str((secrets_dir or rules_dir) / Path(
                section["basic_auth"]["password_file"]).name)
    return config


def shortened_rules(rule_files: dict[str, str]) -> dict[str, str]:
    """The rule files with every alert's `for:` shortened (rules otherwise byte-for-byte the same data)."""
    out: dict[str, str] = {}
    for name, text in rule_files.items():
        data = yaml.safe_load(text)
        for group in data["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = FOR_EXCEPTIONS.get(rule.get("alert", ""), SHORT_FOR)
        out[name] = dump_yaml(data)
    return out


def shortened_alertmanager(config: dict[str, Any]) -> dict[str, Any]:
    short = copy.deepcopy(config)
    short["route"]["group_wait"] = GROUP_WAIT
    short["route"]["group_interval"] = GROUP_INTERVAL
    return short


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


def start_stack(prometheus_flags: tuple[str, ...] = (), logs: str = "", healthy_logs: bool = False) -> Stack:
    """Start everything; on any failure, stop what was started before re-raising.

    `prometheus_flags`: more command-line flags for Prometheus (e.g. the admin API the backups use);
    `logs`: a subdirectory for the processes' logs, for a second stack running beside the first;
    `healthy_logs`: the log pipeline's stand-ins deliver everything (by default Elasticsearch refuses writes)."""
    programs = {name: require_program(path) for name, path in (
        ("prometheus", PROMETHEUS), ("alertmanager", ALERTMANAGER), ("node-exporter", NODE_EXPORTER),
        ("postgres-exporter", POSTGRES_EXPORTER), ("blackbox-exporter", BLACKBOX_EXPORTER))}
    ports = Ports.allocate()
    settings = integration_settings(ports)
    work = Path(tempfile.mkdtemp(prefix="christmas-it-"))
    webhook = WebhookRecorder(ports.webhook)
    am_secrets = work / "alertmanager-secrets"  # as in the container: the webhook is a file it names
    for name, content in alertmanager_yml.secret_files(settings, webhook.url("/slack"), None).items():
        _write(am_secrets / name, content)
    rendered_am = alertmanager_yml.render_alertmanager_config(
        settings, webhook.url("/slack"), None, webhook.url("/heartbeat"), str(am_secrets))
    stack = Stack(
        settings=settings, ports=ports, work=work,
        processes=Processes(BUILD_DIR / "logs" / str(os.getpid()) / logs),  # one directory per run
        exporter=ReferenceExporter(ports.api, ports.trading),
        log_pipeline=LogPipelineStandIn(settings, ports.fluent_bit, ports.es_exporter),
        webhook=webhook, smtp=SmtpRecorder(ports.smtp),
        prometheus_config=loopback_prometheus_config(render_prometheus_config(settings), loopback_addresses(ports),
                                                     work / "rules", work / "secrets"),
        alertmanager_config=shortened_alertmanager(rendered_am),
        rule_files=shortened_rules(render_rule_files(settings)),
    )
    if healthy_logs:
        stack.log_pipeline.heal()
    try:
        _start(stack, programs, prometheus_flags)
    except BaseException:
        stack.stop()
        raise
    return stack


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
