"""Grafana's datasources, by Grafana's own health check of each (GET /api/datasources/uid/<uid>/health)."""

from __future__ import annotations

from doctor.report import Result, failed, verdict
from doctor.stack import Target
from doctor.web import HttpError, get_json
from mixin.dashboards.common import ALERTMANAGER_UID, ELASTICSEARCH_UID, PROMETHEUS_UID

DATASOURCES = {"Prometheus": PROMETHEUS_UID, "Alertmanager": ALERTMANAGER_UID, "Elasticsearch logs": ELASTICSEARCH_UID}


def check_datasources(t: Target) -> list[Result]:
    link = t.link("operations.md", "7-grafana-datasources")
    auth = t.grafana_auth()
    if auth is None:
        return [failed("Grafana datasources", "no admin password in the stack outputs or config",
                       "run from the project directory with the stack selected (pulumi login, passphrase)", link)]
    results = []
    for name, uid in DATASOURCES.items():
        try:
            answer = get_json(f"{t.endpoints.grafana}/api/datasources/uid/{uid}/health", auth=auth)
            ok, saw = answer.get("status") == "OK", f"{answer.get('status')}: {answer.get('message')}"
        except HttpError as error:  # Grafana answers 400 with the reason when the check fails
            ok, saw = False, str(error)
        results.append(verdict(f"Grafana datasource {name}", ok, saw,
                               "the datasource cannot reach its service: check the service, its network "
                               "alias, and (Elasticsearch) the logs_reader password", link))
    return results
