"""The whole stack component (components/stack.py) under mocks: what `pulumi up` creates per stack, the
outputs an operator reads, the order the areas start in, and the addresses of the data volumes' state."""

from __future__ import annotations

from collections import Counter

import pulumi_docker as docker
import pytest
import yaml

from components.stack import _gateway, edge_serves_grafana_api
from offline.mocks import ProgramRun
from settings.catalog import CATALOG
from tests.conftest import stack_settings
from tests.unit.components.program import container, uploads

URLS = {
    "dev": {"grafana_url": "https://grafana.localhost:18443", "prometheus_url": "http://localhost:19090",
            "alertmanager_url": "http://localhost:19093", "kibana_url": "https://kibana.localhost:18443"},
    "prod": {"grafana_url": "https://grafana.christmas-trading.com", "prometheus_url": "http://localhost:9090",
             "alertmanager_url": "http://localhost:9093", "kibana_url": "https://kibana.christmas-trading.com"},
    # On a Swarm only the edge is published and no edge URL is set for Prometheus or Alertmanager.
    "swarm": {"grafana_url": "https://grafana.christmas-trading.com", "prometheus_url": None,
              "alertmanager_url": None, "kibana_url": "https://kibana.christmas-trading.com"},
}


@pytest.mark.parametrize("stack", ["dev", "prod", "swarm"])
def test_the_stack_outputs_are_where_operators_open_each_ui_in_clear(stack, request):
    run: ProgramRun = request.getfixturevalue(f"{stack}_run")
    urls = {k: value for k, (value, secret) in run.exports.items() if k.endswith("_url") and not secret}
    assert urls == URLS[stack]
    # Besides the URLs only dev's generated passwords, each a secret (tests/unit/components/test_secrets.py).
    others = {k for k, (_value, secret) in run.exports.items() if not k.endswith("_url") and not secret}
    assert others == set()
    assert (stack == "dev") == any(secret for _value, secret in run.exports.values())


# What `pulumi up` creates on an empty host, by kind: a new or vanished resource is a change an operator
# sees in the preview, and is made on purpose.
COUNTS = {
    # 13 long-running containers (+ the second Alertmanager peer in prod) and 4 one-shot jobs; one image each.
    "dev": {"docker:index/container:Container": 17, "docker:index/remoteImage:RemoteImage": 17,
            "docker:index/volume:Volume": 8, "docker:index/network:Network": 2,
            "random:index/randomPassword:RandomPassword": 9, "docker:index/service:Service": 0, "total": 92},
    "prod": {"docker:index/container:Container": 18, "docker:index/remoteImage:RemoteImage": 18,
             "docker:index/volume:Volume": 9, "docker:index/network:Network": 3,
             "random:index/randomPassword:RandomPassword": 0, "docker:index/service:Service": 0, "total": 88},
    # Each node pulls its images and creates its volumes; files are configs and secrets, each named by a RandomId.
    # The edge's Caddyfile is a secret (it holds Prometheus' password for Grafana's datasource guard).
    "swarm": {"docker:index/container:Container": 0, "docker:index/remoteImage:RemoteImage": 0,
              "docker:index/volume:Volume": 0, "docker:index/network:Network": 4,
              "random:index/randomPassword:RandomPassword": 0, "docker:index/service:Service": 18,
              "docker:index/serviceConfig:ServiceConfig": 20, "docker:index/secret:Secret": 26,
              "random:index/randomId:RandomId": 46, "total": 154},
}


@pytest.mark.parametrize("stack", ["dev", "prod", "swarm"])
def test_what_pulumi_up_creates_per_stack(stack, request):
    run: ProgramRun = request.getfixturevalue(f"{stack}_run")
    counts = Counter(r.type for r in run.resources)
    assert {kind: counts[kind] for kind in COUNTS[stack] if kind != "total"} | {"total": len(run.resources)} \
        == COUNTS[stack]


# A data volume's URN is its address in the state: a volume that moved to another parent or name would be
# a new one to Pulumi (delete and create), which `protect` refuses in prod. These stay as they are.
PROD_VOLUMES = {
    "Metrics": ["prometheus-data"], "Grafana": ["grafana-data"], "Edge": ["edge-data"], "Backups": ["backups-data"],
    "Alerting": ["alertmanager-data", "alertmanager-1-data"],
    "Logging": ["elasticsearch-data", "elasticsearch-snapshots", "fluent-bit-data"],
}


def test_the_prod_data_volumes_keep_their_addresses_in_the_state(prod_run):
    urns = sorted(v.urn for v in prod_run.of_type("docker:index/volume:Volume"))
    assert urns == sorted(
        f"urn:pulumi:prod::christmas-monitoring::christmas:monitoring:{area}$docker:index/volume:Volume::{name}"
        for area, names in PROD_VOLUMES.items() for name in names)


def test_the_edge_starts_after_what_it_serves_and_the_backups_after_what_they_copy(run):
    def waits_for(dependent: str, *services: str) -> bool:
        return {container(run, s).urn for s in services} <= set(container(run, dependent).dependencies)

    # No 502 from a fresh edge; no backup of a volume its service has not initialised.
    assert waits_for("edge", "grafana", "kibana")
    assert waits_for("backups", "prometheus", "grafana")
    assert waits_for("grafana", "prometheus", "elasticsearch")


def test_on_one_host_pulumi_manages_grafana_through_its_published_port_not_the_edge(run):
    # The edge may still be waiting for its ACME certificate: dashboards do not wait for it.
    [provider] = run.of_type("pulumi:providers:grafana")
    assert container(run, "edge").urn not in provider.dependencies
    assert not edge_serves_grafana_api(stack_settings("prod")) and not edge_serves_grafana_api(stack_settings("dev"))


def test_node_exporter_is_reached_at_the_stack_networks_ipv4_gateway(dev_run):
    # The mocks' stack network has the gateway 172.30.0.1 (offline/mocks.py), as Docker would assign one.
    config = yaml.safe_load(uploads(dev_run, "prometheus")["/etc/prometheus/prometheus.yml"])
    scrape = CATALOG["node-exporter"].scrape
    assert scrape is not None
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == scrape.job]
    assert [t for c in job["static_configs"] for t in c["targets"]] == ["172.30.0.1:9100"]
    # Docker may list the IPv6 configuration first; Prometheus' target is host:port, without brackets.
    configs = [docker.outputs.NetworkIpamConfig(subnet="fd00::/64", gateway="fd00::1"),
               docker.outputs.NetworkIpamConfig(subnet="172.18.0.0/16", gateway="172.18.0.1")]
    assert _gateway(configs) == "172.18.0.1"
    with pytest.raises(ValueError, match="no IPv4 gateway"):
        _gateway([docker.outputs.NetworkIpamConfig(subnet="fd00::/64", gateway="fd00::1")])
