"""The list-valued parts of a container's arguments, built from ServiceArgs (components/service_args.py)."""

from __future__ import annotations

import pulumi_docker as docker

from components.service_args import ServiceArgs
from settings.catalog import PROJECT_LABEL, SERVICE_LABEL, STACK_LABEL


def label_map(args: ServiceArgs) -> dict[str, str]:
    """Which project, stack and service a container or Swarm service belongs to (doctor, cAdvisor, Fluent Bit)."""
    return {PROJECT_LABEL: args.project, STACK_LABEL: args.stack, SERVICE_LABEL: args.service}


def labels(args: ServiceArgs) -> list[docker.ContainerLabelArgs]:
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in label_map(args).items()]


def networks(args: ServiceArgs) -> list[docker.ContainerNetworksAdvancedArgs] | None:
    """The stack network (reached by the service's name), then any other it joins; none on the host's."""
    if args.network_mode:
        return None
    return [docker.ContainerNetworksAdvancedArgs(name=args.network_name, aliases=[args.service])] + [
        docker.ContainerNetworksAdvancedArgs(name=n.name, aliases=[args.service], ipv4_address=n.ipv4_address)
        for n in args.networks]


def ports(args: ServiceArgs) -> list[docker.ContainerPortArgs] | None:
    publish = args.settings.publish
    ports = []
    if publish is not None and args.container_port is not None:
        ports.append(docker.ContainerPortArgs(internal=args.container_port, external=publish.host_port,
                                              ip=publish.bind_address))
    ports += [docker.ContainerPortArgs(internal=p.internal, external=p.external, ip=p.address) for p in args.ports]
    return ports or None


def volumes(args: ServiceArgs) -> list[docker.ContainerVolumeArgs] | None:
    volumes = [docker.ContainerVolumeArgs(volume_name=v.volume_name, container_path=v.container_path,
                                          read_only=v.read_only) for v in args.volumes]
    volumes += [docker.ContainerVolumeArgs(host_path=m.host_path, container_path=m.container_path,
                                           read_only=m.read_only) for m in args.host_mounts if m.propagation is None]
    return volumes or None


def propagated_mounts(args: ServiceArgs) -> list[docker.ContainerMountArgs] | None:
    """Host paths with a mount propagation (`rslave`): `volumes` cannot say it, `mounts` can."""
    mounts = [docker.ContainerMountArgs(type="bind", source=m.host_path, target=m.container_path,
                                        read_only=m.read_only,
                                        bind_options=docker.ContainerMountBindOptionsArgs(propagation=m.propagation))
              for m in args.host_mounts if m.propagation is not None]
    return mounts or None
