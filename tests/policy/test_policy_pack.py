"""The policy pack on what the real program declares (must pass) and on broken variants (must be caught).

Everything goes through pulumi-policy's own analyzer servicer (see harness.py), as in
`pulumi preview --policy-pack policy`.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN
from pulumi_policy import EnforcementLevel

from offline.mocks import DeclaredResource, ProgramRun, unwrap
from policy.pack import POLICIES
from tests.policy.harness import Violation, analyze, remediations, variant

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def secret(value: Any) -> dict[str, Any]:
    """A value marked secret as the engine sends it to a policy pack."""
    return {**SECRET_SIG, "value": value}


def container(run: ProgramRun, service: str) -> DeclaredResource:
    for c in run.containers():
        labels = {item["label"]: item["value"] for item in unwrap(c.inputs["labels"])}
        if labels.get("com.christmas.monitoring.service") == service:
            return c
    raise AssertionError(f"no container for {service}")


def service(resource: DeclaredResource) -> str:
    return str({i["label"]: i["value"] for i in unwrap(resource.inputs["labels"])}["com.christmas.monitoring.service"])


def relabel(resource: DeclaredResource, service: str) -> list[dict[str, str]]:
    return [{**item, "value": service} if item["label"] == "com.christmas.monitoring.service" else item
            for item in resource.inputs["labels"]]


def only(violations: list[Violation], policy: str, urn: str) -> Violation:
    """The one violation expected: from `policy`, on the broken resource, mandatory."""
    assert [(v.policy, v.urn) for v in violations] == [(policy, urn)], violations
    assert violations[0].mandatory
    return violations[0]


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def test_every_policy_is_mandatory():
    assert len(POLICIES) == 8
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in POLICIES)


def test_the_real_program_passes_every_policy(run):
    # Not vacuous: the stack declares containers, images and volumes for the policies to look at.
    assert len(run.containers()) >= 6
    assert run.of_type("docker:index/remoteImage:RemoteImage")
    assert run.of_type(VOLUME)
    assert analyze(run.resources) == []


def test_prod_volumes_are_the_protected_ones(prod_run, dev_run):
    assert all(v.protect for v in prod_run.of_type(VOLUME))
    # dev's volumes are not protected, and that is allowed outside prod.
    assert not any(v.protect for v in dev_run.of_type(VOLUME))


@pytest.mark.parametrize("image", ["prom/prometheus:latest", "prom/prometheus", "localhost:5000/prom/prometheus"])
def test_an_unpinned_image_is_caught(dev_run, image):
    remote = dev_run.named("prometheus-image")
    v = only(analyze([variant(remote, name=image)]), "images-pinned", remote.urn)
    assert "prometheus-image" in v.message and image in v.message
    assert "pulumi config set --path images.prometheus" in v.message


def test_a_container_running_an_unpinned_image_is_caught(dev_run):
    c = container(dev_run, "prometheus")
    v = only(analyze([variant(c, image="prom/prometheus:latest")]), "images-pinned", c.urn)
    assert "prometheus-container" in v.message and "`latest`" in v.message


def test_an_image_pinned_by_digest_passes(dev_run):
    remote = dev_run.named("prometheus-image")
    assert analyze([variant(remote, name="prom/prometheus@sha256:" + "a" * 64)]) == []


def test_a_missing_healthcheck_is_caught(prod_run):
    c = container(prod_run, "prometheus")
    v = only(analyze([variant(c, healthcheck=None)]), "container-restart-healthcheck-memory", c.urn)
    assert "prometheus-container" in v.message and "no healthcheck" in v.message and "Healthcheck(" in v.message


def test_a_disabled_healthcheck_is_caught(prod_run):
    c = container(prod_run, "grafana")
    healthcheck = {**unwrap(c.inputs)["healthcheck"], "tests": ["NONE"]}
    only(analyze([variant(c, healthcheck=healthcheck)]), "container-restart-healthcheck-memory", c.urn)


@pytest.mark.parametrize("memory", [None, 0])
def test_a_missing_memory_limit_is_caught(prod_run, memory):
    c = container(prod_run, "alertmanager")
    v = only(analyze([variant(c, memory=memory)]), "container-restart-healthcheck-memory", c.urn)
    assert "no memory limit" in v.message and "memoryMb.alertmanager" in v.message


def test_a_long_running_container_without_restart_is_caught(dev_run):
    c = container(dev_run, "prometheus")
    v = only(analyze([variant(c, restart="no")]), "container-restart-healthcheck-memory", c.urn)
    assert "restart policy 'no'" in v.message


def test_a_one_shot_job_needs_no_restart_nor_healthcheck_but_a_memory_limit(dev_run):
    job = container(dev_run, "elastic-setup")
    assert (unwrap(job.inputs)["restart"], unwrap(job.inputs)["mustRun"]) == ("no", False)  # passes (above)
    c = container(dev_run, "prometheus")
    assert analyze([variant(c, restart="no", mustRun=False, healthcheck=None)]) == []
    only(analyze([variant(job, memory=None)]), "container-restart-healthcheck-memory", job.urn)
    # Not one-shot once it must run: then it is a long-running service without a restart policy.
    found = analyze([variant(job, mustRun=True)])
    assert [v.policy for v in found] == ["container-restart-healthcheck-memory"] * 2
    assert "restart policy 'no'" in found[0].message and "no healthcheck" in found[1].message


def test_a_privileged_container_is_caught(dev_run):
    c = container(dev_run, "cadvisor")
    v = only(analyze([variant(c, privileged=True)]), "no-privileged-no-host-namespace", c.urn)
    assert "cadvisor-container" in v.message and "privileged" in v.message


def test_only_node_exporter_may_share_the_host_pid_namespace(dev_run):
    assert unwrap(container(dev_run, "node-exporter").inputs)["pidMode"] == "host"  # and it passes (above)
    c = container(dev_run, "cadvisor")
    v = only(analyze([variant(c, pidMode="host")]), "no-privileged-no-host-namespace", c.urn)
    assert "pid_mode='host'" in v.message and "cadvisor-container" in v.message


@pytest.mark.parametrize(("service", "key"), [("cadvisor", "networkMode"), ("node-exporter", "ipcMode")])
def test_no_container_may_share_the_host_network_or_ipc(dev_run, service, key):
    c = container(dev_run, service)
    only(analyze([variant(c, **{key: "host"})]), "no-privileged-no-host-namespace", c.urn)


@pytest.mark.parametrize("listen", [None, "--web.listen-address=:9100", "--web.listen-address=0.0.0.0:9100",
                                    "--web.listen-address=[::]:9100", "--web.listen-address=:::9100"])
def test_node_exporter_on_the_host_network_must_listen_on_one_address(dev_run, listen):
    c = container(dev_run, "node-exporter")
    command = [a for a in unwrap(c.inputs)["command"] if not a.startswith("--web.listen-address=")]
    v = only(analyze([variant(c, command=command + ([listen] if listen else []))]),
             "no-privileged-no-host-namespace", c.urn)
    assert "listens on every interface" in v.message


def test_prometheus_on_every_interface_in_prod_is_caught(prod_run):
    c = container(prod_run, "prometheus")
    ports = [{**p, "ip": "0.0.0.0"} for p in unwrap(c.inputs)["ports"]]
    v = only(analyze([variant(c, ports=ports)]), "ports-on-loopback", c.urn)
    assert "port 9090 on 0.0.0.0" in v.message and "publish.prometheus.address 127.0.0.1" in v.message


def test_a_port_without_address_binds_every_interface_and_is_caught(dev_run):
    c = container(dev_run, "alertmanager")
    ports = [{k: v for k, v in p.items() if k != "ip"} for p in unwrap(c.inputs)["ports"]]
    only(analyze([variant(c, ports=ports)]), "ports-on-loopback", c.urn)


def test_only_the_edge_may_be_public_and_only_in_prod(prod_run, dev_run):
    for run, expected in ((prod_run, []), (dev_run, ["ports-on-loopback"])):
        c = container(run, "edge")
        ports = [{**p, "ip": "0.0.0.0"} for p in unwrap(c.inputs)["ports"]]
        assert [v.policy for v in analyze([variant(c, ports=ports)])] == expected * len(ports)


@pytest.mark.parametrize("service", ["grafana", "kibana"])
def test_grafana_or_kibana_published_directly_in_prod_is_caught(prod_run, service):
    # The prod variant the issue names: a UI published beyond loopback instead of through the edge.
    c = container(prod_run, "grafana")
    ports = [{"internal": 3000, "external": 3000, "ip": "0.0.0.0"}]
    v = only(analyze([variant(c, ports=ports, labels=relabel(c, service))]), "ports-on-loopback", c.urn)
    assert "only the edge" in v.message and f"publish.{service}.address 127.0.0.1" in v.message


def test_the_prod_plan_publishes_only_the_edge_beyond_loopback(prod_run):
    public: dict[str, list[tuple[str, int]]] = {}
    for c in prod_run.containers():
        for p in unwrap(c.inputs).get("ports", []):
            if p.get("ip") != "127.0.0.1":
                public.setdefault(service(c), []).append((p["ip"], p["external"]))
    assert public == {"edge": [("0.0.0.0", 80), ("0.0.0.0", 443)]}


@pytest.mark.parametrize("service", ["prometheus", "alertmanager", "alertmanager-1"])
def test_prometheus_or_alertmanager_without_web_config_is_caught(prod_run, service):
    c = container(prod_run, service)
    command = [arg for arg in unwrap(c.inputs)["command"] if not arg.startswith("--web.config.file=")]
    v = only(analyze([variant(c, command=command)]), "prometheus-alertmanager-web-config", c.urn)
    assert "without --web.config.file" in v.message


def test_a_web_config_flag_without_its_file_is_caught(prod_run):
    c = container(prod_run, "prometheus")
    uploads = [u for u in unwrap(c.inputs)["uploads"] if not u["file"].endswith("/web.yml")]
    v = only(analyze([variant(c, uploads=uploads)]), "prometheus-alertmanager-web-config", c.urn)
    assert "not among its uploads" in v.message


def test_an_unprotected_volume_in_prod_is_caught(prod_run):
    volume = prod_run.of_type(VOLUME)[0]
    v = only(analyze([variant(volume, protect=False)]), "prod-data-volumes-protected", volume.urn)
    assert volume.name in v.message and "protectData true" in v.message


def test_a_plain_database_password_in_env_is_caught(prod_run):
    c = container(prod_run, "postgres-exporter")
    envs = ["DATA_SOURCE_USER=postgres_exporter", "DATA_SOURCE_PASS=hunter2-plain", "PG_EXPORTER_WEB_TELEMETRY=x"]
    v = only(analyze([variant(c, envs=envs)]), "no-plaintext-secret-env", c.urn)
    assert "DATA_SOURCE_PASS" in v.message and "postgres-exporter-container" in v.message
    assert "hunter2" not in v.message  # the message never repeats the value


def test_a_dsn_in_the_environment_is_caught_plain_or_secret(prod_run):
    c = container(prod_run, "postgres-exporter")
    # How the program declares it: file names only.
    assert all(e.split("=", 1)[0].endswith("_FILE") for e in unwrap(c.inputs["envs"]))
    dsn = ["DATA_SOURCE_NAME=postgresql://u:hunter2@db:5432/x"]
    only(analyze([variant(c, envs=dsn)]), "no-plaintext-secret-env", c.urn)
    # A secret Output only hides it in the state: `docker inspect` still shows it.
    only(analyze([variant(c, envs=secret(dsn))]), "no-plaintext-secret-env", c.urn)
    only(analyze([variant(c, envs=[secret(e) for e in dsn])]), "no-plaintext-secret-env", c.urn)


@pytest.mark.parametrize("field", ["command", "healthcheck", "labels", "envs"])
def test_a_secret_value_anywhere_docker_inspect_shows_is_caught(prod_run, field):
    c = container(prod_run, "elasticsearch")
    inputs = unwrap(c.inputs)
    changed = {
        "command": ["--password", secret("hunter2-secret")],
        "healthcheck": {**inputs["healthcheck"], "tests": ["CMD", "curl", "-u", secret("elastic:hunter2")]},
        "labels": [*inputs["labels"], {"label": "token", "value": secret("hunter2")}],
        "envs": secret(["TZ=UTC", "OPAQUE=hunter2"]),  # a harmless name, but a secret value
    }[field]
    v = only(analyze([variant(c, **{field: changed})]), "no-plaintext-secret-env", c.urn)
    assert f"secret value in `{field}`" in v.message and "hunter2" not in v.message


def test_file_references_and_harmless_names_are_not_secrets(dev_run):
    c = container(dev_run, "prometheus")
    envs = ["GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/admin", "TZ=UTC", "GOMAXPROCS=2"]
    assert analyze([variant(c, envs=envs)]) == []


# Boundaries the mutation run (make mutation MODULES=policy) found unpinned.

def test_an_unpinned_image_of_no_known_service_names_the_generic_key(dev_run):
    # A RemoteImage not named `<service>-image`: the fix names the key's pattern, not a service.
    remote = dev_run.named("prometheus-image")
    stray = variant(remote, name="busybox:latest")
    stray.name, stray.urn = "busybox", remote.urn.replace("prometheus-image", "busybox")
    v = only(analyze([stray]), "images-pinned", stray.urn)
    assert "image 'busybox:latest' uses the moving tag `latest`" in v.message
    assert "`pulumi config set --path images.<service> <image>:<version>`" in v.message


@pytest.mark.parametrize(("address", "caught"), [("localhost", False), ("127.0.0.2", False), ("::1", False),
                                                 ("monitoring.example", True), ("192.168.1.10", True)])
def test_a_port_on_a_name_is_on_loopback_only_for_localhost(dev_run, address, caught):
    c = container(dev_run, "alertmanager")
    ports = [{**p, "ip": address} for p in unwrap(c.inputs)["ports"]]
    found = analyze([variant(c, ports=ports)])
    assert [v.policy for v in found] == (["ports-on-loopback"] * len(ports) if caught else [])
    if caught:
        assert (f"docker Container alertmanager-container (service alertmanager, stack dev) publishes port 19093 "
                f"on {address}: only the edge (Caddy, HTTPS) in prod may be reached from outside the host; serve "
                f"it through the edge and `pulumi config set --path publish.alertmanager.address 127.0.0.1` (or "
                f"remove the publish entry).") in found[0].message


@pytest.mark.parametrize(("image", "reason"), [
    ("prom/prometheus", "has no tag (Docker would pull `latest`)"),
    ("localhost:5000/prom/prometheus", "has no tag (Docker would pull `latest`)"),
    ("prom/prometheus:latest", "uses the moving tag `latest`"),
    ("prom/prometheus:LATEST", "uses the moving tag `latest`"),
    ("prom/prometheus:", "has an empty tag"),
])
def test_an_unpinned_image_is_refused_with_its_reason(dev_run, image, reason):
    remote = dev_run.named("prometheus-image")
    v = only(analyze([variant(remote, name=image)]), "images-pinned", remote.urn)
    assert (f"docker RemoteImage prometheus-image: image '{image}' {reason}; pin an exact version "
            f"(e.g. prom/prometheus:v3.5.0) in settings/catalog.py, or "
            f"`pulumi config set --path images.prometheus <image>:<version>`.") in v.message


def test_a_container_running_an_unpinned_image_names_its_service_key(prod_run):
    c = container(prod_run, "grafana")
    v = only(analyze([variant(c, image="grafana/grafana")]), "images-pinned", c.urn)
    assert "image 'grafana/grafana' has no tag (Docker would pull `latest`)" in v.message
    assert "`pulumi config set --path images.grafana <image>:<version>`" in v.message


def test_a_password_variable_is_named_without_its_value_even_when_the_value_holds_an_equals_sign(prod_run):
    c = container(prod_run, "postgres-exporter")
    v = only(analyze([variant(c, envs=["DATA_SOURCE_PASS=hunter2=x", "TZ=UTC"])]), "no-plaintext-secret-env", c.urn)
    assert ("docker Container postgres-exporter-container (service postgres-exporter, stack prod) sets "
            "DATA_SOURCE_PASS in its environment, which `docker inspect` shows (a secret Output only hides it "
            "in the state): upload the value as a file, mode 0400, and point the consumer at it "
            "(DATA_SOURCE_PASS_FILE, or its own file option).") in v.message
    assert "hunter2" not in v.message


def test_a_password_variable_does_not_hide_a_secret_on_the_command_line(prod_run):
    # Both are reported: the env var by name, then the secret argument `docker inspect` also shows.
    c = container(prod_run, "elasticsearch")
    found = analyze([variant(c, envs=["ELASTIC_PASSWORD=hunter2"], command=["--password", secret("hunter2")])])
    assert [v.policy for v in found] == ["no-plaintext-secret-env"] * 2
    assert "sets ELASTIC_PASSWORD in its environment" in found[0].message
    assert "passes a secret value in `command`" in found[1].message



def test_the_engine_s_remediate_call_changes_nothing_and_does_not_fail(prod_run):
    # `pulumi preview/up --policy-pack` asks every analyzer to remediate each resource before analysing
    # it; the pack remediates nothing, but the call decodes the properties (secrets kept) and must answer.
    assert len(prod_run.resources) >= 20
    assert remediations(prod_run.resources) == []


def test_a_port_without_address_after_a_loopback_one_is_refused_as_every_interface(dev_run):
    c = container(dev_run, "alertmanager")
    ports = [{"internal": 9094, "external": 19094, "ip": "127.0.0.1"}, {"internal": 9093}]
    v = only(analyze([variant(c, ports=ports)]), "ports-on-loopback", c.urn)
    assert "publishes port 9093 on 0.0.0.0: only the edge" in v.message


def test_a_container_without_service_label_is_told_the_keys_pattern(dev_run):
    c = container(dev_run, "grafana")
    stray = variant(c, labels=None, memory=None, ports=[{"internal": 3000, "external": 3000, "ip": "0.0.0.0"}])
    found = analyze([stray])
    assert sorted(v.policy for v in found) == ["container-restart-healthcheck-memory", "ports-on-loopback"]
    messages = "\n".join(v.message for v in found)
    assert "`pulumi config set --path publish.<service>.address 127.0.0.1`" in messages
    assert "set `pulumi config set --path memoryMb.<service> <MiB>`." in messages


def test_a_container_without_restart_policy_is_told_docker_s_default_no(dev_run):
    c = container(dev_run, "prometheus")
    v = only(analyze([variant(c, restart=None)]), "container-restart-healthcheck-memory", c.urn)
    assert ("docker Container prometheus-container (service prometheus, stack dev) has restart policy 'no': a "
            "long-running service must restart") in v.message


def test_restart_no_without_must_run_is_not_a_one_shot_job(dev_run):
    # The provider's must_run defaults to true: such a container is a long-running service that never restarts.
    c = container(dev_run, "prometheus")
    v = only(analyze([variant(c, restart="no", mustRun=None)]), "container-restart-healthcheck-memory", c.urn)
    assert "has restart policy 'no': a long-running service must restart" in v.message


def test_an_image_with_no_name_is_refused_with_the_fix(dev_run):
    remote = dev_run.named("prometheus-image")
    v = only(analyze([variant(remote, name="")]), "images-pinned", remote.urn)
    assert ("docker RemoteImage prometheus-image names no image: pin an exact version (e.g. prom/prometheus:v3.5.0) "
            "in settings/catalog.py, or `pulumi config set --path images.prometheus <image>:<version>`.") in v.message


@pytest.mark.parametrize(("memory", "caught"), [(1, False), (0, True), (-1, True)])
def test_the_smallest_memory_limit_is_a_limit(prod_run, memory, caught):
    # The policy asks for a limit; its size is the settings' job (memoryMb's range).
    c = container(prod_run, "alertmanager")
    found = analyze([variant(c, memory=memory)])
    assert [v.policy for v in found] == (["container-restart-healthcheck-memory"] if caught else [])


def test_a_value_unknown_during_preview_does_not_hide_a_secret_in_a_later_field(prod_run):
    # `pulumi preview` sends not-yet-known values as the engine's unknown marker; that field is checked at
    # `pulumi up`, the fields after it now.
    c = container(prod_run, "elasticsearch")
    labels = [*unwrap(c.inputs)["labels"], {"label": "token", "value": secret("hunter2")}]
    v = only(analyze([variant(c, command=["--password", UNKNOWN], labels=labels)]), "no-plaintext-secret-env", c.urn)
    assert "passes a secret value in `labels`" in v.message


@pytest.mark.parametrize("field", ["command", "envs", "entrypoint"])
def test_a_whole_field_unknown_during_preview_does_not_stop_the_rule_for_the_others(prod_run, field):
    """A whole property unknown at preview (the SDK's proxy raised on `field in props`, and the SDK turned
    that into an advisory "can't run policy ... during preview") waits for `pulumi up`; a secret in the
    labels is still refused at preview, with the rule's message."""
    c = container(prod_run, "elasticsearch")
    labels = [*unwrap(c.inputs)["labels"], {"label": "token", "value": secret("hunter2")}]
    found = analyze([variant(c, labels=labels, **{field: UNKNOWN})])
    v = only(found, "no-plaintext-secret-env", c.urn)
    assert "passes a secret value in `labels`" in v.message
    assert "hunter2" not in v.message
