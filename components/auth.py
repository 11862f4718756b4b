"""Basic auth for Prometheus and Alertmanager, as the files their containers receive.

The server gets its web configuration (bcrypt hash, render/web_config.py); every client gets
the password as a file (`password_file`; the healthcheck reads the same file). Both are
uploaded from secret Outputs; no password reaches a command line, an environment variable or
the plan in clear.
"""

from __future__ import annotations

import asyncio

import pulumi

from components.context import StackContext
from components.service_args import SECRET_FILE_MODE, Healthcheck, Upload
from render.web_config import bcrypt_hash, derive_password, render_web_config

# Prometheus and Alertmanager run as `nobody` (USER nobody in both images' Dockerfiles at the
# pinned tags): their credential files are theirs alone, read-only.
NOBODY = "65534"


def hash_context(ctx: StackContext, service: str, user: str) -> str:
    """What salts a hash (render/web_config.py): unique per project, stack, service and user."""
    s = ctx.settings
    return f"{s.project}/{s.stack}/{service}/{user}"


def password_hash(ctx: StackContext, service: str, user: str, secret_key: str) -> pulumi.Output[str]:
    """The user's bcrypt hash, made once per run (the salt is derived, so a second would be equal)."""
    key = (service, user, secret_key)
    if key not in ctx.password_hashes:
        ctx.password_hashes[key] = _hashed(ctx.require_secret(secret_key), hash_context(ctx, service, user))
    return ctx.password_hashes[key]


def _hashed(password: pulumi.Output[str], context: str) -> pulumi.Output[str]:
    # bcrypt (~50 ms a hash) runs in a worker thread: it releases the GIL, so Prometheus' and
    # Alertmanager's hashes are computed at once instead of one after the other.
    hashed: pulumi.Output[str] = password.apply(lambda p: asyncio.to_thread(bcrypt_hash, p, context))
    return pulumi.Output.secret(hashed)


def derived_password(ctx: StackContext, secret_key: str, purpose: str) -> pulumi.Output[str]:
    """A credential derived from a stack secret for one purpose (HMAC-SHA256, 64 hex characters): it
    changes when the secret does, needs no setting of its own, and does not reveal the secret."""
    derived: pulumi.Output[str] = ctx.require_secret(secret_key).apply(
        lambda p: derive_password(p, f"{ctx.settings.project}/{purpose}"))
    return pulumi.Output.secret(derived)


def derived_password_hash(ctx: StackContext, secret_key: str, purpose: str, user: str) -> pulumi.Output[str]:
    """The bcrypt hash of `derived_password` (salted per project, stack, purpose and user)."""
    return _hashed(derived_password(ctx, secret_key, purpose), hash_context(ctx, purpose, user))


def web_config_upload(ctx: StackContext, service: str, user: str, secret_key: str, path: str) -> Upload:
    text = password_hash(ctx, service, user, secret_key).apply(lambda h: render_web_config({user: h}))
    return Upload(path, text, secret=True, owner=NOBODY, mode=SECRET_FILE_MODE)


def password_upload(ctx: StackContext, secret_key: str, path: str) -> Upload:
    return Upload(path, ctx.require_secret(secret_key), secret=True, owner=NOBODY, mode=SECRET_FILE_MODE)


def authenticated_healthcheck(port: int, path: str, user: str, password_file: str) -> Healthcheck:
    """An HTTP/1.0 GET with a basic-auth header built inside the container, sent by busybox `nc`.

    The header never reaches a command line: `printf` is a shell builtin (busybox ash, dash), `base64`
    reads the credential on its standard input and `nc` gets only the host and port. The old check
    passed it to `wget --header "Authorization: Basic ..."`: every 15 s the credential was in wget's
    argv, readable by any process of the host in /proc/<pid>/cmdline (`ps`; tests/engine shows it).
    The shell expands `$(cat ...)` in the container: `docker inspect` shows the command only, and no
    file holds a value derived from the password. `base64 -w 0`: one line, whatever its length.
    Healthy on the status line `HTTP/1.x 200`.
    """
    credential = f"$(printf '%s:%s' '{user}' \"$(cat {password_file})\" | base64 -w 0)"
    request = f"printf 'GET {path} HTTP/1.0\\r\\nAuthorization: Basic %s\\r\\n\\r\\n' \"{credential}\""
    status_ok = "head -n 1 | grep -q '^HTTP/1.. 200 '"
    return Healthcheck(test=["CMD-SHELL", f"{request} | nc -w 5 localhost {port} | {status_ok}"])
