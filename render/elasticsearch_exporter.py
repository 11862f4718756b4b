"""elasticsearch_exporter (v1.11.0): its command line, and how it gets the reader's password.

The exporter reads credentials only from ES_USERNAME/ES_PASSWORD or from userinfo in --es.uri
(main.go at v1.11.0): no file option. As Grafana and Elasticsearch do, its start reads the
password file (a 0400 secret upload owned by its user) into its own process environment, so the
secret is in neither the container's configuration (`docker inspect`) nor a command line.
"""

from __future__ import annotations

from render.elasticsearch import READER_USER, URL
from settings.catalog import CATALOG

# The image's Dockerfile says USER nobody; the password file is owned by that uid.
UID = CATALOG["elasticsearch-exporter"].user
PASSWORD_FILE = "/etc/elasticsearch-exporter/reader-password"


def flags(all_nodes: bool = False) -> list[str]:
    """`all_nodes`: a cluster's every node (disk, JVM) rather than the one answering (collector/nodes.go)."""
    return [
        f"--es.uri={URL}",
        *(["--es.all"] if all_nodes else []),
        # Per-index statistics: elasticsearch_index_stats_indexing_index_total of the log streams'
        # backing indices is how the log-freshness alert knows documents still arrive. The reader
        # sees only logs-christmas-* (security filters /_all/_stats), which bounds the series.
        "--es.indices",
        "--es.timeout=10s",
    ]


def entrypoint() -> list[str]:
    """busybox sh (the image's base): export the password from its file, then become the exporter."""
    script = (f'ES_PASSWORD="$(cat {PASSWORD_FILE})" || exit 1; export ES_PASSWORD; '
              f'export ES_USERNAME={READER_USER}; exec /bin/elasticsearch_exporter "$@"')
    # "$0" of `sh -c` is the next word: a name for ps; the flags follow as "$@".
    return ["/bin/sh", "-c", script, "elasticsearch_exporter"]
