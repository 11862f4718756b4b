"""Published ports stay on loopback, except the edge's in prod (Caddy: the one TLS entry point).

Grafana and Kibana are served through the edge (HTTPS, security headers); published directly,
they would be plain HTTP on the internet.
"""

from __future__ import annotations

import ipaddress

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policy.values import CONTAINER, PROD_STACK, describe, mandatory, prop, service_of, stack_of

PUBLIC_IN_PROD = frozenset({"edge"})


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def check_ports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    service = service_of(args.props)
    if service in PUBLIC_IN_PROD and stack_of(args.props) == PROD_STACK:
        return
    what = describe(args.resource_type, args.name, args.props)
    for port in prop(args.props, "ports") or []:
        # No ip: Docker binds every interface.
        address = str(port.get("ip") or "0.0.0.0")
        if is_loopback(address):
            continue
        key = f"publish.{service or '<service>'}.address"
        report(f"{what} publishes port {port.get('external') or port.get('internal')} on {address}: only the edge "
               f"(Caddy, HTTPS) in prod may be reached from outside the host; serve it through the edge and "
               f"`pulumi config set --path {key} 127.0.0.1` (or remove the publish entry).", None)


ports_on_loopback = mandatory(
    "ports-on-loopback",
    "No port published beyond loopback, except the edge's (Caddy) in prod.",
    check_ports,
)
