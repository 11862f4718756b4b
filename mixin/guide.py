"""The platform's monitoring guide, as data: every value its code blocks and commands state.

The guide is `../shared/guide/monitoring-guide.ko.md` (the specification). Each constant below is
copied from it exactly as written; a YAML block is held as YAML reads it (so `"...\\n..."` in the
guide is a newline here). `tests/unit/test_guide_copy.py` parses the guide file and compares it
with this module value by value. `docs/departures.md` lists every place where the program does
something else, with the reason; `tests/unit/test_departures.py` computes those places from the
rendered files and fails on one the document does not name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class GuideAlert:
    """One rule of §7.2 "주요 알림 규칙"."""

    name: str
    expr: str
    for_: str
    severity: Literal["critical", "warning"]
    summary: str
    description: str


# §7.2, in the guide's order.
GUIDE_ALERTS: tuple[GuideAlert, ...] = (
    GuideAlert(
        "HighCpuUsage",
        '100 - (avg by(instance) (irate(node_cpu_seconds_total{mode="idle"}[5m])) * 100) > 80',
        "5m", "warning", "High CPU usage detected",
        "CPU usage is above 80% for 5 minutes (current value: {{ $value }}%)"),
    GuideAlert(
        "HighMemoryUsage",
        "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes * 100 > 85",
        "5m", "warning", "High memory usage detected",
        "Memory usage is above 85% for 5 minutes (current value: {{ $value }}%)"),
    GuideAlert(
        "HighErrorRate",
        'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) * 100 > 5',
        "1m", "critical", "High API error rate",
        "API error rate is above 5% (current value: {{ $value }}%)"),
    GuideAlert(
        "LowDbConnections",
        'pg_stat_activity_count{datname="christmas_db"} / pg_settings_max_connections * 100 > 80',
        "2m", "warning", "Database connection pool near capacity",
        "Database connection utilization is above 80% (current value: {{ $value }}%)"),
)

# §7.1: where the guide keeps the rules and the Alertmanager configuration.
GUIDE_RULES_FILE = "/config/prometheus/rules/alerts.yml"
GUIDE_ALERTMANAGER_FILE = "/config/alertmanager/alertmanager.yml"

# §4.1.2 `prometheus.yml`.
GUIDE_PROMETHEUS_GLOBAL: dict[str, str] = {"scrape_interval": "15s", "evaluation_interval": "15s"}
# job name -> its one target, in the guide's order.
GUIDE_SCRAPE_JOBS: dict[str, str] = {
    "prometheus": "localhost:9090",
    "node_exporter": "node-exporter:9100",
    "api": "api:8000",
    "cadvisor": "cadvisor:8080",
}
# The one job that states its metrics_path.
GUIDE_METRICS_PATHS: dict[str, str] = {"api": "/metrics"}

# §4.4.2 `alertmanager.yml`.
GUIDE_ALERTMANAGER_GLOBAL: dict[str, str] = {
    "resolve_timeout": "5m",
    "slack_api_url": "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK",
}
GUIDE_ROUTE: dict[str, Any] = {
    "group_by": ["alertname", "job"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "4h",
    "receiver": "slack-notifications",
}
GUIDE_SLACK_RECEIVER = "slack-notifications"
GUIDE_SLACK_CONFIG: dict[str, Any] = {
    "channel": "#alerts",
    "send_resolved": True,
    "title": "{{ .GroupLabels.alertname }}",
    "text": "{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}",
}
# §7.3 e-mail receiver (its password is the guide's example, never deployed).
GUIDE_EMAIL_RECEIVER = "email-notifications"
GUIDE_EMAIL_CONFIG: dict[str, Any] = {
    "to": "alerts@example.com",
    "from": "alertmanager@example.com",
    "smarthost": "smtp.example.com:587",
    "auth_username": "alertmanager",
    "auth_password": "password",
    "require_tls": True,
}

# §4.1.1, §4.2.1, §4.3.1-4.3.3, §4.4.1: the Compose services, as YAML reads them.
GUIDE_COMPOSE_SERVICES: dict[str, dict[str, Any]] = {
    "prometheus": {
        "image": "prom/prometheus",
        "volumes": ["./config/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml",
                    "prometheus_data:/prometheus"],
        "ports": ["9090:9090"],
        "command": ["--config.file=/etc/prometheus/prometheus.yml",
                    "--storage.tsdb.path=/prometheus",
                    "--web.console.libraries=/usr/share/prometheus/console_libraries",
                    "--web.console.templates=/usr/share/prometheus/consoles"],
        "restart": "always",
    },
    "grafana": {
        "image": "grafana/grafana",
        "volumes": ["grafana_data:/var/lib/grafana", "./config/grafana/provisioning:/etc/grafana/provisioning"],
        "environment": ["GF_SECURITY_ADMIN_USER=admin", "GF_SECURITY_ADMIN_PASSWORD=secure_password",
                        "GF_USERS_ALLOW_SIGN_UP=false"],
        "ports": ["3000:3000"],
        "depends_on": ["prometheus"],
        "restart": "always",
    },
    "fluent-bit": {
        "image": "fluent/fluent-bit",
        "volumes": ["./config/fluent-bit/fluent-bit.conf:/fluent-bit/etc/fluent-bit.conf",
                    "/var/lib/docker/containers:/var/lib/docker/containers:ro"],
        "depends_on": ["elasticsearch"],
        "restart": "always",
    },
    "elasticsearch": {
        "image": "docker.elastic.co/elasticsearch/elasticsearch:7.13.0",
        "environment": ["discovery.type=single-node", "ES_JAVA_OPTS=-Xms512m -Xmx512m"],
        "volumes": ["elasticsearch_data:/usr/share/elasticsearch/data"],
        "ports": ["9200:9200"],
        "restart": "always",
    },
    "kibana": {
        "image": "docker.elastic.co/kibana/kibana:7.13.0",
        "environment": ["ELASTICSEARCH_HOSTS=http://elasticsearch:9200"],
        "ports": ["5601:5601"],
        "depends_on": ["elasticsearch"],
        "restart": "always",
    },
    "alertmanager": {
        "image": "prom/alertmanager",
        "volumes": ["./config/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml"],
        "ports": ["9093:9093"],
        "restart": "always",
    },
}

# §4.2.2 / §5: the four dashboards, by the name the guide tells operators to open.
GUIDE_DASHBOARDS: tuple[str, ...] = ("System Overview", "API Performance", "Database Performance",
                                     "Trading Performance")

# §6.1: where the guide says Kibana is.
GUIDE_KIBANA_URL = "http://localhost:5601"

# §6.2: the four log queries, in the guide's order (errors, one service, one user, slow requests).
GUIDE_LOG_QUERIES: tuple[str, ...] = (
    "level:ERROR OR level:FATAL",
    "kubernetes.container.name:api AND level:ERROR",
    'user_id:"12345" AND (path:"/api/orders" OR path:"/api/trades")',
    "message:*latency* AND latency_ms:>500",
)

# §9: the troubleshooting commands, in the guide's order.
GUIDE_TROUBLESHOOTING_COMMANDS: tuple[str, ...] = (
    "promtool check config prometheus.yml",
    "docker logs christmas-prometheus-1",
    "docker logs christmas-fluent-bit-1",
    'curl -X GET "localhost:9200/_cat/health"',
    'curl -X GET "localhost:9200/_cat/indices"',
    "docker logs christmas-alertmanager-1",
)


def guide_alert(name: str) -> GuideAlert:
    return next(a for a in GUIDE_ALERTS if a.name == name)
