"""Prometheus' and Alertmanager's `--web.config.file`: basic auth with bcrypt hashes (pure).

Both read the exporter-toolkit web configuration (`basic_auth_users: {user: bcrypt hash}`);
`promtool check web-config` is its checker (tests/config/test_web_config.py).
https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md

Why the salt is derived, not random: the hash is computed at deploy time inside an `apply` on
the secret password. A random salt would give a new hash, so a new uploaded file and a replaced
container, on every `pulumi preview`/`up`. The salt is instead HMAC-SHA256(key=password,
message=<project>/<stack>/<service>/<user>), cut to bcrypt's 16 bytes. That is safe because:
- it is still unique per deployment and account: two accounts (or dev and prod) with the same
  password get different hashes, so a hash reveals nothing about password reuse;
- it cannot be known without the password (HMAC is a pseudo-random function keyed by it), so no
  table can be precomputed for it across deployments; a guess still costs one full bcrypt;
- the passwords are long random strings (generated with 32 characters, or set by the operator
  with at least settings' minimum length), so guessing, not the salt, is the bound.
The hash holds no secret an attacker could use directly, but it allows offline guessing, so the
file is uploaded from a secret Output like every other credential file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import bcrypt

from formats.yamlout import dump_yaml

# bcrypt's cost: 2^10 rounds (~50 ms). Both servers cache a successful check (exporter-toolkit's
# auth cache; Caddy's HashCache), so the cost is paid per new credential, not per request.
BCRYPT_COST = 10
# bcrypt ignores every byte past the 72nd (and the `bcrypt` package refuses them since 5.0).
MAX_PASSWORD_BYTES = 72
_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TO_BCRYPT_ALPHABET = str.maketrans(_STANDARD, _BCRYPT)

# Where each server reads it, and the file a client's password is read from (`password_file`).
PROMETHEUS_WEB_CONFIG = "/etc/prometheus/web.yml"
ALERTMANAGER_WEB_CONFIG = "/etc/alertmanager/web.yml"


def derive_password(secret: str, purpose: str) -> str:
    """HMAC-SHA256 of `purpose` keyed with `secret`, hex: one credential per purpose from one secret."""
    return hmac.new(secret.encode(), f"derived-password/{purpose}".encode(), hashlib.sha256).hexdigest()


def derived_salt(password: str, context: str, cost: int = BCRYPT_COST) -> bytes:
    """bcrypt's salt string `$2b$<cost>$<22 chars>` from HMAC-SHA256(password, context)."""
    digest = hmac.new(password.encode(), context.encode(), hashlib.sha256).digest()[:16]
    # bcrypt's radix-64 is standard base64 with another alphabet (same bit order), no padding.
    encoded = base64.b64encode(digest).decode()[:22].translate(_TO_BCRYPT_ALPHABET)
    return f"$2b${cost:02d}${encoded}".encode()


def bcrypt_hash(password: str, context: str, cost: int = BCRYPT_COST) -> str:
    """The same hash for the same password and context on every run (see the module docstring)."""
    data = password.encode()
    if not data:
        raise ValueError("a basic-auth password must not be empty")
    if len(data) > MAX_PASSWORD_BYTES:
        raise ValueError(f"a basic-auth password must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)")
    return bcrypt.hashpw(data, derived_salt(password, context, cost)).decode()


def render_web_config(users: Mapping[str, str]) -> str:
    """The web configuration for `users` (name -> bcrypt hash)."""
    if not users:
        raise ValueError("a web configuration needs at least one user")
    return dump_yaml({"basic_auth_users": dict(sorted(users.items()))})
