"""A stack's settings as its stack file (Pulumi.<stack>.yaml) holds them, for what reads a stack without
running the program: the offline plan, doctor, the benchmark and the tests. Encrypted values cannot be
read here: each secret gets a stand-in of its shape (settings/stand_ins.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from settings.neighbours import stack_file
from settings.secrets import GENERATABLE_SECRETS
from settings.snapshot_s3 import ACCESS_KEY, SECRET_KEY
from settings.stack import PROJECT
from settings.stand_ins import DEFAULT_PLACEHOLDER, PLACEHOLDERS

PROJECT_DIR = Path(__file__).resolve().parent.parent
S3_KEYS = (ACCESS_KEY, SECRET_KEY)


def stack_file_config(stack: str, project: str = PROJECT) -> tuple[dict[str, str], set[str]]:
    """The settings of Pulumi.<stack>.yaml as Pulumi hands them to the program (strings; objects as JSON).

    Encrypted values cannot be read here: they are returned as secret keys with a placeholder.
    """
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    prefix = f"{project}:"
    for key, value in stack_file(PROJECT_DIR, stack).items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[name] = PLACEHOLDERS.get(name, DEFAULT_PLACEHOLDER)
            secret_keys.add(name)
        elif isinstance(value, bool):
            config[name] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            config[name] = json.dumps(value)
        else:
            config[name] = str(value)
    return config, secret_keys


def stack_config(stack: str) -> tuple[dict[str, str], set[str]]:
    """The stack file's settings, with placeholders for the secrets a real operator would set.

    A stack that generates missing passwords (dev) gets placeholders only for what cannot be
    generated (Slack webhook, SMTP password, DSN), so the plan shows the generated ones too.
    """
    config, secret_keys = stack_file_config(stack)
    generates = config.get("generateMissingSecrets", "false") == "true"

    smtp_auth = "smtpUsername" in json.loads(config.get("alerting", "{}"))
    s3_bucket = bool(json.loads(config.get("logging", "{}")).get("snapshotS3Bucket"))
    tls_files = json.loads(config.get("edge", "{}")).get("tls") == "files"
    for key, value in PLACEHOLDERS.items():
        if key in config or (generates and key in GENERATABLE_SECRETS) or (key == "smtpPassword" and not smtp_auth) \
                or (key in S3_KEYS and not s3_bucket) or (key in ("tlsCertificate", "tlsKey") and not tls_files):
            # An SMTP password without alerting.smtpUsername is refused (SMTP AUTH needs both), S3 keys
            # without a bucket too; a certificate is read only with edge.tls files.
            continue
        config[key] = value
        secret_keys.add(key)
    return config, secret_keys
