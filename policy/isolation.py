"""No privileged container and no host namespace, but for the documented exceptions.

The exceptions: node-exporter shares the host's PID and network namespaces, so that process,
CPU and network counters are the host's (docs/images.md, the node_exporter README's "Docker"
section). It is recognised by its service label, and on the host network it must listen on
one address (the stack network's gateway), never on every interface of the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policy.values import CONTAINER, describe, mandatory, prop, service_of

# (namespace property, service) pairs allowed to be "host".
HOST_NAMESPACE_EXCEPTIONS = frozenset({("pidMode", "node-exporter"), ("networkMode", "node-exporter")})
LISTEN_FLAG = "--web.listen-address="
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
        report(f"{what} uses the host's namespace ({arg}='host'), which only node-exporter may do "
               f"(pid_mode, network_mode); remove {arg} from its ServiceArgs.", None)
    on_host_network = prop(args.props, "networkMode") == "host"
    if on_host_network and ("networkMode", service) in HOST_NAMESPACE_EXCEPTIONS \
            and not _listens_on_one_address(args.props):
        report(f"{what} shares the host's network and listens on every interface of the host: pass "
               f"{LISTEN_FLAG}<address>:<port> with the stack network's gateway (components/metrics.py).", None)


def _listens_on_one_address(props: Mapping[str, Any]) -> bool:
    command = prop(props, "command") or []
    flags = [str(a)[len(LISTEN_FLAG):] for a in command if str(a).startswith(LISTEN_FLAG)]
    hosts = [flag.rpartition(":")[0] for flag in flags]
    return bool(hosts) and all(host not in ("", "0.0.0.0", "[::]", "::") for host in hosts)


isolation = mandatory(
    "no-privileged-no-host-namespace",
    "No privileged container and no host PID/network/IPC namespace, except node-exporter's PID "
                "and network (listening on one address).",
    check_isolation,
)
