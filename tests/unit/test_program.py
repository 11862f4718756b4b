"""The whole program under mocks, for dev and prod: what an operator's `pulumi up` would create."""

from __future__ import annotations

import json
import re

import pytest

from offline.mocks import DeclaredResource, ProgramRun, plain_strings, unwrap
from settings.catalog import SERVICES
from tests.conftest import stack_config

SERVICE_LABEL = "com.christmas.monitoring.service"
# Long-running services of the stack (each a container); one-shot jobs are checked apart; the
# Engine API proxy exists on a Swarm only (tests/unit/test_swarm_program.py). The backups scheduler
# runs the setup jobs' image (components/backups.py), so it has no catalog row.
LONG_RUNNING = {s for s in SERVICES if s not in ("elastic-setup", "docker-api")} | {"backups"}
DATA_VOLUMES = {"prometheus", "grafana", "alertmanager", "elasticsearch"}
PINNED = re.compile(r"^[\w./-]+:(?!latest$)[\w][\w.-]*$")


def label(container: DeclaredResource, name: str) -> str | None:
    for item in unwrap(container.inputs.get("labels", [])):
        if item["label"] == name:
            return str(item["value"])
    return None


def service(container: DeclaredResource) -> str:
    value = label(container, SERVICE_LABEL)
    assert value, f"{container.name} has no {SERVICE_LABEL} label"
    return value


def base_service(name: str) -> str:
    """alertmanager-1 -> alertmanager (extra peers of a cluster)."""
    return re.sub(r"-\d+$", "", name)


def long_running(run: ProgramRun) -> list[DeclaredResource]:
    return [c for c in run.containers() if unwrap(c.inputs).get("restart") != "no"]


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def test_every_service_of_the_stack_is_a_container(run):
    services = {base_service(service(c)) for c in long_running(run)}
    assert services == LONG_RUNNING


def test_prod_runs_two_alertmanager_peers_and_dev_one(dev_run, prod_run):
    def peers(r: ProgramRun) -> int:
        return sum(1 for c in r.containers() if base_service(service(c)) == "alertmanager")

    assert (peers(dev_run), peers(prod_run)) == (1, 2)


def test_container_names_carry_project_and_stack(dev_run, prod_run):
    for stack, r in (("dev", dev_run), ("prod", prod_run)):
        for c in r.containers():
            assert unwrap(c.inputs)["name"] == f"christmas-monitoring-{stack}-{service(c)}"
        for v in r.of_type("docker:index/volume:Volume"):
            assert unwrap(v.inputs)["name"].startswith(f"christmas-monitoring-{stack}-")
        network = r.of_type("docker:index/network:Network")
        gossip = [f"christmas-monitoring-{stack}-alertmanager-gossip"] if stack == "prod" else []
        assert sorted(unwrap(n.inputs)["name"] for n in network) == sorted(
            [f"christmas-monitoring-{stack}", f"christmas-monitoring-{stack}-targets", *gossip])


def test_images_are_pinned_to_exact_tags_and_used_by_id(run):
    images = run.of_type("docker:index/remoteImage:RemoteImage")
    assert len(images) == len(run.containers())
    for image in images:
        name = unwrap(image.inputs)["name"]
        assert PINNED.match(name), f"{image.name}: {name} is not pinned to an exact tag"
    for c in run.containers():
        # The container runs the pulled image by id, so a re-tag upstream cannot change it silently.
        assert unwrap(c.inputs)["image"].startswith("sha256:")


def test_every_long_running_container_is_hardened(run):
    for c in long_running(run):
        inputs = unwrap(c.inputs)
        name = service(c)
        assert inputs["restart"] == "unless-stopped", name
        assert inputs["mustRun"] is True and inputs["wait"] is True, name
        tests = inputs["healthcheck"]["tests"]
        assert tests[0] in ("CMD", "CMD-SHELL") and len(tests) > 1, name
        assert inputs["memory"] >= 16 and inputs["memorySwap"] == inputs["memory"], name
        assert 0 < inputs["cpuQuota"] <= inputs["cpuPeriod"] * 64, name
        assert "no-new-privileges:true" in inputs["securityOpts"], name
        assert inputs["capabilities"]["drops"] == ["ALL"], name
        assert inputs.get("privileged") in (None, False), name
        assert inputs["logDriver"] == "json-file", name
        assert inputs["logOpts"]["max-size"] == "10m" and inputs["logOpts"]["max-file"] == "3", name
        assert {item["label"] for item in inputs["labels"]} >= {
            "com.christmas.monitoring.project", "com.christmas.monitoring.stack", SERVICE_LABEL}


def test_memory_limits_follow_the_stack_file(dev_run, prod_run):
    def memory(r: ProgramRun, name: str) -> int:
        return next(int(unwrap(c.inputs)["memory"]) for c in r.containers() if service(c) == name)

    assert (memory(dev_run, "prometheus"), memory(prod_run, "prometheus")) == (512, 4096)
    assert (memory(dev_run, "elasticsearch"), memory(prod_run, "elasticsearch")) == (1024, 8192)


def published(run: ProgramRun) -> dict[str, list[tuple[str, int]]]:
    ports: dict[str, list[tuple[str, int]]] = {}
    for c in run.containers():
        for p in unwrap(c.inputs).get("ports", []):
            ports.setdefault(service(c), []).append((p["ip"], p["external"]))
    return ports


def test_dev_publishes_only_on_loopback(dev_run):
    ports = published(dev_run)
    assert set(ports) >= {"grafana", "prometheus", "alertmanager", "kibana"}
    assert {ip for entries in ports.values() for ip, _ in entries} == {"127.0.0.1"}


def test_prod_exposes_only_the_edge(prod_run):
    ports = published(prod_run)
    outside = {name for name, entries in ports.items() if any(ip != "127.0.0.1" for ip, _ in entries)}
    assert outside == {"edge"}
    assert ports["edge"] == [("0.0.0.0", 80), ("0.0.0.0", 443)]
    # Grafana only on loopback (the Grafana provider); Kibana and Elasticsearch not at all.
    assert ports["grafana"] == [("127.0.0.1", 3000)]
    assert "kibana" not in ports and "elasticsearch" not in ports


def test_configuration_reaches_containers_as_uploads_not_repository_binds(run):
    for c in run.containers():
        inputs = unwrap(c.inputs)
        for volume in inputs.get("volumes", []):
            host_path = volume.get("hostPath")
            if host_path is None:
                continue
            # Only host-watching services see host paths, always read-only, never the repository.
            assert base_service(service(c)) in {"node-exporter", "cadvisor", "fluent-bit"}, (service(c), host_path)
            assert volume["readOnly"] is True, (service(c), host_path)
            assert "christmas-monitoring" not in host_path and not host_path.startswith((".", "/work"))
    uploaded = {service(c): [u["file"] for u in unwrap(c.inputs).get("uploads", [])] for c in run.containers()}
    assert "/etc/prometheus/prometheus.yml" in uploaded["prometheus"]
    assert "/etc/alertmanager/alertmanager.yml" in uploaded["alertmanager"]


def volumes_by_service(run: ProgramRun) -> dict[str, list[str]]:
    mounts: dict[str, list[str]] = {}
    for c in run.containers():
        for v in unwrap(c.inputs).get("volumes", []):
            if v.get("volumeName"):
                mounts.setdefault(base_service(service(c)), []).append(v["volumeName"])
    return mounts


def test_data_lives_on_named_volumes(run):
    mounts = volumes_by_service(run)
    assert set(mounts) >= DATA_VOLUMES
    declared = {unwrap(v.inputs)["name"] for v in run.of_type("docker:index/volume:Volume")}
    for names in mounts.values():
        assert set(names) <= declared


def test_prod_data_volumes_are_protected_and_retained(prod_run):
    mounts = volumes_by_service(prod_run)
    for v in prod_run.of_type("docker:index/volume:Volume"):
        name = unwrap(v.inputs)["name"]
        if any(name in mounts.get(s, []) for s in DATA_VOLUMES):
            assert v.protect and v.retain_on_delete, name
    protected = [v for v in prod_run.of_type("docker:index/volume:Volume") if v.protect]
    assert len(protected) >= len(DATA_VOLUMES) + 1  # + the second Alertmanager peer


def test_dev_volumes_can_be_destroyed(dev_run):
    assert not [v.name for v in dev_run.of_type("docker:index/volume:Volume") if v.protect]


def test_start_order_follows_dependencies(run):
    by_service = {service(c): c for c in run.containers()}

    def depends(on_service: str, dependent: str) -> bool:
        return by_service[on_service].urn in by_service[dependent].dependencies

    # Prometheus waits for every Alertmanager peer; Grafana for Prometheus.
    for name, c in by_service.items():
        if base_service(name) == "alertmanager":
            assert c.urn in by_service["prometheus"].dependencies
    assert depends("prometheus", "grafana")


def test_children_are_parented_under_typed_components(run):
    for r in run.resources:
        if r.type.startswith("christmas:monitoring:"):
            assert re.fullmatch(r"christmas:monitoring:[A-Z]\w+", r.type)
        if r.type != "christmas:monitoring:MonitoringStack":
            assert r.parent, f"{r.type} {r.name} has no parent"


def test_known_secret_values_never_appear_in_plain_text(run):
    stack = "dev" if any(unwrap(c.inputs)["name"].startswith("christmas-monitoring-dev-") for c in run.containers()) \
        else "prod"
    config, secret_keys = stack_config(stack)
    secrets = [config[k] for k in secret_keys] + run.generated_secret_values
    assert secrets, "the test must know some secret values"

    for r in run.resources:
        for text in plain_strings(r.inputs):
            for secret in secrets:
                assert secret not in text, f"{r.type} {r.name} holds a secret in plain text"
    for name, (value, secret) in run.exports.items():
        if not secret:
            assert not any(s in json.dumps(value) for s in secrets), name


def test_outputs_are_urls_and_generated_passwords_are_secret(dev_run, prod_run):
    for r in (dev_run, prod_run):
        urls = {k: v for k, (v, _secret) in r.exports.items() if k.endswith("_url")}
        assert set(urls) == {"grafana_url", "prometheus_url", "alertmanager_url", "kibana_url"}
        assert all(str(v).startswith(("http://", "https://")) for v in urls.values())
    generated = {k: secret for k, (_v, secret) in dev_run.exports.items() if not k.endswith("_url")}
    assert "grafanaAdminPassword" in generated and "elasticPassword" in generated
    assert all(generated.values())
    # prod generates nothing: every secret comes from `pulumi config set --secret`.
    assert {k for k in prod_run.exports if not k.endswith("_url")} == set()
    assert not prod_run.of_type("random:index/randomPassword:RandomPassword")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_container_absent_alert_expects_exactly_the_long_running_containers(stack, dev_run, prod_run):
    from mixin.alerts import expected_containers
    from tests.conftest import stack_settings

    run = dev_run if stack == "dev" else prod_run
    created = sorted(unwrap(c.inputs)["name"] for c in long_running(run))
    assert sorted(expected_containers(stack_settings(stack))) == created


def test_the_snapshot_volume_job_runs_elasticsearchs_image_with_a_one_shot_jobs_limits(prod_run):
    """It only runs `true` so the new volume takes the data directory's owner: no 8 GB limit for that."""
    from offline.mocks import unwrap

    [job] = [c for c in prod_run.containers() if unwrap(c.inputs)["name"].endswith("-elasticsearch-snapshots-init")]
    [es] = [c for c in prod_run.containers() if unwrap(c.inputs)["name"].endswith("-elasticsearch")]
    assert unwrap(job.inputs)["memory"] == 64 < unwrap(es.inputs)["memory"]
    images = {r.parent: r.inputs["name"] for r in prod_run.of_type("docker:index/remoteImage:RemoteImage")}
    assert images[job.parent] == images[es.parent]
