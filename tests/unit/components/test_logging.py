"""The logging area under mocks (the real program, dev and prod) and its rendered Elasticsearch/Kibana data."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.context import StackContext
from components.logging import Logging
from offline.mocks import PLACEHOLDERS, DeclaredResource, ProgramRun, redact, run_under_mocks, unwrap
from render import elasticsearch, fluent_bit, kibana
from settings.model import SettingsError, parse_settings
from tests.conftest import stack_config, stack_settings
from tests.unit.components.program import container, env, inputs, secret_uploads, secret_value, stack_of, uploads

LOGGING_SERVICES = ("elasticsearch", "elastic-setup", "kibana", "kibana-setup", "fluent-bit")
PASSWORD_KEYS = ("elasticPassword", "kibanaSystemPassword", "elasticWriterPassword", "elasticReaderPassword",
                 "kibanaEncryptionKey", "kibanaOperatorPassword")


# --------------------------------------------------------------------------- containers


def test_every_logging_service_is_declared_under_the_logging_component(run):
    [component] = run.of_type("christmas:monitoring:Logging")
    for service in LOGGING_SERVICES:
        box = container(run, service)
        service_component = run.by_urn(box.parent)
        assert service_component.parent == component.urn


def test_elasticsearch_security_on_heap_from_settings_and_password_from_a_file(run):
    stack = stack_of(run)
    settings = stack_settings(stack)
    values = env(run, "elasticsearch")
    heap = settings.logging.elasticsearch_heap_mb
    assert values["ES_JAVA_OPTS"] == f"-Xms{heap}m -Xmx{heap}m"
    assert heap <= inputs(run, "elasticsearch")["memory"] // 2
    assert values["xpack.security.enabled"] == "true"
    assert values["discovery.type"] == "single-node"
    # The entrypoint reads the bootstrap password from the file; the environment names it only.
    assert "ELASTIC_PASSWORD" not in values
    password_file = values["ELASTIC_PASSWORD_FILE"]
    files = secret_uploads(run, "elasticsearch")
    assert files[password_file]["content"] == secret_value(run, stack, "elasticPassword")
    # Readable by the image's user only (uid 1000, group root).
    assert {(f["owner"], f["group"]) for f in files.values()} == {("1000", "0")}


def test_elasticsearch_healthcheck_reads_the_credentials_from_a_curl_config_file(run):
    stack = stack_of(run)
    test = inputs(run, "elasticsearch")["healthcheck"]["tests"]
    assert test[:4] == ["CMD", "curl", "-K", elasticsearch.HEALTHCHECK_CURLRC]
    assert "_cluster/health" in test[-1]
    assert secret_value(run, stack, "elasticPassword") not in json.dumps(test)
    curlrc = secret_uploads(run, "elasticsearch")[elasticsearch.HEALTHCHECK_CURLRC]["content"]
    assert curlrc == f'user = "elastic:{secret_value(run, stack, "elasticPassword")}"\n'


def test_data_volumes_of_elasticsearch_and_fluent_bit_are_protected_in_prod_only(run):
    stack = stack_of(run)
    volumes = {unwrap(v.inputs)["name"]: v for v in run.of_type("docker:index/volume:Volume")}
    for service, path in (("elasticsearch", elasticsearch.DATA_DIR), ("fluent-bit", "/fluent-bit/data")):
        name = f"christmas-monitoring-{stack}-{service}-data"
        assert volumes[name].protect is (stack == "prod")
        mounts = inputs(run, service)["volumes"]
        assert {"volumeName": name, "containerPath": path, "readOnly": False} in mounts


def test_setup_job_is_one_shot_after_elasticsearch_with_its_secrets_in_files_for_its_user(run):
    stack = stack_of(run)
    job = container(run, "elastic-setup")
    values = inputs(run, "elastic-setup")
    assert values["restart"] == "no" and values["mustRun"] is False
    assert values["image"].startswith("sha256:")
    assert container(run, "elasticsearch").urn in _depends(run, job)
    files = uploads(run, "elastic-setup")
    script = files.pop("/setup/elastic-setup.sh")
    secrets = secret_uploads(run, "elastic-setup")
    assert set(secrets) == set(files) and all(path.startswith("/tmp/") for path in files)
    # The job runs as nobody, who owns its secret files (and removes them on exit).
    assert values["user"] == "65534:65534"
    assert {(f["owner"], f["group"]) for f in secrets.values()} == {("65534", "65534")}
    for key in ("elasticPassword", "kibanaSystemPassword", "elasticWriterPassword", "elasticReaderPassword"):
        assert secret_value(run, stack, key) not in script
        assert any(secret_value(run, stack, key) in text for text in files.values()), key
    assert values["command"] == ["sh", "/setup/elastic-setup.sh"]


def _depends(run: ProgramRun, box: DeclaredResource) -> set[str]:
    """The URNs a container waits for (`depends_on`)."""
    return set(box.dependencies)


def test_kibana_uses_kibana_system_and_its_public_url(run):
    stack = stack_of(run)
    settings = stack_settings(stack)
    [kibana_yml] = uploads(run, "kibana").values()
    assert f"server.publicBaseUrl: {settings.logging.kibana_public_base_url}" in kibana_yml
    assert "elasticsearch.username: kibana_system" in kibana_yml
    # Served over HTTPS by the edge in both stacks: the session cookie is Secure.
    assert "xpack.security.secureCookies: true" in kibana_yml
    # No _FILE option in Kibana: kibana.yml itself holds the password and key, as a secret file.
    assert f"elasticsearch.password: {secret_value(run, stack, 'kibanaSystemPassword')}" in kibana_yml
    assert kibana_yml.count(secret_value(run, stack, "kibanaEncryptionKey")) == 3
    assert secret_uploads(run, "kibana")[kibana.CONFIG_PATH]["owner"] == "1000"
    box = container(run, "kibana")
    assert not inputs(run, "kibana").get("envs")
    assert secret_value(run, stack, "elasticPassword") not in json.dumps(unwrap(box.inputs))
    # Kibana starts once kibana_system's password is set.
    assert container(run, "elastic-setup").urn in _depends(run, box)


def test_saved_objects_job_runs_after_kibana(run):
    job = container(run, "kibana-setup")
    assert inputs(run, "kibana-setup")["restart"] == "no"
    assert container(run, "kibana").urn in _depends(run, job)
    assert set(secret_uploads(run, "kibana-setup")) == {"/tmp/christmas-setup-elastic.curlrc"}
    script = uploads(run, "kibana-setup")["/setup/kibana-setup.sh"]
    assert "_import?overwrite=true" in script


def test_fluent_bit_reads_docker_logs_read_only_and_writes_with_the_writer_password(run):
    stack = stack_of(run)
    settings = stack_settings(stack)
    values = inputs(run, "fluent-bit")
    log_dir = settings.logging.docker_log_dir
    assert {"hostPath": log_dir, "containerPath": log_dir, "readOnly": True} in values["volumes"]
    assert values["image"].startswith("sha256:")
    images = {unwrap(i.inputs)["name"] for i in run.of_type("docker:index/remoteImage:RemoteImage")}
    assert "cr.fluentbit.io/fluent/fluent-bit:3.2.10-debug" in images
    assert values["healthcheck"]["tests"][:2] == ["CMD", "curl"]
    assert values["healthcheck"]["tests"][-1] == "http://localhost:2020/api/v1/health"
    assert not values.get("envs")
    # The config files hold no password; the @INCLUDEd secret file sets it (root's, mode 0400).
    files = uploads(run, "fluent-bit")
    assert set(files) == {"/fluent-bit/etc/fluent-bit.conf", "/fluent-bit/etc/christmas-parsers.conf",
                          fluent_bit.PASSWORD_INCLUDE}
    password = secret_value(run, stack, "elasticWriterPassword")
    assert set(secret_uploads(run, "fluent-bit")) == {fluent_bit.PASSWORD_INCLUDE}
    assert files[fluent_bit.PASSWORD_INCLUDE] == f"@SET ES_WRITER_PASSWORD={password}\n"
    assert password not in files["/fluent-bit/etc/fluent-bit.conf"]
    assert f"Index                     logs-christmas-{stack}" in files["/fluent-bit/etc/fluent-bit.conf"]
    assert container(run, "elastic-setup").urn in _depends(run, container(run, "fluent-bit"))


def test_no_password_appears_outside_a_secret(run):
    stack = stack_of(run)
    visible = json.dumps([redact(r.inputs) for r in run.resources])
    for key in PASSWORD_KEYS:
        assert secret_value(run, stack, key) not in visible, key


def test_ready_is_elasticsearch_and_the_setup_job():
    settings = stack_settings("dev")
    secrets = {k: pulumi.Output.secret(PLACEHOLDERS[k]) for k in PASSWORD_KEYS}
    found: dict[str, list[str]] = {}

    def body() -> None:
        ctx = StackContext(settings=settings, secrets=secrets, network_name="net")
        logging = Logging("logging", ctx)
        found["ready"] = [r._name for r in logging.ready]

    run_under_mocks(body, stack="dev")
    assert found["ready"] == ["elasticsearch-container", "elastic-setup-container"]


# --------------------------------------------------------------------------- bad input


def error_for(stack: str, **logging: Any) -> str:
    config, secret_keys = stack_config(stack)
    section = json.loads(config.get("logging", "{}"))
    section.update(logging)
    config["logging"] = json.dumps(section)
    with pytest.raises(SettingsError) as caught:
        parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))
    return str(caught.value)


@pytest.mark.parametrize("days", [0, -7, "7", 1.5])
def test_retention_must_be_a_positive_number_of_days(days):
    message = error_for("prod", retentionDays=days)
    assert "logging.retentionDays" in message
    assert "pulumi config set --path logging.retentionDays" in message


def test_heap_larger_than_the_memory_limit_is_refused():
    # prod: memoryMb.elasticsearch is 8192.
    message = error_for("prod", elasticsearchHeapMb=12000)
    assert "logging.elasticsearchHeapMb: (12000 MB) must be at most half of memoryMb.elasticsearch (8192 MB)" \
        in message
    assert "pulumi config set --path logging.elasticsearchHeapMb 4096" in message


def test_writer_password_is_required_in_prod_and_generated_in_dev(dev_run):
    config, secret_keys = stack_config("prod")
    config.pop("elasticWriterPassword")
    with pytest.raises(SettingsError, match="elasticWriterPassword: is a required secret"):
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    assert any(v.endswith("-elasticWriterPassword") for v in dev_run.generated_secret_values)
