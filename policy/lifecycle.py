"""Long-running containers restart, report health and have a memory limit.

One-shot jobs (`restart="no"` with `must_run=False`, e.g. elastic-setup) are the documented
exception: they are not long-running, so they neither restart nor carry a healthcheck (`pulumi up`
attaches and waits for them to exit instead); they still need a memory limit.
"""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policy.values import CONTAINER, describe, mandatory, prop, service_of

RESTARTING = frozenset({"always", "unless-stopped", "on-failure"})


def is_one_shot(restart: str, must_run: object) -> bool:
    return restart == "no" and must_run is False


def check_lifecycle(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    what = describe(args.resource_type, args.name, args.props)
    key = service_of(args.props) or "<service>"
    # Docker's default restart policy is "no"; must_run defaults to true in the provider.
    restart = str(prop(args.props, "restart") or "no")
    must_run = prop(args.props, "mustRun")
    one_shot = is_one_shot(restart, must_run if must_run is not None else True)
    if restart not in RESTARTING and not one_shot:
        report(f"{what} has restart policy '{restart}': a long-running service must restart "
               f"(declare it through components/service.py, which sets restart='unless-stopped'); "
               f"only a one-shot job may use restart='no', and then with must_run=False.", None)

    healthcheck = prop(args.props, "healthcheck") or {}
    tests = healthcheck.get("tests") or []
    if not one_shot and (not tests or tests[0] == "NONE"):
        report(f"{what} has no healthcheck: give its ServiceArgs a Healthcheck(test=[...]) so "
               f"`pulumi up` waits for it and a hung service shows as unhealthy.", None)

    memory = prop(args.props, "memory")
    if not isinstance(memory, (int, float)) or memory <= 0:
        report(f"{what} has no memory limit: one leaking service could starve the host; "
               f"set `pulumi config set --path memoryMb.{key} <MiB>`.", None)


lifecycle = mandatory(
    "container-restart-healthcheck-memory",
    "Every long-running container has a restart policy, a healthcheck and a memory limit.",
    check_lifecycle,
)
