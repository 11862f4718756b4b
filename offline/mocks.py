"""Runs the real Pulumi program under mocks and records what it declares.

Used by the offline plan (`make plan`) and by the tests: one harness, so what the tests
check is exactly what the plan shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pulumi
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

# The placeholders are part of this module's interface (offline/plan.py, the tests).
from offline.placeholders import DEFAULT_PLACEHOLDER as DEFAULT_PLACEHOLDER
from offline.placeholders import PLACEHOLDERS as PLACEHOLDERS
from offline.placeholders import generated_placeholder as generated_placeholder
from offline.placeholders import tls_placeholders

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROGRAM = PROJECT_DIR / "__main__.py"
SECRET_MARK = "[secret]"
# How Pulumi's resource protocol marks a secret value on the wire (a Struct with this signature
# key and value around "value"); the SDK keeps its constants private, the protocol is public.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# An Output sent as such: {"value", "secret", "dependencies"} under this signature.
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def _secret(value: Any) -> dict[str, Any]:
    return {_SIG_KEY: _SECRET_SIG, "value": value}


def _from_wire(value: Any) -> Any:
    """A property as the SDK's own deserializer gives it (Output values unwrapped, a secret inside
    a list or an object marking the whole list or object secret), without its private API."""
    if isinstance(value, dict) and value.get(_SIG_KEY) == _OUTPUT_SIG:
        inner = _from_wire(value.get("value"))
        return _secret(inner) if value.get("secret") and not is_secret(inner) else inner
    if isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG:
        inner = _from_wire(value.get("value"))
        return inner if is_secret(inner) else _secret(inner)
    if isinstance(value, list | dict):
        items = [_from_wire(v) for v in (value.values() if isinstance(value, dict) else value)]
        plain = [v["value"] if is_secret(v) else v for v in items]
        rebuilt: Any = dict(zip(value, plain, strict=True)) if isinstance(value, dict) else plain
        return _secret(rebuilt) if any(is_secret(v) for v in items) else rebuilt
    return value


def _properties(struct: Any) -> dict[str, Any]:
    """The top level of a resource's inputs: each property keeps its own secretness."""
    return {k: _from_wire(v) for k, v in MessageToDict(struct).items()}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG


def unwrap(value: Any) -> Any:
    """The value with every secret wrapper removed (for assertions on content)."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_strings(value: Any) -> list[str]:
    """Every string in `value` that is not inside a secret: what the state would hold in clear."""
    if is_secret(value):
        return []
    if isinstance(value, dict):
        return [s for v in value.values() for s in plain_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in plain_strings(v)]
    return [value] if isinstance(value, str) else []


def _ints(value: Any) -> Any:
    """Protobuf carries every number as a float; give back ints where the program wrote ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """The value with every secret replaced by `[secret]`."""
    if is_secret(value):
        return SECRET_MARK
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class DeclaredResource:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    provider: str
    dependencies: list[str]
    # Properties whose differences Pulumi ignores (the bridge drops them from the provider's diff).
    ignore_changes: list[str]
    # As the engine would receive them: secrets still wrapped (see is_secret / unwrap / redact).
    inputs: dict[str, Any]


@dataclass
class ProgramRun:
    resources: list[DeclaredResource] = field(default_factory=list)
    # name -> (value, is_secret)
    exports: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    # Values the mocks invented for generated secrets (to find them anywhere they leak).
    generated_secret_values: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> DeclaredResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> DeclaredResource:
        return next(r for r in self.resources if r.urn == urn)

    def containers(self) -> list[DeclaredResource]:
        return self.of_type("docker:index/container:Container")


class Mocks(pulumi.runtime.Mocks):
    """Answers each resource with its inputs plus the computed outputs the program reads."""

    def __init__(self, run: ProgramRun) -> None:
        self.run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            value = generated_placeholder(args.name)
            self.run.generated_secret_values.append(value)
            outputs["result"] = value
        elif args.typ == "random:index/randomId:RandomId":
            # A new id when a keeper changes, as the provider replaces it; derived here only to be repeatable.
            keepers = json.dumps(args.inputs.get("keepers", {}), sort_keys=True, default=str)
            outputs["hex"] = hashlib.sha256(f"{args.name}{keepers}".encode()).hexdigest()[:12]
        elif args.typ == "docker:index/network:Network":
            # Docker assigns a bridge network's subnet and gateway; a fixed stand-in here.
            outputs.setdefault("ipamConfigs", [{"subnet": "172.30.0.0/16", "gateway": "172.30.0.1"}])
        elif args.typ.startswith("tls:index/"):
            outputs.update(tls_placeholders(args.typ, args.name))
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            outputs["imageId"] = f"sha256:mock-{args.name}"
            outputs["repoDigest"] = f"{args.inputs.get('name')}@sha256:mock"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """The stock mock monitor, also recording parent, protect, dependencies and provider."""

    def __init__(self, mocks: Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.run.resources.append(DeclaredResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=request.custom,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                provider=request.provider,
                dependencies=list(request.dependencies),
                ignore_changes=list(request.ignoreChanges),
                inputs=_ints(_properties(request.object)),
            ))
        return response


def run_program(stack: str, config: Mapping[str, str], secret_keys: set[str] | frozenset[str] = frozenset(),
                project: str = "christmas-monitoring", into: ProgramRun | None = None,
                mocks: Callable[[ProgramRun], Mocks] | None = None) -> ProgramRun:
    """Run __main__.py for `stack` with `config` (keys without the project prefix).

    Raises whatever the program raises (pulumi.RunError for a settings mistake); `into`, when
    given, is filled as the program goes, so a caller sees what was declared before a failure.
    `mocks` makes the mocks that answer each resource (tests/engine: networks created on a real
    engine, their IPAM read back as the provider does).
    """
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    return run_under_mocks(lambda: runpy.run_path(str(PROGRAM), run_name="__main__"), stack, config,
                           secret_keys, project, into, mocks)


def run_under_mocks(body: Callable[[], object], stack: str = "dev", config: Mapping[str, str] | None = None,
                    secret_keys: set[str] | frozenset[str] = frozenset(), project: str = "christmas-monitoring",
                    into: ProgramRun | None = None, mocks_factory: Callable[[ProgramRun], Mocks] | None = None,
                    ) -> ProgramRun:
    """Run `body` (a program, or a single component for a component test) under the mocks."""
    run = into if into is not None else ProgramRun()
    mocks = (mocks_factory or Mocks)(run)
    # A fresh root stack per run: exports of an earlier run in this process must not leak in.
    pulumi.runtime.reset_options(project=project, stack=stack)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                             monitor=_RecordingMonitor(mocks, run))
    full_config = {f"{project}:{k}": v for k, v in (config or {}).items()}
    secret_names = [f"{project}:{k}" for k in secret_keys]
    pulumi.runtime.set_all_config(full_config, secret_names)
    # As Pulumi's language host hands a program its configuration: the whole bag in PULUMI_CONFIG
    # (restored afterwards, so one run's configuration never reaches the next).
    handed_over = {"PULUMI_CONFIG": json.dumps(full_config), "PULUMI_CONFIG_SECRET_KEYS": json.dumps(secret_names)}

    async def exports(outputs: dict[str, Any]) -> None:
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            run.exports[name] = (await output.future(), await output.is_secret())

    def program() -> pulumi.Output[None]:
        body()
        return pulumi.Output.from_input(exports(getattr(pulumi.runtime.get_root_resource(), "outputs", {})))

    with patch.dict(os.environ, handed_over):
        # pulumi.runtime.test runs a function under the configured mocks and awaits what it returns.
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return run
