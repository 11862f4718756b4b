"""The one declaration of every secret: who reads it, whether dev generates it, its consumer's rules.

Secret values are checked here and never put in a message. They reach the program only as
secret `Output`s (settings.load).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from settings import grammar as g
from settings import snapshot_s3 as s3
from settings.places import in_container
from settings.problems import Problems, fix_command


def password(value: str) -> str | None:
    # Grafana expands $__env{...}/$__file{...} in its settings and Kibana ${VAR} in kibana.yml,
    # file-delivered values included: such a password would be replaced by another value.
    if "${" in value or "$__" in value:
        return "must not contain '${' or '$__' (Grafana and Kibana would expand it as a variable)"
    if value != value.strip():
        return "must not start or end with white space (a copy-paste slip that no login would match)"
    # Elasticsearch's docker-entrypoint.sh hands ELASTIC_PASSWORD to `echo`, which takes a leading
    # -n/-e/-E run as its options: `-nnnn...` would become an empty password.
    if value.startswith("-"):
        return "must not start with '-' (the Elasticsearch image passes it through echo)"
    return None


# postgres-exporter connects with lib/pq (v1.10.9 in its go.mod), not libpq. lib/pq keeps the
# parameters of isDriverSetting (conn.go) and sends every other one to the server as a run-time
# parameter, which PostgreSQL refuses unless it is a server setting (application_name is).
_LIBPQ_PARAMS = frozenset({"sslmode", "connect_timeout", "application_name", "fallback_application_name", "sslsni"})
# Files read inside the exporter's container, where the stack puts no such file.
_FILE_PARAMS = frozenset({"sslrootcert", "sslcert", "sslkey", "sslinline"})


def _dsn_host_problem(parts: SplitResult, port: int | None) -> str | None:
    host = parts.hostname or ""
    if ":" in host:
        # lib/pq (url.go ParseURL, then net.JoinHostPort) brackets the host once more when no port is given.
        ok = g.host(f"[{host}]") is None and port is not None
        return None if ok else " (an IPv6 host needs its port: postgresql://user@[2001:db8::5]:5432/db)"
    if (g.hostname(host) and g.ipv4(host)) or (port is not None and not 1 <= port <= 65535):
        return " (host or port)"
    return None


def _dsn_param_problem(params: list[tuple[str, str]]) -> str | None:
    names = {k for k, _ in params}
    if files := sorted(names & _FILE_PARAMS):
        return (f"has {', '.join(files)}: a file inside the postgres-exporter container, where the stack puts none "
                "(verify-full then checks the server against the system CA roots)")
    if unknown := sorted(names - _LIBPQ_PARAMS):
        return (f"has parameters postgres-exporter's driver (lib/pq) does not take: {', '.join(unknown)} (it would "
                "send them to the server, which refuses the connection)")
    for k, v in params:
        if k == "sslmode" and v not in g.PG_SSLMODES:
            return f"sslmode must be one of {', '.join(g.PG_SSLMODES)} (lib/pq has no allow or prefer)"
        if k == "connect_timeout" and not (v.isdigit() and int(v) <= 3600):
            return "connect_timeout must be whole seconds from 0 to 3600"
        if k == "sslsni" and v not in ("0", "1"):
            return "sslsni must be 0 or 1"
        if k in ("application_name", "fallback_application_name") and not re.fullmatch(r"[A-Za-z0-9._-]{1,63}", v):
            return f"{k} must be 1-63 letters, digits, . _ -"
    return None


def postgres_dsn(value: str) -> str | None:
    """A connection URI as postgres-exporter's driver (lib/pq) reads it: user, host, port, database."""
    wanted = "must be a URL such as postgresql://user:password@db:5432/christmas?sslmode=require"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return wanted + " (percent-encode : @ / ? # in the password)"
    if parts.scheme not in ("postgresql", "postgres") or not parts.username or not parts.hostname:
        return wanted
    if host_problem := _dsn_host_problem(parts, port):
        return wanted + host_problem
    # The exporter trims white space around the user and password it reads from its files.
    credentials = (unquote(parts.username or ""), unquote(parts.password or ""))
    if any(c != c.strip() for c in credentials):
        return wanted + " (no white space at either end of the user or password)"
    database = unquote(parts.path.lstrip("/"))
    if g.pg_identifier(database) or parts.fragment:
        return wanted + " (a database name of lower-case letters, digits and _)"
    return _dsn_param_problem(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))


@dataclass(frozen=True)
class SecretSpec:
    """A secret setting: read with require_secret and kept as a secret Output."""

    key: str
    used_by: str
    # A stack with generateMissingSecrets (dev) creates it with pulumi-random when unset.
    generated: bool = False
    # No stack requires it (a stack that generates secrets requires none of them).
    optional: bool = False
    min_length: int = 0
    check: Callable[[str], str | None] = password
    example: str = "<value>"
    # A PEM file's text: lines end in \n (or \r\n, which Go's encoding/pem also reads); every other
    # control character is still refused.
    multiline: bool = False
    # The container whose process reads it (settings/places.py); "" when none of the stack's does.
    read_by: str = ""


def bcrypt_password(value: str) -> str | None:
    """A basic-auth password: hashed with bcrypt (render/web_config.py), which reads 72 bytes at most."""
    if len(value.encode()) > 72:
        return "must be at most 72 bytes long (bcrypt hashes no more)"
    return password(value)


def pem_certificate(value: str) -> str | None:
    return None if "-----BEGIN CERTIFICATE-----" in value else "must be a PEM certificate (chain)"


def pem_key(value: str) -> str | None:
    # ENCRYPTED too: settings/material.py then says what to do about it.
    return None if re.search(r"-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----", value) else \
        "must be a PEM private key"


def https_url(value: str) -> str | None:
    return g.http_url(value, https_only=True)


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec("grafanaAdminPassword", "Grafana admin, the Grafana provider", generated=True, min_length=12),
    SecretSpec("elasticPassword", "the `elastic` superuser (setup jobs)", generated=True, min_length=12),
    SecretSpec("kibanaSystemPassword", "Kibana's own `kibana_system` user", generated=True, min_length=12),
    SecretSpec("elasticReaderPassword", "`logs_reader`, Grafana's read-only logs datasource", generated=True,
               min_length=12),
    SecretSpec("elasticWriterPassword", "`fluent_bit_writer`, Fluent Bit's append-only output", generated=True,
               min_length=12),
    # Kibana refuses an xpack.encryptedSavedObjects.encryptionKey shorter than 32 characters.
    SecretSpec("kibanaEncryptionKey", "Kibana encrypted saved objects", generated=True, min_length=32),
    # In a dev stack: no SMTP auth, no Slack, and a DSN built from `database`.
    SecretSpec("smtpPassword", "Alertmanager and Grafana e-mail (SMTP auth)"),
    SecretSpec("slackWebhookUrl", "Alertmanager and Grafana Slack notifications (an https:// webhook)",
               check=https_url, example="https://hooks.slack.com/services/T000/B000/XXXX", read_by="alertmanager"),
    SecretSpec("postgresExporterDsn", "postgres-exporter (a postgresql:// URL)", check=postgres_dsn,
               read_by="postgres-exporter",
               example="postgresql://postgres_exporter:<password>@postgres:5432/christmas?sslmode=require"),
    # Dead man's switch receiving the always-firing Watchdog (its URL usually carries a token).
    # https: the URL's token would otherwise cross the network in clear at every ping.
    SecretSpec("heartbeatUrl", "the dead man's switch pinged by Watchdog (https)", optional=True, check=https_url,
               example="https://hc-ping.com/<uuid>", read_by="alertmanager"),
    # Basic auth of Prometheus and Alertmanager: their web config holds its bcrypt hash, every
    # client of theirs (Grafana, Prometheus, healthchecks, the edge) sends it.
    SecretSpec("prometheusPassword", "basic auth of Prometheus (user `prometheus`)", generated=True, min_length=16,
               check=bcrypt_password),
    SecretSpec("alertmanagerPassword", "basic auth of Alertmanager (user `alertmanager`)", generated=True,
               min_length=16, check=bcrypt_password),
    SecretSpec("kibanaOperatorPassword", "`kibana_operator`, the operators' Kibana login (reads logs)",
               generated=True, min_length=12),
    # The edge's own certificate and key, when edge.tls is `files` (settings.load requires them then).
    SecretSpec("tlsCertificate", "the edge's certificate chain (PEM), with edge.tls files", optional=True,
               check=pem_certificate, example="<PEM text (or pipe it: < fullchain.pem)>", multiline=True),
    SecretSpec("tlsKey", "the edge's private key (PEM), with edge.tls files", optional=True, check=pem_key,
               example="<PEM text (or pipe it: < privkey.pem)>", multiline=True),
    # Elasticsearch's S3 client, with logging.snapshotS3Bucket (settings.snapshot_s3 requires them then).
    SecretSpec(s3.ACCESS_KEY, "Elasticsearch's S3 snapshot repository (keystore: s3.client.default.access_key)",
               optional=True, check=s3.s3_key, example="<access key id>"),
    SecretSpec(s3.SECRET_KEY, "Elasticsearch's S3 snapshot repository (keystore: s3.client.default.secret_key)",
               optional=True, check=s3.s3_key, example="<secret access key>"),
)
SECRET_KEYS: tuple[str, ...] = tuple(spec.key for spec in SECRETS)
OPTIONAL_SECRETS: tuple[str, ...] = tuple(spec.key for spec in SECRETS if spec.optional)
GENERATABLE_SECRETS: tuple[str, ...] = tuple(spec.key for spec in SECRETS if spec.generated)


def check_secrets(raw: Mapping[str, str], problems: Problems, generate: bool,
                  secret_keys: frozenset[str] | None) -> None:
    """Each secret by its consumer's rules; a message never holds the value."""
    for spec in SECRETS:
        value = raw.get(spec.key)
        fix = fix_command(spec.key, spec.example, secret=True)
        if value is None:
            # A stack that generates its passwords (dev) needs no secret set to come up.
            if not generate and not spec.optional:
                problems.add(spec.key, "is a required secret in this stack and is not set", fix)
            continue
        if secret_keys is not None and spec.key not in secret_keys:
            problems.add(spec.key, "is stored in plain text in the stack file; it must be encrypted",
                         f"pulumi config rm {spec.key} && {fix}")
        if value == "":
            problems.add(spec.key, "is empty", fix)
            continue
        one_line = value.replace("\r\n", "").replace("\n", "") if spec.multiline else value
        wrong = g.control_characters(one_line) or (
            f"must be at least {spec.min_length} characters long" if len(value) < spec.min_length else None
        ) or spec.check(value) or (in_container(spec.read_by)(value) if spec.read_by else None)
        if wrong:
            problems.add(spec.key, wrong, fix)
