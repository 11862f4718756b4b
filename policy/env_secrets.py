"""No secret in a container's environment.

An env var whose name says it holds a credential is refused, secret Output or not: the state
would encrypt it, but `docker inspect` shows every container's environment, and so does each
container's `config.v2.json`, which Fluent Bit's host mount can read. Deliver it as a file
(`<NAME>_FILE` / `<NAME>__FILE` variables name one and are exempt). Messages name the variable,
never its value.
"""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policy.values import CONTAINER, describe, plain

# DATA_SOURCE_NAME / _URI / _PASS: postgres-exporter's DSN and password variables.
SENSITIVE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|DSN|WEBHOOK|CREDENTIAL|DATA_SOURCE_(NAME|URI|PASS)",
                            re.IGNORECASE)


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name)) and not name.upper().endswith("_FILE")


def check_env_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER or "envs" not in args.props:
        return
    what = describe(args.resource_type, args.name, args.props)
    for entry in plain(args.props["envs"]) or []:
        name = str(entry).split("=", 1)[0]
        if is_sensitive(name):
            report(f"{what} sets {name} in its environment, which `docker inspect` shows (a secret Output "
                   f"only hides it in the state): upload the value as a file, mode 0400, and point the "
                   f"consumer at it ({name}_FILE, or its own file option).", None)


env_secrets = ResourceValidationPolicy(
    name="no-plaintext-secret-env",
    description="No password, token, key, DSN or webhook in a container's environment: files instead.",
    validate=check_env_secrets,
    enforcement_level=EnforcementLevel.MANDATORY,
)
