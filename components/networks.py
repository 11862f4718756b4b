"""The stack's Docker networks, and how a workload names one (components/stack.py, components/metrics.py)."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.swarm_service import ENCRYPTED_OVERLAY
from settings.catalog import PURPOSE_LABEL, STACK_LABEL
from settings.model import StackSettings


def network_ref(s: StackSettings, network: docker.Network) -> pulumi.Output[str]:
    """How a workload names a network: by name on one host; by ID on a Swarm, where Docker stores a
    service's networks by ID (moby daemon/cluster/networks.go populateNetworkID) and the provider reads
    the ID back into `networks_advanced.id`, which forces replacement when it differs
    (terraform-provider-docker internal/provider/resource_docker_service.go: `ForceNew`, and "Using the
    name attribute of the docker network will lead to constant replacements";
    resource_docker_service_structures.go flattenTaskNetworksAdvanced: `m["id"] = v.Target`)."""
    return network.id if s.swarm else network.name


def stack_network(name: str, s: StackSettings, docker_name: str, purpose: str,
                  opts: pulumi.ResourceOptions, internal: bool | None = None,
                  subnet: str | None = None) -> docker.Network:
    """One of the stack's networks; `subnet` fixes a bridge's addresses (Docker assigns an overlay's)."""
    return docker.Network(
        name,
        name=docker_name,
        # On a Swarm: encrypted overlays spanning the nodes; only the targets network is attachable
        # (the platform's services join it to be scraped), the stack's own admits its services only.
        driver="overlay" if s.swarm else "bridge",
        attachable=(purpose == "targets") if s.swarm else None,
        options=dict(ENCRYPTED_OVERLAY) if s.swarm else None,
        internal=internal,
        ipam_configs=[docker.NetworkIpamConfigArgs(subnet=subnet)] if subnet and not s.swarm else None,
        labels=[docker.NetworkLabelArgs(label=STACK_LABEL, value=s.stack),
                docker.NetworkLabelArgs(label=PURPOSE_LABEL, value=purpose)],
        # Docker adds its own option to an overlay (`com.docker.network.driver.overlay.vxlanid_list`,
        # seen on a real Swarm: tests/engine/test_swarm.py) and the provider reads every option back
        # into `options`, a ForceNew map (terraform-provider-docker resource_docker_network.go,
        # resource_docker_network_funcs.go): without this, declaring `encrypted` would replace the
        # network at every `pulumi up` (the bridge drops ignored paths from the provider's diff).
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["options"]))
        if s.swarm else opts,
    )
