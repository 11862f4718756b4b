"""Swarm services are held to what containers are: pinned image, limits, healthcheck, no secret in plain text.

A `docker.Service` carries its container in `taskSpec.containerSpec` and its limits in
`taskSpec.resources.limits` (pulumi-docker 5.x); the rules are the container rules, read there.
One-shot jobs (restart condition `none`) need no healthcheck. node-exporter alone may use the
host network (its docs require it), and only started by an entrypoint that binds the node's Swarm
address (never every interface of the node). No secret in a service's spec or labels (what `docker service
inspect` shows); a `docker.Secret`'s data must be a secret Output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policy.env_secrets import holds_secret, is_sensitive, sensitive_env_problem
from policy.images import pin_problem
from policy.isolation import HOST_NAMESPACE_EXCEPTIONS
from policy.values import describe, is_secret, mandatory, plain, service_of

SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
HOST_NETWORK_ALLOWED = frozenset(service for key, service in HOST_NAMESPACE_EXCEPTIONS if key == "networkMode")


def _sensitive_env_names(container: Mapping[str, Any]) -> list[str]:
    env = container.get("env")
    if env is None or is_secret(env):
        return []
    return [str(name) for name in dict(env) if is_sensitive(str(name))]


def _listens_everywhere(container: Mapping[str, Any]) -> str | None:
    """On the host network a service listens on the node's own interfaces: the image's entrypoint
    (node-exporter's listens on :9100, every interface, public ones included) or an explicit
    all-interfaces address is refused; an entrypoint that binds the node's Swarm address is required."""
    args = [str(a) for a in container.get("args") or []]
    wide = [a for a in args if a.startswith("--web.listen-address=") and a.split("=", 1)[1].rsplit(":", 1)[0]
            in ("", "0.0.0.0", "[::]")]
    if wide or not container.get("commands"):
        return ("listens on every interface of every node (host network" +
                (f", {wide[0]}" if wide else ", the image's own entrypoint") +
                "): start it through an entrypoint that binds the node's address in swarmNodeSubnet "
                "(render/node_exporter_swarm.py)")
    return None


def _problems(props: Mapping[str, Any], service: str | None) -> list[str]:
    task_raw: Any = props.get("taskSpec") or {}
    # A secret in the task spec (an environment, a command line) is shown by `docker service inspect`
    # on every manager: secrets reach a Swarm service only as Swarm secret files.
    hidden = holds_secret(task_raw) or holds_secret(props.get("labels"))
    sensitive_env = [] if is_secret(task_raw) else _sensitive_env_names(task_raw.get("containerSpec") or {})
    task: dict[str, Any] = plain(task_raw) or {}
    container = task.get("containerSpec") or {}
    key = service or "<service>"
    found = []
    image = str(container.get("image") or "")
    if problem := (pin_problem(image) if image else "names no image"):
        found.append(f"image '{image}' {problem}: pin an exact version (`pulumi config set --path images.{key} ...`)")
    limits = (task.get("resources") or {}).get("limits") or {}
    if not limits.get("memoryBytes") or not limits.get("nanoCpus"):
        found.append(f"has no memory or CPU limit: `pulumi config set --path memoryMb.{key} <MiB>`")
    one_shot = (task.get("restartPolicy") or {}).get("condition") == "none"
    tests = (container.get("healthcheck") or {}).get("tests") or []
    if not one_shot and (not tests or tests[0] == "NONE"):
        found.append("has no healthcheck: give its ServiceArgs a Healthcheck so Swarm replaces a hung task")
    if hidden:
        found.append("holds a secret where `docker service inspect` shows it: deliver it as a file "
                     "(a secret Upload becomes a Swarm secret)")
    found += [sensitive_env_problem(name, "docker service inspect") for name in sensitive_env]
    networks = [n.get("id") or n.get("name") for n in task.get("networksAdvanceds") or []]
    if "host" in networks and service not in HOST_NETWORK_ALLOWED:
        found.append("uses the host network, which only node-exporter may do")
    elif "host" in networks and (problem := _listens_everywhere(container)):
        found.append(problem)
    return found


def check_swarm_service(args: ResourceValidationArgs, report: ReportViolation) -> None:
    what = describe(args.resource_type, args.name, args.props)
    if args.resource_type == SECRET:
        if "data" in args.props and not is_secret(args.props["data"]):
            report(f"{what} holds its data in plain text in the state: create it from a secret Output.", None)
        return
    if args.resource_type != SERVICE:
        return
    for problem in _problems(args.props, service_of(args.props)):
        report(f"{what} {problem}.", None)


swarm_services = mandatory(
    "swarm-service-hardening",
    "Swarm services: pinned image, memory and CPU limits, healthcheck, no plain secret; secrets secret.",
    check_swarm_service,
)
