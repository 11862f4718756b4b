"""Elasticsearch's snapshot repository in an S3 bucket: the grammars of its settings and secrets (read by
settings/sections.py and settings/secrets.py); the rules between them: settings/snapshot_s3_rules.py.

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

from settings import grammar as g

ACCESS_KEY = "snapshotS3AccessKey"
SECRET_KEY = "snapshotS3SecretKey"
BUCKET = "logging.snapshotS3Bucket"
# The other settings of the S3 repository (key under `logging` -> field of LoggingSettings).
CLIENT_SETTINGS = {"snapshotS3BasePath": "snapshot_s3_base_path", "snapshotS3Endpoint": "snapshot_s3_endpoint",
                    "snapshotS3Protocol": "snapshot_s3_protocol", "snapshotS3Region": "snapshot_s3_region",
                    "snapshotS3PathStyleAccess": "snapshot_s3_path_style_access"}
CLIENT_KEYS: tuple[str, ...] = tuple(CLIENT_SETTINGS)

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_REGION = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")
_KEY = re.compile(r"[\x21-\x7e]+")


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
