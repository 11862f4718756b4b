"""Per-service settings keyed by the catalog: `images.<s>`, `memoryMb.<s>`, `cpus.<s>`, `publish.<s>`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from settings import grammar as g
from settings.catalog import CATALOG, CONTAINER_PORTS, SERVICES
from settings.declare import read_object, unknown_keys
from settings.problems import Problems, fix_command


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the Docker host."""

    host_port: int
    bind_address: str


@dataclass(frozen=True)
class ServiceSettings:
    image: str
    memory_mb: int
    cpus: float
    publish: PublishedPort | None


@dataclass(frozen=True)
class MapSetting:
    """One per-service setting: its key, the rule of its value, doc and example."""

    key: str
    kind: type
    check: g.Check | Any
    doc: str
    example: str


MAP_SETTINGS: tuple[MapSetting, ...] = (
    MapSetting("images", str, g.pinned_image, "image with an exact version tag", "grafana/grafana:11.6.3"),
    # Below 16 MB no image of the stack starts; Docker refuses less than 6 MB.
    MapSetting("memoryMb", int, g.between(16, 262144), "memory limit in MB (no extra swap)", "1024"),
    MapSetting("cpus", float, g.between(0.05, 64), "CPU quota in cores", "0.5"),
)


# The object of published ports (`publish.<service>`), beside MAP_SETTINGS' objects.
PUBLISH = "publish"
# Every top-level key the per-service settings take.
SERVICE_KEYS: tuple[str, ...] = (*(s.key for s in MAP_SETTINGS), PUBLISH)


def _value(setting: MapSetting, service: str, given: Mapping[str, Any], default: Any, problems: Problems) -> Any:
    if service not in given:
        return default
    value, key = given[service], f"{setting.key}.{service}"
    if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, setting.kind) or isinstance(value, bool):
        problems.add(key, f"must be a {setting.kind.__name__}, got {value!r}", fix_command(key, _shown(default)))
        return default
    wrong = (g.control_characters(value) if isinstance(value, str) else None) or setting.check(value)
    if wrong:
        # The fix is this service's own default (another service's example image would be accepted
        # and still be wrong).
        problems.add(key, f"{wrong}, got {value!r}", fix_command(key, _shown(default)))
        return default
    return value


def _shown(default: Any) -> str:
    return f"{default:g}" if isinstance(default, float) else str(default)


def _publish(service: str, entry: Any, problems: Problems) -> PublishedPort | None:
    key = f"publish.{service}"
    # The service's own port as the suggestion: 3000 for every service clashed with Grafana's.
    port_fix = fix_command(f"{key}.port", str(CONTAINER_PORTS[service]))
    if not isinstance(entry, dict):
        problems.add(key, "must be an object {port, address}", port_fix)
        return None
    unknown_keys(key, entry, ["port", "address"], problems)
    port, address = entry.get("port"), entry.get("address", "127.0.0.1")
    if port is None:
        problems.add(f"{key}.port", "is required when the service is published", port_fix)
        return None
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        problems.add(f"{key}.port", f"must be between 1 and 65535, got {port!r}",
                     port_fix)
        return None
    wrong = g.ipv4(address) if isinstance(address, str) else "must be an IPv4 address such as 127.0.0.1"
    if wrong:
        problems.add(f"{key}.address", f"{wrong}, got {address!r}", fix_command(f"{key}.address", "127.0.0.1"))
        return None
    return PublishedPort(host_port=port, bind_address=address)


def parse_services(raw: Mapping[str, str], problems: Problems) -> dict[str, ServiceSettings]:
    given = {s.key: read_object(raw, s.key, problems) for s in MAP_SETTINGS}
    publish = read_object(raw, PUBLISH, problems)
    for setting in MAP_SETTINGS:
        unknown_keys(setting.key, given[setting.key], list(SERVICES), problems)
    unknown_keys(PUBLISH, publish, list(CONTAINER_PORTS), problems)
    services: dict[str, ServiceSettings] = {}
    for service in SERVICES:
        spec = CATALOG[service]
        image, memory, cpus = (
            _value(setting, service, given[setting.key], default, problems)
            for setting, default in zip(MAP_SETTINGS, (spec.image, spec.memory_mb, spec.cpus), strict=True))
        published = _publish(service, publish[service], problems) if service in publish else None
        services[service] = ServiceSettings(image=image, memory_mb=memory, cpus=cpus, publish=published)
    return services


def same_binding(a: PublishedPort, b: PublishedPort) -> bool:
    """Docker refuses the second of two bindings of one port on the same address, or on any address
    once 0.0.0.0 holds it."""
    return a.host_port == b.host_port and ("0.0.0.0" in (a.bind_address, b.bind_address)
                                           or a.bind_address == b.bind_address)


def neighbour_holder(other_stack: str, key: str) -> str:
    """Who holds a port in another stack: its edge (`edge.httpsPort`) or a published service."""
    return f"stack '{other_stack}' " + (key if key.startswith("edge.") else f"publish.{key}")


def port_clashes(stack: str, services: Mapping[str, ServiceSettings],
                 neighbours: Mapping[str, Mapping[str, PublishedPort]], problems: Problems) -> None:
    """One host port per published service, in this stack and in the stacks sharing its Docker host.

    Docker refuses a second binding of a port on the same address, or on any address once
    0.0.0.0 holds it; `pulumi up` would fail halfway through.
    """
    taken: dict[int, list[tuple[str, PublishedPort]]] = {}
    for other_stack, published in neighbours.items():
        for service, port in published.items():
            taken.setdefault(port.host_port, []).append((neighbour_holder(other_stack, service), port))
    for service, settings in services.items():
        if settings.publish is None:
            continue
        port = settings.publish
        for holder, other in taken.get(port.host_port, []):
            if same_binding(port, other):
                problems.add(f"publish.{service}.port",
                             f"{port.bind_address}:{port.host_port} is already published by {holder} "
                             "on the same Docker host",
                             fix_command(f"publish.{service}.port", "<a free port>"))
        taken.setdefault(port.host_port, []).append((f"publish.{service}", port))
