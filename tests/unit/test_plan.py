"""The offline plan (`make plan`): what it writes, what it prints, and that it never writes a secret."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from offline import plan as offline_plan
from offline.mocks import PLACEHOLDERS, run_program
from offline.plan import main, placeholder_config
from offline.plan import plan as run_plan
from settings.model import SECRET_KEYS, parse_settings
from settings.stack_file import stack_config
from tests.tls_material import tls_pem

PROJECT_DIR = Path(__file__).resolve().parents[2]


TLS_PEM = tls_pem()


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request, planned) -> tuple[str, Path, str]:
    out, summary = planned(request.param)
    return request.param, out, summary


def test_resources_json_lists_every_resource_with_parent_and_protection(plan):
    stack, out, _ = plan
    document = json.loads((out / "resources.json").read_text())
    assert document["stack"] == stack
    resources = document["resources"]
    assert len(resources) > 50
    names = {r["name"] for r in resources}
    assert all(r["parent"] in names for r in resources if r["type"] != "christmas:monitoring:MonitoringStack")
    volumes = [r for r in resources if r["type"] == "docker:index/volume:Volume"]
    assert {r["protect"] for r in volumes} == {stack == "prod"}


def test_every_uploaded_file_is_written_at_its_path_in_the_container(plan):
    _, out, _ = plan
    for path in ("prometheus/etc/prometheus/prometheus.yml", "alertmanager/etc/alertmanager/alertmanager.yml"):
        assert (out / path).is_file(), path
    assert len(list((out / "prometheus/etc/prometheus/rules").glob("*.yml"))) >= 2
    document = json.loads((out / "resources.json").read_text())
    uploads = [f for r in document["resources"] if r["type"] == "docker:index/container:Container"
               for f in r["inputs"].get("uploads", [])]
    written = [p for p in out.rglob("*") if p.is_file() and p.name != "resources.json"]
    assert len(written) == len(uploads)


def test_the_plan_redacts_by_structure(plan):
    """Secret files hold a placeholder of the secret's shape: a URL, a DSN's parts, a password."""
    _, out, _ = plan
    slack = out / "alertmanager/etc/alertmanager/secrets/slack-api-url"
    assert slack.read_text() == PLACEHOLDERS["slackWebhookUrl"]
    assert urlsplit(slack.read_text()).scheme == "https"
    # The DSN placeholder, split as postgres-exporter reads it.
    assert (out / "postgres-exporter/run/secrets/postgres-exporter/uri").read_text() == (
        "postgres:5432/christmas?sslmode=require&connect_timeout=3")
    # The configuration names the file, never the URL; the password files say what they stand for.
    assert "api_url_file: /etc/alertmanager/secrets/slack-api-url" in (
        out / "alertmanager/etc/alertmanager/alertmanager.yml").read_text()
    for password in ("grafana/run/secrets/grafana/admin-password", "elasticsearch/run/secrets/elasticsearch/"
                     "elastic-password"):
        assert (out / password).read_text().startswith("REDACTED-")
    assert "[secret]" in (out / "resources.json").read_text()
    # resources.json shows each secret file's mode and owner, for review.
    document = json.loads((out / "resources.json").read_text())
    uploads = {f for r in document["resources"] for f in r["inputs"].get("uploads", [])}
    assert "/run/secrets/grafana/admin-password (0400 472:0)" in uploads
    assert "/etc/prometheus/prometheus.yml" in uploads


# Real-looking secrets with awkward characters: none may reach a file of the plan.
AWKWARD = {
    "grafanaAdminPassword": 'gr"af\\ana $HOME {{ .x }}',
    "elasticPassword": "el'as tic`id` CHRISTMAS_SETUP_EOF",
    "slackWebhookUrl": "https://hooks.slack.com/services/T0AWKWARD/B0AWKWARD/s3cr3t$x",
    "postgresExporterDsn": "postgresql://exporter:p%40ss%20w%22rd@db:5432/christmas?sslmode=require",
}


def test_no_secret_given_to_the_plan_reaches_a_file(tmp_path):
    config, secret_keys = stack_config("prod")
    config.update(AWKWARD)
    _, written = run_plan("prod", config, secret_keys, tmp_path / "out")
    everything = "".join(p.read_text() for p in written)
    for key, value in AWKWARD.items():
        assert value not in everything, key
    assert "p@ss w\"rd" not in everything  # nor the DSN's decoded password
    assert (tmp_path / "out/alertmanager/etc/alertmanager/secrets/slack-api-url").read_text() == (
        PLACEHOLDERS["slackWebhookUrl"])


# Every secret the program reads, each with a `#` (or `%23` where its grammar has no `#`: URLs) and the
# other characters a redaction by pattern would trip on. A stack with the edge's own certificate
# (edge.tls files) and an S3-compatible snapshot service reads all of them.
EVERY_SECRET = {
    "grafanaAdminPassword": "gr#af'ana\"$x`id`",
    "elasticPassword": "el#astic 'pw' CHRISTMAS_SETUP_EOF",
    "kibanaSystemPassword": "ki#bana-system\\pw",
    "elasticReaderPassword": "re#ader {{ .x }} pw",
    "elasticWriterPassword": "wr#iter @SET x=y pw",
    "kibanaEncryptionKey": "ke#y-" + "0123456789abcdef" * 2,
    "smtpPassword": "sm#tp:pw@host",
    "slackWebhookUrl": "https://hooks.slack.com/services/T%230SECRET/B0SECRET/slack%23token",
    "postgresExporterDsn": "postgresql://exporter:db%23pass%20w@db:5432/christmas?sslmode=require",
    "heartbeatUrl": "https://hc-ping.com/beat%23secret-uuid",
    "prometheusPassword": "pr#ometheus-basic",
    "alertmanagerPassword": "al#ertmanager-basic",
    "kibanaOperatorPassword": "op#erator-kibana-pw",
    # Real PEM (settings/material.py parses them): a certificate for the prod edge's names, and its key.
    **dict(zip(("tlsCertificate", "tlsKey"), TLS_PEM, strict=True)),
    "snapshotS3AccessKey": "access#key-SECRET",
    "snapshotS3SecretKey": "secret#key/SECRET+0123456789abcdefghij",
}
# What a consumer would see of a secret besides its whole value: the DSN's decoded password, the
# PEM bodies, the URLs' decoded tokens.
EVERY_SECRET_PARTS = ("db#pass w", *(pem.splitlines()[1] for pem in TLS_PEM), "slack#token", "beat#secret-uuid")


def every_secret_config(values: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config("prod")
    edge = json.loads(config.get("edge", "{}"))
    config["edge"] = json.dumps({**edge, "tls": "files"})
    logging = json.loads(config["logging"])
    config["logging"] = json.dumps({**logging, "snapshotS3Bucket": "christmas-es-snapshots",
                                    "snapshotS3Endpoint": "minio.example.com:9000"})
    config.update(values)
    return config, secret_keys | set(values)


def plan_files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_secret_is_covered_and_accepted():
    # A secret added to settings must be added above, or the tests below would not cover it.
    assert sorted(EVERY_SECRET) == sorted(SECRET_KEYS)
    config, secret_keys = every_secret_config(EVERY_SECRET)
    parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))


def test_no_secret_reaches_any_file_of_the_plan_whatever_its_characters(tmp_path):
    config, secret_keys = every_secret_config(EVERY_SECRET)
    run_plan("prod", config, secret_keys, tmp_path / "out")
    files = plan_files(tmp_path / "out")
    assert "resources.json" in files and len(files) > 50
    for name, text in files.items():
        for key, value in EVERY_SECRET.items():
            assert value not in text, f"{key} in {name}"
        for part in EVERY_SECRET_PARTS:
            assert part not in text, f"{part!r} in {name}"


def test_the_plan_is_the_same_whatever_the_secrets_are(tmp_path):
    """Redaction by construction: not one byte of build/ depends on a secret's value."""
    other = {key: value.replace("#", "Q").replace("%23", "Q").replace("SECRET", "OTHER")
             for key, value in EVERY_SECRET.items()}
    other.update(zip(("tlsCertificate", "tlsKey"), tls_pem(), strict=True))
    assert all(other[k] != EVERY_SECRET[k] for k in EVERY_SECRET)
    plans = []
    for n, values in enumerate((EVERY_SECRET, other)):
        config, secret_keys = every_secret_config(values)
        run_plan("prod", config, secret_keys, tmp_path / str(n))
        plans.append(plan_files(tmp_path / str(n)))
    assert plans[0].keys() == plans[1].keys()
    assert [name for name in plans[0] if plans[0][name] != plans[1][name]] == []


def test_the_program_the_plan_runs_never_sees_a_secret_value(tmp_path, monkeypatch):
    seen: list[dict[str, str]] = []
    real_run = run_program

    def recording_run(stack, config, secret_keys):  # type: ignore[no-untyped-def]
        seen.append(dict(config))
        return real_run(stack, config, secret_keys)

    monkeypatch.setattr(offline_plan, "run_program", recording_run)
    config, secret_keys = every_secret_config(EVERY_SECRET)
    run_plan("prod", config, secret_keys, tmp_path / "out")
    [given] = seen
    assert [k for k, v in given.items() if any(s in v for s in (*EVERY_SECRET.values(), *EVERY_SECRET_PARTS))] == []
    assert {k: given[k] for k in secret_keys} == {k: PLACEHOLDERS[k] for k in secret_keys}


def test_summary_names_each_service_with_image_ports_and_volumes(plan):
    stack, _, stdout = plan
    assert f"offline plan of stack '{stack}'" in stdout
    for service in ("prometheus", "alertmanager", "grafana", "kibana", "elasticsearch", "fluent-bit",
                    "node-exporter", "cadvisor", "postgres-exporter"):
        assert f"\n  {service} " in stdout
    grafana_ports = "127.0.0.1:3000->3000" if stack == "prod" else "127.0.0.1:13000->3000"
    assert grafana_ports in stdout  # Grafana on loopback, for `pulumi up`
    edge_ports = ("0.0.0.0:80->80, 0.0.0.0:443->443" if stack == "prod"
                  else "127.0.0.1:18080->18080, 127.0.0.1:18443->18443")
    assert f"ports: {edge_ports};" in stdout
    assert f"christmas-monitoring-{stack}-prometheus-data:/prometheus" in stdout


def test_a_settings_mistake_exits_2_with_the_message_and_no_traceback(tmp_path, monkeypatch, capsys):
    bad = (PROJECT_DIR / "Pulumi.prod.yaml").read_text().replace("retentionTime: 30d", "retentionTime: forever")
    monkeypatch.setattr("offline.mocks.PROJECT_DIR", tmp_path)
    monkeypatch.setattr("offline.plan.PROJECT_DIR", tmp_path)
    monkeypatch.setattr("settings.stack_file.PROJECT_DIR", tmp_path)
    (tmp_path / "Pulumi.prod.yaml").write_text(bad)
    assert main(["prod", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "prometheus.retentionTime: must be a Prometheus duration" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_stack_is_refused(capsys):
    assert main(["staging"]) == 2
    assert "no Pulumi.staging.yaml" in capsys.readouterr().err


def test_a_secret_without_its_own_placeholder_gets_a_password_shaped_one_never_its_value():
    config = {"newSecret": "the-real-value", "plain": "kept"}
    assert placeholder_config(config, {"newSecret"}) == {"newSecret": "REDACTED-secret-value", "plain": "kept"}


def test_the_plan_written_in_process_names_its_stack(tmp_path):
    config, secret_keys = stack_config("dev")
    run_plan("dev", config, secret_keys, tmp_path / "out")
    assert json.loads((tmp_path / "out/resources.json").read_text())["stack"] == "dev"
