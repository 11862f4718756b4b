"""Kibana as data: kibana.yml, the logs data view and the guide's saved searches.

kibana.yml holds the kibana_system password and the encryption key: Kibana has no `_FILE`
variant for them (its docker entrypoint turns environment variables into command-line flags),
so the file itself is the secret, uploaded from a secret Output, mode 0400 for Kibana's uid.
The values are written by the YAML serializer; settings validation refuses a value holding
`${`, which Kibana would replace from its environment (settings/secrets.py, password).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from formats.yamlout import dump_yaml
from render import elasticsearch, elasticsearch_cluster
from render.kibana_dashboard import dashboard_objects
from settings import log_pipeline as logs
from settings.catalog import CATALOG
from settings.image_versions import shown, tag_version
from settings.model import CONTAINER_PORTS, StackSettings

CONFIG_PATH = "/usr/share/kibana/config/kibana.yml"
PORT = CONTAINER_PORTS["kibana"]
URL = f"http://kibana:{PORT}"
# The image's user (uid 1000, group root), who reads kibana.yml.
UID = CATALOG["kibana"].user

DATA_VIEW_ID = logs.LOGS_NAME
SLOW_REQUEST_MS = 500
ERRORS_QUERY = "level:ERROR OR level:FATAL"
LATENCY_QUERY = f"message:*latency* AND latency_ms:>{SLOW_REQUEST_MS}"
USER_PATH_QUERY = "user_id:* AND (path:*order* OR path:*trade*)"
# The columns every saved search shows, in this order.
COLUMNS: tuple[str, ...] = ("service", "level", "user_id", "path", "latency_ms", "message")


def render_kibana_yml(s: StackSettings, kibana_system_password: str, encryption_key: str) -> str:
    return dump_yaml({
        "server.name": "kibana",
        "server.host": "0.0.0.0",
        # Links Kibana generates (and its redirects) use the address operators open.
        "server.publicBaseUrl": s.logging.kibana_public_base_url,
        # Every node of a cluster: Kibana's client turns to another when one fails.
        "elasticsearch.hosts": elasticsearch_cluster.http_hosts(s),
        # Kibana's own system user, never the `elastic` superuser.
        "elasticsearch.username": elasticsearch.KIBANA_SYSTEM_USER,
        "elasticsearch.password": kibana_system_password,
        # One key for saved-object encryption, session cookies and reports; stable across restarts,
        # so sessions and encrypted saved objects survive a container replacement.
        "xpack.encryptedSavedObjects.encryptionKey": encryption_key,
        "xpack.security.encryptionKey": encryption_key,
        # TLS ends at the edge (Caddy), not in Kibana: the session cookie must still be Secure
        # ("set this to true if SSL is configured outside of Kibana", Kibana 8.18 security settings).
        "xpack.security.secureCookies": s.logging.kibana_public_base_url.startswith("https://"),
        "xpack.reporting.encryptionKey": encryption_key,
        "monitoring.ui.container.elasticsearch.enabled": True,
        "telemetry.optIn": False,
        "telemetry.allowChangingOptInStatus": False,
        "newsfeed.enabled": False,
    })


def operator_role() -> dict[str, Any]:
    """PUT /api/security/role/<OPERATOR_ROLE>: read the log streams; the guide's §6.1 steps in Kibana.

    Data views (feature `indexPatterns`, Stack Management > Data Views: the guide's "create index
    pattern"), Discover (search, filter, save searches) and Visualize (build visualizations) in full,
    dashboards read-only. Elasticsearch access stays read-only on the log streams, whatever Kibana allows.

    Kibana's role API rather than Elasticsearch's: it maps feature privileges to its application
    privileges itself (and replaces deprecated feature ids), so the role survives Kibana upgrades.
    https://www.elastic.co/guide/en/kibana/8.18/role-management-api-put.html
    """
    return {
        "elasticsearch": {
            "cluster": [],
            "indices": [{"names": [elasticsearch.INDEX_PATTERN], "privileges": ["read", "view_index_metadata"]}],
        },
        "kibana": [{"base": [], "spaces": ["default"], "feature": {
            "indexPatterns": ["all"], "discover": ["all"], "visualize": ["all"], "dashboard": ["read"]}}],
    }


@dataclass(frozen=True)
class SavedSearch:
    id: str
    title: str
    description: str
    query: str
    # "lucene" for the guide's queries, kept as the guide writes them (`latency_ms:>500` is Lucene
    # range syntax, not KQL); "kuery" where a query of ours reads better in KQL.
    language: str = "lucene"


def platform_services(s: StackSettings) -> list[str]:
    """The platform's services, named as in their scrape targets (api, trading-engine)."""
    names: list[str] = []
    for target in (*s.prometheus.app_targets, *s.prometheus.trading_targets):
        host = target.rpartition(":")[0]
        if host not in names:
            names.append(host)
    return names


def saved_searches(s: StackSettings) -> list[SavedSearch]:
    searches = [SavedSearch(
        "christmas-errors", "Errors (all services)",
        "The guide's query: every ERROR and FATAL line of the platform and the monitoring stack.", ERRORS_QUERY)]
    for service in platform_services(s):
        searches += [
            # Per service: the `service` field, from the line itself or from the container's
            # com.christmas.monitoring.service label (README, "Logs of the platform's containers").
            SavedSearch(f"christmas-logs-{service}", f"Logs: {service}",
                        f"Every line of the {service} service.", f'service:"{service}"'),
            SavedSearch(f"christmas-errors-{service}", f"Errors: {service}",
                        f"ERROR and FATAL lines of the {service} service.",
                        f'service:"{service}" AND ({ERRORS_QUERY})'),
        ]
    searches += [
        SavedSearch(
            "christmas-user-orders-trades", "One user's order and trade requests",
            # A saved search cannot take a parameter: the operator adds the user id to the query.
            'Order and trade requests, per user. For one user, add: AND user_id:"<id>"',
            USER_PATH_QUERY),
        SavedSearch(
            "christmas-slow-requests", f"Slow requests (> {SLOW_REQUEST_MS} ms)",
            f"The guide's query: lines about latency that took more than {SLOW_REQUEST_MS} ms.", LATENCY_QUERY),
        SavedSearch(
            "christmas-slow-any", f"Any line over {SLOW_REQUEST_MS} ms",
            f"Every line with latency_ms above {SLOW_REQUEST_MS}, whatever its message.",
            f"latency_ms > {SLOW_REQUEST_MS}", language="kuery"),
    ]
    return searches


def data_view() -> dict[str, Any]:
    return {
        "type": "index-pattern",
        "id": DATA_VIEW_ID,
        "attributes": {
            "title": elasticsearch.INDEX_PATTERN,
            "name": "Christmas logs",
            "timeFieldName": "@timestamp",
        },
        "references": [],
    }


def saved_search_object(search: SavedSearch) -> dict[str, Any]:
    source = {
        "query": {"query": search.query, "language": search.language},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    return {
        "type": "search",
        "id": search.id,
        "attributes": {
            "title": search.title,
            "description": search.description,
            "columns": list(COLUMNS),
            "sort": [["@timestamp", "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
        "references": [{
            "name": "kibanaSavedObjectMeta.searchSourceJSON.index",
            "type": "index-pattern",
            "id": DATA_VIEW_ID,
        }],
    }


def saved_objects(s: StackSettings) -> list[dict[str, Any]]:
    return [data_view(), *(saved_search_object(x) for x in saved_searches(s)),
            *dashboard_objects(DATA_VIEW_ID, kibana_version(s))]


def kibana_version(s: StackSettings) -> str:
    """The deployed image's version (docker.elastic.co/kibana/kibana:8.18.2 -> 8.18.2; a digest beside the
    tag was once taken for the version). settings/image_versions.py refuses an image without one."""
    found = tag_version(s.service("kibana").image)
    if found is None:
        raise ValueError("images.kibana names no version")
    return shown(found[0])


def render_saved_objects_ndjson(s: StackSettings) -> str:
    """The body of POST /api/saved_objects/_import?overwrite=true: one object per line, fixed ids."""
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in saved_objects(s))
