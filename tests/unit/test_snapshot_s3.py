"""Elasticsearch snapshots in an S3 bucket (logging.snapshotS3Bucket): settings, bodies, keystore, both targets.

The repository body is checked against the 8.18 reference (render/elasticsearch_s3.py cites it):
`type: "s3"`; `settings.bucket` required, named by Amazon's bucket rules; `client` the client whose
`s3.client.<client>.*` node settings apply; `base_path` without a `/` at either end; `compress` a boolean.
The keys are secure settings: they may reach Elasticsearch only through its keystore, from files.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offline.mocks import ProgramRun, plain_strings, run_program, unwrap
from render import backups as bk
from render import elastic_setup as setup
from render import elasticsearch
from render import elasticsearch_s3 as s3
from settings.model import SettingsError, StackSettings, parse_settings
from tests.conftest import stack_config
from tests.shell import BASH, assert_script_passes
from tests.unit.components.program import container, env, inputs, uploads

ACCESS = "AKIAABCDEFGHIJKLMNOP"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BUCKET = "christmas-es-snapshots"


def config_with(stack: str, logging: dict[str, Any], keys: dict[str, str] | None = None
                ) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config(stack)
    config["logging"] = json.dumps({**json.loads(config.get("logging", "{}")), **logging})
    for key, value in (keys if keys is not None else
                       {"snapshotS3AccessKey": ACCESS, "snapshotS3SecretKey": SECRET}).items():
        config[key] = value
        secret_keys.add(key)
    return config, secret_keys


def settings_with(logging: dict[str, Any], keys: dict[str, str] | None = None) -> StackSettings:
    config, secret_keys = config_with("prod", logging, keys)
    return parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))


def problems(logging: dict[str, Any], keys: dict[str, str] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_with(logging, keys)
    return str(caught.value)


@pytest.fixture(scope="module")
def s3_run() -> ProgramRun:
    config, secret_keys = config_with("prod", {"snapshotS3Bucket": BUCKET})
    return run_program("prod", config, secret_keys)


def test_the_repository_is_the_bucket_in_a_folder_of_its_own_stack_and_slm_uses_it():
    s = settings_with({"snapshotS3Bucket": BUCKET, "snapshotS3BasePath": "backups/elasticsearch"})
    repository = bk.snapshot_repository(s)
    assert repository == {"type": "s3", "settings": {"bucket": BUCKET, "client": "default",
                                                     "base_path": "backups/elasticsearch/prod", "compress": True}}
    path = repository["settings"]["base_path"]
    assert not path.startswith("/") and not path.endswith("/")
    assert bk.slm_policy(s)["repository"] == bk.ES_REPOSITORY
    # Without a prefix the stack's name alone: dev and prod sharing a bucket never write one repository.
    assert bk.snapshot_repository(settings_with({"snapshotS3Bucket": BUCKET}))["settings"]["base_path"] == "prod"


def test_client_settings_are_node_settings_only_when_given():
    s = settings_with({"snapshotS3Bucket": BUCKET, "snapshotS3Endpoint": "minio.internal:9000",
                       "snapshotS3Protocol": "http", "snapshotS3Region": "us-east-1",
                       "snapshotS3PathStyleAccess": True}, {"snapshotS3AccessKey": "minio-user",
                                                             "snapshotS3SecretKey": "minio-secret-123"})
    assert s3.client_environment(s) == {
        "s3.client.default.endpoint": "minio.internal:9000", "s3.client.default.protocol": "http",
        "s3.client.default.region": "us-east-1", "s3.client.default.path_style_access": "true"}
    assert s3.client_environment(settings_with({"snapshotS3Bucket": BUCKET})) == {
        "s3.client.default.protocol": "https"}


@pytest.mark.parametrize(("logging", "keys", "named", "said"), [
    ({"snapshotS3Bucket": BUCKET}, {}, ["snapshotS3AccessKey", "snapshotS3SecretKey"], "pulumi config set --secret"),
    ({}, None, ["snapshotS3AccessKey", "snapshotS3SecretKey"], "is set but logging.snapshotS3Bucket is not"),
    ({"snapshotS3Endpoint": "minio:9000"}, {}, ["logging.snapshotS3Endpoint"], "has no effect without"),
    ({"snapshotS3Bucket": BUCKET}, {"snapshotS3AccessKey": "ASIAABCDEFGHIJKLMNOP", "snapshotS3SecretKey": SECRET},
     ["snapshotS3AccessKey"], "session token"),
    ({"snapshotS3Bucket": BUCKET}, {"snapshotS3AccessKey": "minio-user", "snapshotS3SecretKey": "short-secret"},
     ["snapshotS3AccessKey", "snapshotS3SecretKey"], "when logging.snapshotS3Endpoint is empty (AWS)"),
    ({"snapshotS3Bucket": "snaps.example.com"}, None, ["logging.snapshotS3Bucket"], "snapshotS3PathStyleAccess true"),
])
def test_rules_between_the_s3_settings_name_each_key_and_its_fix(logging, keys, named, said):
    message = problems(logging, keys)
    assert [line.split(":")[0].strip("- ") for line in message.splitlines() if line.startswith("  - ")] == named
    assert said in message
    for secret in (keys or {}).values():
        assert secret not in message


def test_an_s3_compatible_service_takes_its_own_keys_and_a_dotted_bucket_with_path_style():
    s = settings_with({"snapshotS3Bucket": "snaps.example.com", "snapshotS3Endpoint": "10.0.0.5:9000",
                       "snapshotS3PathStyleAccess": True},
                      {"snapshotS3AccessKey": "minio-user", "snapshotS3SecretKey": "minio-secret-123"})
    assert s.logging.snapshot_s3_bucket == "snaps.example.com"


def test_elasticsearch_gets_its_keys_only_as_0400_files_for_its_user_and_the_script_before_its_entrypoint(s3_run):
    es_inputs = inputs(s3_run, "elasticsearch")
    assert es_inputs["command"] == ["/bin/bash", s3.ENTRYPOINT_SCRIPT]
    files = {u["file"]: u for u in es_inputs["uploads"]}
    assert files[s3.ACCESS_KEY_FILE]["content"] == ACCESS and files[s3.SECRET_KEY_FILE]["content"] == SECRET
    for path in s3.SECRET_FILES:
        assert (files[path]["permissions"], files[path]["owner"]) == ("0400", elasticsearch.UID.split(":")[0])
    script = files[s3.ENTRYPOINT_SCRIPT]
    assert script["content"] == s3.render_entrypoint_script() and not script.get("permissions")
    # Nowhere else: not in the environment, the command, the script, labels, nor any other resource's plain input.
    assert env(s3_run, "elasticsearch")["s3.client.default.protocol"] == "https"
    for resource in s3_run.resources:
        for text in plain_strings(resource.inputs):
            assert ACCESS not in text and SECRET not in text, resource.name


def test_the_setup_job_registers_the_bucket_and_the_volume_stays(s3_run):
    s = settings_with({"snapshotS3Bucket": BUCKET})
    script = uploads(s3_run, "elastic-setup")[setup.ELASTIC_SCRIPT_PATH]
    assert json.dumps(bk.snapshot_repository(s), sort_keys=True) in script
    assert f"the S3 bucket {BUCKET}" in script
    # Decided (docs/operations.md §6): the volume and path.repo stay, so snapshots taken before the switch
    # remain restorable, and turning S3 on never asks Pulumi to delete a protected volume.
    assert env(s3_run, "elasticsearch")["path.repo"] == elasticsearch.SNAPSHOT_DIR
    assert container(s3_run, "elasticsearch-snapshots-init")


def run_keystore_script(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The rendered script with stand-ins: a keystore tool that records its arguments and stdin, an entrypoint
    that records its arguments."""
    log = tmp_path / "log"
    tool, entrypoint = tmp_path / "elasticsearch-keystore", tmp_path / "docker-entrypoint.sh"
    tool.write_text(f'#!/bin/sh\nprintf "keystore %s|" "$*" >> {log}\ncat >> {log}\necho >> {log}\n')
    entrypoint.write_text(f'#!/bin/sh\necho "entrypoint $*" >> {log}\n')
    for program in (tool, entrypoint):
        program.chmod(0o755)
    entries = []
    for setting, path in s3.KEYSTORE_ENTRIES:
        local = tmp_path / Path(path).name
        if path in files:
            local.write_text(files[path])
        entries.append((setting, str(local)))
    script = tmp_path / "entrypoint.sh"
    script.write_text(s3.render_entrypoint_script(tuple(entries), str(tool), str(entrypoint)))
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False, timeout=10)


def test_the_script_adds_each_key_from_its_file_through_stdin_then_runs_the_image_entrypoint(tmp_path):
    awkward = {s3.ACCESS_KEY_FILE: "AK'\"$HOME`id`", s3.SECRET_KEY_FILE: "se\\cr\"et$(id){{x}}"}
    result = run_keystore_script(tmp_path, awkward)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "log").read_text().splitlines() == [
        f"keystore add --stdin --force --silent {s3.ACCESS_KEY_SETTING}|{awkward[s3.ACCESS_KEY_FILE]}",
        f"keystore add --stdin --force --silent {s3.SECRET_KEY_SETTING}|{awkward[s3.SECRET_KEY_FILE]}",
        "entrypoint eswrapper"]
    assert not any(value in result.stdout + result.stderr for value in awkward.values())


def test_the_script_stops_before_elasticsearch_when_a_key_file_is_missing(tmp_path):
    result = run_keystore_script(tmp_path, {s3.ACCESS_KEY_FILE: ACCESS})
    assert result.returncode == 1 and "s3-secret-key is missing or unreadable" in result.stderr
    assert "entrypoint" not in (tmp_path / "log").read_text()


@pytest.mark.parametrize("tool", BASH)
def test_the_keystore_script_is_valid_bash(tmp_path, tool):
    assert_script_passes(tool, s3.render_entrypoint_script(), tmp_path)


def test_on_a_swarm_the_keys_are_docker_secrets_mounted_for_elasticsearch():
    config, secret_keys = config_with("swarm", {"snapshotS3Bucket": BUCKET})
    run = run_program("swarm", config, secret_keys)
    [service] = [r for r in run.of_type("docker:index/service:Service") if r.name == "elasticsearch-service"]
    spec = unwrap(service.inputs)["taskSpec"]["containerSpec"]
    assert spec["args"] == s3.COMMAND and not spec.get("commands")
    mounted = {m["fileName"]: m for m in spec["secrets"]}
    for path in s3.SECRET_FILES:
        assert (mounted[path]["fileMode"], mounted[path]["fileUid"]) == (0o400, elasticsearch.UID.split(":")[0])
    secrets = {unwrap(r.inputs)["name"]: unwrap(r.inputs)["data"] for r in run.of_type("docker:index/secret:Secret")}
    values = {base64.b64decode(data).decode() for data in secrets.values()}
    assert {ACCESS, SECRET} <= values
    assert {c["fileName"] for c in spec["configs"]} >= {s3.ENTRYPOINT_SCRIPT}
