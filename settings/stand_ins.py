"""Stand-ins for the secrets of a stack file, for whatever reads a stack's settings without its secrets:
the offline plan, doctor, the tests. Each has the shape its consumer expects and says REDACTED, so
nobody mistakes it for a real value and no real secret ever enters a run.
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
    # PEM-shaped: set only with edge.tls files (a real certificate there is parsed: settings/material.py).
    "tlsCertificate": "-----BEGIN CERTIFICATE-----\nREDACTED-tls-certificate\n-----END CERTIFICATE-----\n",
    "tlsKey": "-----BEGIN PRIVATE KEY-----\nREDACTED-tls-key\n-----END PRIVATE KEY-----\n",
}
# A secret key without its own placeholder (added to settings, not here yet): a password shape.
DEFAULT_PLACEHOLDER = "REDACTED-secret-value"
