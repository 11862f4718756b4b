"""The offline plan: `python -m offline.plan <stack>` (or `make plan STACK=<stack>`).

Runs the real `__main__.py` under Pulumi mocks with the stack's settings and writes `build/<stack>/`:
- `resources.json`: every resource (type, name, parent, key inputs, protect), secrets as `[secret]`;
- `<service>/<absolute path in the container>`: every uploaded file, secret files included.

Redaction is by construction: the program runs with a placeholder of the same shape in place
of every secret (offline.mocks.PLACEHOLDERS: a URL for a URL, a DSN for a DSN; generated
passwords are placeholders too), so a real secret never enters the run and every file it writes
is one its consumer's checker accepts.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi

from offline.mocks import (
    DEFAULT_PLACEHOLDER,
    PLACEHOLDERS,
    PROJECT_DIR,
    SECRET_MARK,
    DeclaredResource,
    ProgramRun,
    redact,
    run_program,
    unwrap,
)
from settings.catalog import SERVICE_LABEL
from settings.stack_file import stack_config

CONTAINER = "docker:index/container:Container"
SWARM_SERVICE = "docker:index/service:Service"


def placeholder_config(config: dict[str, str], secret_keys: set[str]) -> dict[str, str]:
    """`config` with every secret replaced by its placeholder: what the plan runs the program with."""
    return {key: PLACEHOLDERS.get(key, DEFAULT_PLACEHOLDER) if key in secret_keys else value
            for key, value in config.items()}


def service_of(resource: DeclaredResource) -> str:
    for label in unwrap(resource.inputs.get("labels", [])):
        if label.get("label") == SERVICE_LABEL:
            return str(label["value"])
    return resource.name.removesuffix("-container")


def upload_summary(upload: dict[str, Any]) -> str:
    """`/path`, or `/path (0400 uid:gid)` for a file with its own mode and owner."""
    if not upload.get("permissions"):
        return str(upload.get("file"))
    return f"{upload.get('file')} ({upload['permissions']} {upload.get('owner')}:{upload.get('group')})"


def key_inputs(resource: DeclaredResource) -> dict[str, Any]:
    inputs: dict[str, Any] = redact(resource.inputs)
    if resource.type == CONTAINER:
        # Uploaded files are written out beside resources.json; keep their paths (and, for a
        # secret file, its mode and owner) here.
        uploads = inputs.get("uploads")
        if isinstance(uploads, list):
            inputs["uploads"] = [upload_summary(u) for u in uploads]
        elif uploads == SECRET_MARK:
            inputs["uploads"] = [upload_summary(u) for u in unwrap(resource.inputs["uploads"])]
            inputs["uploadsSecret"] = True
    for noisy in ("configJson",):
        if noisy in inputs and isinstance(inputs[noisy], str):
            inputs[noisy] = f"<{len(inputs[noisy])} characters of JSON>"
    return inputs


def tree_order(resources: list[DeclaredResource]) -> list[DeclaredResource]:
    """Parents before children, siblings by type and name: the same file on every run.

    Pulumi registers resources as their inputs resolve, so registration order varies between
    runs; a stable order keeps `resources.json` diffable in review.
    """
    urns = {r.urn for r in resources}
    children: dict[str, list[DeclaredResource]] = {}
    for r in resources:
        # The stack resource itself is not recorded: its children are the roots.
        children.setdefault(r.parent if r.parent in urns else "", []).append(r)
    ordered: list[DeclaredResource] = []

    def visit(parent: str) -> None:
        for child in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            ordered.append(child)
            visit(child.urn)

    visit("")
    return ordered


def write_plan(stack: str, run: ProgramRun, out: Path) -> list[Path]:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    urn_names = {r.urn: r.name for r in run.resources}
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "parent": urn_names.get(r.parent, ""),
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "dependsOn": sorted(urn_names.get(d, d) for d in r.dependencies),
            "inputs": key_inputs(r),
        }
        for r in tree_order(run.resources)
    ]
    exports = {k: (SECRET_MARK if secret else v) for k, (v, secret) in run.exports.items()}
    document = {"stack": stack, "resources": resources, "outputs": exports}
    written = [out / "resources.json"]
    written[0].write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    files = [(service_of(c), str(u["file"]), str(u.get("content", "")))
             for c in run.containers() for u in unwrap(c.inputs.get("uploads", []))]
    for service, file, content in files + swarm_files(run):
        path = out / service / file.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        written.append(path)
    return written


def plan(stack: str, config: dict[str, str], secret_keys: set[str], out: Path) -> tuple[ProgramRun, list[Path]]:
    """Run the program with placeholders for the secrets and write the plan to `out`."""
    # The program never sees a secret value, so no file it writes can hold one.
    run = run_program(stack, placeholder_config(config, secret_keys), secret_keys)
    return run, write_plan(stack, run, out)


def swarm_summary(run: ProgramRun) -> list[str]:
    """One line per Swarm service: image, mode, placement, published ports."""
    lines = []
    for service in sorted(run.of_type(SWARM_SERVICE), key=service_of):
        inputs = unwrap(service.inputs)
        task = inputs["taskSpec"]
        mode = "global" if inputs.get("mode", {}).get("global") else \
            f"{inputs.get('mode', {}).get('replicated', {}).get('replicas', 1)} replica(s)"
        placement = " ".join(task.get("placement", {}).get("constraints") or []) or "any node"
        ports = ", ".join(f"*:{p['publishedPort']}->{p['targetPort']}"
                          for p in (inputs.get("endpointSpec") or {}).get("ports") or [])
        lines.append(f"  {service_of(service):20s} {task['containerSpec']['image']}")
        lines.append(f"  {'':20s} {mode}; {placement}; ports: {ports or '(not published)'}")
    return lines


def swarm_files(run: ProgramRun) -> list[tuple[str, str, str]]:
    """(service, path in the container, content) of every Swarm config and secret a service mounts."""
    by_id = {f"{r.name}-id": r for r in run.resources}  # the mocks' resource ids
    found = []
    for service in run.of_type(SWARM_SERVICE):
        spec = unwrap(service.inputs).get("taskSpec", {}).get("containerSpec", {})
        for mount, id_key in [*((c, "configId") for c in spec.get("configs") or []),
                              *((s, "secretId") for s in spec.get("secrets") or [])]:
            data = unwrap(by_id[mount[id_key]].inputs.get("data", ""))
            found.append((service_of(service), str(mount["fileName"]), base64.b64decode(data).decode()))
    return found


def _shown(path: Path) -> str:
    """The output folder relative to the project when inside it (build/dev), else absolute."""
    return str(path.relative_to(PROJECT_DIR)) if path.is_relative_to(PROJECT_DIR) else str(path)


def summary(stack: str, run: ProgramRun, written: list[Path], out: Path, seconds: float) -> str:
    lines = [f"offline plan of stack '{stack}': {len(run.resources)} resources, "
             f"{len(written) - 1} uploaded files -> {_shown(out)}/ ({seconds:.1f}s)"]
    lines.append("resources by type:")
    for type_, count in sorted(Counter(r.type for r in run.resources).items()):
        lines.append(f"  {count:3d}  {type_}")
    lines.append("services:")
    for c in sorted(run.containers(), key=service_of):
        inputs = unwrap(c.inputs)
        ports = ", ".join(f"{p.get('ip', '0.0.0.0')}:{p['external']}->{p['internal']}" for p in inputs.get("ports", []))
        volumes = ", ".join(
            f"{v['volumeName']}:{v['containerPath']}" for v in inputs.get("volumes", []) if v.get("volumeName"))
        image = next((str(r.inputs.get("name")) for r in run.of_type("docker:index/remoteImage:RemoteImage")
                      if r.parent == c.parent), "?")
        lines.append(f"  {service_of(c):20s} {image}")
        lines.append(f"  {'':20s} ports: {ports or '(not published)'}; volumes: {volumes or '-'}; "
                     f"memory: {inputs.get('memory')} MB")
    lines += swarm_summary(run)
    protected = [r.name for r in tree_order(run.resources) if r.protect]
    lines.append(f"protected (retained on delete): {', '.join(protected) or 'none'}")
    lines.append("outputs: " + ", ".join(
        f"{k}={SECRET_MARK if secret else v}" for k, (v, secret) in run.exports.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default build/<stack>)")
    args = parser.parse_args(argv)
    if not (PROJECT_DIR / f"Pulumi.{args.stack}.yaml").exists():
        print(f"error: no Pulumi.{args.stack}.yaml in {PROJECT_DIR}", file=sys.stderr)
        return 2
    config, secret_keys = stack_config(args.stack)
    started = time.monotonic()
    out = args.out or PROJECT_DIR / "build" / args.stack
    try:
        run, written = plan(args.stack, config, secret_keys, out)
    except pulumi.RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(args.stack, run, written, out, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
