"""The platform's monitoring guide (the specification), as data: what it asks for, word for word.

docs/departures.md lists every place where the project differs from these; tests/unit/
test_departures.py compares them with the code and fails on a difference the document does not
name. Keep the values exactly as the guide writes them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideAlert:
    name: str
    expr: str
    for_: str


GUIDE_ALERTS: tuple[GuideAlert, ...] = (
    GuideAlert("HighCpuUsage",
               '100 - (avg by(instance) (irate(node_cpu_seconds_total{mode="idle"}[5m])) * 100) > 80', "5m"),
    GuideAlert("HighMemoryUsage",
               "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes * 100 > 85",
               "5m"),
    GuideAlert("HighErrorRate",
               'rate(http_requests_total{status=~"5.."}[5m]) / rate(http_requests_total[5m]) * 100 > 5', "5m"),
    GuideAlert("LowDbConnections", "pg_stat_database_numbackends / pg_settings_max_connections * 100 > 80", "5m"),
)

# job name -> its target where the guide names one.
GUIDE_SCRAPE_JOBS: dict[str, str | None] = {
    "prometheus": None,
    "node-exporter": None,
    "cadvisor": None,
    "api": "api:8000",
    "postgres": "postgres-exporter:9187",
}

GUIDE_ROUTE: dict[str, object] = {
    "group_by": ["alertname"],
    "group_wait": "10s",
    "group_interval": "10s",
    "repeat_interval": "1h",
    "receiver": "slack",
}

# The guide's Kibana queries (its "Log queries" section).
GUIDE_LOG_QUERIES: tuple[str, ...] = (
    "level:ERROR OR level:FATAL",
    "message:*latency* AND latency_ms:>500",
)
