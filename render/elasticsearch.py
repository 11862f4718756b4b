"""Elasticsearch as data: node settings, the log data stream's ILM policy and index template, roles and users.

Every request body the setup job sends is built here, so tests read exactly what Elasticsearch
receives. The log indices are one data stream per stack, `logs-christmas-<stack>`, matching
`logs-christmas-*` (what Grafana's logs datasource and Kibana's data view query).
"""

from __future__ import annotations

from typing import Any

from render.curlrc import user_config
from settings.catalog import CATALOG
from settings.log_pipeline import LOGS_NAME
from settings.model import CONTAINER_PORTS, StackSettings

DATA_DIR = CATALOG["elasticsearch"].data_path
# The snapshot repository's directory (its own volume; render/backups.py registers the repository).
SNAPSHOT_DIR = "/usr/share/elasticsearch/snapshots"
# The image's user (uid 1000, group root): its entrypoint reads ELASTIC_PASSWORD_FILE as that user
# (distribution/docker/src/docker/bin/docker-entrypoint.sh), the healthcheck runs as it.
UID = CATALOG["elasticsearch"].user
SECRETS_DIR = "/run/secrets/elasticsearch"
PASSWORD_FILE = f"{SECRETS_DIR}/elastic-password"
# curl's config for the healthcheck: the superuser's credentials, never on a command line.
HEALTHCHECK_CURLRC = f"{SECRETS_DIR}/healthcheck.curlrc"
SECRET_FILES = (PASSWORD_FILE, HEALTHCHECK_CURLRC)
PORT = CONTAINER_PORTS["elasticsearch"]
URL = f"http://elasticsearch:{PORT}"

INDEX_PATTERN = f"{LOGS_NAME}-*"
TEMPLATE_NAME = LOGS_NAME
ILM_POLICY_NAME = LOGS_NAME
# Above the built-in `logs` template (priority 100, pattern logs-*-*), so ours wins for our streams.
TEMPLATE_PRIORITY = 200

SUPERUSER = "elastic"
KIBANA_SYSTEM_USER = "kibana_system"
WRITER_USER = "fluent_bit_writer"
WRITER_ROLE = "christmas_logs_writer"
READER_USER = "logs_reader"
READER_ROLE = "christmas_logs_reader"
# Operators log in to Kibana as this user (never as `elastic`); its role is declared through
# Kibana's role API (render/kibana.py operator_role), which owns Kibana's feature privileges.
OPERATOR_USER = "kibana_operator"
OPERATOR_ROLE = "christmas_kibana_operator"

# Normalises `level` to upper case at index and query time: `level:error` finds ERROR too.
LEVEL_NORMALIZER = "uppercase"


def es_size(size: str) -> str:
    """A validated size setting (5gb, 5GB, 5 G) in Elasticsearch's spelling (5gb)."""
    text = size.replace(" ", "").lower()
    return text if text.endswith("b") else f"{text}b"


# Settings every node takes, alone or in a cluster (render/elasticsearch_cluster.py).
SHARED_NODE_SETTINGS: dict[str, str | bool] = {
    "xpack.license.self_generated.type": "basic",
    "xpack.ml.enabled": False,
    # No internet from the host: do not try to download GeoIP databases.
    "ingest.geoip.downloader.enabled": False,
    "action.destructive_requires_name": True,
}


def java_options(s: StackSettings) -> str:
    """ES_JAVA_OPTS: the heap, fixed (minimum = maximum)."""
    heap = s.logging.elasticsearch_heap_mb
    return f"-Xms{heap}m -Xmx{heap}m"


def _env_value(value: str | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else value


def environment(s: StackSettings) -> dict[str, str]:
    """The node's settings as environment variables; the bootstrap password by file name."""
    return {
        # The entrypoint reads the file into ELASTIC_PASSWORD (the `elastic` user's bootstrap
        # password) and unsets this variable; `docker inspect` shows only the file name.
        "ELASTIC_PASSWORD_FILE": PASSWORD_FILE,
        "discovery.type": "single-node",
        "cluster.name": s.name("logs"),
        "node.name": "elasticsearch",
        "ES_JAVA_OPTS": java_options(s),
        # Authentication on for every request; no anonymous access is configured.
        "xpack.security.enabled": "true",
        # Traffic stays on the stack's private bridge network (and loopback when published).
        "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false",
        **{key: _env_value(value) for key, value in SHARED_NODE_SETTINGS.items()},
        # Where a file system snapshot repository may live (render/backups.py).
        "path.repo": SNAPSHOT_DIR,
    }


def ilm_policy(s: StackSettings) -> dict[str, Any]:
    """Roll over by age or size; delete `retention_days` after rollover (the guide's retention)."""
    lg = s.logging
    return {
        "policy": {
            "_meta": {"managed_by": s.project, "stack": s.stack},
            "phases": {
                "hot": {
                    "min_age": "0ms",
                    "actions": {
                        "rollover": {
                            "max_age": lg.rollover_max_age,
                            "max_primary_shard_size": es_size(lg.rollover_max_size),
                        },
                    },
                },
                "delete": {
                    "min_age": f"{lg.retention_days}d",
                    "actions": {"delete": {}},
                },
            },
        },
    }


def mappings() -> dict[str, Any]:
    return {
        # Unknown fields stay in _source but are not indexed: no mapping explosion, no type conflict
        # that would make Elasticsearch reject (and Fluent Bit drop) a log line.
        "dynamic": False,
        "properties": {
            "@timestamp": {"type": "date"},
            "level": {"type": "keyword", "normalizer": LEVEL_NORMALIZER},
            "service": {"type": "keyword"},
            "user_id": {"type": "keyword"},
            "path": {"type": "keyword"},
            # A number; a string such as "12.5" is coerced, a malformed one ignored (not rejected).
            "latency_ms": {"type": "float"},
            "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
            "container_name": {"type": "keyword"},
            "stack": {"type": "keyword"},
            "stream": {"type": "keyword"},
        },
    }


def replicas(s: StackSettings) -> int:
    """One node: a replica could never be assigned (the cluster would stay yellow). Three nodes: one
    replica, so losing any one node loses no log and leaves every shard with a copy (yellow, writable)."""
    return 1 if s.logging.elasticsearch_nodes > 1 else 0


def index_template(s: StackSettings) -> dict[str, Any]:
    return {
        "index_patterns": [INDEX_PATTERN],
        "data_stream": {},
        "priority": TEMPLATE_PRIORITY,
        "_meta": {"managed_by": s.project, "stack": s.stack},
        "template": {
            "settings": {
                "index.lifecycle.name": ILM_POLICY_NAME,
                "index.number_of_shards": 1,
                "index.number_of_replicas": replicas(s),
                "index.refresh_interval": "5s",
                "index.mapping.ignore_malformed": True,
                "analysis": {
                    "normalizer": {
                        LEVEL_NORMALIZER: {"type": "custom", "filter": ["uppercase"]},
                    },
                },
            },
            "mappings": mappings(),
        },
    }


def roles() -> dict[str, dict[str, Any]]:
    """Least privilege: the writer can only add documents to the log streams, the reader only read them."""
    return {
        WRITER_ROLE: {
            "cluster": [],
            "indices": [{
                "names": [INDEX_PATTERN],
                # create_doc: append only (no update, no delete); auto_configure: create the data stream.
                "privileges": ["create_doc", "auto_configure"],
            }],
        },
        READER_ROLE: {
            # `monitor` lets Grafana and the exporter read the cluster's version, health and node
            # statistics, nothing more; `monitor` on the streams: their index statistics.
            "cluster": ["monitor"],
            "indices": [{
                "names": [INDEX_PATTERN],
                "privileges": ["read", "view_index_metadata", "monitor"],
            }],
        },
    }


def user_body(role: str, full_name: str, password: str) -> dict[str, Any]:
    """PUT /_security/user/<name>: creates the user or updates its password and roles (idempotent)."""
    return {"password": password, "roles": [role], "full_name": full_name, "enabled": True}


def users(writer_password: str, reader_password: str, operator_password: str) -> dict[str, dict[str, Any]]:
    return {
        WRITER_USER: user_body(WRITER_ROLE, "Fluent Bit (writes logs)", writer_password),
        READER_USER: user_body(READER_ROLE, "Grafana logs datasource (reads logs)", reader_password),
        # Its role is created by kibana-setup; Elasticsearch resolves role names at login.
        OPERATOR_USER: user_body(OPERATOR_ROLE, "Kibana operators (read logs: Discover, dashboards)",
                                 operator_password),
    }


def healthcheck_command() -> list[str]:
    """Cluster health as the superuser, the credentials read by curl from its config file."""
    return ["CMD", "curl", "-K", HEALTHCHECK_CURLRC, "-fsS", "-o", "/dev/null", "--max-time", "8",
            f"http://localhost:{PORT}/_cluster/health?wait_for_status=yellow&timeout=5s"]


def secret_files(elastic_password: str) -> dict[str, str]:
    """Path -> content of the node's secret files (the entrypoint's `$(cat)` drops a final newline)."""
    return {PASSWORD_FILE: elastic_password, HEALTHCHECK_CURLRC: user_config(SUPERUSER, elastic_password)}
