"""The integration tests' copy of the dev stack's configuration: what it shortens and remaps to loopback.

test_0_configuration_copy.py proves these are the only differences from the production files.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from formats.yamlout import dump_yaml
from render.prometheus import NODE_EXPORTER_GATEWAY_PLACEHOLDER, node_exporter_target
from settings.model import CONTAINER_PORTS, PROJECT, StackSettings, parse_settings
from settings.names import alertmanager_host
from settings.stack_file import stack_file_config
from settings.stand_ins import PLACEHOLDERS
from tests.integration.ports import PEERS, Ports

STACK = "dev"
# The smarthost's name while the copy is validated (on_loopback puts it on 127.0.0.1).
SMTP_HOST = "mailpit"
INTERVAL = "1s"
SERIES = 500  # the size the test declares (its Prometheus lives minutes: retention is never reached)
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


def integration_settings(ports: Ports, production_timing: bool = False) -> StackSettings:
    """The dev stack file's settings with the test's overrides, validated by the real parser.

    `production_timing`: keep the stack's scrape and evaluation intervals (the guide's 15s)."""
    raw, secret_keys = integration_raw(ports, production_timing)
    return on_loopback(parse_settings(PROJECT, STACK, raw, frozenset(secret_keys)), ports)


def on_loopback(settings: StackSettings, ports: Ports) -> StackSettings:
    """The SMTP smarthost and the database where the test runs them: on this host's loopback.

    The parser refuses loopback there (inside a container it is the container itself), so the
    copy is validated with names (SMTP_HOST, the dev database host) and remapped afterwards, as the
    scrape targets are (loopback_addresses)."""
    alerting = dataclasses.replace(settings.alerting, smtp_smarthost=f"127.0.0.1:{ports.smtp}")
    database = dataclasses.replace(settings.database, host="127.0.0.1")
    return dataclasses.replace(settings, alerting=alerting, database=database)


def integration_raw(ports: Ports, production_timing: bool = False) -> tuple[dict[str, str], set[str]]:
    """The raw settings behind `integration_settings` (the edge test adds its own overrides)."""
    raw, secret_keys = stack_file_config(STACK)
    prometheus = json.loads(raw.get("prometheus", "{}"))
    if not production_timing:
        prometheus.update(scrapeInterval=INTERVAL, evaluationInterval=INTERVAL)
    alerting = {**json.loads(raw.get("alerting", "{}")), "alertmanagerPeers": PEERS,
                "smtpSmarthost": f"{SMTP_HOST}:{ports.smtp}", "smtpRequireTls": False,
                # Required with two peers; the test's peers gossip on loopback instead.
                "gossipSubnet": "172.16.95.0/28"}
    database = {**json.loads(raw.get("database", "{}")), "port": ports.postgres}
    # At 1s intervals the dev stack's 5,000 series would need 13 GiB for its 7 days of retention
    # (settings/sizing_checks.py refuses its 2GB); the test's Prometheus never keeps a day.
    sizing = {**json.loads(raw.get("sizing", "{}")), "expectedSeries": SERIES}
    raw.update(prometheus=json.dumps(prometheus), alerting=json.dumps(alerting), database=json.dumps(database),
               sizing=json.dumps(sizing))
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
    """The rule files with every alert's `for:` shortened and no group `interval` (otherwise the same data).

    The 5-minute recording groups then run at the test's 1s: with their own interval the first
    evaluation could be up to 5 minutes away.
    """
    out: dict[str, str] = {}
    for name, text in rule_files.items():
        data = yaml.safe_load(text)
        for group in data["groups"]:
            group.pop("interval", None)
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
