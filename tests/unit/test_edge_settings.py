"""The edge's settings: every public URL is one Caddy can serve, certificates, gossip, port clashes."""

from __future__ import annotations

import json

import pytest

from offline.mocks import PROJECT_DIR
from render.caddy import is_site_host
from settings import grammar_edge as ge
from settings.model import PROJECT, SettingsError, parse_settings
from settings.neighbours import neighbour_ports
from settings.services import PublishedPort
from tests.conftest import stack_config


def raw(stack: str = "prod", **sections: dict[str, object]) -> tuple[dict[str, str], frozenset[str]]:
    config, secret_keys = stack_config(stack)
    config = dict(config)
    for key, changes in sections.items():
        config[key] = json.dumps({**json.loads(config.get(key, "{}")), **changes})
    return config, frozenset(secret_keys)


def error(stack: str = "prod", extra: dict[str, str] | None = None, **sections: dict[str, object]) -> str:
    config, secret_keys = raw(stack, **sections)
    config.update(extra or {})
    with pytest.raises(SettingsError) as caught:
        parse_settings(PROJECT, stack, config, secret_keys | set(extra or {}))
    return str(caught.value)


@pytest.mark.parametrize("url", [
    "http://grafana.christmas-trading.com",           # plain HTTP would bypass the edge's TLS
    "https://grafana.christmas-trading.com:8443",     # not the edge's HTTPS port
    "https://10.0.0.5",                               # an address: no certificate from ACME
    "https://grafana_1.example.com",                  # `_`: refused by public CAs
    "https://grafana.example.com/grafana",            # a path: the edge serves a host, not a prefix
])
def test_a_grafana_url_the_edge_cannot_serve_is_refused(url):
    message = error(grafana={"rootUrl": url})
    assert "grafana.rootUrl" in message and "https URL on a DNS name at the edge's HTTPS port (443)" in message


def test_two_services_on_one_host_name_are_refused():
    message = error(edge={"prometheusUrl": "https://grafana.christmas-trading.com"})
    assert "edge.prometheusUrl: uses the host grafana.christmas-trading.com of grafana.rootUrl" in message


def test_a_given_certificate_needs_both_secrets():
    message = error(edge={"tls": "files"})
    assert "tlsCertificate: is required when edge.tls is files" in message
    assert "pulumi config set --secret tlsKey < privkey.pem" in message


def test_a_certificate_that_is_not_pem_is_refused_without_showing_it():
    message = error(extra={"tlsCertificate": "not-a-certificate-secret-text", "tlsKey": "nor-a-key-secret-text"},
                    edge={"tls": "files"})
    assert "tlsCertificate: must be a PEM certificate" in message and "tlsKey: must be a PEM private key" in message
    assert "secret-text" not in message


def test_two_alertmanager_peers_need_a_gossip_subnet():
    config, secret_keys = raw("prod")
    alerting = json.loads(config["alerting"])
    del alerting["gossipSubnet"]
    config["alerting"] = json.dumps(alerting)
    with pytest.raises(SettingsError, match=r"alerting\.gossipSubnet: is required with 2 or more"):
        parse_settings(PROJECT, "prod", config, secret_keys)


@pytest.mark.parametrize("subnet", ["172.30.94.0/30", "172.30.94.1/28", "172.30.94.0", "fd00::/64", "x"])
def test_a_gossip_subnet_docker_cannot_use_for_five_peers_is_refused(subnet):
    assert "alerting.gossipSubnet" in error(alerting={"gossipSubnet": subnet})


def test_a_basic_auth_password_longer_than_bcrypt_reads_is_refused():
    message = error(extra={"prometheusPassword": "p" * 73})
    assert "prometheusPassword: must be at most 72 bytes" in message and "p" * 73 not in message


@pytest.mark.parametrize("host", ["grafana.example.com", "a-b.c", "xn--bcher-kva.example", "grafana.localhost",
                                  "grafana_1.example.com", "-a.example.com", "a..b", "1.2.3.4", "{$HOME}.x",
                                  "a b.example.com", "a" * 64 + ".example.com", ""])
def test_the_settings_grammar_and_the_caddyfile_renderer_agree_on_host_names(host):
    # What settings accept, the renderer writes (and caddy validate accepts: tests/config/test_caddy.py).
    assert (ge.dns_name(host) is None) == is_site_host(host)
    assert is_site_host(host) == (host in ("grafana.example.com", "a-b.c", "xn--bcher-kva.example",
                                           "grafana.localhost"))


# --------------------------------------------------------------------------- one Docker host, two stacks


def test_dev_and_prod_edges_share_a_host_without_clashing():
    config, secret_keys = raw("dev")
    neighbours = neighbour_ports(PROJECT, "dev", PROJECT_DIR)
    assert neighbours["prod"]["edge.httpsPort"] == PublishedPort(443, "0.0.0.0")
    parse_settings(PROJECT, "dev", config, secret_keys, neighbours)


def test_an_edge_port_taken_by_the_other_stacks_edge_is_refused():
    config, secret_keys = raw("dev", edge={"httpsPort": 443, "httpPort": 18080},
                              grafana={"rootUrl": "https://grafana.localhost"},
                              logging={"kibanaPublicBaseUrl": "https://kibana.localhost"})
    with pytest.raises(SettingsError) as caught:
        parse_settings(PROJECT, "dev", config, secret_keys, neighbour_ports(PROJECT, "dev", PROJECT_DIR))
    assert "edge.httpsPort: 127.0.0.1:443 is already published by stack 'prod' edge.httpsPort" in str(caught.value)


def test_a_service_published_on_the_other_stacks_edge_port_names_that_edge():
    config, secret_keys = raw("dev", publish={"grafana": {"port": 443, "address": "127.0.0.1"}})
    with pytest.raises(SettingsError) as caught:
        parse_settings(PROJECT, "dev", config, secret_keys, neighbour_ports(PROJECT, "dev", PROJECT_DIR))
    assert "publish.grafana.port: 127.0.0.1:443 is already published by stack 'prod' edge.httpsPort" \
        in str(caught.value)


def test_an_edge_port_taken_by_a_published_service_is_refused():
    message = error("dev", edge={"httpPort": 13000})
    assert "edge.httpPort: 127.0.0.1:13000 is already published by publish.grafana" in message


def _problems(stack: str, config: dict[str, str], secret_keys: frozenset[str]) -> str:
    try:
        parse_settings(PROJECT, stack, config, secret_keys)
    except SettingsError as caught:
        return str(caught)
    return ""


def _accepted_or_refused(stack: str, config: dict[str, str], secret_keys: frozenset[str], accepted: bool,
                         refusal: str) -> None:
    """No problem when `accepted`; else the refusal is among the problems, as the operator reads it."""
    problems = _problems(stack, config, secret_keys)
    if accepted:
        assert problems == ""
    else:
        assert refusal in problems


@pytest.mark.parametrize(("pool", "accepted"), [
    ("10.0.0.0/8", True), ("192.168.0.0/16", True), ("10.20.30.0/24", True),  # at least one /24, Swarm's per network
    ("10.20.30.0/25", False), ("10.20.30.128/25", False),                  # smaller than one /24
    ("10.0.0.1/8", False),                                                   # host bits set: not a network
    ("10.0.0.0", False), ("10.0.0.0/33", False), ("pool", False),
])
def test_the_swarm_address_pool_must_hold_a_24(pool, accepted):
    config, secret_keys = stack_config("swarm")
    _accepted_or_refused("swarm", {**config, "swarmAddressPool": pool}, frozenset(secret_keys), accepted,
                         f"  - swarmAddressPool: must be an IPv4 subnet in CIDR form of /24 or larger, such as "
                         f"10.0.0.0/8, got '{pool}'\n      fix: pulumi config set swarmAddressPool 10.128.0.0/9")


@pytest.mark.parametrize(("url", "accepted"), [
    ("https://acme-staging-v02.api.letsencrypt.org/directory", True),
    ("https://ca.internal.example:9000/acme/acme/directory", True),   # a private CA (step-ca) on its own port
    ("", True),                                                        # empty: Caddy's own default
    ("http://ca.internal.example/directory", False),                  # the account key would travel in clear
    ("https://ca.internal.example/~acme/directory", False),           # `~` is a URL character, not a plain token
    ("https://ca.internal.example/acme%20dir", False),
    ("https://ca.internal.example/directory?x=1", False),
])
def test_another_acme_directory_is_an_https_url_caddy_reads_as_one_token(url, accepted):
    config, secret_keys = raw(edge={"acmeCa": url})
    _accepted_or_refused("prod", config, secret_keys, accepted,
                         f"  - edge.acmeCa: must be an https ACME directory URL such as "
                         f"https://acme-staging-v02.api.letsencrypt.org/directory, got '{url}'")


@pytest.mark.parametrize(("subnet", "accepted"), [
    ("172.16.94.0/28", True), ("172.16.94.8/29", True),    # /29: 8 addresses, 6 hosts (gateway and 5 peers)
    ("172.16.94.0/30", False),                            # 2 hosts
    ("172.16.94.1/28", False),                            # host bits set: Docker refuses it as a subnet
    ("172.16.94.0", False),                               # an address, not a subnet
])
def test_the_gossip_subnet_holds_the_gateway_and_five_peers(subnet, accepted):
    config, secret_keys = raw(alerting={"gossipSubnet": subnet})
    _accepted_or_refused("prod", config, secret_keys, accepted,
                         f"  - alerting.gossipSubnet: must be an IPv4 subnet in CIDR form with room for 6 hosts, "
                         f"such as 172.16.94.0/28, got '{subnet}'")
