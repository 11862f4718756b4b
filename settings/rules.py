"""Rules across settings (and across what a setting means where it lands), each naming the key to
change and a fix that is itself valid. Called once by settings/load.parse_settings.

A rule is skipped when a key it reads is already reported: its value would be the default, not
the operator's, and a second message would repeat (or contradict) the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from settings import grammar as g
from settings import snapshot_s3 as s3
from settings.image_versions import check_image_versions
from settings.material import check_tls_material
from settings.memory_floors import memory_floors
from settings.places import HOST_NETWORK_SERVICES, LONGEST_SWARM_SERVICE, SWARM_NAME_LIMIT, is_loopback
from settings.problems import Problems, fix_command

if TYPE_CHECKING:
    from settings.stack import StackSettings


def _host_network_publish(s: StackSettings, problems: Problems) -> None:
    """Docker discards a published port on a host-network container: the setting would do nothing."""
    for service in HOST_NETWORK_SERVICES:
        key = f"publish.{service}"
        if s.services[service].publish is not None and not problems.about(key):
            problems.add(key, f"cannot be published: {service} runs on the host's network, where Docker ignores "
                         "published ports (Prometheus scrapes it on the host's address)",
                         f"pulumi config rm --path {key}")


def _nothing_in_clear(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    """Credentials only over TLS once they leave the host's loopback."""
    a = s.alerting
    # Alertmanager (smtp_require_tls) and Grafana (MandatoryStartTLS) send AUTH after STARTTLS only
    # when TLS is required; otherwise a server without STARTTLS gets the password in clear.
    if (a.smtp_username or raw.get("smtpPassword")) and not a.smtp_require_tls \
            and not problems.about("alerting.smtpRequireTls", "alerting.smtpUsername", "smtpPassword"):
        problems.add("alerting.smtpRequireTls", "must be true when SMTP authentication is set (alerting.smtpUsername"
                     " / smtpPassword): the password would otherwise cross the network in clear",
                     fix_command("alerting.smtpRequireTls", "true"))
    # The Grafana provider logs in as admin (basic auth) at every `pulumi up`.
    api = s.grafana.api_url
    if api and urlsplit(api).scheme == "http" and not is_loopback(urlsplit(api).hostname or "") \
            and not problems.about("grafana.apiUrl"):
        problems.add("grafana.apiUrl", "must be https unless it is on loopback: `pulumi up` sends Grafana's admin "
                     "password to it", fix_command("grafana.apiUrl", "https://grafana.example.com"))
    grafana = s.services["grafana"].publish
    if not api and grafana is not None and not is_loopback(grafana.bind_address) \
            and not problems.about("publish.grafana", "grafana.apiUrl"):
        problems.add("grafana.apiUrl", f"is required (https) when Grafana is published on {grafana.bind_address}: "
                     "`pulumi up` would send Grafana's admin password there over plain http",
                     fix_command("grafana.apiUrl", "https://grafana.example.com"))
    # A production stack (protectData) serves people through the edge only (TLS, basic auth); the
    # services' own ports speak plain http, so they stay on the host's loopback.
    if s.protect_data:
        for service, entry in s.services.items():
            key = f"publish.{service}"
            if entry.publish is not None and not entry.publish.bind_address.startswith("127.") \
                    and not problems.about(key, "protectData"):
                problems.add(f"{key}.address", f"must be a loopback address in a stack with protectData ({service} "
                             "speaks plain http; people reach it through the edge)",
                             f"pulumi config rm --path {key}" if s.swarm else
                             fix_command(f"{key}.address", "127.0.0.1"))


def _database_beside_a_dsn(raw: Mapping[str, str], problems: Problems) -> None:
    """postgres-exporter connects with postgresExporterDsn when it is set (components/metrics.py); the
    `database` section is then never read, and a verify-full there would silently not apply."""
    if raw.get("postgresExporterDsn") and raw.get("database") not in (None, "", "{}") \
            and not problems.about("database", "postgresExporterDsn"):
        problems.add("database", "is ignored because postgresExporterDsn is set (the exporter connects with the "
                     "DSN: put host, port, database and sslmode there)", "pulumi config rm database")


# Elasticsearch's cluster.max_shards_per_node (default 1000): half of it for the log stream's backing
# indices, the rest for Kibana's and the security system indices and rollovers by size.
_SHARD_BUDGET_PER_NODE = 500
# The dashboards open on the last 6 hours (mixin/dashboards/common.py).
_DASHBOARD_RANGE_SECONDS = 6 * 3600
_RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")


# The longest range the rules read whatever the settings: DiskWillFillSoon's predict_linear over 6h
# (mixin/alerts.py); the trading-idle alerts read thresholds.tradingIdleMinutes. Declared here, not
# rendered (settings sit below mixin/); tests/unit/test_rule_windows.py holds it to the rendered rules.
LONGEST_FIXED_WINDOW = (6 * 3600.0, "6h")


def longest_window(s: StackSettings) -> tuple[float, str]:
    """The longest range any alert or recording rule reads, and its text."""
    idle = s.thresholds.trading_idle_minutes
    return max(LONGEST_FIXED_WINDOW, (idle * 60, f"{idle:g}m"))


def _windows(s: StackSettings, problems: Problems) -> None:
    """Intervals and retention against the windows the rules and dashboards read."""
    p, t = s.prometheus, s.thresholds
    scrape = g.duration_seconds(p.scrape_interval)
    idle_seconds = t.trading_idle_minutes * 60
    # increase() over the idle window needs samples in it; with fewer than four a busy engine's
    # window can hold one sample, increase() is empty, `or vector(0)` reads 0 and NoTradingSignals fires.
    if idle_seconds < 4 * scrape and not problems.about("thresholds.tradingIdleMinutes", "prometheus.scrapeInterval"):
        minutes = math.ceil(4 * scrape / 60)
        problems.add("thresholds.tradingIdleMinutes", f"({t.trading_idle_minutes:g}) must cover at least four scrapes "
                     f"of prometheus.scrapeInterval ({p.scrape_interval}), else NoTradingSignals fires for a busy "
                     "engine", fix_command("thresholds.tradingIdleMinutes", str(max(minutes, 15))))
    if problems.about("prometheus.retentionTime", "thresholds.tradingIdleMinutes", "thresholds.diskFillHours"):
        return
    longest, text = longest_window(s)
    needed = max(longest, _DASHBOARD_RANGE_SECONDS)
    if g.duration_seconds(p.retention_time) < needed:
        what = f"the rules' longest window ({text})" if longest >= _DASHBOARD_RANGE_SECONDS else \
            "the dashboards' default range (6h)"
        problems.add("prometheus.retentionTime", f"({p.retention_time}) must keep at least {what}: a shorter "
                     "retention deletes the samples they read", fix_command("prometheus.retentionTime", "15d"))


def _shard_limit(s: StackSettings, problems: Problems) -> None:
    """Backing indices alive at once (one per rollover until ILM deletes it) against the shard limit."""
    lg = s.logging
    if problems.about("logging.rolloverMaxAge", "logging.retentionDays", "logging.elasticsearchNodes"):
        return
    copies = 2 if lg.elasticsearch_nodes > 1 else 1  # render/elasticsearch.py replicas(): 1 with 3 nodes
    retention = lg.retention_days * 86400
    indices = math.ceil(retention / g.es_time_seconds(lg.rollover_max_age)) + 1
    if indices * copies > _SHARD_BUDGET_PER_NODE * lg.elasticsearch_nodes:
        budget = _SHARD_BUDGET_PER_NODE * lg.elasticsearch_nodes // copies - 1
        hours = math.ceil(retention / budget / 3600)
        fix = f"{math.ceil(hours / 24)}d" if hours >= 24 else f"{hours}h"
        problems.add("logging.rolloverMaxAge", f"({lg.rollover_max_age}) with logging.retentionDays "
                     f"{lg.retention_days} keeps {indices} indices ({indices * copies} shards), beyond "
                     f"{_SHARD_BUDGET_PER_NODE} per node (Elasticsearch refuses new shards at "
                     "cluster.max_shards_per_node, 1000)", fix_command("logging.rolloverMaxAge", fix))


def _swarm_names(s: StackSettings, problems: Problems) -> None:
    """Swarm service names are DNS labels of at most 63 characters, built as <project>-<stack>-<service>."""
    if not s.swarm:
        return
    longest = s.name(LONGEST_SWARM_SERVICE)
    if len(longest) <= SWARM_NAME_LIMIT and "." not in s.stack:
        return
    room = SWARM_NAME_LIMIT - len(s.name(LONGEST_SWARM_SERVICE)) + len(s.stack)
    suggestion = re.sub(r"[^a-z0-9-]", "-", s.stack.lower())[:room].strip("-") or "prod"
    problems.add("(stack name)", f"'{s.stack}' makes Swarm service names such as {longest} ({len(longest)} "
                 f"characters), which Swarm refuses beyond {SWARM_NAME_LIMIT} characters or with a dot",
                 f"pulumi stack rename {suggestion}")


def _fixes_in_context(s: StackSettings, problems: Problems) -> None:
    """A key refused by its grammar gets a fix that the other settings accept too: a setting that has no
    effect in this stack is removed rather than set to a valid value that the next run refuses again."""
    lg = s.logging
    if not lg.snapshot_s3_bucket and not problems.about(s3.BUCKET):
        for key in s3.CLIENT_KEYS:
            problems.refix(f"logging.{key}", f"pulumi config rm --path logging.{key}")
    if lg.elasticsearch_nodes == 1 and not problems.about("logging.elasticsearchNodes"):
        problems.refix("logging.elasticsearchBootstrap", "pulumi config rm --path logging.elasticsearchBootstrap")


def check_rules(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    _host_network_publish(s, problems)
    _nothing_in_clear(s, raw, problems)
    check_tls_material(s, raw, problems)
    _database_beside_a_dsn(raw, problems)
    _windows(s, problems)
    _shard_limit(s, problems)
    check_image_versions({service: entry.image for service, entry in s.services.items()}, problems)
    _swarm_names(s, problems)
    memory_floors(s, problems)
    _fixes_in_context(s, problems)
