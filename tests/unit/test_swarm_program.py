"""The whole program under mocks for the swarm example stack: what `pulumi up` on a Swarm manager creates."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from offline.mocks import DeclaredResource, ProgramRun, is_secret, plain_strings, unwrap
from settings.catalog import SERVICES
from tests.conftest import stack_config

SERVICE = "docker:index/service:Service"
LABEL = "com.christmas.monitoring.service"
ONE_SHOT = {"elastic-setup", "kibana-setup", "elasticsearch-snapshots-init", "backups-volume-init"}


def _service(resource: DeclaredResource) -> str:
    return next(str(label["value"]) for label in unwrap(resource.inputs["labels"]) if label["label"] == LABEL)


def services(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {_service(r): unwrap(r.inputs) for r in run.of_type(SERVICE)}


def spec(run: ProgramRun, name: str) -> dict[str, Any]:
    found: dict[str, Any] = services(run)[name]["taskSpec"]
    return found


def test_every_service_of_the_stack_is_a_swarm_service_and_nothing_a_container(swarm_run):
    assert set(services(swarm_run)) == {*SERVICES, "kibana-setup", "backups", "elasticsearch-snapshots-init",
                                        "backups-volume-init"}
    assert swarm_run.containers() == []
    # Each node pulls the pinned tag itself: an image pulled on the manager would serve one node only.
    assert swarm_run.of_type("docker:index/remoteImage:RemoteImage") == []
    for name, svc in services(swarm_run).items():
        assert svc["name"] == f"christmas-monitoring-swarm-{name}"


def test_agents_run_on_every_node_and_node_exporter_on_the_host_network(swarm_run):
    for agent in ("node-exporter", "cadvisor", "fluent-bit"):
        assert services(swarm_run)[agent]["mode"] == {"global": True}, agent
    assert spec(swarm_run, "node-exporter")["networksAdvanceds"] == [{"id": "host"}]
    # On the host network it listens on the node's Swarm address only, chosen by its entrypoint.
    node_exporter = spec(swarm_run, "node-exporter")["containerSpec"]
    assert node_exporter["commands"] == ["/bin/sh", "/etc/node-exporter/swarm-entrypoint.sh"]
    assert not [a for a in node_exporter["args"] if a.startswith("--web.listen-address")]
    stack_network = _network_ids(swarm_run)["christmas-monitoring-swarm"]
    assert spec(swarm_run, "cadvisor")["networksAdvanceds"][0]["id"] == stack_network


def test_stateful_services_are_placed_on_operator_labelled_nodes_and_stop_first(swarm_run):
    for name in ("prometheus", "grafana", "elasticsearch", "kibana"):
        constraints = spec(swarm_run, name)["placement"]["constraints"]
        assert constraints == [f"node.labels.christmas-monitoring.{name}==true"], name
    for name in ("prometheus", "grafana", "elasticsearch", "alertmanager", "fluent-bit"):
        assert services(swarm_run)[name]["updateConfig"]["order"] == "stop-first", name
    for name in ("kibana", "cadvisor", "postgres-exporter"):
        assert services(swarm_run)[name]["updateConfig"]["order"] == "start-first", name
    assert spec(swarm_run, "docker-api")["placement"]["constraints"] == ["node.role==manager"]
    # They mount Prometheus', Grafana's and Elasticsearch's volumes by name: only where those volumes are
    # (on any other node Docker creates empty ones: the Grafana copy fails, pruning never runs).
    assert spec(swarm_run, "backups")["placement"]["constraints"] == [
        "node.labels.christmas-monitoring.prometheus==true", "node.labels.christmas-monitoring.grafana==true"]
    assert spec(swarm_run, "grafana")["placement"]["constraints"] == ["node.labels.christmas-monitoring.grafana==true"]
    assert spec(swarm_run, "elasticsearch-snapshots-init")["placement"]["constraints"] == [
        "node.labels.christmas-monitoring.elasticsearch==true"]
    # The backups volume's first mount: on the node where the scheduler will mount it.
    assert spec(swarm_run, "backups-volume-init")["placement"]["constraints"] == spec(
        swarm_run, "backups")["placement"]["constraints"]


def _network(run: ProgramRun, name: str) -> dict[str, Any]:
    return next(unwrap(n.inputs) for n in run.of_type("docker:index/network:Network")
                if unwrap(n.inputs)["name"] == name)


def test_alertmanager_peers_one_per_node_gossip_on_their_own_encrypted_network(swarm_run):
    alertmanager = services(swarm_run)["alertmanager"]
    assert alertmanager["mode"] == {"replicated": {"replicas": 2}}
    assert alertmanager["taskSpec"]["placement"]["maxReplicas"] == 1
    container = alertmanager["taskSpec"]["containerSpec"]
    # Peers are found under the gossip network's alias; the entrypoint binds gossip there.
    assert "--cluster.peer=tasks.christmas-monitoring-swarm-alertmanager-gossip:9094" in container["args"]
    assert not [a for a in container["args"] if a.startswith("--cluster.listen-address")]
    assert container["commands"] == ["/bin/sh", "/etc/alertmanager/swarm-entrypoint.sh"]
    entrypoint = next(c for c in container["configs"] if c["fileName"] == "/etc/alertmanager/swarm-entrypoint.sh")
    script = base64.b64decode(unwrap(_data_of(swarm_run, entrypoint["configId"]))).decode()
    # The gossip network's subnet as Docker assigned it (the mocks' 172.30.0.0/16); no DNS lookup.
    assert "subnet=172.30.0.0/16" in script and "nslookup" not in script
    gossip = _network(swarm_run, "christmas-monitoring-swarm-alertmanager-gossip")
    assert gossip["driver"] == "overlay" and gossip["internal"] is True and gossip["attachable"] is False
    assert gossip["options"] == {"encrypted": ""}
    joined = alertmanager["taskSpec"]["networksAdvanceds"]
    assert joined[1] == {"id": "gossip-network-id", "aliases": ["christmas-monitoring-swarm-alertmanager-gossip"]}
    # No other service joins the gossip network.
    for name, svc in services(swarm_run).items():
        if name != "alertmanager":
            assert "gossip-network-id" not in [n["id"] for n in svc["taskSpec"]["networksAdvanceds"]], name


def test_every_service_has_limits_a_healthcheck_no_capabilities_and_a_pinned_image(swarm_run):
    for name, svc in services(swarm_run).items():
        task = svc["taskSpec"]
        container = task["containerSpec"]
        assert task["resources"]["limits"]["memoryBytes"] > 0 and task["resources"]["limits"]["nanoCpus"] > 0
        assert container["capDrops"] == ["ALL"]
        assert ":" in container["image"] and not container["image"].endswith(":latest")
        if name in ONE_SHOT:
            assert task["restartPolicy"]["condition"] == "none"
        else:
            assert container["healthcheck"]["tests"][0] in ("CMD", "CMD-SHELL"), name
            assert "convergeConfig" in svc, name


def _data_of(run: ProgramRun, mount_id: str) -> Any:
    return next(r for r in run.resources if f"{r.name}-id" == mount_id).inputs["data"]


def test_files_are_configs_named_anew_when_their_content_changes(swarm_run):
    prometheus = spec(swarm_run, "prometheus")["containerSpec"]
    config = next(c for c in prometheus["configs"] if c["fileName"] == "/etc/prometheus/prometheus.yml")
    text = base64.b64decode(unwrap(_data_of(swarm_run, config["configId"]))).decode()
    assert "dockerswarm_sd_configs" in text
    # The suffix is a RandomId kept while the content's SHA-256 is the same: a new content, a new object.
    version = swarm_run.named("prometheus-prometheus.yml-version")
    assert unwrap(version.inputs["keepers"]) == {"sha256": hashlib.sha256(text.encode()).hexdigest()}
    # <service>-<file>, cut to Swarm's 64 characters, then the suffix.
    assert config["configName"].startswith("christmas-monitoring-swarm-prometheus-prometheus")
    assert config["configName"].endswith("-" + _hex_of(version)) and len(config["configName"]) <= 64


def _hex_of(random_id: DeclaredResource) -> str:
    # The mocks derive a RandomId's hex from its name and keepers (offline/mocks.py), as a new draw would be.
    keepers = json.dumps(random_id.inputs.get("keepers", {}), sort_keys=True, default=str)
    return hashlib.sha256(f"{random_id.name}{keepers}".encode()).hexdigest()[:12]


def test_replaced_configs_and_secrets_stay_for_a_rollback(swarm_run):
    # Pulumi would delete the previous object once the new tasks run, inside Swarm's monitor window
    # (update_config.monitor), while a failure there rolls the service back to the spec naming it.
    assert services(swarm_run)["prometheus"]["updateConfig"]["failureAction"] == "rollback"
    objects = [*swarm_run.of_type("docker:index/serviceConfig:ServiceConfig"),
               *swarm_run.of_type("docker:index/secret:Secret")]
    assert objects and [o.name for o in objects if not o.retain_on_delete] == []


def _secret_files_of_containers(run: ProgramRun) -> dict[str, set[tuple[str, str]]]:
    """service -> {(path, owner)} of every secret file a single-host container receives."""
    found: dict[str, set[tuple[str, str]]] = {}
    for container in run.containers():
        labels = {item["label"]: item["value"] for item in unwrap(container.inputs["labels"])}
        service = re.sub(r"-\d+$", "", labels["com.christmas.monitoring.service"])
        for upload in unwrap(container.inputs.get("uploads", [])):
            if upload.get("permissions") == "0400":
                found.setdefault(service, set()).add((upload["file"], f"{upload['owner']}:{upload['group']}"))
    return found


def test_every_secret_file_of_one_host_is_a_swarm_secret_at_the_same_path_owner_and_mode(swarm_run, prod_run):
    expected = _secret_files_of_containers(prod_run)
    assert expected, "the single-host stack delivers its secrets as files"
    for name, files in expected.items():
        if name not in services(swarm_run):
            continue
        container = spec(swarm_run, name)["containerSpec"]
        mounted = {(s["fileName"], f"{s['fileUid']}:{s['fileGid']}") for s in container.get("secrets") or []}
        assert files <= mounted, name
        for secret in container.get("secrets") or []:
            assert secret["fileMode"] == 0o400, (name, secret["fileName"])
            assert is_secret(_data_of(swarm_run, secret["secretId"])), (name, secret["fileName"])


def test_no_service_spec_holds_a_secret_so_the_plan_shows_every_one(swarm_run):
    assert [r.name for r in swarm_run.of_type(SERVICE) if is_secret(r.inputs["taskSpec"])] == []


def test_a_secret_name_carries_a_random_id_not_a_hash_of_the_content(swarm_run):
    secret_names = {r.name for r in swarm_run.of_type("docker:index/secret:Secret")}
    versions = [r for r in swarm_run.of_type("random:index/randomId:RandomId") if r.name[:-8] in secret_names]
    assert len(versions) == len(secret_names)
    for version in versions:
        # The id is drawn again when the content changes: the content is its keeper, kept secret.
        assert is_secret(version.inputs["keepers"]) or is_secret(version.inputs["keepers"]["content"])
    secret = swarm_run.of_type("docker:index/secret:Secret")[0]
    content = base64.b64decode(unwrap(secret.inputs["data"])).decode()
    assert not unwrap(secret.inputs["name"]).endswith(hashlib.sha256(content.encode()).hexdigest()[:12])


def _network_ids(run: ProgramRun) -> dict[str, str]:
    """name -> ID of every declared network (the mocks give a resource the ID `<resource name>-id`)."""
    return {unwrap(n.inputs)["name"]: f"{n.name}-id" for n in run.of_type("docker:index/network:Network")}


def test_stack_networks_are_overlays_and_prometheus_joins_the_targets_one(swarm_run):
    networks = {unwrap(n.inputs)["name"]: unwrap(n.inputs) for n in swarm_run.of_type("docker:index/network:Network")}
    assert {"christmas-monitoring-swarm", "christmas-monitoring-swarm-targets"} <= set(networks)
    assert all(n["driver"] == "overlay" for n in networks.values())
    # They carry basic auth, Elasticsearch passwords and the database DSN between nodes: IPsec.
    assert all(n["options"] == {"encrypted": ""} for n in networks.values())
    # Only the targets network admits containers that are not the stack's services.
    assert [name for name, n in networks.items() if n.get("attachable")] == ["christmas-monitoring-swarm-targets"]
    ids = _network_ids(swarm_run)
    for name in ("prometheus", "postgres-exporter"):
        joined = [n["id"] for n in spec(swarm_run, name)["networksAdvanceds"]]
        assert joined[:2] == [ids["christmas-monitoring-swarm"], ids["christmas-monitoring-swarm-targets"]], name
    assert [n["id"] for n in spec(swarm_run, "grafana")["networksAdvanceds"]] == [ids["christmas-monitoring-swarm"]]


def _as_docker_stores_it(target: str, ids: dict[str, str]) -> str:
    """A service's network as `docker service inspect` shows it: Docker resolves a name or an ID to the
    ID (moby daemon/cluster/networks.go populateNetworkID), and the provider reads that back into
    `networks_advanced.id` (terraform-provider-docker resource_docker_service_structures.go
    flattenTaskNetworksAdvanced: `m["id"] = v.Target`)."""
    return ids.get(target, target)


def test_a_second_apply_reads_back_the_networks_it_declared_so_nothing_is_replaced(swarm_run):
    # `networks_advanced.id` is ForceNew (resource_docker_service.go): any difference between what the
    # program declares and what the provider reads back replaces the service at every `pulumi up`.
    ids = _network_ids(swarm_run)
    for name, svc in services(swarm_run).items():
        declared = [n["id"] for n in svc["taskSpec"]["networksAdvanceds"] if n["id"] != "host"]
        assert declared == [_as_docker_stores_it(n, ids) for n in declared], name
    # `host` is stored as the Swarm's own host network ID, which the program cannot know (seen on a real
    # Swarm, tests/engine/test_swarm.py): the one host-network service ignores that read-back.
    for resource in swarm_run.of_type(SERVICE):
        on_host = unwrap(resource.inputs)["taskSpec"]["networksAdvanceds"] == [{"id": "host"}]
        assert (resource.ignore_changes == ["taskSpec.networksAdvanceds"]) == on_host, resource.name


def test_a_second_apply_ignores_the_option_docker_adds_to_every_overlay(swarm_run):
    # Docker reads an overlay's options back with its own vxlanid_list added, and `options` is ForceNew
    # (terraform-provider-docker resource_docker_network.go): declared `encrypted`, the network would be
    # replaced at every `pulumi up` unless the difference is ignored.
    for network in swarm_run.of_type("docker:index/network:Network"):
        assert network.ignore_changes == ["options"], network.name


def test_known_secret_values_never_appear_in_plain_text(swarm_run):
    config, secret_keys = stack_config("swarm")
    values = [config[k] for k in secret_keys]
    assert values
    for resource in swarm_run.resources:
        for text in plain_strings(resource.inputs):
            assert not [v for v in values if v in text], f"{resource.type} {resource.name}"


def test_the_grafana_provider_waits_for_the_edge_that_serves_its_api_url(swarm_run):
    # grafana.apiUrl is the public URL (Pulumi.swarm.yaml): the edge serves it, so the first
    # `pulumi up` must not talk to Grafana before the edge runs.
    (provider,) = swarm_run.of_type("pulumi:providers:grafana")
    assert unwrap(provider.inputs)["url"] == "https://grafana.christmas-trading.com"
    edge = swarm_run.named("edge-service")
    assert edge.urn in provider.dependencies
    assert swarm_run.named("grafana-service").urn in provider.dependencies


def test_the_engine_api_proxy_is_on_a_network_only_prometheus_shares_and_reads_its_own_rules(swarm_run):
    discovery = _network(swarm_run, "christmas-monitoring-swarm-discovery")
    assert discovery["internal"] is True and discovery["attachable"] is False
    assert discovery["options"] == {"encrypted": ""}
    members = {name for name, svc in services(swarm_run).items()
               if "discovery-network-id" in [n["id"] for n in svc["taskSpec"]["networksAdvanceds"]]}
    assert members == {"docker-api", "prometheus"}
    proxy = spec(swarm_run, "docker-api")
    # Prometheus asks for http://docker-api:2375: the alias on that network; on no other network.
    assert proxy["networksAdvanceds"] == [{"id": "discovery-network-id", "aliases": ["docker-api"]}]
    container = proxy["containerSpec"]
    assert container["args"] == ["haproxy", "-f", "/usr/local/etc/haproxy/christmas-discovery.cfg"]
    # No docker-socket-proxy section is switched on: the rendered file decides (render/docker_api.py).
    assert not container.get("env")
    config = next(c for c in container["configs"] if c["fileName"].endswith("christmas-discovery.cfg"))
    text = base64.b64decode(unwrap(_data_of(swarm_run, config["configId"]))).decode()
    assert "(_ping|version|nodes|services|tasks|networks)$" in text
