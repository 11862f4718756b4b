"""The Engine API proxy's HAProxy configuration on a Swarm (pure): Prometheus' discovery reads, nothing else.

docker-socket-proxy's own sections are too wide for discovery: `SERVICES=1` and `TASKS=1` allow every
path under /services and /tasks (its haproxy.cfg: `^(/v[\\d\\.]+)?(/\\w+)?/services` ...), i.e. one
service's spec, `/services/<id>/logs` and `/tasks/<id>/logs` (the platform's logs). Prometheus'
`dockerswarm_sd_configs` lists nodes, services, tasks and networks, and negotiates the API version
(`/_ping`, `/version`) (prometheus v2.42.0 discovery/moby/{nodes,services,tasks,network,dockerswarm}.go;
newer releases also inspect task containers, which is refused here and skipped by Prometheus). This file
replaces the image's: GET (or HEAD) of exactly those list paths, with any query string (the filters);
everything else is 403. The lists still carry each service's spec (its environment too): Docker has no
narrower read, so no service of the stack takes a secret from its environment (policy
swarm-service-hardening), and the platform's services should not either (docs/scale-out.md).
Valid for the image's HAProxy 3.2 and Debian's 2.6 (`haproxy -c` in tests/config/test_docker_api_proxy.py).
"""

from __future__ import annotations

CONFIG_PATH = "/usr/local/etc/haproxy/christmas-discovery.cfg"
# The image's ENTRYPOINT (docker-entrypoint.sh) adds `-W -db` when the command starts with haproxy.
COMMAND = ["haproxy", "-f", CONFIG_PATH]
SOCKET = "/var/run/docker.sock"
# Exactly what Prometheus' Swarm discovery asks for.
ALLOWED_PATHS = ("_ping", "version", "nodes", "services", "tasks", "networks")


def render_haproxy_cfg(port: int, socket: str = SOCKET) -> str:
    allowed = "|".join(ALLOWED_PATHS)
    return f"""# Engine API for Prometheus' Swarm discovery only (render/docker_api.py).
global
    log stdout format raw daemon info

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout http-request 10s
    timeout connect 10s
    timeout client 1m
    timeout server 1m

frontend discovery
    bind :{int(port)}
    http-request deny unless METH_GET
    http-request deny unless {{ path -m reg ^(/v[0-9]+[.][0-9]+)?/({allowed})$ }}
    default_backend engine

backend engine
    server engine {socket}
"""
