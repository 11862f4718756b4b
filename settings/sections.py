"""The one declaration of every object setting: key, default, the consumer's rule, doc, example.

Each field is read by `settings.declare.parse_section`; the README tables come from here too.
A check names the program that reads the value last (see settings/grammar.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from settings import grammar as g
from settings import grammar_edge as ge
from settings import places
from settings import snapshot_s3 as s3
from settings.declare import declarations, setting
from settings.sizing import SizingSettings

_URL = g.http_url
def url_origin(value: str) -> str | None:
    """Kibana's server.publicBaseUrl: protocol, host and port (no path without a basePath)."""
    return g.http_url(value, path=False)


def _es_nodes(value: int) -> str | None:
    return None if value in (1, 3) else "must be 1 or 3 (a cluster needs a majority of its master nodes: 2 stop " \
        "when either dies)"


_es_nodes.__name__ = "1 or 3"


_RUNBOOK = "https://github.com/christmas-trading/christmas-monitoring/blob/main/docs/runbook.md"


@dataclass(frozen=True)
class StackOptions:
    """Top-level flags (Pulumi keeps them as text: "true" / "false")."""

    protect_data: bool = setting("protectData", True, example="true",
                                 doc="data volumes are `protect`ed and `retainOnDelete`")
    generate_missing_secrets: bool = setting("generateMissingSecrets", False, example="true",
                                             doc="generate missing passwords with pulumi-random")
    target: str = setting("target", "docker", example="swarm", check=g.one_of("docker", "swarm"),
                          doc="`docker`: one Docker host; `swarm`: `docker:host` is a Swarm manager "
                              "(docs/scale-out.md)")
    swarm_node_subnet: str = setting("swarmNodeSubnet", "", example="172.16.20.0/24", check=g.optional(ge.ipv4_subnet),
                                     doc="with target swarm: the private subnet of the nodes' Swarm addresses "
                                         "(their `--advertise-addr`); node-exporter listens on each node's address "
                                         "in it only, where Prometheus scrapes it")
    swarm_address_pool: str = setting("swarmAddressPool", "10.0.0.0/8", example="10.128.0.0/9",
                                      check=ge.swarm_pool,
                                      doc="with target swarm: the Swarm's address pool for overlay networks, as given "
                                          "to `docker swarm init --default-addr-pool` (Swarm's default 10.0.0.0/8); "
                                          "swarmNodeSubnet must lie outside it")


@dataclass(frozen=True)
class PrometheusSettings:
    scrape_interval: str = setting("scrapeInterval", "15s", example="15s", check=g.prometheus_interval,
                                   doc="global scrape interval (at most a quarter of the 5m rate windows)")
    evaluation_interval: str = setting("evaluationInterval", "15s", example="15s", check=g.prometheus_interval,
                                       doc="rule evaluation interval")
    retention_time: str = setting("retentionTime", "15d", example="15d", check=g.prometheus_duration,
                                  doc="TSDB retention by age (`--storage.tsdb.retention.time`)")
    retention_size: str = setting("retentionSize", "10GB", example="10GB", check=g.prometheus_size,
                                  doc="TSDB retention by size (`--storage.tsdb.retention.size`: B KB MB GB TB)")
    app_targets: tuple[str, ...] = setting("appTargets", ("api:8000",), example="api:8000", min_items=1,
                                           item_check=g.host_port, read_by="prometheus",
                                           doc="the platform API's `/metrics` (host:port)")
    trading_targets: tuple[str, ...] = setting("tradingTargets", ("trading-engine:8001",), min_items=1,
                                               example="trading-engine:8001", item_check=g.host_port,
                                               read_by="prometheus",
                                               doc="the trading engine's `/metrics` (host:port)")


def _percent(key: str, default: float, alert: str) -> Any:
    # Open at both ends: at 0 or 100 the alert either always or never fires.
    return setting(key, default, example=f"{default:g}", check=g.between(0, 100, low_open=True, high_open=True),
                   doc=alert)


def _positive(key: str, default: float, high: float, alert: str) -> Any:
    return setting(key, default, example=f"{default:g}", check=g.between(0, high, low_open=True),
                   doc=alert)


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds (percentages strictly between 0 and 100)."""

    cpu_percent: float = _percent("cpuPercent", 80.0, "HighCpuUsage")
    memory_percent: float = _percent("memoryPercent", 85.0, "HighMemoryUsage")
    disk_free_percent: float = _percent("diskFreePercent", 10.0, "DiskSpaceLow")
    error_rate_percent: float = _percent("errorRatePercent", 5.0, "HighErrorRate")
    api_p95_latency_seconds: float = _positive("apiP95LatencySeconds", 1.0, 600, "ApiHighLatency")
    db_connections_percent: float = _percent("dbConnectionsPercent", 80.0, "LowDbConnections (saturation)")
    db_replication_lag_seconds: float = _positive("dbReplicationLagSeconds", 30.0, 86400, "PostgresReplicationLag")
    db_slow_query_seconds: float = _positive("dbSlowQuerySeconds", 1.0, 3600, "PostgresSlowQueries")
    order_failure_percent: float = _percent("orderFailurePercent", 5.0, "HighOrderFailureRate")
    order_latency_p95_seconds: float = _positive("orderLatencyP95Seconds", 0.5, 600, "HighOrderLatency")
    container_memory_percent: float = _percent("containerMemoryPercent", 90.0, "ContainerMemoryNearLimit")
    disk_fill_hours: float = setting("diskFillHours", 4.0, example="4", check=g.between(1, 168),
                                     doc="DiskWillFillSoon (prediction horizon, hours)")
    trading_idle_minutes: float = setting("tradingIdleMinutes", 15.0, example="15", check=g.between(1, 1440),
                                          doc="NoTradingSignals, NoTradesExecuted (silence in market hours)")


@dataclass(frozen=True)
class AlertingSettings:
    slack_channel: str = setting("slackChannel", "#alerts", example="#alerts", check=g.slack_channel,
                                 doc="Slack channel (webhook: `slackWebhookUrl`)")
    email_to: tuple[str, ...] = setting("emailTo", (), example="oncall@example.com", item_check=g.email,
                                        doc="e-mail recipients (Slack or e-mail is required)")
    email_from: str = setting("emailFrom", "alertmanager@christmas.local", example="alerts@example.com",
                              check=g.email, doc="sender address")
    smtp_smarthost: str = setting("smtpSmarthost", "smtp.christmas.local:587", example="smtp.example.com:587",
                                  check=g.host_port, read_by="alertmanager",
                                  doc="SMTP host:port, as the Alertmanager and Grafana containers reach it")
    smtp_username: str = setting("smtpUsername", "", example="alerts@example.com",
                                 check=g.optional(g.user_name),
                                 doc="SMTP auth user (password: `smtpPassword`)")
    smtp_require_tls: bool = setting("smtpRequireTls", True, example="true", doc="STARTTLS required")
    alertmanager_peers: int = setting("alertmanagerPeers", 1, example="2", check=g.between(1, 5),
                                      doc="Alertmanager peers (gossip cluster; Prometheus sends to all)")
    gossip_subnet: str = setting("gossipSubnet", "", example="172.16.94.0/28", check=g.optional(ge.ipv4_subnet),
                                 doc="with 2+ peers: the gossip network's subnet (unused elsewhere on the host); "
                                     "each peer gossips on its own address in it, reachable by the peers only")
    market_open_hour_utc: int = setting("marketOpenHourUtc", 0, example="13", check=g.between(0, 23),
                                        doc="trading alerts only from this UTC hour...")
    market_close_hour_utc: int = setting("marketCloseHourUtc", 24, example="21", check=g.between(1, 24),
                                         doc="...until this UTC hour (before the open: across midnight)")
    runbook_base_url: str = setting("runbookBaseUrl", _RUNBOOK, example=_RUNBOOK, check=_URL,
                                    doc="every alert's `runbook_url` is `<base>#<alertname lower-cased>`")
    # Not a key: whether a Slack webhook secret is set (parse_settings fills it in).
    slack_enabled: bool = False

    @property
    def email_enabled(self) -> bool:
        return bool(self.email_to)


@dataclass(frozen=True)
class GrafanaSettings:
    admin_user: str = setting("adminUser", "admin", example="admin", check=g.user_name,
                              doc="admin login (password: `grafanaAdminPassword`)")
    root_url: str = setting("rootUrl", "http://localhost:3000", example="https://grafana.example.com", check=_URL,
                            doc="where operators open Grafana (links in notifications)")
    api_url: str = setting("apiUrl", "", example="http://127.0.0.1:3000",
                           check=g.optional(_URL),
                           doc="where `pulumi up` reaches Grafana's API (default: its published port)")
    secure_cookies: bool = setting("secureCookies", False, example="true", doc="cookies only over HTTPS")


@dataclass(frozen=True)
class LoggingSettings:
    elasticsearch_heap_mb: int = setting("elasticsearchHeapMb", 512, example="1024", check=g.between(128, 31744),
                                         doc="JVM heap; at most half of `memoryMb.elasticsearch`")
    retention_days: int = setting("retentionDays", 7, example="30", check=g.between(1, 3650),
                                  doc="ILM deletes log indices this many days after rollover")
    # Snapshots (render/backups.py): a volume on the host, or an S3 bucket when one is set.
    snapshot_s3_bucket: str = setting("snapshotS3Bucket", "", example="christmas-es-snapshots",
                                      check=g.optional(s3.bucket_name),
                                      doc="snapshots go to this S3 bucket (keys: `snapshotS3AccessKey`, "
                                          "`snapshotS3SecretKey`); empty = a volume on the host")
    snapshot_s3_base_path: str = setting("snapshotS3BasePath", "", example="elasticsearch",
                                         check=g.optional(s3.base_path),
                                         doc="folder in the bucket; the stack's name is appended (stacks can "
                                             "share a bucket)")
    snapshot_s3_endpoint: str = setting("snapshotS3Endpoint", "", example="minio.example.com:9000",
                                        check=g.optional(s3.endpoint), read_by="elasticsearch",
                                        doc="an S3-compatible service's host or host:port; empty = AWS")
    snapshot_s3_protocol: str = setting("snapshotS3Protocol", "https", example="https",
                                        check=g.one_of("https", "http"),
                                        doc="`https` (certificate checked against the JVM's truststore) or `http`")
    snapshot_s3_region: str = setting("snapshotS3Region", "", example="eu-west-1", check=g.optional(s3.region),
                                      doc="signing region, for an S3-compatible service; empty = the SDK's guess")
    snapshot_s3_path_style_access: bool = setting("snapshotS3PathStyleAccess", False, example="true",
                                                  doc="requests as `<endpoint>/<bucket>` (most S3-compatible "
                                                      "services, e.g. MinIO, need it)")
    rollover_max_age: str = setting("rolloverMaxAge", "1d", example="1d", check=g.es_time,
                                    doc="ILM rollover by age (one number and unit)")
    rollover_max_size: str = setting("rolloverMaxSize", "5gb", example="5gb", check=g.es_size,
                                     doc="ILM rollover by primary shard size")
    kibana_public_base_url: str = setting("kibanaPublicBaseUrl", "http://localhost:5601",
                                          example="https://kibana.example.com", check=url_origin,
                                          doc="Kibana's `server.publicBaseUrl` (protocol, host, port only)")
    buffer_max_size: str = setting("bufferMaxSize", "1G", example="1G", check=g.fluent_bit_size,
                                   doc="Fluent Bit's filesystem buffer limit while Elasticsearch is unreachable")
    docker_log_dir: str = setting("dockerLogDir", "/var/lib/docker/containers", example="/var/lib/docker/containers",
                                  check=places.docker_log_dir,
                                  doc="Docker's log directory on the host (`<data-root>/containers`), tailed read-only")
    # 1 or 3: a cluster elects its master by majority, so 2 nodes stop when either dies (no better than 1).
    elasticsearch_nodes: int = setting("elasticsearchNodes", 1, example="1", check=_es_nodes,
                                       doc="1, or 3 with target swarm: a cluster across three labelled nodes, "
                                           "replicas 1 (docs/scale-out.md)")
    elasticsearch_bootstrap: bool = setting("elasticsearchBootstrap", False, example="true",
                                            doc="with 3 nodes: true for the cluster's first start only "
                                                "(`cluster.initial_master_nodes`), then remove it")


@dataclass(frozen=True)
class EdgeSettings:
    """The TLS entry point (Caddy, components/edge.py): certificates, ports, what else it serves."""

    tls: str = setting("tls", "acme", example="acme", check=g.one_of("acme", "internal", "files"),
                       doc="certificates: `acme`, `files` (`tlsCertificate`/`tlsKey`), `internal` (Caddy's CA)")
    acme_email: str = setting("acmeEmail", "", example="ops@example.com", check=g.optional(ge.acme_email),
                              doc="ACME account e-mail (expiry notices)")
    acme_ca: str = setting("acmeCa", "", example="https://acme-staging-v02.api.letsencrypt.org/directory",
                           check=g.optional(ge.acme_directory), doc="another ACME directory; empty = Caddy's")
    address: str = setting("address", "127.0.0.1", example="0.0.0.0", check=g.ipv4,
                           doc="host address the edge's two ports are published on")
    http_port: int = setting("httpPort", 80, example="80", check=g.tcp_port,
                             doc="plain HTTP: redirects to HTTPS, ACME's HTTP challenge")
    https_port: int = setting("httpsPort", 443, example="443", check=g.tcp_port,
                              doc="HTTPS; every public URL uses it")
    prometheus_url: str = setting("prometheusUrl", "", example="https://prometheus.example.com",
                                  check=g.optional(ge.edge_url),
                                  doc="Prometheus through the edge, behind basic auth; empty = not exposed")
    alertmanager_url: str = setting("alertmanagerUrl", "", example="https://alertmanager.example.com",
                                    check=g.optional(ge.edge_url),
                                    doc="Alertmanager through the edge, behind basic auth; empty = not exposed")


@dataclass(frozen=True)
class DatabaseSettings:
    """The platform's PostgreSQL, watched through postgres-exporter."""

    host: str = setting("host", "postgres", example="postgres", check=g.host, read_by="postgres-exporter",
                        doc="host name or address")
    port: int = setting("port", 5432, example="5432", check=g.tcp_port, doc="port")
    name: str = setting("name", "christmas_db", example="christmas_db", check=g.pg_identifier,
                        doc="the platform's database (LowDbConnections counts its connections)")
    exporter_user: str = setting("exporterUser", "postgres_exporter", example="postgres_exporter",
                                 check=g.pg_identifier, doc="the exporter's login (pg_monitor role)")
    sslmode: str = setting("sslmode", "disable", example="require",
                           check=g.one_of(*g.PG_SSLMODES),
                           doc="sslmode as lib/pq (postgres-exporter's driver) takes it")


# The object settings, by top-level key.
# The top-level flags' keys, as StackOptions declares them.
OPTION_KEYS: tuple[str, ...] = tuple(d.key for _, d in declarations(StackOptions))

SECTIONS: dict[str, type] = {
    "prometheus": PrometheusSettings,
    "thresholds": AlertThresholds,
    "alerting": AlertingSettings,
    "grafana": GrafanaSettings,
    "logging": LoggingSettings,
    "database": DatabaseSettings,
    "edge": EdgeSettings,
    "sizing": SizingSettings,  # settings/sizing.py: what Prometheus is sized for
}
