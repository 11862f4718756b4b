"""A 3-node Elasticsearch on the swarm example stack (`logging.elasticsearchNodes: 3`), run under mocks:
three pinned services on distinct labelled nodes, transport TLS from a generated CA, one replica."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from offline.mocks import ProgramRun, is_secret, plain_strings, run_program, unwrap
from render import backups as bk
from render import elastic_setup as setup
from render import elasticsearch, elasticsearch_cluster, kibana
from render import elasticsearch_s3 as s3
from settings.model import SettingsError, StackSettings, parse_settings
from tests.policy.harness import analyze
from tests.unit.test_snapshot_s3 import ACCESS, BUCKET, SECRET, config_with

SERVICE = "docker:index/service:Service"
LABEL = "com.christmas.monitoring.service"
NODES = ["elasticsearch-1", "elasticsearch-2", "elasticsearch-3"]


def cluster_config(bootstrap: bool = True) -> tuple[dict[str, str], set[str]]:
    """The swarm example with 3 nodes; a cluster keeps its snapshots in S3 (settings require a bucket)."""
    return config_with("swarm", {"elasticsearchNodes": 3, "elasticsearchBootstrap": bootstrap,
                                 "snapshotS3Bucket": BUCKET})


def cluster_settings(bootstrap: bool = True) -> StackSettings:
    config, secret_keys = cluster_config(bootstrap)
    return parse_settings("christmas-monitoring", "swarm", config, frozenset(secret_keys))


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    config, secret_keys = cluster_config()
    return run_program("swarm", config, secret_keys)


def services(run: ProgramRun) -> dict[str, dict[str, Any]]:
    def name(inputs: dict[str, Any]) -> str:
        return next(str(lb["value"]) for lb in inputs["labels"] if lb["label"] == LABEL)
    return {name(unwrap(r.inputs)): unwrap(r.inputs) for r in run.of_type(SERVICE)}


def mounted(run: ProgramRun, service: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Path -> (content, mount) of every config and secret the service mounts."""
    by_id = {f"{r.name}-id": r for r in run.resources}
    container = services(run)[service]["taskSpec"]["containerSpec"]
    found = {}
    for mount, key in [*((c, "configId") for c in container.get("configs") or []),
                       *((s, "secretId") for s in container.get("secrets") or [])]:
        data = unwrap(by_id[mount[key]].inputs["data"])
        found[mount["fileName"]] = (base64.b64decode(data).decode(), mount)
    return found


def test_three_node_services_replace_the_single_node_and_its_file_system_snapshots(run):
    found = services(run)
    assert {*NODES} <= set(found) and "elasticsearch" not in found
    # A file system repository needs one directory shared by every node: not with node-local volumes.
    assert "elasticsearch-snapshots-init" not in found
    for node in NODES:
        assert found[node]["name"] == f"christmas-monitoring-swarm-{node}"
        assert found[node]["mode"] == {"replicated": {"replicas": 1}}
        image = found[node]["taskSpec"]["containerSpec"]["image"]
        assert image == "docker.elastic.co/elasticsearch/elasticsearch:8.18.2"


def test_each_node_keeps_to_its_labelled_host_never_with_another_node_and_stops_first(run):
    for node in NODES:
        svc = services(run)[node]
        constraints = svc["taskSpec"]["placement"]["constraints"]
        assert constraints[0] == f"node.labels.christmas-monitoring.{node}==true"
        assert sorted(constraints[1:]) == [f"node.labels.christmas-monitoring.{other}!=true"
                                           for other in NODES if other != node]
        assert svc["updateConfig"]["order"] == "stop-first" and svc["rollbackConfig"]["order"] == "stop-first"
        mounts = svc["taskSpec"]["containerSpec"]["mounts"]
        assert [(m["type"], m["source"], m["target"]) for m in mounts] == [
            ("volume", f"christmas-monitoring-swarm-{node}-data", elasticsearch.DATA_DIR)]
        # Memory per node as the single node has it; reserved, so Swarm places it only where it fits.
        limits = svc["taskSpec"]["resources"]
        assert limits["limits"]["memoryBytes"] == limits["reservation"]["memoryBytes"] == 8192 * 1024 * 1024


def test_nodes_are_found_by_name_on_the_overlay_and_answer_the_shared_name(run):
    for node in NODES:
        svc = services(run)[node]
        assert svc["endpointSpec"] == {"mode": "dnsrr"}
        networks = svc["taskSpec"]["networksAdvanceds"]
        # The stack network by its ID (the mocks give a Network resource the ID `<resource name>-id`).
        assert networks == [{"id": "network-id", "aliases": [node, "elasticsearch"]}]


def test_each_node_reads_its_own_elasticsearch_yml_with_discovery_and_transport_tls(run):
    for node in NODES:
        content, mount = mounted(run, node)[elasticsearch_cluster.CONFIG_PATH]
        node_yml = yaml.safe_load(content)
        assert node_yml["node.name"] == node and node_yml["network.publish_host"] == node
        assert node_yml["discovery.seed_hosts"] == NODES
        assert node_yml["cluster.initial_master_nodes"] == NODES
        assert node_yml["cluster.name"] == "christmas-monitoring-swarm-logs"
        assert "discovery.type" not in node_yml
        assert node_yml["xpack.security.enabled"] is True
        assert node_yml["xpack.security.transport.ssl.enabled"] is True
        assert node_yml["xpack.security.transport.ssl.verification_mode"] == "certificate"
        # Relative paths are read from the configuration directory, where the files are mounted.
        for key, path in (("key", elasticsearch_cluster.NODE_KEY), ("certificate", elasticsearch_cluster.NODE_CERT)):
            assert f"/usr/share/elasticsearch/config/{node_yml[f'xpack.security.transport.ssl.{key}']}" == path
        assert mount["fileUid"] == "1000" and mount["fileMode"] == 0o444


def test_the_bootstrap_list_is_only_there_while_the_operator_asks_for_it():
    s = cluster_settings(bootstrap=False)
    for node in NODES:
        assert "cluster.initial_master_nodes" not in elasticsearch_cluster.node_settings(s, node)
        assert elasticsearch_cluster.node_settings(s, node)["discovery.seed_hosts"] == NODES


def test_the_key_is_a_0400_secret_of_uid_1000_and_the_certificates_are_from_one_ca(run):
    ca_pem = None
    for node in NODES:
        files = mounted(run, node)
        key, key_mount = files[elasticsearch_cluster.NODE_KEY]
        assert "PRIVATE KEY" in key and "REDACTED" in key
        assert (key_mount["fileMode"], key_mount["fileUid"], key_mount["fileGid"]) == (0o400, "1000", "0")
        configs = services(run)[node]["taskSpec"]["containerSpec"]["configs"]
        assert elasticsearch_cluster.NODE_KEY not in {c["fileName"] for c in configs}
        ca_pem = ca_pem or files[elasticsearch_cluster.CA_CERT][0]
        assert files[elasticsearch_cluster.CA_CERT][0] == ca_pem
    certs = run.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert len(certs) == 3 and len(run.of_type("tls:index/selfSignedCert:SelfSignedCert")) == 1
    for cert in certs:
        assert {"server_auth", "client_auth"} <= set(unwrap(cert.inputs["allowedUses"]))
        # The CA's key reaches the provider as a secret only.
        assert is_secret(cert.inputs["caPrivateKeyPem"])


def test_no_private_key_is_in_clear_anywhere_in_the_state(run):
    for resource in run.resources:
        for text in plain_strings(resource.inputs):
            assert "PRIVATE KEY" not in text, resource.name
    # Configs are public (`docker config inspect`): certificates only.
    for config in run.of_type("docker:index/serviceConfig:ServiceConfig"):
        assert "PRIVATE KEY" not in base64.b64decode(unwrap(config.inputs["data"])).decode(), config.name


def test_a_published_cluster_is_refused_with_the_command_that_fixes_it():
    config, secret_keys = cluster_config()
    config["publish"] = json.dumps({"elasticsearch": {"port": 9200, "address": "0.0.0.0"}})
    with pytest.raises(SettingsError) as caught:
        parse_settings("christmas-monitoring", "swarm", config, frozenset(secret_keys))
    assert "publish.elasticsearch: cannot be published with 3 Elasticsearch nodes" in str(caught.value)
    assert "fix: pulumi config rm --path publish.elasticsearch" in str(caught.value)


def test_index_template_and_existing_stream_get_one_replica():
    s = cluster_settings()
    assert elasticsearch.index_template(s)["template"]["settings"]["index.number_of_replicas"] == 1
    script = setup.render_elastic_setup_script(s)
    assert '{"index": {"number_of_replicas": 1}}' in script and "/logs-christmas-swarm/_settings" in script


def test_the_cluster_snapshots_to_s3_and_without_a_bucket_is_refused():
    s = cluster_settings()
    script = setup.render_elastic_setup_script(s)
    assert json.dumps(bk.snapshot_repository(s), sort_keys=True) in script and "/_slm/policy/" in script
    assert bk.snapshot_repository(s)["type"] == "s3"
    config, secret_keys = cluster_config()
    logging = json.loads(config["logging"])
    del logging["snapshotS3Bucket"]
    config["logging"] = json.dumps(logging)
    for key in ("snapshotS3AccessKey", "snapshotS3SecretKey"):
        del config[key]
    with pytest.raises(SettingsError) as caught:
        parse_settings("christmas-monitoring", "swarm", config, frozenset(secret_keys - {"snapshotS3AccessKey",
                                                                                        "snapshotS3SecretKey"}))
    assert "logging.snapshotS3Bucket: is required with 3 Elasticsearch nodes" in str(caught.value)
    assert "fix: pulumi config set --path logging.snapshotS3Bucket <bucket>" in str(caught.value)


def test_every_node_puts_the_s3_keys_in_its_keystore_and_reads_the_client_settings(run):
    for node in NODES:
        files = mounted(run, node)
        assert (files[s3.ACCESS_KEY_FILE][0], files[s3.SECRET_KEY_FILE][0]) == (ACCESS, SECRET)
        assert files[s3.ENTRYPOINT_SCRIPT][0] == s3.render_entrypoint_script()
        # The image's entrypoint (tini, docker-entrypoint.sh) stays and execs the script (args = CMD).
        assert services(run)[node]["taskSpec"]["containerSpec"]["args"] == ["/bin/bash", s3.ENTRYPOINT_SCRIPT]
        node_yml = yaml.safe_load(files[elasticsearch_cluster.CONFIG_PATH][0])
        assert node_yml["s3.client.default.protocol"] == "https"


def test_kibana_is_given_every_node_and_the_exporter_reads_all_nodes(run):
    s = cluster_settings()
    kibana_yml = yaml.safe_load(kibana.render_kibana_yml(s, "pw", "k" * 32))
    assert kibana_yml["elasticsearch.hosts"] == [f"http://{n}:9200" for n in NODES]
    args = services(run)["elasticsearch-exporter"]["taskSpec"]["containerSpec"]["args"]
    assert "--es.all" in args and "--es.uri=http://elasticsearch:9200" in args


def test_container_absent_expects_each_node(run):
    from mixin.alerts import expected_container_selectors

    selectors = expected_container_selectors(cluster_settings())
    for node in NODES:
        assert any(f'="{node}"' in sel for sel in selectors)
    assert not any('service="elasticsearch"' in sel for sel in selectors)


def test_the_cluster_stack_passes_every_policy(run):
    assert analyze(run.resources) == []
