"""The edge, basic auth and the networks by purpose, as the whole program declares them (mocks)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import bcrypt
import pytest
import yaml

from offline.mocks import PLACEHOLDERS as P
from offline.mocks import DeclaredResource, ProgramRun, is_secret, plain_strings, run_program, unwrap
from render.caddy import CONFIG_PATH as CADDYFILE
from render.web_config import ALERTMANAGER_WEB_CONFIG, PROMETHEUS_WEB_CONFIG
from tests.conftest import stack_config
from tests.unit.test_program import service

NETWORK = "docker:index/network:Network"


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def container(run: ProgramRun, name: str) -> DeclaredResource:
    [found] = [c for c in run.containers() if service(c) == name]
    return found


def uploads(c: DeclaredResource) -> dict[str, Any]:
    """path -> content as declared (secret wrappers kept, to check which are secret)."""
    raw = c.inputs["uploads"]
    items = raw["value"] if is_secret(raw) else raw
    return {unwrap(u)["file"]: u["content"] for u in items}


def networks(run: ProgramRun, c: DeclaredResource) -> set[str]:
    # node-exporter shares the host's network (network_mode host): it joins no Docker network.
    return {n["name"] for n in unwrap(c.inputs).get("networksAdvanced") or []}


def test_the_edge_runs_caddy_with_only_net_bind_service_and_its_storage_on_a_volume(run):
    edge = unwrap(container(run, "edge").inputs)
    assert edge["command"] == ["caddy", "run", "--config", CADDYFILE, "--adapter", "caddyfile"]
    assert edge["capabilities"] == {"drops": ["ALL"], "adds": ["NET_BIND_SERVICE"]}
    assert [v["containerPath"] for v in edge["volumes"]] == ["/data"]
    assert edge["securityOpts"] == ["no-new-privileges:true"]


def test_the_edges_certificates_are_protected_in_prod(prod_run, dev_run):
    assert prod_run.named("edge-data").protect and prod_run.named("edge-data").retain_on_delete
    assert not dev_run.named("edge-data").protect


@pytest.mark.parametrize("server", ["prometheus", "alertmanager"])
def test_prometheus_and_alertmanager_run_with_a_secret_web_config_holding_the_passwords_hash(prod_run, server):
    c = container(prod_run, server)
    path = PROMETHEUS_WEB_CONFIG if server == "prometheus" else ALERTMANAGER_WEB_CONFIG
    assert f"--web.config.file={path}" in unwrap(c.inputs)["command"]
    content = uploads(c)[path]
    assert is_secret(content) or is_secret(c.inputs["uploads"])
    users = yaml.safe_load(unwrap(content))["basic_auth_users"]
    assert list(users) == [server]
    assert bcrypt.checkpw(P[f"{server}Password"].encode(), users[server].encode())


def test_every_file_with_a_password_is_uploaded_secret_and_no_password_is_in_plain_text(prod_run):
    passwords = [P["prometheusPassword"], P["alertmanagerPassword"], P["kibanaOperatorPassword"]]
    for r in prod_run.resources:
        assert not [s for s in plain_strings(r.inputs) if any(p in s for p in passwords)], r.name


def test_the_web_config_is_the_same_on_every_run():
    # `pulumi preview` shows no diff (and no container replacement) when nothing changed.
    config, secret_keys = stack_config("prod")
    first, second = (uploads(container(run_program("prod", config, secret_keys), "prometheus"))
                     for _ in range(2))
    assert unwrap(first[PROMETHEUS_WEB_CONFIG]) == unwrap(second[PROMETHEUS_WEB_CONFIG])


def test_credential_files_belong_to_the_services_user_and_only_it_reads_them(prod_run):
    for name in ("prometheus", "alertmanager"):
        files = {u["file"]: u for u in unwrap(container(prod_run, name).inputs)["uploads"]}
        private = {path for path, u in files.items() if "/secrets/" in path or path.endswith("/web.yml")}
        # Prometheus: web config, its password, Alertmanager's; Alertmanager: web config, its password,
        # and the Slack webhook and SMTP password it reads from files.
        assert len(private) == (3 if name == "prometheus" else 4)
        assert {(files[p].get("owner"), files[p].get("permissions")) for p in private} == {("65534", "0400")}


def test_the_healthchecks_read_the_password_from_an_uploaded_secret_file(prod_run):
    for name in ("prometheus", "alertmanager"):
        c = container(prod_run, name)
        [kind, command] = unwrap(c.inputs)["healthcheck"]["tests"]
        assert kind == "CMD-SHELL" and "base64 -w 0" in command
        assert P[f"{name}Password"] not in command
        password_file = command.split('"$(cat ')[1].split(")")[0]
        assert unwrap(uploads(c)[password_file]) == P[f"{name}Password"]
        assert is_secret(uploads(c)[password_file]) or is_secret(c.inputs["uploads"])


def test_only_prometheus_and_postgres_exporter_join_the_targets_network(run):
    targets = [unwrap(n.inputs)["name"] for n in run.of_type(NETWORK) if unwrap(n.inputs)["name"].endswith("-targets")]
    [name] = targets
    assert {service(c) for c in run.containers() if name in networks(run, c)} == {"prometheus", "postgres-exporter"}


def test_alertmanager_gossip_binds_each_peers_address_on_its_own_network(prod_run):
    [gossip] = [unwrap(n.inputs) for n in prod_run.of_type(NETWORK) if "gossip" in unwrap(n.inputs)["name"]]
    assert gossip["internal"] is True and gossip["ipamConfigs"] == [{"subnet": "172.16.94.0/28"}]
    peers = [unwrap(container(prod_run, name).inputs) for name in ("alertmanager", "alertmanager-1")]
    addresses = [next(n["ipv4Address"] for n in p["networksAdvanced"] if n["name"] == gossip["name"]) for p in peers]
    assert addresses == ["172.16.94.2", "172.16.94.3"]
    for peer, own, other in ((peers[0], addresses[0], addresses[1]), (peers[1], addresses[1], addresses[0])):
        assert f"--cluster.listen-address={own}:9094" in peer["command"]
        assert f"--cluster.peer={other}:9094" in peer["command"]
    # Nothing else is on the gossip network.
    members = {service(c) for c in prod_run.containers() if gossip["name"] in networks(prod_run, c)}
    assert members == {"alertmanager", "alertmanager-1"}


# HMAC-SHA256("derived-password/christmas-monitoring/grafana-datasource-guard") keyed with the placeholder
# prometheusPassword "REDACTED-prometheus-password": what Grafana sends to the edge's datasource guard.
GRAFANA_GUARD_PASSWORD = "349ce0a8e092961f704da92217e33eee1c5fb325c32c4277c200a58144f57d21"


def test_grafana_datasources_send_basic_auth_to_the_guard_and_alertmanager(prod_run):
    """Grafana never holds Prometheus' password (whoever holds it can call the admin API): its Prometheus
    datasource sends a credential of its own to the edge's guard; Alertmanager's gets Alertmanager's."""
    for uid, user, password in (("prometheus", "grafana", GRAFANA_GUARD_PASSWORD),
                                ("alertmanager", "alertmanager", P["alertmanagerPassword"])):
        ds = prod_run.named(f"datasource-{uid}")
        assert unwrap(ds.inputs)["basicAuthEnabled"] is True and unwrap(ds.inputs)["basicAuthUsername"] == user
        assert is_secret(ds.inputs["secureJsonDataEncoded"])
        assert json.loads(unwrap(ds.inputs["secureJsonDataEncoded"])) == {"basicAuthPassword": password}
    assert unwrap(prod_run.named("datasource-prometheus").inputs)["url"] == "http://edge:9091"
    assert P["prometheusPassword"] not in plain_strings(prod_run.named("datasource-prometheus").inputs)
    assert P["prometheusPassword"] not in unwrap(prod_run.named("datasource-prometheus").inputs)[
        "secureJsonDataEncoded"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_edges_caddyfile_guards_prometheus_for_grafana_and_is_a_secret(stack, dev_run, prod_run):
    """The guard accepts Grafana's credential only (its bcrypt hash in the file), answers the admin API
    403 and sends Prometheus' credential upstream: the file holds that credential, so it is root's 0400
    secret upload in every stack, dev's included (where it held no hash before)."""
    run = dev_run if stack == "dev" else prod_run
    edge = container(run, "edge")
    content = uploads(edge)["/etc/caddy/Caddyfile"]
    assert is_secret(content) or is_secret(edge.inputs["uploads"])
    [upload] = [unwrap(u) for u in unwrap(edge.inputs)["uploads"] if unwrap(u)["file"] == "/etc/caddy/Caddyfile"]
    assert (upload["permissions"], upload["owner"]) == ("0400", "0")
    text = unwrap(content)
    guard = text[text.index("http://:9091 {"):]
    guard = guard[:guard.index("\n}\n")]
    [hashed] = re.findall(r"\n\t\tgrafana (\S+)\n", guard)
    assert "\t@refused path /api/v1/admin/*\n\trespond @refused 403\n" in guard
    assert "\treverse_proxy prometheus:9090 {\n\t\theader_up Authorization \"Basic " in guard
    if stack == "prod":  # the placeholders' values (dev generates its passwords)
        assert bcrypt.checkpw(GRAFANA_GUARD_PASSWORD.encode(), base64.b64decode(hashed))
        assert 'header_up Authorization "Basic cHJvbWV0aGV1czpSRURBQ1RFRC1wcm9tZXRoZXVzLXBhc3N3b3Jk"' in guard


def test_prometheus_sends_its_credentials_from_files(prod_run):
    c = container(prod_run, "prometheus")
    config = yaml.safe_load(unwrap(uploads(c)["/etc/prometheus/prometheus.yml"]))
    [am] = config["alerting"]["alertmanagers"]
    files = uploads(c)
    assert unwrap(files[am["basic_auth"]["password_file"]]) == P["alertmanagerPassword"]
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert unwrap(files[jobs["prometheus"]["basic_auth"]["password_file"]]) == P["prometheusPassword"]
    assert jobs["alertmanager"]["basic_auth"] == am["basic_auth"]


def test_the_health_listener_moves_off_the_edges_own_http_port_and_the_healthcheck_follows() -> None:
    """With edge.httpPort 8081 the loopback health listener held that port and Caddy served plain HTTP on
    loopback only (tests/config/test_caddy_readback.py): the listener and the healthcheck take 8082."""
    config, secret_keys = stack_config("prod")
    config["edge"] = json.dumps({**json.loads(config.get("edge", "{}")), "httpPort": 8081})
    run = ProgramRun()
    run_program("prod", config, secret_keys, into=run)
    edge = container(run, "edge")
    caddyfile = unwrap(uploads(edge)[CADDYFILE])
    assert "http://:8082 {" in caddyfile and "http://:8081" not in caddyfile
    test = unwrap(edge.inputs)["healthcheck"]["tests"]
    assert "http://127.0.0.1:8082/healthz" in test
