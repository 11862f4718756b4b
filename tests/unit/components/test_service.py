"""The hardened Service component on its own, and the data-volume helper."""

from __future__ import annotations

import pulumi
import pytest

from components.context import StackContext
from components.service import Service
from components.service_args import Healthcheck, HostMount, ServiceArgs, Upload, VolumeMount, secret_file
from offline.mocks import ProgramRun, is_secret, run_under_mocks, unwrap
from settings.model import PublishedPort, ServiceSettings
from tests.conftest import stack_settings


def declare(args: ServiceArgs) -> ProgramRun:
    return run_under_mocks(lambda: Service("svc", args))


def args(**overrides: object) -> ServiceArgs:
    base: dict[str, object] = {
        "service": "prometheus",
        "container_name": "christmas-monitoring-dev-prometheus",
        "settings": ServiceSettings(image="prom/prometheus:v3.5.0", memory_mb=512, cpus=0.5,
                                    publish=PublishedPort(host_port=19090, bind_address="127.0.0.1")),
        "container_port": 9090,
        "network_name": "christmas-monitoring-dev",
        "healthcheck": Healthcheck(test=["CMD", "wget", "-q", "--spider", "http://localhost:9090/-/healthy"]),
        "stack": "dev",
        "project": "christmas-monitoring",
    }
    base.update(overrides)
    return ServiceArgs(**base)  # type: ignore[arg-type]


def container(run: ProgramRun) -> dict[str, object]:
    [declared] = run.containers()
    inputs: dict[str, object] = unwrap(declared.inputs)
    return inputs


def test_component_type_and_children():
    run = declare(args())
    component = run.named("svc")
    assert component.type == "christmas:monitoring:Service"
    image, box = run.named("svc-image"), run.named("svc-container")
    assert image.parent == component.urn and box.parent == component.urn
    assert unwrap(image.inputs)["name"] == "prom/prometheus:v3.5.0"
    assert unwrap(image.inputs)["keepLocally"] is True


def test_limits_and_port_binding_come_from_settings():
    inputs = container(declare(args()))
    assert inputs["memory"] == 512 and inputs["memorySwap"] == 512
    assert inputs["cpuQuota"] == 50_000 and inputs["cpuPeriod"] == 100_000
    assert inputs["ports"] == [{"internal": 9090, "external": 19090, "ip": "127.0.0.1"}]
    assert inputs["networksAdvanced"] == [{"name": "christmas-monitoring-dev", "aliases": ["prometheus"]}]


def test_unpublished_service_has_no_port():
    settings = ServiceSettings(image="prom/node-exporter:v1.9.1", memory_mb=64, cpus=0.25, publish=None)
    inputs = container(declare(args(settings=settings)))
    assert "ports" not in inputs


def test_secret_upload_is_a_secret_readable_by_its_owner_only_and_plain_upload_is_not():
    run = declare(args(uploads=[Upload("/etc/a.yml", "plain: 1"),
                                secret_file("/etc/b.yml", "token: s3cr3t", owner="472:0")]))
    [box] = run.containers()
    # The engine receives the uploads list as a secret (encrypted in state) as soon as one file is.
    assert is_secret(box.inputs["uploads"])
    files = {u["file"]: u for u in unwrap(box.inputs["uploads"])}
    contents = {path: u["content"] for path, u in files.items()}
    assert contents == {"/etc/a.yml": "plain: 1", "/etc/b.yml": "token: s3cr3t"}
    secret = files["/etc/b.yml"]
    assert (secret["permissions"], secret["owner"], secret["group"]) == ("0400", "472", "0")
    assert "permissions" not in files["/etc/a.yml"]

    plain = declare(args(uploads=[Upload("/etc/a.yml", "plain: 1")]))
    assert not is_secret(plain.containers()[0].inputs["uploads"])


def test_a_secret_upload_without_its_reader_is_refused():
    with pytest.raises(ValueError, match="names the uid"):
        Upload("/etc/b.yml", "token", secret=True)


def test_one_shot_job_is_not_restarted_or_waited_for():
    inputs = container(declare(args(one_shot=True)))
    assert inputs["restart"] == "no"
    assert inputs["mustRun"] is False and inputs["wait"] is False
    assert inputs["attach"] is True  # `pulumi up` fails when the job fails


def test_host_mounts_and_volumes():
    inputs = container(declare(args(
        volumes=[VolumeMount("data-volume", "/prometheus")],
        host_mounts=[HostMount("/", "/host", why="host metrics")],
        read_only_rootfs=True, pid_mode="host")))
    assert inputs["volumes"] == [
        {"volumeName": "data-volume", "containerPath": "/prometheus", "readOnly": False},
        {"hostPath": "/", "containerPath": "/host", "readOnly": True},
    ]
    assert inputs["readOnly"] is True and inputs["pidMode"] == "host"


def test_data_volume_is_protected_only_when_the_stack_protects_data():
    for stack, expected in (("dev", False), ("prod", True)):
        settings = stack_settings(stack)

        def body(settings=settings) -> None:
            parent = pulumi.ComponentResource("christmas:monitoring:Test", "parent")
            ctx = StackContext(settings=settings, secrets={}, network_name="net")
            ctx.data_volume("prometheus", parent=parent)

        run = run_under_mocks(body, stack=stack)
        [volume] = run.of_type("docker:index/volume:Volume")
        assert volume.protect is expected and volume.retain_on_delete is expected
        assert unwrap(volume.inputs)["name"] == f"christmas-monitoring-{stack}-prometheus-data"
