"""No privileged container and no host namespace, but for the documented exceptions.

The one exception: node-exporter shares the host's PID namespace, so that process and CPU
counters are the host's (docs: components/metrics.py). It is recognised by its service label.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policy.values import CONTAINER, describe, prop, service_of

# (namespace property, service) pairs allowed to be "host".
HOST_NAMESPACE_EXCEPTIONS = frozenset({("pidMode", "node-exporter")})
NAMESPACES = {"pidMode": "pid_mode", "networkMode": "network_mode", "ipcMode": "ipc_mode"}


def check_isolation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    what = describe(args.resource_type, args.name, args.props)
    service = service_of(args.props)
    if prop(args.props, "privileged") is True:
        report(f"{what} is privileged (full access to the host): set privileged=False and grant only the "
               f"capabilities, devices and read-only host mounts it needs (ServiceArgs cap_add/devices/host_mounts).",
               None)
    for key, arg in NAMESPACES.items():
        if prop(args.props, key) != "host" or (key, service) in HOST_NAMESPACE_EXCEPTIONS:
            continue
        report(f"{what} uses the host's namespace ({arg}='host'), which only node-exporter may do (pid_mode); "
               f"remove {arg} from its ServiceArgs.", None)


isolation = ResourceValidationPolicy(
    name="no-privileged-no-host-namespace",
    description="No privileged container and no host PID/network/IPC namespace, except node-exporter's PID.",
    validate=check_isolation,
    enforcement_level=EnforcementLevel.MANDATORY,
)
