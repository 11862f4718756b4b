"""What each secret's consumers accept, read from their pinned source (docs/images.md, "Secrets").

Every secret reaches its consumer as a file, but several consumers still re-read the value:
Grafana and Kibana expand `${...}` references in it, Fluent Bit and Alertmanager trim
surrounding whitespace, Elasticsearch's entrypoint passes it to `echo`. A value the consumer
would change is refused here, so what is deployed is exactly what the operator set.

`secret_problems(key, value)` never repeats the value in a message. Settings validation
(settings/) calls it for each secret set in the stack; the renderers assume it passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

# Grafana 11.6 pkg/setting/expanders.go: `\$(|__\w+){([^}]+)}` is expanded in every setting,
# including one set from GF_*__FILE (packaging/docker/run.sh exports the file's content).
GRAFANA_EXPANSION = re.compile(r"\$(|__\w+)\{[^}]+\}")
# Kibana 8.18 kbn-config read_config.ts replaceEnvVarRefs: `\$\{(\w+)(:(\w+))?\}` in kibana.yml values.
KIBANA_EXPANSION = re.compile(r"\$\{\w+(:\w+)?\}")
# Elasticsearch 8.18 docker-entrypoint.sh: `echo "$ELASTIC_PASSWORD" | elasticsearch-keystore add`;
# bash's echo takes an argument made only of these letters as its options and prints nothing.
ECHO_OPTIONS = re.compile(r"-[neE]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Rule = Callable[[str], "str | None"]


def _no_control(value: str) -> str | None:
    # One line each: curl's config file, Fluent Bit's @SET line, `$(cat file)` in the entrypoints.
    return "must not contain control characters (newline, tab, ...)" if CONTROL.search(value) else None


def _no_grafana_expansion(value: str) -> str | None:
    if GRAFANA_EXPANSION.search(value):
        return "must not contain `${...}` or `$__name{...}`: Grafana expands them (its value would change)"
    return None


def _no_kibana_expansion(value: str) -> str | None:
    if KIBANA_EXPANSION.search(value):
        return "must not contain `${NAME}`: Kibana replaces it in kibana.yml from its environment"
    return None


def _not_trimmed(value: str) -> str | None:
    # Alertmanager's *_file readers and postgres-exporter's *_FILE readers: strings.TrimSpace;
    # Fluent Bit's @SET value: flb_sds_trim (isspace).
    if value != value.strip():
        return "must not begin or end with whitespace: the consumer trims it when reading the file"
    return None


def _not_echo_options(value: str) -> str | None:
    if ECHO_OPTIONS.fullmatch(value):
        return "must not consist of '-' and the letters n, e, E only: Elasticsearch's entrypoint echoes it"
    return None


def _dsn_credentials(value: str) -> str | None:
    """postgres-exporter reads user and password from files and trims them (datasource.go)."""
    try:
        user, password, _ = dsn_parts(value)
    except ValueError as error:
        return str(error)
    if user != user.strip() or password != password.strip():
        return "user and password must not begin or end with whitespace: postgres-exporter trims them"
    return None


RULES: dict[str, tuple[Rule, ...]] = {
    "grafanaAdminPassword": (_no_grafana_expansion,),
    # Grafana (GF_SMTP_PASSWORD__FILE) and Alertmanager (smtp_auth_password_file) both read it.
    "smtpPassword": (_no_grafana_expansion, _not_trimmed),
    "elasticPassword": (_not_echo_options,),
    "kibanaSystemPassword": (_no_kibana_expansion,),
    "kibanaEncryptionKey": (_no_kibana_expansion,),
    "elasticWriterPassword": (_not_trimmed,),
    "elasticReaderPassword": (),
    "slackWebhookUrl": (_not_trimmed,),
    "heartbeatUrl": (),
    "postgresExporterDsn": (_dsn_credentials,),
}


def secret_problems(key: str, value: str) -> list[str]:
    """What `key`'s consumers would refuse or alter in `value` (empty when it is safe)."""
    rules = (_no_control, *RULES.get(key, ()))
    return [problem for rule in rules if (problem := rule(value)) is not None]


def dsn_parts(dsn: str) -> tuple[str, str, str]:
    """A postgresql:// URL as postgres-exporter's DATA_SOURCE_{USER,PASS,URI}_FILE take it.

    postgres-exporter 0.17.1 (cmd/postgres_exporter/datasource.go) rebuilds
    `postgresql:// + url.UserPassword(user, pass) + @ + uri`, escaping user and password itself,
    so they are given percent-decoded and the URI (host:port/db?params) without them.
    """
    scheme, _, rest = dsn.partition("://")
    if scheme not in ("postgresql", "postgres") or not rest:
        raise ValueError("must be a postgresql:// connection URL")
    parts = urlsplit(dsn)
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    if not hostinfo:
        raise ValueError("must name the database host")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    uri = hostinfo + parts.path + (f"?{parts.query}" if parts.query else "")
    return unquote(user), unquote(password), uri
