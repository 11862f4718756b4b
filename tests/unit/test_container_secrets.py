"""What `docker inspect` would show: no secret in any container's environment, command, labels or healthcheck.

The real program under mocks, dev and prod, with known secret values full of awkward characters
(quotes, `$`, backslashes, `{{`, a here-document end marker). Every secret must still reach
its container, but only as an uploaded file that its reader alone can read (mode 0400).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from offline.mocks import ProgramRun, generated_placeholder, plain_strings, run_program, unwrap
from settings.catalog import CATALOG
from settings.model import parse_settings
from tests.conftest import stack_config

# What `docker inspect` prints of a container's configuration (Config and HostConfig).
INSPECTED = ("envs", "command", "entrypoint", "labels", "healthcheck", "user", "workingDir", "logOpts")
DB_PASSWORD = 'db"pa$s\\w {{ x }} CHRISTMAS_SETUP_EOF'
AWKWARD: dict[str, str] = {
    "grafanaAdminPassword": 'gr"af\\ana $HOME {{ .x }} `id`',
    "elasticPassword": "el'as\"tic\\ $1 {{ end }} CHRISTMAS_SETUP_EOF",
    "kibanaSystemPassword": 'ki"ba\\na $(id) {{ template "x" }}',
    "elasticReaderPassword": "re'ad\"er\\ $PATH {{",
    "elasticWriterPassword": 'wr"it\\er $0 }} {{ $ {not-a-var}',
    "kibanaEncryptionKey": 'ky"\\$ {{ .Values }} 0123456789abcdefghijklmnop',
    "smtpPassword": "sm'tp\" \\ $SHELL {{ .x }}",
    "slackWebhookUrl": "https://hooks.slack.com/services/T0AWKWARD/B0AWKWARD/tok~en.-_",
    "heartbeatUrl": "https://hc-ping.com/awkward-heart-beat-token",
    "postgresExporterDsn": f"postgresql://exporter:{quote(DB_PASSWORD, safe='')}@db:5432/christmas?sslmode=require",
    # Elasticsearch's S3 keys (prod sends snapshots to an S3-compatible service, whose keys take any printable ASCII).
    "snapshotS3AccessKey": "AK'\"\\$HOME{{x}}`id`",
    "snapshotS3SecretKey": "se\"cr'et\\$(id)}}{{CHRISTMAS_SETUP_EOF",
}
# prod's snapshots go to an S3 bucket on an S3-compatible service (dev's to a volume): both paths are held to the rules.
S3_LOGGING = {"snapshotS3Bucket": "christmas-es-snapshots", "snapshotS3Endpoint": "minio.internal:9000"}


def awkward_run(stack: str) -> tuple[ProgramRun, list[str]]:
    config, secret_keys = stack_config(stack)
    if stack == "dev":  # dev generates its passwords: set only what it does not generate
        config.update({k: AWKWARD[k] for k in ("slackWebhookUrl", "heartbeatUrl",
                                              "postgresExporterDsn")})
    else:
        config.update(AWKWARD)
        config["logging"] = json.dumps({**json.loads(config.get("logging", "{}")), **S3_LOGGING})
    secret_keys |= set(AWKWARD) & set(config)
    # The values are ones the settings accept (else this would test nothing the program deploys).
    parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))
    run = run_program(stack, config, secret_keys)
    secrets = [config[k] for k in secret_keys if k in AWKWARD] + run.generated_secret_values
    if "postgresExporterDsn" in config:
        secrets.append(DB_PASSWORD)
    return run, secrets


@pytest.fixture(scope="module", params=["dev", "prod"])
def awkward(request) -> tuple[ProgramRun, list[str]]:
    return awkward_run(request.param)


def forms(secret: str) -> list[str]:
    """The secret as it could appear: itself, JSON-escaped, shell-escaped halves would still hold these."""
    return [secret, json.dumps(secret)[1:-1]]


def inspected(container: Any) -> str:
    inputs = unwrap(container.inputs)
    return json.dumps({k: inputs.get(k) for k in INSPECTED})


def test_no_secret_in_what_docker_inspect_shows(awkward):
    run, secrets = awkward
    assert len(run.containers()) >= 10
    for container in run.containers():
        text = inspected(container)
        for secret in secrets:
            assert not any(form in text for form in forms(secret)), f"{container.name} shows a secret"


def test_every_environment_variable_that_names_a_credential_names_a_file(awkward):
    run, _ = awkward
    for container in run.containers():
        for entry in unwrap(container.inputs).get("envs") or []:
            name = entry.split("=", 1)[0]
            if any(word in name for word in ("PASSWORD", "PASS", "SECRET", "TOKEN", "KEY", "DSN")):
                assert name.endswith("_FILE"), f"{container.name}: {name}"


def test_each_secret_reaches_its_container_only_in_a_file_for_its_reader(awkward):
    run, secrets = awkward
    delivered: set[str] = set()
    for container in run.containers():
        for upload in unwrap(container.inputs).get("uploads") or []:
            holding = {s for s in secrets if any(form in upload["content"] for form in forms(s))}
            if holding:
                assert upload.get("permissions") == "0400", (container.name, upload["file"])
                assert upload.get("owner"), (container.name, upload["file"])
            delivered |= holding
    # The DSN as a whole reaches no one: postgres-exporter gets its parts (the password decoded).
    assert delivered == set(secrets) - {AWKWARD["postgresExporterDsn"]}


def test_no_secret_in_any_non_secret_input_of_any_resource(awkward):
    run, secrets = awkward
    for resource in run.resources:
        for text in plain_strings(resource.inputs):
            assert not any(form in text for secret in secrets for form in forms(secret)), (
                f"{resource.type} {resource.name}")


def test_dev_generated_passwords_are_files_too():
    run, secrets = awkward_run("dev")
    assert generated_placeholder("grafanaAdminPassword") in secrets
    grafana = next(c for c in run.containers() if unwrap(c.inputs)["name"].endswith("-grafana"))
    files = {u["file"]: u["content"] for u in unwrap(grafana.inputs)["uploads"]}
    assert generated_placeholder("grafanaAdminPassword") in files.values()


# The user each image runs as when the container sets none (docs/images.md): the uid that must own
# its secret files, since every capability (DAC_OVERRIDE included) is dropped.
def image_user(service: str) -> str:
    """The uid the image runs as, from the service catalog (a peer `alertmanager-1` is an alertmanager;
    the setup jobs run the elastic-setup image)."""
    base = re.sub(r"-\d+$", "", service)
    base = "elastic-setup" if base.endswith("-setup") else base
    return CATALOG[base].user


def test_every_secret_file_is_owned_by_the_user_its_container_runs_as(awkward):
    run, _ = awkward
    checked = 0
    for container in run.containers():
        inputs = unwrap(container.inputs)
        service = inputs["name"].split("-", 3)[3]  # christmas-monitoring-<stack>-<service>
        runs_as = (inputs.get("user") or image_user(service)).split(":")[0]
        for upload in inputs.get("uploads") or []:
            if upload.get("permissions") == "0400":
                assert upload["owner"] == runs_as, (service, upload["file"], upload["owner"], runs_as)
                checked += 1
    assert checked >= 15
