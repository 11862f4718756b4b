"""Property: any secret (and string setting) the program accepts gives files their real checkers accept,
reaches its consumer exactly, and appears nowhere else: not in build/, not in a non-secret input.

Hypothesis draws the secrets from the whole printable range (letters of every script, quotes, `$`,
backslashes, `{{`, here-document markers...) and a few string settings that land in rendered
files (Slack channel, e-mail addresses, Grafana's URL) from their grammar; `parse_settings`
decides what the program accepts, and only accepted values are used (the others are the bad-input
corpus's business). Each example runs the real program under mocks with the values (what the
containers receive) and with the stack file's placeholders instead (the reference), and the offline
plan of both: build/ and every plain (non-secret) input must be the same, byte for byte, whatever the
secrets are. That covers every secret and every file, and fails on the first example that leaks one;
no example is dropped because of what the program made of it.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from offline.mocks import PLACEHOLDERS, ProgramRun, plain_strings, run_program, unwrap
from offline.plan import plan, write_plan
from render import alertmanager as am
from render import elastic_setup as setup
from render import elasticsearch, fluent_bit, kibana
from render import grafana as gf
from render import postgres_exporter as pg
from settings.model import SettingsError, parse_settings
from settings.stack_file import stack_config
from tests.tls_material import PROD_HOSTS, tls_pem

# Printable: every Unicode character but controls, surrogates, private use, unassigned, line/paragraph separators.
PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"))
PASSWORD_KEYS = ("grafanaAdminPassword", "elasticPassword", "kibanaSystemPassword", "elasticReaderPassword",
                 "elasticWriterPassword", "smtpPassword", "kibanaOperatorPassword")
# bcrypt reads at most 72 bytes: 18 characters of at most 4 bytes each always fit.
BASIC_AUTH_KEYS = ("prometheusPassword", "alertmanagerPassword")
# Each example runs the program three times (~0.5 s each) and eight checkers.
EXAMPLES = 15
URL_PATH = st.text("ABCXYZabcxyz0189-._~", min_size=1, max_size=30)


@st.composite
def stack_values(draw: st.DrawFn) -> dict[str, str]:
    values = {key: draw(st.text(PRINTABLE, min_size=12, max_size=40)) for key in PASSWORD_KEYS}
    values.update({key: draw(st.text(PRINTABLE, min_size=16, max_size=18)) for key in BASIC_AUTH_KEYS})
    values["kibanaEncryptionKey"] = draw(st.text(PRINTABLE, min_size=32, max_size=48))
    db_password = draw(st.text(PRINTABLE, min_size=8, max_size=30))
    values["postgresExporterDsn"] = (f"postgresql://exporter:{quote(db_password, safe='')}@db:5432/christmas"
                                     "?sslmode=require")
    values["slackWebhookUrl"] = f"https://hooks.slack.com/services/{draw(URL_PATH)}/{draw(URL_PATH)}"
    values["heartbeatUrl"] = f"https://hc-ping.com/{draw(URL_PATH)}"
    values["slackChannel"] = draw(st.from_regex(r"#[a-z0-9_-][a-z0-9._-]{0,20}", fullmatch=True))
    values["emailTo"] = draw(st.from_regex(r"[A-Za-z0-9_%+-]{1,12}(\.[A-Za-z0-9_%+-]{1,8})?@example\.com",
                                           fullmatch=True))
    # The edge serves Grafana on its own host name (no path): draw the name.
    label = draw(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True))
    values["rootUrl"] = f"https://{label}.example.com"
    # The edge's own certificate (edge.tls files): real material for the drawn and the prod hosts (it is
    # parsed: settings/material.py), a new key each time.
    values["tlsCertificate"], values["tlsKey"] = tls_pem((values["rootUrl"][len("https://"):], PROD_HOSTS[1]))
    # An S3-compatible service's keys: printable ASCII without spaces.
    for key in S3_KEYS:
        values[key] = draw(st.text(S3_KEY_CHARS, min_size=8, max_size=40))
    return values


S3_KEYS = ("snapshotS3AccessKey", "snapshotS3SecretKey")
S3_KEY_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
SECRETS = (*PASSWORD_KEYS, *BASIC_AUTH_KEYS, "kibanaEncryptionKey", "postgresExporterDsn", "slackWebhookUrl",
           "heartbeatUrl", "tlsCertificate", "tlsKey", *S3_KEYS)


def prod_config(values: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = stack_config("prod")
    config.update({k: values[k] for k in SECRETS})
    secret_keys |= set(SECRETS)
    alerting = json.loads(config["alerting"])
    alerting.update(slackChannel=values["slackChannel"], emailTo=[values["emailTo"]])
    config["alerting"] = json.dumps(alerting)
    grafana = json.loads(config.get("grafana", "{}"))
    grafana["rootUrl"] = values["rootUrl"]
    config["grafana"] = json.dumps(grafana)
    # The settings that make the program read every secret: the edge's own certificate, S3 snapshots.
    config["edge"] = json.dumps({**json.loads(config.get("edge", "{}")), "tls": "files"})
    config["logging"] = json.dumps({**json.loads(config["logging"]), "snapshotS3Bucket": "christmas-es-snapshots",
                                    "snapshotS3Endpoint": "minio.example.com:9000"})
    return config, secret_keys


def reference_config(config: dict[str, str]) -> dict[str, str]:
    """The same settings with the plan's placeholders in place of the drawn secrets."""
    return {**config, **{key: PLACEHOLDERS[key] for key in SECRETS}}


def accepted(config: dict[str, str], secret_keys: set[str]) -> bool:
    try:
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    except SettingsError:
        return False
    return True


def tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


def assert_passes(*argv: str) -> None:
    result = tool(*argv)
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}{result.stderr}"


def write_uploads(run: ProgramRun, out: Path) -> dict[str, Path]:
    """Every uploaded file as its container receives it, at <container name>/<path>."""
    written: dict[str, Path] = {}
    for container in run.containers():
        name = unwrap(container.inputs)["name"].removeprefix("christmas-monitoring-prod-")
        for upload in unwrap(container.inputs).get("uploads") or []:
            path = out / name / upload["file"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(upload["content"])
            written[f"{name}:{upload['file']}"] = path
    return written


def check_files(root: Path, files: dict[str, Path]) -> None:
    """The consumers' own checkers on the rendered files."""
    assert_passes("amtool", "check-config", str(files[f"alertmanager:{am.CONFIG_PATH}"]))
    assert_passes("promtool", "check", "config", str(root / "prometheus/etc/prometheus/prometheus.yml"))
    assert_passes("promtool", "check", "rules", *map(str, sorted((root / "prometheus/etc/prometheus/rules")
                                                                 .glob("*.yml"))))
    scripts = [str(files[f"elastic-setup:{setup.ELASTIC_SCRIPT_PATH}"]),
               str(files[f"kibana-setup:{setup.KIBANA_SCRIPT_PATH}"])]
    for script in scripts:
        assert_passes("sh", "-n", script)
    assert_passes("shellcheck", "--shell=sh", "--severity=style", *scripts)


# Alertmanager fields that are Go templates (config/notifiers.go: rendered with tmpl.ExecuteTextString).
SLACK_TEMPLATED = ("channel", "title", "title_link", "text", "color")
SEPARATOR = "\n----8<----\n"


def check_templates(alertmanager_yml: Path, values: dict[str, str]) -> None:
    """Every templated field renders with Alertmanager's own template engine, settings kept literal."""
    config = yaml.safe_load(alertmanager_yml.read_text())
    fields: list[str] = []
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            fields += [slack[k] for k in SLACK_TEMPLATED if k in slack]
        for email in receiver.get("email_configs", []):
            fields += [email["to"], *email.get("headers", {}).values()]
    result = tool("amtool", "template", "render", "--template.glob=/dev/null",
                  f"--template.text={SEPARATOR.join(fields)}")
    assert result.returncode == 0, result.stdout + result.stderr
    for key in ("slackChannel", "rootUrl", "emailTo"):
        assert values[key] in result.stdout, key


@pytest.fixture(scope="module")
def basic_auth() -> Iterator[tuple[str, list[str]]]:
    """A loopback server recording the credentials curl sends (to read back a curl config file)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "").removeprefix("Basic ")
            seen.append(base64.b64decode(auth).decode())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    server.shutdown()
    server.server_close()


def check_delivery(values: dict[str, str], files: dict[str, Path], basic_auth: tuple[str, list[str]]) -> None:
    """Each consumer gets exactly the value that was set (read back the way it reads it)."""
    def text(key: str) -> str:
        return files[key].read_text()

    assert text(f"grafana:{gf.ADMIN_PASSWORD_FILE}") == values["grafanaAdminPassword"]
    assert text(f"grafana:{gf.SMTP_PASSWORD_FILE}") == values["smtpPassword"]
    assert text(f"elasticsearch:{elasticsearch.PASSWORD_FILE}") == values["elasticPassword"]
    kibana_yml = yaml.safe_load(text(f"kibana:{kibana.CONFIG_PATH}"))
    assert kibana_yml["elasticsearch.password"] == values["kibanaSystemPassword"]
    assert kibana_yml["xpack.security.encryptionKey"] == values["kibanaEncryptionKey"]
    assert text(f"fluent-bit:{fluent_bit.PASSWORD_INCLUDE}") == \
        f"@SET ES_WRITER_PASSWORD={values['elasticWriterPassword']}\n"
    body = f"elastic-setup:{setup.SECRETS_DIR}/{setup.USER_BODIES[1]}"
    assert json.loads(text(body))["password"] == values["elasticReaderPassword"]
    assert text(f"alertmanager:{am.SECRETS_DIR}/{am.SLACK_API_URL_FILE}") == values["slackWebhookUrl"]
    assert text(f"alertmanager:{am.SECRETS_DIR}/{am.SMTP_PASSWORD_FILE}") == values["smtpPassword"]
    user, password, uri = (text(f"postgres-exporter:{p}") for p in (pg.USER_FILE, pg.PASS_FILE, pg.URI_FILE))
    assert (user, uri) == ("exporter", "db:5432/christmas?sslmode=require&connect_timeout=3")
    assert quote(password, safe="") in values["postgresExporterDsn"]
    # curl itself reads the setup job's config file and sends the superuser's credentials.
    url, seen = basic_auth
    assert_passes("curl", "-sS", "-o", "/dev/null", "-K", str(files[f"elastic-setup:{setup.SECRETS_DIR}/"
                                                                    f"{setup.CURLRC}"]), url)
    assert seen[-1] == f"elastic:{values['elasticPassword']}"


def plan_files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def plain_inputs(run: ProgramRun) -> dict[tuple[str, str], list[str]]:
    """Every resource's plain (non-secret) strings: what the state would hold in clear."""
    return {(r.type, r.name): sorted(plain_strings(r.inputs)) for r in run.resources}


def differing(a: dict[Any, Any], b: dict[Any, Any]) -> list[Any]:
    return sorted({*a, *b} - {k for k in a.keys() & b.keys() if a[k] == b[k]}, key=str)


# Fixed examples besides the drawn ones: characters a redaction or an escape by pattern trips on.
AWKWARD = {key: f"#{key}# '$x' \"{{{{ .y }}}}\" \\z %23" for key in (*PASSWORD_KEYS, "kibanaEncryptionKey")}


def awkward_values() -> dict[str, str]:
    values = {**AWKWARD, **{key: f"#{key[:10]}#1-sixteen+" for key in BASIC_AUTH_KEYS}}
    values["kibanaEncryptionKey"] = AWKWARD["kibanaEncryptionKey"] + "-0123456789abcdef"
    values.update(postgresExporterDsn="postgresql://exporter:p%23w%20%27x@db:5432/christmas?sslmode=require",
                  slackWebhookUrl="https://hooks.slack.com/services/T%23A/B%23B/c%23token",
                  heartbeatUrl="https://hc-ping.com/beat%23uuid", slackChannel="#alerts", emailTo="on.call@example.com",
                  rootUrl="https://grafana.example.com",
                  snapshotS3AccessKey="access#key'1", snapshotS3SecretKey="secret#key\"/+2")
    values["tlsCertificate"], values["tlsKey"] = tls_pem(("grafana.example.com", PROD_HOSTS[1]))
    return values


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(values=stack_values())
@example(values=awkward_values())
def test_any_accepted_secret_renders_checked_files_and_appears_only_where_it_is_delivered(
        values: dict[str, str], basic_auth: tuple[str, list[str]]) -> None:
    config, secret_keys = prod_config(values)
    # The input's domain (what settings accept), never the outcome: the bad-input corpus has the rest.
    assume(accepted(config, secret_keys))
    # The reference: the program run with the placeholders instead of the drawn secrets.
    reference = run_program("prod", reference_config(config), secret_keys)
    with TemporaryDirectory() as tmp:
        root = Path(tmp)
        # build/ holds no secret: byte for byte the plan of the same settings with other secrets.
        plan("prod", config, secret_keys, root / "build")
        write_plan("prod", reference, root / "reference")
        built, expected = plan_files(root / "build"), plan_files(root / "reference")
        assert differing(built, expected) == [], "build/ depends on a secret's value"
        assert_passes("amtool", "check-config", str(root / "build/alertmanager" / am.CONFIG_PATH.lstrip("/")))
        run = run_program("prod", config, secret_keys)
        files = write_uploads(run, root / "containers")
        check_files(root / "containers", files)
        check_templates(files[f"alertmanager:{am.CONFIG_PATH}"], values)
        check_delivery(values, files, basic_auth)
        # The state holds no secret in clear: every plain input is the same with other secrets.
        leaked = differing(plain_inputs(run), plain_inputs(reference))
        assert leaked == [], f"plain inputs that depend on a secret's value: {leaked}"
