"""Elasticsearch's snapshot repository in an S3 bucket: the grammars of its settings and secrets, and the
rules between them (read by settings/sections.py, settings/secrets.py and settings/load.py).

Consumers and the rules they impose:
- Amazon S3's bucket naming rules (general purpose buckets,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), which Elasticsearch's
  repository-s3 requires ("The bucket name must adhere to Amazon's S3 bucket naming rules",
  https://www.elastic.co/guide/en/elasticsearch/reference/8.18/repository-s3.html);
- the repository's `base_path` ("should not start or end with a /") and the client's node settings
  `s3.client.default.endpoint` ("accepts IP addresses and hostnames and may include a port", no scheme:
  `s3.client.default.protocol` picks http or https), `region`, `path_style_access` (same page);
- the keystore's secure settings `s3.client.default.access_key` / `secret_key`, read by
  `elasticsearch-keystore add --stdin` one line each (AddStringKeyStoreCommand: `terminal.readSecret`):
  a line break would cut a key short, so keys are printable ASCII without white space, as S3's keys are;
  on AWS itself (no endpoint) an IAM user's access key id (`AKIA` + 16) and a 40-character secret key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from settings import grammar as g
from settings.problems import Problems, fix_command

if TYPE_CHECKING:
    from settings.stack import StackSettings

ACCESS_KEY = "snapshotS3AccessKey"
SECRET_KEY = "snapshotS3SecretKey"
BUCKET = "logging.snapshotS3Bucket"
# The other settings of the S3 repository (key under `logging` -> field of LoggingSettings).
_CLIENT_SETTINGS = {"snapshotS3BasePath": "snapshot_s3_base_path", "snapshotS3Endpoint": "snapshot_s3_endpoint",
                    "snapshotS3Protocol": "snapshot_s3_protocol", "snapshotS3Region": "snapshot_s3_region",
                    "snapshotS3PathStyleAccess": "snapshot_s3_path_style_access"}
CLIENT_KEYS: tuple[str, ...] = tuple(_CLIENT_SETTINGS)

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_REGION = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")
_KEY = re.compile(r"[\x21-\x7e]+")
_AWS_ACCESS_KEY = re.compile(r"AKIA[A-Z0-9]{16}")
_AWS_SECRET_KEY = re.compile(r"[A-Za-z0-9/+]{40}")


def bucket_name(value: str) -> str | None:
    wanted = ("must be an S3 bucket name such as christmas-es-snapshots (3-63 lower-case letters, digits, "
              "- and .; a letter or digit at both ends; no '..'; not an IP address)")
    if not _BUCKET.fullmatch(value) or ".." in value or ".-" in value or "-." in value:
        return wanted
    try:
        ipaddress.IPv4Address(value)
        return wanted
    except ValueError:
        pass
    if value.startswith(_BUCKET_PREFIXES) or value.endswith(_BUCKET_SUFFIXES):
        return f"{wanted}; AWS reserves the prefixes {', '.join(_BUCKET_PREFIXES)} and the suffixes " \
               f"{', '.join(_BUCKET_SUFFIXES)}"
    return None


def endpoint(value: str) -> str | None:
    if g.host(value) is None or g.host_port(value) is None:
        return None
    return ("must be a host or host:port such as minio.example.com:9000 (no http:// or https://: "
            "logging.snapshotS3Protocol picks it; no path)")


def base_path(value: str) -> str | None:
    segments = value.split("/")
    if len(value) > 512 or not all(_PATH_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        return ("must be a path inside the bucket such as backups/elasticsearch (letters, digits, . _ - "
                "between single '/'; none at either end)")
    return None


def region(value: str) -> str | None:
    return None if _REGION.fullmatch(value) else "must be a region name such as eu-west-1 (lower case, digits, -)"


def s3_key(value: str) -> str | None:
    """An access key or secret key as the keystore reads it (one line of stdin)."""
    if not _KEY.fullmatch(value) or not 3 <= len(value) <= 128:
        return "must be 3 to 128 printable ASCII characters without spaces (S3 keys are; no line breaks)"
    return None


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
        for key, name in _CLIENT_SETTINGS.items():
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
