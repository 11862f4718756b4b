"""The rules between the S3 snapshot repository's settings and secrets (grammars: settings/snapshot_s3.py),
checked by settings/load.py once every key is parsed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from settings.problems import Problems, fix_command
from settings.snapshot_s3 import ACCESS_KEY, BUCKET, CLIENT_SETTINGS, SECRET_KEY
from settings.stack import StackSettings

_AWS_ACCESS_KEY = re.compile(r"AKIA[A-Z0-9]{16}")
_AWS_SECRET_KEY = re.compile(r"[A-Za-z0-9/+]{40}")


def _aws_key_problems(raw: Mapping[str, str], problems: Problems) -> None:
    """Without an endpoint the bucket is on AWS: the keys must be an IAM user's (long-lived) pair."""
    access, secret = raw.get(ACCESS_KEY, ""), raw.get(SECRET_KEY, "")
    if access and not problems.about(ACCESS_KEY) and not _AWS_ACCESS_KEY.fullmatch(access):
        temporary = access.startswith("ASIA")
        problems.add(ACCESS_KEY, "is a temporary key (ASIA...), which needs a session token the stack does not pass"
                     if temporary else "must be an AWS access key id (AKIA followed by 16 upper-case letters or "
                     "digits) when logging.snapshotS3Endpoint is empty (AWS)",
                     fix_command(ACCESS_KEY, "<access key id: AKIA...>", secret=True))
    if secret and not problems.about(SECRET_KEY) and not _AWS_SECRET_KEY.fullmatch(secret):
        problems.add(SECRET_KEY, "must be an AWS secret access key (40 letters, digits, / and +) when "
                     "logging.snapshotS3Endpoint is empty (AWS)",
                     fix_command(SECRET_KEY, "<secret access key>", secret=True))


def snapshot_s3_checks(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    """The keys are required with a bucket and useless without one; the bucket's name must fit TLS."""
    lg = s.logging
    if not lg.snapshot_s3_bucket:
        if problems.about(BUCKET):
            return
        for key in (ACCESS_KEY, SECRET_KEY):
            if raw.get(key) and not problems.about(key):
                problems.add(key, f"is set but {BUCKET} is not (snapshots go to a volume)",
                             f"{fix_command(BUCKET, 'christmas-es-snapshots')} or pulumi config rm {key}")
        defaults = type(lg)()
        for key, name in CLIENT_SETTINGS.items():
            if getattr(lg, name) != getattr(defaults, name) and not problems.about(f"logging.{key}"):
                problems.add(f"logging.{key}", f"has no effect without {BUCKET} (snapshots go to a volume)",
                             f"{fix_command(BUCKET, 'christmas-es-snapshots')} or "
                             f"pulumi config rm --path logging.{key}")
        return
    for key, example in ((ACCESS_KEY, "<access key id>"), (SECRET_KEY, "<secret access key>")):
        if not raw.get(key) and not problems.about(key):
            problems.add(key, f"is required when {BUCKET} is set (Elasticsearch's S3 client signs with it)",
                         fix_command(key, example, secret=True))
    if not lg.snapshot_s3_endpoint and not problems.about("logging.snapshotS3Endpoint"):
        _aws_key_problems(raw, problems)
    # Virtual-hosted requests go to https://<bucket>.<endpoint>: a dot in the bucket's name is one more DNS
    # label, which the endpoint's wildcard certificate (*.s3.amazonaws.com) does not cover.
    if "." in lg.snapshot_s3_bucket and lg.snapshot_s3_protocol == "https" and not lg.snapshot_s3_path_style_access \
            and not problems.about("logging.snapshotS3Protocol", "logging.snapshotS3PathStyleAccess"):
        problems.add(BUCKET, "has a '.', which breaks TLS with virtual-hosted requests: set "
                     "logging.snapshotS3PathStyleAccess true, or use a bucket name without dots",
                     fix_command("logging.snapshotS3PathStyleAccess", "true"))
