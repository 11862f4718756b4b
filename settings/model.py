"""Typed stack settings: every key is read once, validated, and frozen.

`parse_settings` is pure (a mapping of raw config strings in, `StackSettings` out) so it is
tested without Pulumi; `load_settings` feeds it from the running Pulumi program and attaches
the secrets as secret `Output`s. All problems are collected and raised together in one
`SettingsError` that names each key, what is wrong, and the command that fixes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import config as pulumi_config

from settings.catalog import DEFAULT_IMAGES, SERVICES
from settings.validation import (
    Problems,
    SettingsError,
    is_duration,
    is_email,
    is_hostport,
    is_ipv4,
    is_size,
    is_slack_channel,
    is_url,
)

PROJECT = "christmas-monitoring"

@dataclass(frozen=True)
class SecretSpec:
    """A secret setting: read with require_secret and kept as a secret Output."""

    key: str
    # A stack with generateMissingSecrets (dev) creates it with pulumi-random when unset.
    generated: bool = False
    # No stack requires it (a stack that generates secrets requires none of them).
    optional: bool = False
    min_length: int = 0


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec("grafanaAdminPassword", generated=True, min_length=12),
    SecretSpec("elasticPassword", generated=True, min_length=12),
    SecretSpec("kibanaSystemPassword", generated=True, min_length=12),
    # Read-only Elasticsearch user of Grafana's logs datasource (never the superuser).
    SecretSpec("elasticReaderPassword", generated=True, min_length=12),
    # Fluent Bit's Elasticsearch user: may only append to the log data streams.
    SecretSpec("elasticWriterPassword", generated=True, min_length=12),
    # Kibana's key for encrypted saved objects.
    SecretSpec("kibanaEncryptionKey", generated=True, min_length=32),
    # In a dev stack: no SMTP auth, no Slack, and a DSN built from `database`.
    SecretSpec("smtpPassword"),
    SecretSpec("slackWebhookUrl"),
    SecretSpec("postgresExporterDsn"),
    # Dead man's switch receiving the always-firing Watchdog (its URL usually carries a token).
    SecretSpec("heartbeatUrl", optional=True),
)
SECRET_KEYS: tuple[str, ...] = tuple(spec.key for spec in SECRETS)
OPTIONAL_SECRETS: tuple[str, ...] = tuple(spec.key for spec in SECRETS if spec.optional)
GENERATABLE_SECRETS: tuple[str, ...] = tuple(spec.key for spec in SECRETS if spec.generated)

T = TypeVar("T")

__all__ = ["SettingsError", "StackSettings", "parse_settings"]


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the Docker host."""

    host_port: int
    bind_address: str


@dataclass(frozen=True)
class ServiceSettings:
    image: str
    memory_mb: int
    cpus: float
    publish: PublishedPort | None


@dataclass(frozen=True)
class PrometheusSettings:
    scrape_interval: str = "15s"
    evaluation_interval: str = "15s"
    retention_time: str = "15d"
    retention_size: str = "10GB"
    # host:port of the platform's services exposing /metrics (the metric contract).
    app_targets: tuple[str, ...] = ("api:8000",)
    trading_targets: tuple[str, ...] = ("trading-engine:8001",)


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds that differ per stack (percentages are 0-100)."""

    cpu_percent: float = 80.0
    memory_percent: float = 85.0
    disk_free_percent: float = 10.0
    error_rate_percent: float = 5.0
    api_p95_latency_seconds: float = 1.0
    db_connections_percent: float = 80.0
    db_replication_lag_seconds: float = 30.0
    db_slow_query_seconds: float = 1.0
    order_failure_percent: float = 5.0
    order_latency_p95_seconds: float = 0.5
    container_memory_percent: float = 90.0
    # DiskWillFillSoon: how far ahead the free-space trend is extrapolated.
    disk_fill_hours: float = 4.0
    # NoTradingSignals / NoTradesExecuted: how long the engine may stay silent in market hours.
    trading_idle_minutes: float = 15.0


@dataclass(frozen=True)
class AlertingSettings:
    slack_channel: str = "#christmas-alerts"
    slack_enabled: bool = False
    email_to: tuple[str, ...] = ()
    email_from: str = "alertmanager@christmas.local"
    smtp_smarthost: str = "smtp.christmas.local:587"
    smtp_username: str = ""
    smtp_require_tls: bool = True
    alertmanager_peers: int = 1
    # Trading hours (UTC) during which "no trading signals" is an alert.
    market_open_hour_utc: int = 0
    market_close_hour_utc: int = 24
    # Every alert's runbook_url is `<runbook_base_url>#<alertname lower-cased>`.
    runbook_base_url: str = "https://github.com/christmas-trading/christmas-monitoring/blob/main/docs/runbook.md"

    @property
    def email_enabled(self) -> bool:
        return bool(self.email_to)


@dataclass(frozen=True)
class GrafanaSettings:
    admin_user: str = "admin"
    # Where operators open Grafana (root_url, links in notifications).
    root_url: str = "http://localhost:3000"
    # Where `pulumi up` reaches Grafana's API; empty = the published port on loopback.
    api_url: str = ""
    secure_cookies: bool = False


@dataclass(frozen=True)
class LoggingSettings:
    elasticsearch_heap_mb: int = 512
    retention_days: int = 7
    rollover_max_age: str = "1d"
    rollover_max_size: str = "5gb"
    kibana_public_base_url: str = "http://localhost:5601"
    buffer_max_size: str = "1G"
    # Docker's container log directory on the host, tailed by Fluent Bit.
    docker_log_dir: str = "/var/lib/docker/containers"


@dataclass(frozen=True)
class DatabaseSettings:
    """The platform's PostgreSQL, watched through postgres-exporter."""

    host: str = "postgres"
    port: int = 5432
    name: str = "christmas"
    exporter_user: str = "postgres_exporter"
    sslmode: str = "disable"


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    services: Mapping[str, ServiceSettings]
    prometheus: PrometheusSettings
    thresholds: AlertThresholds
    alerting: AlertingSettings
    grafana: GrafanaSettings
    logging: LoggingSettings
    database: DatabaseSettings
    protect_data: bool
    generate_missing_secrets: bool
    # Secret keys that were set in the stack configuration (their values are never held here).
    secrets_set: frozenset[str] = field(default_factory=frozenset)

    def name(self, service: str) -> str:
        """Docker object name `<project>-<stack>-<service>` (dev and prod share one host)."""
        return f"{self.project}-{self.stack}-{service}"

    def service(self, service: str) -> ServiceSettings:
        return self.services[service]

    @property
    def grafana_api_url(self) -> str:
        if self.grafana.api_url:
            return self.grafana.api_url
        publish = self.services["grafana"].publish
        assert publish is not None  # guaranteed by validation
        host = "127.0.0.1" if publish.bind_address == "0.0.0.0" else publish.bind_address
        return f"http://{host}:{publish.host_port}"

    def url_of(self, service: str) -> str | None:
        """The URL an operator on the Docker host uses, or None when not published."""
        publish = self.services[service].publish
        if publish is None:
            return None
        host = "localhost" if publish.bind_address in ("0.0.0.0", "127.0.0.1") else publish.bind_address
        return f"http://{host}:{publish.host_port}"


# --------------------------------------------------------------------------- defaults

DEFAULT_MEMORY_MB: dict[str, int] = {
    "prometheus": 1024,
    "node-exporter": 64,
    "cadvisor": 256,
    "postgres-exporter": 64,
    "grafana": 512,
    "alertmanager": 128,
    "fluent-bit": 128,
    "elasticsearch": 2048,
    "kibana": 1024,
    "elastic-setup": 64,
}
DEFAULT_CPUS: dict[str, float] = {
    "prometheus": 1.0,
    "node-exporter": 0.25,
    "cadvisor": 0.5,
    "postgres-exporter": 0.25,
    "grafana": 0.5,
    "alertmanager": 0.25,
    "fluent-bit": 0.5,
    "elasticsearch": 1.0,
    "kibana": 1.0,
    "elastic-setup": 0.25,
}
# Ports inside the containers (fixed by the images).
CONTAINER_PORTS: dict[str, int] = {
    "prometheus": 9090,
    "node-exporter": 9100,
    "cadvisor": 8080,
    "postgres-exporter": 9187,
    "grafana": 3000,
    "alertmanager": 9093,
    "fluent-bit": 2020,
    "elasticsearch": 9200,
    "kibana": 5601,
}

TOP_LEVEL_KEYS: tuple[str, ...] = (
    "images",
    "memoryMb",
    "cpus",
    "publish",
    "prometheus",
    "thresholds",
    "alerting",
    "grafana",
    "logging",
    "database",
    "protectData",
    "generateMissingSecrets",
    *SECRET_KEYS,
)


# --------------------------------------------------------------------------- parsing


def _fix(key: str, example: str, secret: bool = False) -> str:
    flag = "--secret " if secret else ""
    path = "--path " if "." in key else ""
    return f"pulumi config set {path}{flag}{key} {example}"


class _Reader:
    """Reads raw config values (strings; objects as JSON) and records problems."""

    def __init__(self, raw: Mapping[str, str], problems: Problems) -> None:
        self.raw = raw
        self.problems = problems

    def obj(self, key: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
        text = self.raw.get(key)
        if text is None:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            self.problems.add(key, "must be an object of settings", _fix(f"{key}.<name>", "<value>"))
            return {}
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    self.problems.add(
                        f"{key}.{name}",
                        f"is not a known setting (known: {', '.join(allowed)})",
                        f"pulumi config rm --path {key}.{name}",
                    )
        return value

    def boolean(self, key: str, default: bool) -> bool:
        text = self.raw.get(key)
        if text is None:
            return default
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        self.problems.add(key, f"must be true or false, got {text!r}", _fix(key, "true"))
        return default


def _typed(
    problems: Problems,
    section: Mapping[str, Any],
    key: str,
    name: str,
    default: T,
    kind: type,
    check: Callable[[Any], str | None] | None = None,
    example: str = "<value>",
) -> T:
    """One field of an object setting: type-checked, range-checked, or the default."""
    if name not in section:
        return default
    value = section[name]
    full = f"{key}.{name}"
    ok_type = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok_type = float(value), True
    if not ok_type:
        problems.add(full, f"must be a {kind.__name__}, got {value!r}", _fix(full, example))
        return default
    if check is not None:
        message = check(value)
        if message:
            problems.add(full, message, _fix(full, example))
            return default
    return value  # type: ignore[no-any-return]


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}, got {value!r}"

    return check


def _matches(pred: Callable[[Any], bool], what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if pred(value) else f"must be {what}, got {value!r}"

    return check


def _parse_services(read: _Reader, problems: Problems) -> dict[str, ServiceSettings]:
    images = read.obj("images", SERVICES)
    memory = read.obj("memoryMb", SERVICES)
    cpus = read.obj("cpus", SERVICES)
    publish = read.obj("publish", tuple(CONTAINER_PORTS))
    services: dict[str, ServiceSettings] = {}
    for service in SERVICES:
        image = _typed(problems, images, "images", service, DEFAULT_IMAGES[service], str,
                       _matches(_is_pinned_image, "an image with an exact version tag (not latest)"),
                       "grafana/grafana:11.6.3")
        memory_mb = _typed(problems, memory, "memoryMb", service, DEFAULT_MEMORY_MB[service], int,
                           _between(16, 262144), "1024")
        cpu = _typed(problems, cpus, "cpus", service, DEFAULT_CPUS[service], float,
                     _between(0.05, 64), "0.5")
        published = _parse_publish(problems, publish, service)
        services[service] = ServiceSettings(image=image, memory_mb=memory_mb, cpus=cpu, publish=published)
    return services


def _parse_publish(problems: Problems, publish: Mapping[str, Any], service: str) -> PublishedPort | None:
    if service not in publish:
        return None
    entry = publish[service]
    key = f"publish.{service}"
    if not isinstance(entry, dict):
        problems.add(key, "must be an object {port, address}", _fix(f"{key}.port", "3000"))
        return None
    for name in entry:
        if name not in ("port", "address"):
            problems.add(f"{key}.{name}", "is not a known setting (known: port, address)",
                         f"pulumi config rm --path {key}.{name}")
    port = _typed(problems, entry, key, "port", 0, int, _between(1, 65535), "3000")
    address = _typed(problems, entry, key, "address", "127.0.0.1", str,
                     _matches(is_ipv4, "an IPv4 address such as 127.0.0.1"), "127.0.0.1")
    if port == 0:
        if "port" not in entry:
            problems.add(f"{key}.port", "is required when the service is published", _fix(f"{key}.port", "3000"))
        return None
    return PublishedPort(host_port=port, bind_address=address)


def _is_pinned_image(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    if "@sha256:" in image:
        return True
    return bool(name) and "/" not in tag and bool(tag) and tag != "latest"


def _parse_prometheus(read: _Reader, problems: Problems) -> PrometheusSettings:
    key = "prometheus"
    section = read.obj(key, ("scrapeInterval", "evaluationInterval", "retentionTime", "retentionSize",
                             "appTargets", "tradingTargets"))
    d = PrometheusSettings()
    duration = _matches(is_duration, "a Prometheus duration such as 15s, 1m or 15d")
    return PrometheusSettings(
        scrape_interval=_typed(problems, section, key, "scrapeInterval", d.scrape_interval, str, duration, "15s"),
        evaluation_interval=_typed(problems, section, key, "evaluationInterval", d.evaluation_interval, str,
                                   duration, "15s"),
        retention_time=_typed(problems, section, key, "retentionTime", d.retention_time, str, duration, "15d"),
        retention_size=_typed(problems, section, key, "retentionSize", d.retention_size, str,
                              _matches(is_size, "a size such as 512MB or 10GB"), "10GB"),
        app_targets=_targets(problems, section, key, "appTargets", d.app_targets),
        trading_targets=_targets(problems, section, key, "tradingTargets", d.trading_targets),
    )


def _targets(problems: Problems, section: Mapping[str, Any], key: str, name: str,
             default: tuple[str, ...]) -> tuple[str, ...]:
    if name not in section:
        return default
    value = section[name]
    full = f"{key}.{name}"
    fix = _fix(f"{full}[0]", "api:8000")
    if not isinstance(value, list) or not value:
        problems.add(full, "must be a non-empty list of host:port targets", fix)
        return default
    bad = [t for t in value if not (isinstance(t, str) and is_hostport(t))]
    if bad:
        problems.add(full, f"has targets that are not host:port: {bad!r}", fix)
        return default
    return tuple(value)


_THRESHOLD_FIELDS: dict[str, tuple[str, float, float]] = {
    # config name: (dataclass field, low, high)
    "cpuPercent": ("cpu_percent", 1, 100),
    "memoryPercent": ("memory_percent", 1, 100),
    "diskFreePercent": ("disk_free_percent", 1, 99),
    "errorRatePercent": ("error_rate_percent", 0.01, 100),
    "apiP95LatencySeconds": ("api_p95_latency_seconds", 0.001, 600),
    "dbConnectionsPercent": ("db_connections_percent", 1, 100),
    "dbReplicationLagSeconds": ("db_replication_lag_seconds", 0.1, 86400),
    "dbSlowQuerySeconds": ("db_slow_query_seconds", 0.001, 3600),
    "orderFailurePercent": ("order_failure_percent", 0.01, 100),
    "orderLatencyP95Seconds": ("order_latency_p95_seconds", 0.001, 600),
    "containerMemoryPercent": ("container_memory_percent", 1, 100),
    "diskFillHours": ("disk_fill_hours", 1, 168),
    "tradingIdleMinutes": ("trading_idle_minutes", 1, 1440),
}


def _parse_thresholds(read: _Reader, problems: Problems) -> AlertThresholds:
    key = "thresholds"
    section = read.obj(key, tuple(_THRESHOLD_FIELDS))
    defaults = AlertThresholds()
    values: dict[str, float] = {}
    for name, (attr, low, high) in _THRESHOLD_FIELDS.items():
        values[attr] = _typed(problems, section, key, name, getattr(defaults, attr), float,
                              _between(low, high), str(getattr(defaults, attr)))
    return AlertThresholds(**values)


def _parse_alerting(read: _Reader, problems: Problems, slack_enabled: bool) -> AlertingSettings:
    key = "alerting"
    section = read.obj(key, ("slackChannel", "emailTo", "emailFrom", "smtpSmarthost", "smtpUsername",
                             "smtpRequireTls", "alertmanagerPeers", "marketOpenHourUtc", "marketCloseHourUtc",
                             "runbookBaseUrl"))
    d = AlertingSettings()
    email_to: tuple[str, ...] = d.email_to
    if "emailTo" in section:
        value = section["emailTo"]
        fix = _fix("alerting.emailTo[0]", "oncall@example.com")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add("alerting.emailTo", "must be a list of e-mail addresses", fix)
        elif bad := [v for v in value if not is_email(v)]:
            problems.add("alerting.emailTo", f"has malformed e-mail addresses: {bad!r}", fix)
        else:
            email_to = tuple(value)
    email = _matches(is_email, "an e-mail address such as alerts@example.com")
    settings = AlertingSettings(
        slack_channel=_typed(problems, section, key, "slackChannel", d.slack_channel, str,
                             _matches(is_slack_channel, "a Slack channel such as #alerts"), "'#alerts'"),
        slack_enabled=slack_enabled,
        email_to=email_to,
        email_from=_typed(problems, section, key, "emailFrom", d.email_from, str, email, "alerts@example.com"),
        smtp_smarthost=_typed(problems, section, key, "smtpSmarthost", d.smtp_smarthost, str,
                              _matches(is_hostport, "host:port such as smtp.example.com:587"),
                              "smtp.example.com:587"),
        smtp_username=_typed(problems, section, key, "smtpUsername", d.smtp_username, str, None, "alerts"),
        smtp_require_tls=_typed(problems, section, key, "smtpRequireTls", d.smtp_require_tls, bool, None, "true"),
        alertmanager_peers=_typed(problems, section, key, "alertmanagerPeers", d.alertmanager_peers, int,
                                  _between(1, 5), "2"),
        market_open_hour_utc=_typed(problems, section, key, "marketOpenHourUtc", d.market_open_hour_utc, int,
                                    _between(0, 23), "13"),
        market_close_hour_utc=_typed(problems, section, key, "marketCloseHourUtc", d.market_close_hour_utc, int,
                                     _between(1, 24), "21"),
        runbook_base_url=_typed(problems, section, key, "runbookBaseUrl", d.runbook_base_url, str,
                                _matches(lambda s: is_url(s) and "#" not in s, "an http(s) URL without #anchor"),
                                "https://github.com/acme/christmas-monitoring/blob/main/docs/runbook.md"),
    )
    if settings.market_close_hour_utc <= settings.market_open_hour_utc:
        problems.add("alerting.marketCloseHourUtc", "must be after alerting.marketOpenHourUtc",
                     _fix("alerting.marketCloseHourUtc", "21"))
    if not settings.slack_enabled and not settings.email_enabled:
        problems.add("slackWebhookUrl / alerting.emailTo",
                     "no alert receiver: set a Slack webhook, e-mail recipients, or both",
                     "pulumi config set --secret slackWebhookUrl https://hooks.slack.com/services/... "
                     "or " + _fix("alerting.emailTo[0]", "oncall@example.com"))
    return settings


def _parse_grafana(read: _Reader, problems: Problems) -> GrafanaSettings:
    key = "grafana"
    section = read.obj(key, ("adminUser", "rootUrl", "apiUrl", "secureCookies"))
    d = GrafanaSettings()
    url = _matches(is_url, "an http(s) URL such as https://grafana.example.com")
    return GrafanaSettings(
        admin_user=_typed(problems, section, key, "adminUser", d.admin_user, str,
                          _matches(lambda s: bool(s) and s.isprintable() and " " not in s, "a user name"), "admin"),
        root_url=_typed(problems, section, key, "rootUrl", d.root_url, str, url, "https://grafana.example.com"),
        api_url=_typed(problems, section, key, "apiUrl", d.api_url, str, url, "http://127.0.0.1:3000"),
        secure_cookies=_typed(problems, section, key, "secureCookies", d.secure_cookies, bool, None, "true"),
    )


def _parse_logging(read: _Reader, problems: Problems) -> LoggingSettings:
    key = "logging"
    section = read.obj(key, ("elasticsearchHeapMb", "retentionDays", "rolloverMaxAge", "rolloverMaxSize",
                             "kibanaPublicBaseUrl", "bufferMaxSize", "dockerLogDir"))
    d = LoggingSettings()
    return LoggingSettings(
        elasticsearch_heap_mb=_typed(problems, section, key, "elasticsearchHeapMb", d.elasticsearch_heap_mb, int,
                                     _between(128, 31744), "1024"),
        retention_days=_typed(problems, section, key, "retentionDays", d.retention_days, int,
                              _matches(lambda n: n >= 1, "a positive number of days"), "30"),
        rollover_max_age=_typed(problems, section, key, "rolloverMaxAge", d.rollover_max_age, str,
                                # Elasticsearch's ILM reads one number and one unit (no 1w, no 1d12h).
                                _matches(lambda v: re.fullmatch(r"[1-9]\d*(d|h|m|s)", v) is not None,
                                         "an Elasticsearch duration such as 1d or 12h"), "1d"),
        rollover_max_size=_typed(problems, section, key, "rolloverMaxSize", d.rollover_max_size, str,
                                 _matches(is_size, "a size such as 5gb"), "5gb"),
        kibana_public_base_url=_typed(problems, section, key, "kibanaPublicBaseUrl", d.kibana_public_base_url, str,
                                      _matches(is_url, "an http(s) URL without a trailing slash"),
                                      "https://kibana.example.com"),
        buffer_max_size=_typed(problems, section, key, "bufferMaxSize", d.buffer_max_size, str,
                               _matches(is_size, "a size such as 1G"), "1G"),
        docker_log_dir=_typed(problems, section, key, "dockerLogDir", d.docker_log_dir, str,
                              _matches(lambda s: s.startswith("/"), "an absolute path"), "/var/lib/docker/containers"),
    )


def _parse_database(read: _Reader, problems: Problems) -> DatabaseSettings:
    key = "database"
    section = read.obj(key, ("host", "port", "name", "exporterUser", "sslmode"))
    d = DatabaseSettings()
    return DatabaseSettings(
        host=_typed(problems, section, key, "host", d.host, str,
                    _matches(lambda s: is_hostport(f"{s}:1"), "a host name"), "postgres"),
        port=_typed(problems, section, key, "port", d.port, int, _between(1, 65535), "5432"),
        name=_typed(problems, section, key, "name", d.name, str, None, "christmas"),
        exporter_user=_typed(problems, section, key, "exporterUser", d.exporter_user, str, None, "postgres_exporter"),
        sslmode=_typed(problems, section, key, "sslmode", d.sslmode, str,
                       _matches(lambda s: s in ("disable", "require", "verify-ca", "verify-full"),
                                "one of disable, require, verify-ca, verify-full"), "require"),
    )


def _check_secrets(raw: Mapping[str, str], problems: Problems, generate: bool,
                   secret_keys: frozenset[str] | None) -> None:
    """Validate secret values without ever putting them in a message."""
    for key in SECRET_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if secret_keys is not None and key not in secret_keys:
            problems.add(key, "is stored in plain text in the stack file; it must be encrypted",
                         f"pulumi config rm {key} && " + _fix(key, "<value>", secret=True))
        if value == "":
            problems.add(key, "is empty", _fix(key, "<value>", secret=True))
    webhook = raw.get("slackWebhookUrl")
    if webhook and not (is_url(webhook) and webhook.startswith("https://")):
        problems.add("slackWebhookUrl", "must be an https:// URL (a Slack incoming webhook)",
                     _fix("slackWebhookUrl", "https://hooks.slack.com/services/T000/B000/XXXX", secret=True))
    dsn = raw.get("postgresExporterDsn")
    if dsn and not dsn.startswith(("postgresql://", "postgres://")):
        problems.add("postgresExporterDsn", "must be a postgresql:// connection URL",
                     _fix("postgresExporterDsn", "'postgresql://user:pass@db:5432/christmas?sslmode=require'",
                          secret=True))
    for spec in SECRETS:
        value = raw.get(spec.key)
        if value and len(value) < spec.min_length:
            problems.add(spec.key, f"must be at least {spec.min_length} characters long",
                         _fix(spec.key, "<a long random value>", True))
    heartbeat = raw.get("heartbeatUrl")
    if heartbeat and not is_url(heartbeat):
        problems.add("heartbeatUrl", "must be an http(s) URL (the dead man's switch pinged by Watchdog)",
                     _fix("heartbeatUrl", "https://hc-ping.com/<uuid>", secret=True))
    # A stack that generates its passwords (dev) needs no secret set to come up.
    required = [] if generate else [s.key for s in SECRETS if s.key not in raw and not s.optional]
    for key in required:
        problems.add(key, "is a required secret in this stack and is not set",
                     _fix(key, "<value>", secret=True))


def parse_settings(project: str, stack: str, raw: Mapping[str, str],
                   secret_keys: frozenset[str] | None = None) -> StackSettings:
    """Validate the raw stack configuration (keys without the project prefix).

    `secret_keys` are the keys Pulumi holds encrypted; when given, a secret setting stored
    in plain text is an error.
    """
    problems = Problems()
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            problems.add(key, f"is not a known setting of {project}",
                         f"pulumi config rm {key}  (known settings are listed in the README)")
    read = _Reader(raw, problems)
    protect_data = read.boolean("protectData", default=True)
    generate = read.boolean("generateMissingSecrets", default=False)
    services = _parse_services(read, problems)
    grafana = _parse_grafana(read, problems)
    grafana_publish_given = "grafana" in read.obj("publish")  # invalid entries are reported already
    if services["grafana"].publish is None and not grafana.api_url and not grafana_publish_given:
        problems.add("publish.grafana", "Grafana must be published, or grafana.apiUrl set, for the Grafana provider",
                     _fix("publish.grafana.port", "3000"))
    logging = _parse_logging(read, problems)
    es_memory = services["elasticsearch"].memory_mb
    if logging.elasticsearch_heap_mb > es_memory // 2:
        problems.add("logging.elasticsearchHeapMb",
                     f"({logging.elasticsearch_heap_mb} MB) must be at most half of memoryMb.elasticsearch "
                     f"({es_memory} MB): Elasticsearch needs the rest for the file cache",
                     _fix("logging.elasticsearchHeapMb", str(max(128, es_memory // 2))))
    _check_secrets(raw, problems, generate, secret_keys)
    settings = StackSettings(
        project=project,
        stack=stack,
        services=services,
        prometheus=_parse_prometheus(read, problems),
        thresholds=_parse_thresholds(read, problems),
        alerting=_parse_alerting(read, problems, slack_enabled=bool(raw.get("slackWebhookUrl"))),
        grafana=grafana,
        logging=logging,
        database=_parse_database(read, problems),
        protect_data=protect_data,
        generate_missing_secrets=generate,
        secrets_set=frozenset(k for k in SECRET_KEYS if raw.get(k)),
    )
    problems.raise_if_any(stack)
    return settings


# --------------------------------------------------------------------------- Pulumi side


@dataclass(frozen=True)
class StackSecrets:
    """The secrets that were set, each a secret `Output` (never a plain value)."""

    values: Mapping[str, pulumi.Output[str]]

    def get(self, key: str) -> pulumi.Output[str] | None:
        return self.values.get(key)


def _raw_config(project: str) -> tuple[dict[str, str], frozenset[str]]:
    """Every `<project>:<key>` setting of the running stack, and which are secret."""
    every: dict[str, str] = {**pulumi_config.get_config_env(), **pulumi_config.CONFIG.get()}
    prefix = f"{project}:"
    raw = {k[len(prefix):]: str(v) for k, v in every.items() if k.startswith(prefix)}
    secret = set(pulumi_config.get_config_secret_keys_env()) | set(pulumi_config._SECRET_KEYS.get())
    return raw, frozenset(k[len(prefix):] for k in secret if k.startswith(prefix))


def load_settings() -> tuple[StackSettings, StackSecrets]:
    """Read and validate the stack configuration before any resource is declared."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    raw, secret_keys = _raw_config(project)
    settings = parse_settings(project, stack, raw, secret_keys)
    config = pulumi.Config()
    secrets = {key: config.require_secret(key) for key in sorted(settings.secrets_set)}
    return settings, StackSecrets(values=secrets)
