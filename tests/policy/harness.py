"""Runs the policy pack as the Pulumi engine does, without the CLI.

The resources come from the real program under mocks (offline.mocks); their inputs are sent,
secrets still marked as on the wire, through pulumi-policy's own analyzer servicer (the object
`PolicyPack` serves over gRPC): `Analyze` per resource, `AnalyzeStack` for the whole stack.
What comes back is the engine's diagnostics.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]  # no stubs pinned
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from offline.mocks import DeclaredResource
from policy.pack import PACK_NAME, POLICIES
from policy.secret_marks import keep_secret_markers


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str
    mandatory: bool


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return struct


def _options(resource: DeclaredResource) -> Any:
    return proto.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


def _violations(response: Any, urn: str | None = None) -> list[Violation]:
    return [Violation(policy=d.policyName, urn=d.urn or urn or "", message=d.message,
                      mandatory=d.enforcementLevel == proto.MANDATORY)
            for d in response.diagnostics]


class InProcess:
    """The servicer `PolicyPack` would serve, called directly (same calls as a gRPC stub)."""

    def __init__(self) -> None:
        keep_secret_markers()  # as policy/__main__.py does before serving
        self.servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", POLICIES, EnforcementLevel.MANDATORY)

    def Analyze(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        return self.servicer.Analyze(request, None)  # type: ignore[no-untyped-call]

    def AnalyzeStack(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        return self.servicer.AnalyzeStack(request, None)  # type: ignore[no-untyped-call]


def analyze(resources: Iterable[DeclaredResource], pack: Any = None) -> list[Violation]:
    """Every diagnostic the pack reports for these resources (resource and stack policies).

    `pack`: anything with the analyzer's Analyze/AnalyzeStack (a gRPC stub); in process by default.
    """
    resources = list(resources)
    pack = pack or InProcess()
    found: list[Violation] = []
    for r in resources:
        request = proto.AnalyzeRequest(type=r.type, name=r.name, urn=r.urn, properties=_struct(r.inputs),
                                       options=_options(r))
        found += _violations(pack.Analyze(request), r.urn)
    stack = proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(type=r.type, name=r.name, urn=r.urn, properties=_struct(r.inputs),
                               options=_options(r), parent=r.parent, dependencies=r.dependencies)
        for r in resources
    ])
    found += _violations(pack.AnalyzeStack(stack))
    return found


def remediations(resources: Iterable[DeclaredResource]) -> list[Any]:
    """What the pack's Remediate (asked per resource before Analyze) returns for these resources."""
    pack = InProcess()
    found: list[Any] = []
    for r in resources:
        request = proto.AnalyzeRequest(type=r.type, name=r.name, urn=r.urn, properties=_struct(r.inputs),
                                       options=_options(r))
        found += pack.servicer.Remediate(request, None).remediations  # type: ignore[no-untyped-call]
    return found


def variant(resource: DeclaredResource, **changes: Any) -> DeclaredResource:
    """A copy of a declared resource with some inputs changed (None removes one) or `protect` changed."""
    broken = copy.deepcopy(resource)
    protect = changes.pop("protect", None)
    if protect is not None:
        broken.protect = protect
    for key, value in changes.items():
        if value is None:
            broken.inputs.pop(key, None)
        else:
            broken.inputs[key] = value
    return broken
