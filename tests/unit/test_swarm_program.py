"""The whole program under mocks for the swarm example stack: what `pulumi up` on a Swarm manager creates."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.swarm_service import content_name
from offline.mocks import DeclaredResource, ProgramRun, is_secret, plain_strings, run_program, unwrap
from settings.catalog import SERVICES
from tests.conftest import stack_config

SERVICE = "docker:index/service:Service"
LABEL = "com.christmas.monitoring.service"
ONE_SHOT = {"elastic-setup", "kibana-setup"}


@pytest.fixture(scope="module")
def swarm_run() -> ProgramRun:
    config, secret_keys = stack_config("swarm")
    return run_program("swarm", config, secret_keys)


def _service(resource: DeclaredResource) -> str:
    return next(str(label["value"]) for label in unwrap(resource.inputs["labels"]) if label["label"] == LABEL)


def services(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {_service(r): unwrap(r.inputs) for r in run.of_type(SERVICE)}


def spec(run: ProgramRun, name: str) -> dict[str, Any]:
    found: dict[str, Any] = services(run)[name]["taskSpec"]
    return found


def test_every_service_of_the_stack_is_a_swarm_service_and_nothing_a_container(swarm_run):
    assert set(services(swarm_run)) == {*SERVICES, "kibana-setup"}
    assert swarm_run.containers() == []
    # Each node pulls the pinned tag itself: an image pulled on the manager would serve one node only.
    assert swarm_run.of_type("docker:index/remoteImage:RemoteImage") == []
    for name, svc in services(swarm_run).items():
        assert svc["name"] == f"christmas-monitoring-swarm-{name}"


def test_agents_run_on_every_node_and_node_exporter_on_the_host_network(swarm_run):
    for agent in ("node-exporter", "cadvisor", "fluent-bit"):
        assert services(swarm_run)[agent]["mode"] == {"global": True}, agent
    assert spec(swarm_run, "node-exporter")["networksAdvanceds"] == [{"id": "host"}]
    assert spec(swarm_run, "cadvisor")["networksAdvanceds"][0]["id"] == "christmas-monitoring-swarm"


def test_stateful_services_are_placed_on_operator_labelled_nodes_and_stop_first(swarm_run):
    for name in ("prometheus", "grafana", "elasticsearch", "kibana"):
        constraints = spec(swarm_run, name)["placement"]["constraints"]
        assert constraints == [f"node.labels.christmas-monitoring.{name}==true"], name
    for name in ("prometheus", "grafana", "elasticsearch", "alertmanager", "fluent-bit"):
        assert services(swarm_run)[name]["updateConfig"]["order"] == "stop-first", name
    for name in ("kibana", "cadvisor", "postgres-exporter"):
        assert services(swarm_run)[name]["updateConfig"]["order"] == "start-first", name
    assert spec(swarm_run, "docker-api")["placement"]["constraints"] == ["node.role==manager"]


def test_alertmanager_peers_one_per_node_gossip_through_swarm_dns(swarm_run):
    alertmanager = services(swarm_run)["alertmanager"]
    assert alertmanager["mode"] == {"replicated": {"replicas": 2}}
    assert alertmanager["taskSpec"]["placement"]["maxReplicas"] == 1
    container = alertmanager["taskSpec"]["containerSpec"]
    assert "--cluster.peer=tasks.christmas-monitoring-swarm-alertmanager:9094" in container["args"]
    # Started through the entrypoint that advertises the task's overlay address (a Swarm config).
    assert container["commands"] == ["/bin/sh", "/etc/alertmanager/swarm-entrypoint.sh"]
    assert "/etc/alertmanager/swarm-entrypoint.sh" in {c["fileName"] for c in container["configs"]}


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


def test_files_are_configs_named_by_their_content_and_secrets_under_run_secrets(swarm_run):
    prometheus = spec(swarm_run, "prometheus")["containerSpec"]
    config = next(c for c in prometheus["configs"] if c["fileName"] == "/etc/prometheus/prometheus.yml")
    text = base64.b64decode(unwrap(_data_of(swarm_run, config["configId"]))).decode()
    assert "dockerswarm_sd_configs" in text
    assert config["configName"] == content_name("christmas-monitoring-swarm-prometheus", config["fileName"], text)
    # A different content would be a different object: the service rolls to it.
    assert content_name("x", "/a.yml", text + "#") != content_name("x", "/a.yml", text)
    for name in ("alertmanager", "elastic-setup", "kibana-setup"):
        container = spec(swarm_run, name)["containerSpec"]
        (secret,) = container["secrets"]
        assert secret["fileName"].startswith("/run/secrets/") and secret["fileMode"] == 0o400
        assert is_secret(_data_of(swarm_run, secret["secretId"])), name
        # The program reads the secret file where Swarm puts it.
        assert any(secret["fileName"] in arg for arg in container["args"]), name


def test_grafana_and_elasticsearch_read_their_passwords_from_swarm_secrets_not_the_environment(swarm_run):
    for name, variables, suffix in (("grafana", ("GF_SECURITY_ADMIN_PASSWORD", "GF_SMTP_PASSWORD"), "__FILE"),
                                    ("elasticsearch", ("ELASTIC_PASSWORD",), "_FILE")):
        raw = next(r for r in swarm_run.of_type(SERVICE) if _service(r) == name).inputs["taskSpec"]
        assert not is_secret(raw), f"{name}: its task spec holds no secret, so the plan shows it"
        container = unwrap(raw)["containerSpec"]
        files = {s["fileName"]: s for s in container["secrets"]}
        for variable in variables:
            assert variable not in container["env"]
            assert container["env"][variable + suffix] == f"/run/secrets/{variable}"
            assert is_secret(_data_of(swarm_run, files[f"/run/secrets/{variable}"]["secretId"]))
    health = spec(swarm_run, "elasticsearch")["containerSpec"]["healthcheck"]["tests"][1]
    assert "$(cat /run/secrets/ELASTIC_PASSWORD)" in health


@pytest.mark.parametrize(("name", "variables", "command"), [
    ("kibana", ("KIBANA_SYSTEM_PASSWORD", "KIBANA_ENCRYPTION_KEY"),
     ["/bin/tini", "--", "/usr/local/bin/kibana-docker"]),
    ("fluent-bit", ("ES_WRITER_PASSWORD",), ["/fluent-bit/bin/fluent-bit", "-c", "/fluent-bit/etc/fluent-bit.conf"]),
    ("postgres-exporter", ("DATA_SOURCE_NAME",), ["/bin/postgres_exporter", "--collector.stat_statements"]),
])
def test_services_that_read_secrets_from_their_environment_get_them_from_swarm_secrets(swarm_run, name, variables,
                                                                                        command):
    container = spec(swarm_run, name)["containerSpec"]
    assert not set(variables) & set(container.get("env") or {})
    # The loader exports each secret file, then runs the image's own entrypoint and command.
    assert container["commands"] == ["/bin/sh", "/etc/christmas-monitoring/env-from-secrets.sh"]
    assert container["args"] == command
    files = {s["fileName"] for s in container["secrets"]}
    assert files == {f"/run/secrets/{v}" for v in variables}


def test_no_service_spec_holds_a_secret_so_the_plan_shows_every_one(swarm_run):
    assert [r.name for r in swarm_run.of_type(SERVICE) if is_secret(r.inputs["taskSpec"])] == []


def test_a_secret_name_carries_a_random_id_not_a_hash_of_the_password(swarm_run):
    container = spec(swarm_run, "grafana")["containerSpec"]
    secret = next(s for s in container["secrets"] if s["fileName"] == "/run/secrets/GF_SECURITY_ADMIN_PASSWORD")
    version = swarm_run.named("grafana-GF_SECURITY_ADMIN_PASSWORD-version")
    assert version.type == "random:index/randomId:RandomId"
    # The id is drawn again when the password changes: the password is its keeper, kept secret.
    assert is_secret(version.inputs["keepers"]) or is_secret(version.inputs["keepers"]["content"])
    password = unwrap(version.inputs["keepers"])["content"]
    assert secret["secretName"] != content_name("christmas-monitoring-swarm-grafana",
                                                "/run/secrets/GF_SECURITY_ADMIN_PASSWORD", password)


def test_data_volumes_are_created_on_the_node_that_runs_the_task(swarm_run):
    # A docker.Volume would exist on the manager only; the task's node creates the named volume.
    assert swarm_run.of_type("docker:index/volume:Volume") == []
    (mount,) = spec(swarm_run, "prometheus")["containerSpec"]["mounts"]
    assert (mount["type"], mount["source"], mount["target"]) == (
        "volume", "christmas-monitoring-swarm-prometheus-data", "/prometheus")
    assert {"label": "com.christmas.monitoring.service", "value": "prometheus"} in mount["volumeOptions"]["labels"]
    args = spec(swarm_run, "node-exporter")["containerSpec"]["args"]
    # No host PID namespace for a Swarm service: the host's /proc through the host mount.
    assert "--path.procfs=/host/proc" in args and "--path.rootfs=/host" in args


def test_stack_network_is_an_attachable_overlay(swarm_run):
    (network,) = swarm_run.of_type("docker:index/network:Network")
    assert unwrap(network.inputs)["driver"] == "overlay" and unwrap(network.inputs)["attachable"] is True


def test_known_secret_values_never_appear_in_plain_text(swarm_run):
    config, secret_keys = stack_config("swarm")
    values = [config[k] for k in secret_keys]
    assert values
    for resource in swarm_run.resources:
        for text in plain_strings(resource.inputs):
            assert not [v for v in values if v in text], f"{resource.type} {resource.name}"
