"""Stand-ins for secrets and for what providers compute, in the offline plan and the tests.

Each has the shape its consumer expects and says REDACTED or PLACEHOLDER, so nobody mistakes it for
a real value and no real secret ever enters a run.
"""

from __future__ import annotations

# Stand-ins for the secrets in an offline plan, each of the shape its consumer expects (a URL for
# a URL, a DSN for a DSN, a password long enough for its rule), so every file the plan writes
# passes its checker; and each says REDACTED, so nobody mistakes it for a real value.
PLACEHOLDERS: dict[str, str] = {
    "grafanaAdminPassword": "REDACTED-grafana-admin-password",
    "elasticPassword": "REDACTED-elastic-password",
    "kibanaSystemPassword": "REDACTED-kibana-system-password",
    "elasticReaderPassword": "REDACTED-elastic-reader-password",
    "elasticWriterPassword": "REDACTED-elastic-writer-password",
    "kibanaEncryptionKey": "REDACTED-kibana-encryption-key-0123456789abcdef",
    "smtpPassword": "REDACTED-smtp-password",
    "slackWebhookUrl": "https://hooks.slack.com/services/TREDACTED/BREDACTED/REDACTED",
    "heartbeatUrl": "https://hc-ping.com/REDACTED",
    "prometheusPassword": "REDACTED-prometheus-password",
    "alertmanagerPassword": "REDACTED-alertmanager-password",
    "kibanaOperatorPassword": "REDACTED-kibana-operator-password",
    "postgresExporterDsn": "postgresql://postgres_exporter:REDACTED-db-password@postgres:5432/christmas"
                           "?sslmode=require",
    # AWS's shapes (an IAM user's key id, a 40-character secret key): set only with logging.snapshotS3Bucket.
    "snapshotS3AccessKey": "AKIAREDACTEDREDACTED",
    "snapshotS3SecretKey": "REDACTED/s3/secret/access/key/REDACTED00",
    # PEM-shaped, as the settings check them (edge.tls files): a plan of such a stack runs too.
    "tlsCertificate": "-----BEGIN CERTIFICATE-----\nREDACTED-tls-certificate\n-----END CERTIFICATE-----\n",
    "tlsKey": "-----BEGIN PRIVATE KEY-----\nREDACTED-tls-key\n-----END PRIVATE KEY-----\n",
}
# A secret key without its own placeholder (added to settings, not here yet): a password shape.
DEFAULT_PLACEHOLDER = "REDACTED-secret-value"


def generated_placeholder(name: str) -> str:
    """What the mocks answer for a generated password (RandomPassword `name`)."""
    return f"REDACTED-generated-{name}"


def _pem(kind: str, text: str) -> str:
    return f"-----BEGIN {kind}-----\n{text}\n-----END {kind}-----\n"


def tls_placeholders(type_: str, name: str) -> dict[str, str]:
    """What the tls provider computes, as stand-ins of the same PEM shape that say so (never a real key)."""
    kind = type_.rsplit(":", 1)[-1]
    if kind == "PrivateKey":
        return {"privateKeyPem": _pem("RSA PRIVATE KEY", f"REDACTED-private-key-{name}"),
                "privateKeyPemPkcs8": _pem("PRIVATE KEY", f"REDACTED-private-key-{name}"),
                "publicKeyPem": _pem("PUBLIC KEY", f"PLACEHOLDER-public-key-{name}")}
    if kind == "CertRequest":
        return {"certRequestPem": _pem("CERTIFICATE REQUEST", f"PLACEHOLDER-request-{name}")}
    return {"certPem": _pem("CERTIFICATE", f"PLACEHOLDER-certificate-{name}")}
