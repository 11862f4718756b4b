"""No secret in a container's environment.

An env var whose name says it holds a credential is refused, secret Output or not: the state
would encrypt it, but `docker inspect` shows every container's environment, and so does each
container's `config.v2.json`, which Fluent Bit's host mount can read. Deliver it as a file
(`<NAME>_FILE` / `<NAME>__FILE` variables name one and are exempt). Messages name the variable,
never its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError
from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy

from policy.values import CONTAINER, describe, is_secret, mandatory, plain

# DATA_SOURCE_NAME / _URI / _PASS: postgres-exporter's DSN and password variables.
SENSITIVE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|DSN|WEBHOOK|CREDENTIAL|DATA_SOURCE_(NAME|URI|PASS)",
                            re.IGNORECASE)


# What `docker inspect` prints of a container's configuration.
INSPECTED = ("envs", "command", "entrypoint", "labels", "healthcheck")


def holds_secret(value: Any) -> bool:
    """A secret Output anywhere inside (the engine marks every secret value it passes on)."""
    if isinstance(value, _DictSecretsProxy | _ListSecretsProxy):
        # pulumi-policy 1.21.0 (pulumi_policy/secret.py): these proxies unwrap a secret when an
        # item is read; the wrapped dict or list keeps the marks.
        value = value["__target"]
    if is_secret(value):
        return True
    if isinstance(value, str):
        return False
    if isinstance(value, Mapping):
        return any(holds_secret(value[k]) for k in value)
    if isinstance(value, Sequence):
        return any(holds_secret(v) for v in value)
    return False


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name)) and not name.upper().endswith("_FILE")


def sensitive_env_problem(name: str, inspected_by: str) -> str:
    """Why a password-like variable must not be in an environment, and what to do instead."""
    return (f"sets {name} in its environment, which `{inspected_by}` shows (a secret Output only hides it in "
            f"the state): upload the value as a file, mode 0400, and point the consumer at it ({name}_FILE, "
            f"or its own file option)")


def _known(props: Mapping[str, Any], field: str) -> bool:
    """The field is set and known. During `pulumi preview` a value may still be unknown; the SDK's proxy raises
    even on `field in props` (Mapping's `in` reads the value), which stopped this rule for the whole container
    and the SDK reported only an advisory note: now that one field waits for `pulumi up`, the others are checked."""
    try:
        return field in props
    except UnknownValueError:
        return False


def _sensitive_env_names(props: Mapping[str, Any]) -> list[str]:
    try:
        return [name for entry in (plain(props["envs"]) if _known(props, "envs") else [])
                if is_sensitive(name := str(entry).split("=", 1)[0])]
    except UnknownValueError:  # an entry not known during preview: checked at `pulumi up`
        return []


def check_env_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    what = describe(args.resource_type, args.name, args.props)
    named = _sensitive_env_names(args.props)
    for name in named:
        report(f"{what} {sensitive_env_problem(name, 'docker inspect')}.", None)
    for field in INSPECTED:
        if not _known(args.props, field) or (field == "envs" and named):
            continue
        try:
            secret = holds_secret(args.props[field])
        except UnknownValueError:  # not known during preview; checked at `pulumi up`
            continue
        if secret:
            report(f"{what} passes a secret value in `{field}`, which `docker inspect` shows: upload it as a "
                   f"file (mode 0400) that the consumer reads instead.", None)


env_secrets = mandatory(
    "no-plaintext-secret-env",
    "No password, token, key, DSN or webhook in a container's environment, command, labels or "
                "healthcheck: files instead.",
    check_env_secrets,
)
