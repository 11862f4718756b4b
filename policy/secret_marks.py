"""Let the rules see which property values are secrets.

The engine sends secrets to a policy pack still marked (`KeepSecrets`), but pulumi-policy 1.21.0
drops the mark when it decodes properties for a validation (`Analyze`/`AnalyzeStack` call
`deserialize_properties` without `proxy_secrets`): a secret env var and a plain-text one would
look alike, and the "no secret in plain text" rule could not be enforced. This keeps the mark
as a `pulumi_policy.Secret` (the SDK's own marker type) in validations too. It relies on the
pinned pulumi-policy's module layout; tests/policy drive the SDK's real servicer to prove it.
"""

from __future__ import annotations

from typing import Any

import pulumi_policy.policy as sdk_policy
from pulumi_policy.deserialize import _deserialize_property
from pulumi_policy.deserialize import deserialize_properties as _sdk_deserialize


def _deserialize_keeping_secrets(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    if proxy_secrets:  # remediations: the SDK's own secret-preserving path
        return _sdk_deserialize(props, proxy_secrets=True)
    return {key: _deserialize_property(value, True) for key, value in props.items()}


def keep_secret_markers() -> None:
    """Install the decoder (idempotent); call before the pack serves or a test analyses."""
    sdk_policy.deserialize_properties = _deserialize_keeping_secrets  # type: ignore[attr-defined]
