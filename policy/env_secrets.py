"""No secret in plain text in a container's environment.

An env var whose name says it holds a credential must come from a secret Output (encrypted in
the state); `<NAME>_FILE` / `<NAME>__FILE` variables name a file and are exempt. Messages name
the variable, never its value.
"""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policy.values import CONTAINER, describe, is_secret

# DATA_SOURCE_NAME / _URI / _PASS: postgres-exporter's DSN and password variables.
SENSITIVE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|DSN|WEBHOOK|CREDENTIAL|DATA_SOURCE_(NAME|URI|PASS)",
                            re.IGNORECASE)


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name)) and not name.upper().endswith("_FILE")


def check_env_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER or "envs" not in args.props:
        return
    envs = args.props["envs"]
    if is_secret(envs):  # the whole environment is a secret Output
        return
    what = describe(args.resource_type, args.name, args.props)
    for entry in envs or []:
        if is_secret(entry):
            continue
        name = str(entry).split("=", 1)[0]
        if is_sensitive(name):
            report(f"{what} sets {name} in plain text (stored unencrypted in the state): build the entry from "
                   f"a secret Output (`pulumi config set --secret ...`, then pulumi.Output.secret(...)).", None)


env_secrets = ResourceValidationPolicy(
    name="no-plaintext-secret-env",
    description="Env vars holding passwords, tokens, keys, DSNs or webhooks come from secrets.",
    validate=check_env_secrets,
    enforcement_level=EnforcementLevel.MANDATORY,
)
