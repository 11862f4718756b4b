"""A 3-node Elasticsearch cluster on a Swarm (`logging.elasticsearchNodes: 3`): each node's
elasticsearch.yml, where its transport TLS files live, and the names the consumers reach it by.

Elasticsearch 8.18 (reference pages cited in docs/scale-out.md):
- the nodes find each other through `discovery.seed_hosts`, the three node services' names. Each
  name resolves to its task's own address on the stack's overlay (endpoint mode dnsrr, no virtual
  IP), re-resolved at every discovery round, so a task that moves is found again; the same name is
  the node's `network.publish_host`, so no node advertises a node-local address (docker_gwbridge);
- `cluster.initial_master_nodes` only for the very first start (`logging.elasticsearchBootstrap`):
  the reference says to remove it once the cluster has formed, never to set it again, because a
  node that starts with it and an empty data path may bootstrap a second cluster beside the first;
- with security on and a cluster that is not a single node, the bootstrap checks require TLS on the
  transport layer: PEM files from a CA the program generates (components/elasticsearch_cluster.py),
  verified against that CA only (`verification_mode: certificate`): the peers connect to each other's
  publish *addresses*, which are not known in advance, so a host name check could not pass.
The image's own elasticsearch.yml (`cluster.name`, `network.host: 0.0.0.0`: distribution/docker/src/
docker/config/elasticsearch.yml) is replaced by this file, which says both.
"""

from __future__ import annotations

from typing import Any

from formats.yamlout import dump_yaml
from render import elasticsearch, elasticsearch_s3
from settings.log_pipeline import is_cluster, node_services
from settings.model import StackSettings

CONFIG_PATH = "/usr/share/elasticsearch/config/elasticsearch.yml"
# Inside the configuration directory, where Elasticsearch reads its TLS files from; relative paths in
# elasticsearch.yml are resolved against it.
CERTS_DIR = "/usr/share/elasticsearch/config/certs"
CA_CERT = f"{CERTS_DIR}/ca.crt"
NODE_CERT = f"{CERTS_DIR}/node.crt"
NODE_KEY = f"{CERTS_DIR}/node.key"
# Every node also answers this name (DNS round robin over the running tasks): the consumers that take
# one host (Fluent Bit, the exporter, Grafana, the setup jobs) keep `http://elasticsearch:9200`.
SHARED_NAME = "elasticsearch"


def http_hosts(s: StackSettings) -> list[str]:
    """What a consumer that takes several hosts (Kibana's `elasticsearch.hosts`) is given."""
    if not is_cluster(s):
        return [elasticsearch.URL]
    return [f"http://{node}:{elasticsearch.PORT}" for node in node_services()]


def environment(s: StackSettings) -> dict[str, str]:
    """Only what elasticsearch.yml cannot say: the bootstrap password's file (read by the image's
    entrypoint) and the heap of the JVM."""
    return {"ELASTIC_PASSWORD_FILE": elasticsearch.PASSWORD_FILE, "ES_JAVA_OPTS": elasticsearch.java_options(s)}


def _relative(path: str) -> str:
    return path.removeprefix("/usr/share/elasticsearch/config/")


def node_settings(s: StackSettings, node: str) -> dict[str, Any]:
    nodes = node_services()
    if node not in nodes:
        raise ValueError(f"{node} is not a node of the cluster ({', '.join(nodes)})")
    settings: dict[str, Any] = {
        "cluster.name": s.name("logs"),
        "node.name": node,
        "network.host": "0.0.0.0",
        "network.publish_host": node,
        "discovery.seed_hosts": nodes,
    }
    if s.logging.elasticsearch_bootstrap:
        settings["cluster.initial_master_nodes"] = nodes
    settings.update({
        "xpack.security.enabled": True,
        # HTTP stays on the stack's overlay network (the edge terminates TLS for operators).
        "xpack.security.http.ssl.enabled": False,
        "xpack.security.transport.ssl.enabled": True,
        "xpack.security.transport.ssl.verification_mode": "certificate",
        "xpack.security.transport.ssl.client_authentication": "required",
        "xpack.security.transport.ssl.key": _relative(NODE_KEY),
        "xpack.security.transport.ssl.certificate": _relative(NODE_CERT),
        "xpack.security.transport.ssl.certificate_authorities": [_relative(CA_CERT)],
        **elasticsearch.SHARED_NODE_SETTINGS,
    })
    # The snapshot repository's S3 client (its keys are in each node's keystore, components/backups.py).
    settings.update(elasticsearch_s3.client_environment(s))
    return settings


def render_node_yml(s: StackSettings, node: str) -> str:
    return dump_yaml(node_settings(s, node))
