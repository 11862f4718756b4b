"""Reading resource properties as the policy SDK hands them over.

The SDK wraps properties in proxies (Mapping / Sequence) that raise `UnknownValueError` when a
value is not known during preview; with `secrets.keep_secret_markers()` in force, a secret value
arrives as a `pulumi_policy.Secret`. These helpers give plain Python values to the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Secret

LABEL_PREFIX = "com.christmas.monitoring"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
STACK_LABEL = f"{LABEL_PREFIX}.stack"
PROD_STACK = "prod"

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"


def is_secret(value: Any) -> bool:
    return isinstance(value, Secret)


def plain(value: Any) -> Any:
    """The value with proxies turned into dicts/lists and secret markers removed."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a float: port 9090, not 9090.0
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if isinstance(value, Sequence):
        return [plain(v) for v in value]
    return value


def prop(props: Mapping[str, Any], key: str) -> Any:
    """One property, plain; None when absent (reading only what a rule needs keeps unknowns out)."""
    return plain(props[key]) if key in props else None


def labels(props: Mapping[str, Any]) -> dict[str, str]:
    """Docker labels, given by the provider as a list of {label, value}."""
    return {str(item.get("label")): str(item.get("value")) for item in prop(props, "labels") or []
            if isinstance(item, dict)}


def service_of(props: Mapping[str, Any]) -> str | None:
    return labels(props).get(SERVICE_LABEL)


def stack_of(props: Mapping[str, Any]) -> str:
    """The stack a resource belongs to: its label, else the stack being deployed."""
    return labels(props).get(STACK_LABEL) or pulumi.get_stack()


def describe(resource_type: str, name: str, props: Mapping[str, Any]) -> str:
    """`docker Container prometheus-container (service prometheus, stack prod)` for messages."""
    kind = resource_type.rsplit(":", 1)[-1]
    found = labels(props)
    context = ", ".join(f"{key} {found[label]}" for key, label in (("service", SERVICE_LABEL), ("stack", STACK_LABEL))
                        if label in found)
    return f"docker {kind} {name}" + (f" ({context})" if context else "")


def mandatory(name: str, description: str, validate: Any) -> ResourceValidationPolicy:
    """A policy every resource must pass: `pulumi preview --policy-pack policy` fails on a violation."""
    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)
