"""The corpus of bad settings and secrets: each one stops the program with one line naming the key and its fix.

Every case is a value the consumer (Prometheus, Alertmanager, Grafana, Kibana, Elasticsearch,
Fluent Bit, Docker, libpq) refuses or would take with another meaning. Each goes through the
real program under Pulumi mocks (`pulumi preview` takes the same path): a `RunError` (which
Pulumi prints without a traceback) before any resource is declared, with exactly one problem
naming the key, and a fix that is a command. A secret's value never appears in the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from offline.mocks import ProgramRun, run_program
from settings.grammar import es_name_part
from settings.model import SettingsError, parse_settings
from tests.conftest import stack_config
from tests.unit.fixes import apply_fix
from tests.unit.value_classes import GENERATORS, generated_cases

SECRETS = {"grafanaAdminPassword", "elasticPassword", "kibanaSystemPassword", "elasticReaderPassword",
           "elasticWriterPassword", "kibanaEncryptionKey", "smtpPassword", "slackWebhookUrl",
           "postgresExporterDsn", "heartbeatUrl", "snapshotS3AccessKey", "snapshotS3SecretKey"}

# (key whose value is replaced, the value, the key the message must name)
Case = tuple[str, Any, str]


def _each(key: str, *values: Any, named: str = "") -> list[Case]:
    return [(key, value, named or key.split("[")[0]) for value in values]


CASES: list[Case] = [
    # Prometheus durations (model.ParseDuration): units largest first, each once, no fraction, not zero.
    *_each("prometheus.scrapeInterval", "15", "1.5m", "30s1m", "15S", "0s", "15s\n", " 15s", "fast", "2m"),
    *_each("prometheus.evaluationInterval", "1h1h", "15sec", "10m", ""),
    *_each("prometheus.retentionTime", "30 d", "30d\n", "12h1d", "1.5d", "0", "P30D", "300y"),
    # Prometheus sizes (alecthomas/units as --storage.tsdb.retention.size reads them).
    *_each("prometheus.retentionSize", "50G", "50gb", "50", "50 GB", "50GB\n", "-5GB", "0GB", "50iB",
           # Beyond the consumer's int64 (8192PB wraps negative) and below the WAL's own size.
           "8192PB", "99999999999999999999GB", "100MB"),
    *_each("prometheus.scrapeInterval", "1ms", "999ms", named="prometheus.scrapeInterval"),
    *_each("prometheus.evaluationInterval", "1ms"),
    # host:port targets.
    *_each("prometheus.appTargets", ["api"], ["api:0"], ["api:70000"], ["api:8000\n"], [], ["http://api:8000"],
           ["api:8000/metrics"], "api:8000"),
    *_each("prometheus.tradingTargets", ["trading engine:8001"], ["trading-engine:08001"], [8001], ["-x:1"],
           ["{{x}}:8001"]),
    # Thresholds where the alert could never fire or never stay silent.
    *_each("thresholds.cpuPercent", 100, 0, 120, "80", True, -5),
    *_each("thresholds.memoryPercent", 100, 0, 101, None),
    *_each("thresholds.errorRatePercent", 0, 100, "5%", 1e9, [5]),
    *_each("thresholds.dbConnectionsPercent", 0, 100, 150, "high", -1),
    *_each("thresholds.diskFreePercent", 0, 100),
    *_each("thresholds.apiP95LatencySeconds", 0, -1, 601),
    *_each("thresholds.diskFillHours", 0.5, 200),
    *_each("thresholds.tradingIdleMinutes", 0, 5000),
    # Slack channels (Slack's naming rules; the channel is a Go template in Alertmanager).
    *_each("alerting.slackChannel", "#alerts\n", "alerts", "#Alerts", "#{{ .x }}", "#a b", "#" + "a" * 81),
    # E-mail addresses as Alertmanager sends them (its to/from fields are Go templates).
    *_each("alerting.emailTo", ["oncall"], ["a@b"], ["a@@b.com"], ["a b@c.com"], ["a@b.com,c@d.com"],
           ["<a@b.com>"], ["{{x}}@b.com"], ["a@b.com\n"], "oncall@example.com"),
    *_each("alerting.emailFrom", "a{{.}}@b.com", "alertmanager", "a@b.com\n", "$USER@b.com", "a@b_c.com"),
    # SMTP smarthost (Alertmanager's HostPort).
    *_each("alerting.smtpSmarthost", "smtp.example.com", "smtp.example.com:0", "smtp.example.com:70000",
           ":587", "smtp example.com:587"),
    *_each("alerting.smtpUsername", "user:name", "us er", "${USER}"),
    *_each("alerting.alertmanagerPeers", 0, 6, 1.5, "2"),
    *_each("alerting.marketOpenHourUtc", 24, -1),
    *_each("alerting.marketCloseHourUtc", 25, 0),
    *_each("alerting.runbookBaseUrl", "https://x.example.com/{{ .Foo }}", "https://x.example.com/runbook#x",
           "docs/runbook.md", "https://x.example.com/a b", "https://x.example.com/$x"),
    *_each("alerting.smtpRequireTls", "yes", 1),
    # URLs: scheme, host, nothing a template or ${} expansion reads, no trailing slash, no credentials.
    *_each("grafana.rootUrl", "grafana.example.com", "https://", "https://g.example.com/",
           "https://user:pw@g.example.com", "https://g.example.com?x=1", "javascript:alert(1)",
           "https://${GF_SECURITY_ADMIN_PASSWORD}.example.com", "https://g.example.com/$__env{HOME}",
           "https://g.example.com/{{x}}", "https://g.example.com\n", "https://g.example.com:99999"),
    *_each("grafana.apiUrl", "http://$HOST:3000", "127.0.0.1:3000", "http://127.0.0.1:3000/"),
    *_each("grafana.adminUser", "ad:min", "admin user", "", "${USER}", "admin\t", "a" * 65),
    *_each("grafana.secureCookies", "yes", 1),
    *_each("logging.kibanaPublicBaseUrl", "https://k.example.com/kibana", "https://${ELASTIC_PASSWORD}.example.com",
           "https://k.example.com/", "kibana.example.com", "https://k.example.com?x"),
    # Elasticsearch: ILM time and size, heap.
    *_each("logging.rolloverMaxAge", "1w", "1d12h", "0d", "soon", "1.5d", "99999999999999999999d", "1s", "30m"),
    *_each("logging.rolloverMaxSize", "5", "5 gb", "0gb", "5g", "8192pb", "1b", "1mb"),
    *_each("logging.retentionDays", 0, "7", 4000),
    *_each("logging.elasticsearchHeapMb", 64, 40000, "512"),
    # 2 nodes stop when either dies (a majority of 2 is 2); 3 needs three hosts (target swarm; prod is docker).
    *_each("logging.elasticsearchNodes", 2, 0, 5, "3", 3),
    *_each("logging.elasticsearchBootstrap", True, "yes"),
    # Fluent Bit size.
    *_each("logging.bufferMaxSize", "1T", "1 G", "-1G", "0G", "1.5G", "9223372036G", "99999999999999999999K", "1K"),
    *_each("logging.dockerLogDir", "relative/path", "/var/lib/../x", "/var/lib/docker containers", "/var/$x",
           "/"),
    # Elasticsearch's S3 snapshot repository: Amazon's bucket naming rules, the S3 client's endpoint (host[:port],
    # the scheme is the protocol setting), the repository's base_path (no / at either end).
    *_each("logging.snapshotS3Bucket", "My-Bucket", "ab", "a" * 64, "bucket_name", "-bucket", "bucket-",
           "bucket..name", "192.168.1.1", "xn--bucket", "bucket-s3alias", "s3://bucket", "bucket name", "bucket\n"),
    *_each("logging.snapshotS3Endpoint", "https://minio:9000", "minio:0", "minio/path", "min io", "minio:9000/"),
    *_each("logging.snapshotS3Protocol", "HTTPS", "ftp", ""),
    *_each("logging.snapshotS3BasePath", "/backups", "backups/", "a//b", "a b", "$x", "../x"),
    *_each("logging.snapshotS3Region", "US-EAST-1", "us east 1", "-x"),
    *_each("logging.snapshotS3PathStyleAccess", "yes", 1),
    # PostgreSQL.
    *_each("database.host", "db host", "-db", "db:5432", "", "db\n"),
    *_each("database.port", 0, 65536, "5432"),
    *_each("database.name", "Christmas", "christ mas", "x" * 64, "db;drop"),
    *_each("database.exporterUser", "postgres exporter", "User"),
    *_each("database.sslmode", "on", "REQUIRE"),
    # Images with an exact version.
    *_each("images.grafana", "grafana/grafana", "grafana/grafana:latest", "grafana/grafana:11",
           "Grafana/grafana:11.6.3", "grafana/grafana:11.6.3 ", "grafana/grafana@sha256:abc"),
    *_each("memoryMb.prometheus", 8, "1024", 1024.5, -1, True),
    *_each("cpus.grafana", 0, 100, "1", 0.01),
    # Ports (Docker).
    *_each("publish.grafana.port", 0, 70000, "3000", -1, 3000.5),
    *_each("publish.grafana.address", "localhost", "0.0.0.0.0", "::1x"),
    # Where a value lands: loopback read inside a container is that container; a port Docker discards
    # on a host-network service; a host path that exposes the host or hides the container's own files.
    *_each("alerting.smtpSmarthost", "localhost:1025", "127.0.0.1:25", "[::1]:25", "mail.localhost:25"),
    *_each("prometheus.appTargets", ["localhost:8000"], ["0.0.0.0:8000"]),
    *_each("prometheus.tradingTargets", ["127.0.0.2:8001"]),
    *_each("database.host", "localhost", "127.0.0.1"),
    *_each("publish.node-exporter.port", 9100, named="publish.node-exporter"),
    *_each("logging.dockerLogDir", "/etc", "/etc/containers", "/fluent-bit/containers", "/var/lib/docker"),
    *_each("slackWebhookUrl", "https://localhost/services/T/B/X"),
    *_each("heartbeatUrl", "https://127.0.0.1/ping"),
    *_each("postgresExporterDsn", "postgresql://u:pw-long@localhost:5432/christmas"),
    # Nothing in clear: SMTP auth without TLS, the admin password or a token over http, internal ports
    # published beyond loopback in a production (protectData) stack.
    *_each("alerting.smtpRequireTls", False),
    *_each("grafana.apiUrl", "http://grafana.example.com", "http://10.0.0.5:3000"),
    *_each("heartbeatUrl", "http://hc-ping.com/uuid-token"),
    *_each("publish.prometheus.address", "0.0.0.0", "10.0.0.5"),
    *_each("publish.alertmanager.address", "192.168.1.10"),
    # postgres-exporter's driver (lib/pq 1.10.9), not libpq: no allow/prefer, no parameter it would send to the
    # server, no file the container lacks, an IPv6 host with its port; `database` is ignored beside a DSN.
    *_each("database.sslmode", "prefer", "allow"),
    *_each("postgresExporterDsn", "postgresql://u:pw-long@db:5432/christmas?sslmode=prefer",
           "postgresql://u:pw-long@db:5432/christmas?target_session_attrs=read-write",
           "postgresql://u:pw-long@db:5432/christmas?sslrootcert=/etc/ssl/ca.pem",
           "postgresql://u:pw-long@[2001:db8::5]/christmas", "postgresql://u:pw-long@db/christmas?connect_timeout=-1"),
    *_each("database.name", "christmas", named="database"),
    *_each("database.sslmode", "verify-full", named="database"),
    # Renderer and validator agree: a '%' the Caddyfile renderer refused (a traceback) is refused here first.
    *_each("edge.acmeEmail", "ops%team@example.com"),
    # Rules across settings: retention shorter than the rules' 6h window, an hourly rollover with 30 days kept
    # (721 indices on one node), Kibana at another version than Elasticsearch.
    *_each("prometheus.retentionTime", "1h", "5h59m"),
    *_each("logging.rolloverMaxAge", "1h"),
    *_each("images.kibana", "docker.elastic.co/kibana/kibana:8.18.1"),
    # Unknown keys: a typo never falls back to a default.
    *_each("prometheus.scrapeIntervall", "15s"),
    *_each("alerting.slackchannel", "#alerts"),
    *_each("publish.grafanna", {"port": 3001}),
    *_each("images.grafanna", "grafana/grafana:11.6.3"),
    *_each("publish.grafana.bind", "0.0.0.0"),
    *_each("prometheous", "{}"),
    # Secrets by their consumer's rules (values never echoed).
    *_each("grafanaAdminPassword", "short", "pass\nEOF\nrm -rf /\nEOF", "${GF_PATHS_DATA}-long-enough",
           "$__env{HOME}-long-enough", " leading-space-pw", ""),
    *_each("elasticPassword", "x" * 11, "tab\tinside-password", "ends-with-newline-pw\n", "-nnnnnnnnnnnnn"),
    *_each("kibanaSystemPassword", "${ELASTIC_PASSWORD}-long-enough"),
    *_each("kibanaEncryptionKey", "k" * 31, "k" * 31 + "\n"),
    *_each("slackWebhookUrl", "http://hooks.slack.com/services/T/B/X", "hooks.slack.com/services/T/B/X", "https:///services/T",
           "https://hooks.slack.com/services/{{x}}", "https://hooks.slack.com/services/T B", "not a url"),
    *_each("postgresExporterDsn", "host=db user=x", "postgresql://db/christmas", "postgresql://u:p@db:99999/christmas",
           "postgresql://u:p@db/Christmas", "postgresql://u:p@db/christmas?foo=bar",
           "postgresql://u:p@db/christmas?sslmode=maybe", "mysql://u:p@db/christmas",
           "postgresql://u:%20pw@db/christmas"),
    # S3 keys as the keystore reads them (one line of stdin): printable ASCII, no white space.
    *_each("snapshotS3AccessKey", "AKIA ABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP\n", "clé-d-accès", "ab", ""),
    *_each("snapshotS3SecretKey", " leading-space-secret", "tab\tinside-secret-key", "ünïcode-secret-key"),
    *_each("heartbeatUrl", "ftp://hc-ping.com/x", "https://hc-ping.com/$x", "hc-ping.com/uuid", "https://hc ping.com"),
]


# The classes generated from the declarations and the consumers' limits (tests/unit/value_classes.py).
_WRITTEN = {(k, json.dumps(v)) for k, v, _ in CASES}
GENERATED: list[Case] = [c for c in generated_cases() if (c[0], json.dumps(c[1])) not in _WRITTEN]
CASES += GENERATED


def _with(config: dict[str, str], secret_keys: set[str], key: str, value: Any) -> None:
    """Put `value` at `key` the way `pulumi config set [--path|--secret]` would."""
    if key in SECRETS:
        config[key] = value
        secret_keys.add(key)
        return
    top, _, rest = key.partition(".")
    if not rest:
        config[top] = value if isinstance(value, str) else json.dumps(value)
        return
    section = json.loads(config.get(top, "{}"))
    node = section
    *parents, leaf = rest.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value
    config[top] = json.dumps(section)


def test_the_corpus_covers_every_class_with_at_least_100_values():
    assert len(CASES) >= 100
    # Every generated class contributes cases of its own.
    assert all(generate() for generate in GENERATORS) and len(GENERATED) >= 100
    assert len({(k, json.dumps(v)) for k, v, _ in CASES}) == len(CASES), "a case is listed twice"


@pytest.mark.parametrize(("key", "value", "named"), CASES, ids=[f"{k}={v!r}"[:60] for k, v, _ in CASES])
def test_bad_value_stops_the_program_with_one_line_naming_the_key_and_fix(key: str, value: Any, named: str):
    config, secret_keys = stack_config("prod")
    _with(config, secret_keys, key, value)
    run = ProgramRun()
    with pytest.raises(pulumi.RunError) as caught:
        run_program("prod", config, secret_keys, into=run)
    message = str(caught.value)
    assert run.resources == [], "a resource was declared before the settings were checked"
    problems = re.findall(r"^  - (\S+): ", message, flags=re.MULTILINE)
    assert problems == [named], message
    assert re.search(r"^      fix: pulumi (config|stack) ", message, flags=re.MULTILINE), message
    if key in SECRETS and isinstance(value, str) and len(value) > 3:
        assert value not in message and value.strip() not in message


@pytest.mark.parametrize("stack", ["Prod", "DEV", "_dev", "dev.Test", "dev env"])
def test_a_stack_name_elasticsearch_cannot_use_is_refused_with_the_rename_command(stack: str):
    config, secret_keys = stack_config("prod")
    with pytest.raises(pulumi.RunError) as caught:
        run_program(stack, config, secret_keys)
    # The rename is itself a name Elasticsearch takes ("dev env" was offered as `rename dev env`).
    renamed = {"Prod": "prod", "DEV": "dev", "_dev": "dev", "dev.Test": "dev.test", "dev env": "dev-env"}[stack]
    assert "(stack name)" in str(caught.value) and f"fix: pulumi stack rename {renamed}\n" in str(caught.value)
    assert es_name_part(renamed) is None


def _problems(stack: str, config: dict[str, str], secret_keys: set[str]) -> list[tuple[str, str]]:
    try:
        parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))
    except SettingsError as error:
        return re.findall(r"^  - (\(stack name\)|\S+): .*\n      fix: (.*)$", str(error), flags=re.MULTILINE)
    return []


@pytest.mark.parametrize(("key", "value", "named"), CASES, ids=[f"{k}={v!r}"[:60] for k, v, _ in CASES])
def test_the_suggested_fix_is_itself_accepted(key: str, value: Any, named: str):
    """Run the fix's command on the configuration (as Pulumi would) and validate again: the key is
    no longer reported. Fixes with a placeholder (<value>, <a free port>, a PEM file) cannot be run."""
    config, secret_keys = stack_config("prod")
    _with(config, secret_keys, key, value)
    [(reported, fix)] = _problems("prod", config, secret_keys)
    assert reported == named
    stack, applied = apply_fix(config, "prod", fix)
    if not applied:
        assert "<" in fix
        return
    secret_keys |= {k for k in SECRETS if k in config}
    remaining = [k for k, _ in _problems(stack, config, secret_keys)]
    assert named not in remaining, (fix, remaining)


def test_most_fixes_are_commands_that_run() -> None:
    """Every corpus fix runs above except placeholders (secret values, free ports): count them."""
    runnable = 0
    for key, value, _ in CASES:
        config, secret_keys = stack_config("prod")
        _with(config, secret_keys, key, value)
        [(_, fix)] = _problems("prod", config, secret_keys)
        runnable += "<" not in fix
    assert runnable >= 0.8 * len(CASES), (runnable, len(CASES))


# What the operator reads for one bad value of each grammar: the whole problem line, as written here.
MESSAGES: list[tuple[str, Any, str]] = [
    ("alerting.slackChannel", "#Alerts", "alerting.slackChannel: must be a Slack channel such as #alerts (lower-case "
     "letters, digits, - _ .; at most 80), got '#Alerts'"),
    ("alerting.emailFrom", "ops",
     "alerting.emailFrom: must be an e-mail address such as alerts@example.com, got 'ops'"),
    ("alerting.smtpSmarthost", "smtp.example.com", "alerting.smtpSmarthost: must be host:port such as api:8000 "
     "(port 1-65535), got 'smtp.example.com'"),
    ("alerting.smtpUsername", "ops:team", "alerting.smtpUsername: must be a user name of letters, digits and . _ @ - "
     "(no ':' or spaces; at most 64), got 'ops:team'"),
    ("grafana.adminUser", "", "grafana.adminUser: must be a user name of letters, digits and . _ @ - (no ':' or "
     "spaces; at most 64), got ''"),
    ("alerting.alertmanagerPeers", 6, "alerting.alertmanagerPeers: must be between 1 and 5, got 6"),
    ("alerting.gossipSubnet", "172.16.94.0/30", "alerting.gossipSubnet: must be an IPv4 subnet in CIDR form with room "
     "for 6 hosts, such as 172.16.94.0/28, got '172.16.94.0/30'"),
    ("alerting.marketOpenHourUtc", 24, "alerting.marketOpenHourUtc: must be between 0 and 23, got 24"),
    ("thresholds.cpuPercent", 100, "thresholds.cpuPercent: must be more than 0 and less than 100, got 100"),
    ("thresholds.apiP95LatencySeconds", 0,
     "thresholds.apiP95LatencySeconds: must be more than 0 and at most 600, got 0"),
    ("thresholds.apiP95LatencySeconds", 601,
     "thresholds.apiP95LatencySeconds: must be more than 0 and at most 600, got 601"),
    ("thresholds.diskFillHours", 0.5, "thresholds.diskFillHours: must be between 1 and 168, got 0.5"),
    ("edge.tls", "none", "edge.tls: must be one of acme, internal, files, got 'none'"),
    ("edge.acmeEmail", "ops", "edge.acmeEmail: must be an e-mail address such as alerts@example.com, got 'ops'"),
    ("edge.acmeEmail", "ops%team@example.com", "edge.acmeEmail: must be an e-mail address without '%' (it becomes "
     "the ACME account's mailto: URI), got 'ops%team@example.com'"),
    ("edge.address", "0.0.0.0.0", "edge.address: must be an IPv4 address such as 127.0.0.1, got '0.0.0.0.0'"),
    ("edge.httpPort", 0, "edge.httpPort: must be between 1 and 65535, got 0"),
    ("edge.prometheusUrl", "https://prometheus.example.com/x", "edge.prometheusUrl: must be an https URL on a DNS "
     "name, such as https://grafana.example.com (no path), got 'https://prometheus.example.com/x'"),
    ("database.host", "db host", "database.host: must be a host name or IP address such as postgres or 10.0.0.5, "
     "got 'db host'"),
    ("database.name", "Trading", "database.name: must be a PostgreSQL name of lower-case letters, digits and _ "
     "(at most 63), got 'Trading'"),
    ("database.sslmode", "prefer", "database.sslmode: must be one of disable, require, verify-ca, verify-full, "
     "got 'prefer'"),
    ("target", "kubernetes", "target: must be one of docker, swarm, got 'kubernetes'"),
    ("images.grafana", "grafana/grafana:latest", "images.grafana: must be an image with an exact version tag such as "
     "grafana/grafana:11.6.3 (or @sha256:<digest>), got 'grafana/grafana:latest'"),
    ("logging.dockerLogDir", "/var/lib/../docker", "logging.dockerLogDir: must be an absolute path of letters, digits "
     "and . _ - (no .. or spaces), got '/var/lib/../docker'"),
    ("logging.dockerLogDir", "/var/lib/./docker", "logging.dockerLogDir: must be an absolute path of letters, digits "
     "and . _ - (no .. or spaces), got '/var/lib/./docker'"),
    ("alerting.runbookBaseUrl", "https://runbooks.example.com/a b", "alerting.runbookBaseUrl: must be an http or "
     "https URL such as https://host.example.com/path (no spaces or control characters), got "
     "'https://runbooks.example.com/a b'"),
    ("alerting.runbookBaseUrl", "ftp://runbooks.example.com", "alerting.runbookBaseUrl: must be an http or https URL "
     "such as https://host.example.com/path, got 'ftp://runbooks.example.com'"),
    ("alerting.runbookBaseUrl", "https://runbooks.example.com/a\tb", "alerting.runbookBaseUrl: must not contain "
     "control characters (newline, tab, ...), got 'https://runbooks.example.com/a\\tb'"),
    ("logging.kibanaPublicBaseUrl", "https://kibana.example.com/x", "logging.kibanaPublicBaseUrl: must be an http or "
     "https URL such as https://host.example.com (no path: Kibana's publicBaseUrl takes protocol, host and port "
     "only), got 'https://kibana.example.com/x'"),
    ("logging.kibanaPublicBaseUrl", "ftp://kibana.example.com", "logging.kibanaPublicBaseUrl: must be an http or "
     "https URL such as https://host.example.com, got 'ftp://kibana.example.com'"),
    # A secret: what is wrong, never the value.
    ("heartbeatUrl", "http://hb.example.com/ping", "heartbeatUrl: must be an https URL such as "
     "https://host.example.com/path"),
]


def _problem_lines(config: dict[str, str], secret_keys: set[str]) -> list[str]:
    try:
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    except SettingsError as error:
        return re.findall(r"^  - (.*)$", str(error), flags=re.MULTILINE)
    return []


def _prod_with(key: str, value: Any) -> list[str]:
    """The problem lines of the prod stack with `value` set at `key`."""
    config, secret_keys = stack_config("prod")
    _with(config, secret_keys, key, value)
    return _problem_lines(config, secret_keys)


@pytest.mark.parametrize(("key", "value", "line"), MESSAGES, ids=[f"{k}={v!r}" for k, v, _ in MESSAGES])
def test_each_grammar_tells_the_operator_what_is_wrong_in_words(key: str, value: Any, line: str):
    config, secret_keys = stack_config("prod")
    _with(config, secret_keys, key, value)
    assert _problem_lines(config, secret_keys) == [line]


DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(("image", "accepted"), [
    (f"grafana/grafana:11.6.3@{DIGEST}", True),                     # the digest pins, the tag names the release
    ("localhost:5000/grafana/grafana:11.6.3", True),                 # a registry's port is not a tag
    (f"localhost:5000/grafana/grafana:11.6.3@{DIGEST}", True),
    (f"Grafana/grafana@{DIGEST}", False),                            # a name Docker refuses, digest or not
    (f"localhost:5000/Grafana:11.6.3@{DIGEST}", False),
    ("grafana/grafana@sha256:" + "0123456789ABCDEF" * 4, False),     # digests are lower-case hex
    ("grafana/grafana@sha256:0123", False),
    ("localhost:5000/grafana/grafana", False),                       # no tag: Docker would pull `latest`
])
def test_an_image_is_pinned_by_an_exact_tag_or_a_digest(image: str, accepted: bool):
    expected = [] if accepted else [f"images.grafana: must be an image with an exact version tag such as "
                                    f"grafana/grafana:11.6.3 (or @sha256:<digest>), got '{image}'"]
    assert _prod_with("images.grafana", image) == expected


@pytest.mark.parametrize(("stack", "renamed"), [
    ("_.-", "prod"),             # nothing of the name is left for an index: the suggestion falls back to prod
    ("A" * 120, "a" * 100),      # an index name part holds at most 100 characters (es_name_part)
    ("-Prod", "prod"),
])
def test_the_suggested_stack_rename_is_a_name_elasticsearch_takes(stack: str, renamed: str):
    config, secret_keys = stack_config("prod")
    assert _problems(stack, config, secret_keys) == [("(stack name)", f"pulumi stack rename {renamed}")]


@pytest.mark.parametrize(("key", "value"), [
    ("grafana.adminUser", "Admin"), ("alerting.smtpUsername", "Alerts.Bot@example.com"),
    ("logging.dockerLogDir", "/srv/docker_data-1.d/containers"),
    ("alerting.smtpSmarthost", "[fd00::5]:587"), ("edge.acmeEmail", "ops+acme@example.com"),
])
def test_a_value_each_grammar_allows_is_accepted(key: str, value: Any):
    assert _prod_with(key, value) == []


@pytest.mark.parametrize(("url", "accepted"), [
    ("https://runbooks.example.com/wiki", True),
    ("https://[fd00::1]/runbooks", True),                # an IPv6 host, bracketed
    ("https://[fd00::1]:8443/runbooks", True),           # ... with its port
    ("http://10.0.0.5:8080/runbooks", True),
    ("https://bot:hunter2@runbooks.example.com", False),  # credentials would land in every alert
    ("https://runbooks.example.com:0/wiki", False),      # port 0
    ("https://runbooks.example.com:/wiki", False),       # an empty port
    ("https://-runbooks.example.com/wiki", False),       # not a host name
])
def test_a_runbook_url_is_an_http_url_with_a_host_and_no_credentials(url: str, accepted: bool):
    expected = [] if accepted else [f"alerting.runbookBaseUrl: must be an http or https URL such as "
                                    f"https://host.example.com/path, got '{url}'"]
    assert _prod_with("alerting.runbookBaseUrl", url) == expected


@pytest.mark.parametrize("url", ["https://runbooks.example.com/wiki?", "https://runbooks.example.com/wiki?page=1",
                                 "https://runbooks.example.com/wiki#", "https://runbooks.example.com/wiki#top"])
def test_a_runbook_url_has_no_query_nor_fragment_even_empty(url: str):
    # Each alert links to this URL plus `#<alert>` (mixin/alert_model.py runbook_url): a `?` or `#` of its own
    # would break that anchor.
    config, secret_keys = stack_config("prod")
    _with(config, secret_keys, "alerting.runbookBaseUrl", url)
    assert _problem_lines(config, secret_keys) == [
        f"alerting.runbookBaseUrl: must be an http or https URL such as https://host.example.com/path "
        f"(no ?query or #fragment), got '{url}'"]
