"""A stand-in of a Swarm manager's Docker Engine API on loopback, for Prometheus' dockerswarm discovery.

It answers what Prometheus v2.42.0 (discovery/moby/, Docker client v20.10.23) asks: `HEAD/GET /_ping`
(API version negotiation), `GET /version`, then `/v1.41/nodes`, `/services`, `/tasks`, `/networks`,
with the objects shaped as the Engine API v1.41 returns them (swarm.Node, swarm.Service, swarm.Task,
types.NetworkResource: the fields discovery/moby reads, and the usual ones around them). Checked once
(2026-11-28) with jsonschema against moby v20.10.23 api/swagger.yaml (API 1.41), unknown fields refused:
no error, after adding the fields the daemon's Go types emit and that swagger omits (Task.NetworksAttachments,
TaskStatus.PortStatus, Network ConfigFrom/ConfigOnly). The cluster is a mutable model: tests stop tasks
and scale services while Prometheus watches.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "1.41"
CREATED = "2026-11-28T12:00:00.000000000Z"
_PATH = re.compile(r"^(?:/v\d+\.\d+)?(/[a-z_]+)(?:\?.*)?$")


@dataclass
class Node:
    id: str
    hostname: str
    address: str
    role: str = "worker"
    availability: str = "active"
    state: str = "ready"
    labels: dict[str, str] = field(default_factory=dict)
    # What Status.Addr says when it is not the node's address: a manager can report 0.0.0.0
    # (prometheus/prometheus#11060); its ManagerStatus.Addr still holds the address.
    reported_address: str | None = None


@dataclass
class Network:
    id: str
    name: str
    ingress: bool = False
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Service:
    id: str
    name: str
    mode: str  # "replicated" or "global"
    replicas: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    image: str = "example/image:1.0.0"
    # Published TCP ports (ingress mode): the tasks are then also attached to the ingress network.
    published: tuple[int, ...] = ()


@dataclass
class Task:
    id: str
    service_id: str
    node_id: str
    slot: int  # 0 for a global service's task (the field is omitted then, as Docker does)
    # Network id -> the task's address on it ("127.0.1.5/8").
    addresses: dict[str, str]
    desired_state: str = "running"
    state: str = "running"


def _ident(prefix: str, n: int) -> str:
    # Docker ids: 25 lower-case alphanumerics for swarm objects.
    return f"{prefix}{n:0>{25 - len(prefix)}}"


@dataclass
class Cluster:
    nodes: list[Node] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return _ident(prefix, next(self._ids))

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def tasks_of(self, name: str) -> list[Task]:
        service = self.service(name)
        return [t for t in self.tasks if t.service_id == service.id]

    # ----------------------------------------------------------------- the Engine API's JSON

    def node_json(self, n: Node) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ID": n.id, "Version": {"Index": 10}, "CreatedAt": CREATED, "UpdatedAt": CREATED,
            "Spec": {"Labels": n.labels, "Role": n.role, "Availability": n.availability},
            "Description": {"Hostname": n.hostname, "Platform": {"Architecture": "x86_64", "OS": "linux"},
                            "Resources": {"NanoCPUs": 2_000_000_000, "MemoryBytes": 8_589_934_592},
                            "Engine": {"EngineVersion": "27.3.1", "Plugins": []}},
            "Status": {"State": n.state, "Addr": n.reported_address or n.address},
        }
        if n.role == "manager":
            body["ManagerStatus"] = {"Leader": True, "Reachability": "reachable", "Addr": f"{n.address}:2377"}
        return body

    def network_json(self, net: Network) -> dict[str, Any]:
        return {"Name": net.name, "Id": net.id, "Created": CREATED, "Scope": "swarm", "Driver": "overlay",
                "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": {}, "Config": []},
                "Internal": False, "Attachable": not net.ingress, "Ingress": net.ingress,
                "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {},
                "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4097"}, "Labels": net.labels}

    def _ports(self, s: Service) -> list[dict[str, Any]]:
        return [{"Protocol": "tcp", "TargetPort": p, "PublishedPort": p, "PublishMode": "ingress"}
                for p in s.published]

    def service_json(self, s: Service) -> dict[str, Any]:
        mode = {"Replicated": {"Replicas": s.replicas}} if s.mode == "replicated" else {"Global": {}}
        networks = sorted({net for t in self.tasks if t.service_id == s.id for net in t.addresses})
        endpoint: dict[str, Any] = {"Spec": {"Mode": "vip", "Ports": self._ports(s)}, "Ports": self._ports(s),
                                    "VirtualIPs": [{"NetworkID": net, "Addr": "10.0.0.2/24"} for net in networks]}
        return {
            "ID": s.id, "Version": {"Index": 20}, "CreatedAt": CREATED, "UpdatedAt": CREATED,
            "Spec": {"Name": s.name, "Labels": s.labels,
                     "TaskTemplate": {"ContainerSpec": {"Image": s.image, "Labels": {}},
                                      "Networks": [{"Target": n} for n in networks], "ForceUpdate": 0,
                                      "Runtime": "container"},
                     "Mode": mode, "EndpointSpec": {"Mode": "vip", "Ports": self._ports(s)}},
            "Endpoint": endpoint,
        }

    def task_json(self, t: Task) -> dict[str, Any]:
        service = next(s for s in self.services if s.id == t.service_id)
        body: dict[str, Any] = {
            "ID": t.id, "Version": {"Index": 30}, "CreatedAt": CREATED, "UpdatedAt": CREATED, "Labels": {},
            "Spec": {"ContainerSpec": {"Image": service.image, "Labels": {"com.docker.stack.namespace": "x"}},
                     "Networks": [{"Target": n} for n in t.addresses], "ForceUpdate": 0},
            "ServiceID": t.service_id, "NodeID": t.node_id,
            "Status": {"Timestamp": CREATED, "State": t.state, "Message": t.state,
                       "ContainerStatus": {"ContainerID": f"{t.id}{t.id}"[:64], "PID": 4242, "ExitCode": 0},
                       "PortStatus": {}},
            "DesiredState": t.desired_state,
            "NetworksAttachments": [
                {"Network": {"ID": net, "Version": {"Index": 5}, "CreatedAt": CREATED, "UpdatedAt": CREATED,
                             "Spec": {"Name": self._network_name(net), "Labels": {},
                                      "DriverConfiguration": {"Name": "overlay"}, "Scope": "swarm"}},
                 "Addresses": [address]}
                for net, address in t.addresses.items()],
        }
        if t.slot:
            body["Slot"] = t.slot
        return body

    def _network_name(self, network_id: str) -> str:
        return next(n.name for n in self.networks if n.id == network_id)

    def answer(self, path: str) -> Any:
        with self.lock:
            if path == "/nodes":
                return [self.node_json(n) for n in self.nodes]
            if path == "/services":
                return [self.service_json(s) for s in self.services]
            if path == "/tasks":
                return [self.task_json(t) for t in self.tasks]
            if path == "/networks":
                return [self.network_json(n) for n in self.networks]
            if path == "/version":
                return {"Version": "27.3.1", "ApiVersion": API_VERSION, "MinAPIVersion": "1.24", "Os": "linux",
                        "Arch": "amd64", "KernelVersion": "6.1.0"}
        return None


class EngineApi:
    """The HTTP server in a thread; `requests` records every path asked (version prefix removed)."""

    def __init__(self, cluster: Cluster, port: int) -> None:
        self.cluster = cluster
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _route(self, with_body: bool) -> None:
                match = _PATH.match(self.path)
                endpoint = match.group(1) if match else self.path
                api.requests.append(endpoint)
                if endpoint == "/_ping":
                    body = b"OK"
                    content_type = "text/plain; charset=utf-8"
                else:
                    data = cluster.answer(endpoint)
                    if data is None:
                        self.send_error(404, f"page not found: {self.path}")
                        return
                    body, content_type = json.dumps(data).encode(), "application/json"
                self.send_response(200)
                self.send_header("Api-Version", API_VERSION)
                self.send_header("Ostype", "linux")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._route(with_body=True)

            def do_HEAD(self) -> None:
                self._route(with_body=False)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
