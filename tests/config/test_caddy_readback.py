"""The Caddyfile read back by its consumer: values drawn from the edge settings' grammars go through the
settings (refused with a key and a fix, or accepted), the renderer, and Debian's `caddy adapt` (2.6.2),
and the adapted JSON holds the same values: every public host (Caddy lower-cases host names, which DNS
and Caddy's host matcher compare without case), its upstream, the HTTP and HTTPS ports, the ACME
e-mail and directory, and a health listener on loopback that takes neither public port.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from render.caddy import GuardCredentials, basic_auth_users, edge_config, guard_port, public_sites, render_caddyfile
from render.web_config import bcrypt_hash
from settings.model import PROJECT, SettingsError, parse_settings
from tests.config.test_caddy import adapt_file, https_server, routes_by_host
from tests.unit.test_edge_settings import raw

HASH = bcrypt_hash("Zq8xW2vN5kT7-a-long-random-password", "christmas-monitoring/prod/readback")

# Mostly the grammars' alphabets (settings/grammar_edge.py dns_name, settings/grammar.py email) with upper
# case, sometimes a character they refuse (`_`, `%`, an all-numeric last label); short labels so that two
# hosts sometimes collide; ports around the edge's defaults and the health listener's 8081, or any.
_VALID_LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,6}[A-Za-z0-9])?", fullmatch=True)
LABEL = st.one_of(_VALID_LABEL, _VALID_LABEL, _VALID_LABEL,
                  st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_-]{0,6}[A-Za-z0-9])?", fullmatch=True))
HOST = st.tuples(st.lists(LABEL, min_size=1, max_size=2), st.from_regex(r"[a-z]{2,4}", fullmatch=True)) \
    .map(lambda parts: ".".join([*parts[0], parts[1]]))
LOCAL = st.one_of(st.from_regex(r"[A-Za-z0-9_+-]{1,8}(\.[A-Za-z0-9_+-]{1,4})?", fullmatch=True),
                  st.from_regex(r"[A-Za-z0-9_%+-]{1,8}", fullmatch=True))
PORT = st.one_of(st.sampled_from([80, 443, 8080, 8081, 8082, 8443]), st.integers(1024, 65535))
CA = st.sampled_from(["", "https://acme-staging-v02.api.letsencrypt.org/directory",
                      "https://ca.internal.example:9000/acme/directory"])
STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"


def _url(host: str, https_port: int) -> str:
    return f"https://{host}" + ("" if https_port == 443 else f":{https_port}")


def _edge_values(hosts: list[str], email: str, ca: str, tls: str, http_port: int, https_port: int,
                 optional: tuple[bool, bool]) -> dict[str, dict[str, object]]:
    edge: dict[str, object] = {"tls": tls, "httpPort": http_port, "httpsPort": https_port, "acmeEmail": email,
                               "acmeCa": ca, "prometheusUrl": _url(hosts[2], https_port) if optional[0] else "",
                               "alertmanagerUrl": _url(hosts[3], https_port) if optional[1] else ""}
    return {"grafana": {"rootUrl": _url(hosts[0], https_port)},
            "logging": {"kibanaPublicBaseUrl": _url(hosts[1], https_port)}, "edge": edge}


def _listen_ports(adapted: dict[str, Any]) -> tuple[set[int], set[int]]:
    """(ports served on every interface, ports served on loopback only)."""
    public: set[int] = set()
    loopback: set[int] = set()
    for server in adapted["apps"]["http"]["servers"].values():
        for address in server["listen"]:
            host, _, port = address.rpartition(":")
            (loopback if host == "127.0.0.1" else public).add(int(port))
    return public, loopback


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(hosts=st.lists(HOST, min_size=4, max_size=4), local=LOCAL, domain=HOST, ca=CA,
       tls=st.sampled_from(["acme", "internal"]), http_port=PORT, https_port=PORT,
       optional=st.tuples(st.booleans(), st.booleans()))
# The edge's HTTP port on the health listener's 8081 (Caddy then served HTTP on loopback only), host
# names in mixed case.
@example(hosts=["grafana.example.com", "kibana.example.com", "prom.example.com", "am.example.com"],
         local="ops", domain="example.com", ca="", tls="acme", http_port=8081, https_port=8443,
         optional=(True, False))
@example(hosts=["Grafana.Example.COM", "kibana.example.com", "PROM.example.com", "am.example.com"],
         local="Ops.Team", domain="Example.com", ca=STAGING, tls="acme", http_port=80, https_port=8081,
         optional=(True, True))
def test_edge_values_read_back_from_caddys_adapted_json(tmp_path: Path, hosts: list[str], local: str, domain: str,
                                                        ca: str, tls: str, http_port: int, https_port: int,
                                                        optional: tuple[bool, bool]) -> None:
    email = f"{local}@{domain}"
    config, secret_keys = raw("prod", **_edge_values(hosts, email, ca, tls, http_port, https_port, optional))
    try:
        s = parse_settings(PROJECT, "prod", config, secret_keys)
    except SettingsError as error:
        # Refused: each problem names a key and a fix, no traceback.
        message = str(error)
        event("refused")
        assert re.findall(r"^  - \S+: ", message, flags=re.MULTILINE), message
        assert message.count("\n  - ") == message.count("\n      fix: pulumi "), message
        return
    event("accepted")
    path = tmp_path / "Caddyfile"
    path.write_text(render_caddyfile(edge_config(s, {user: HASH for user in basic_auth_users(s)},
                                                     GuardCredentials(HASH, "prometheus-pw"))))
    adapted = adapt_file(path, tmp_path)

    expected = {host.lower(): upstream for host, upstream, _, _ in public_sites(s)}
    routes = routes_by_host(https_server(adapted, https_port))
    assert set(routes) == set(expected)
    for host, upstream in expected.items():
        [proxy] = [h for h in routes[host] if h["handler"] == "reverse_proxy"]
        assert proxy["upstreams"] == [{"dial": upstream}]
    http = adapted["apps"]["http"]
    assert http.get("http_port", 80) == http_port
    public, loopback = _listen_ports(adapted)
    # Only the HTTPS port and the datasource guard (a container port Docker never publishes) are served on
    # every interface by the file itself (Caddy adds the HTTP redirect listener at run time); the health
    # listener is on loopback, on neither public port.
    guard = guard_port(http_port, https_port)
    assert public == {https_port, guard} and guard not in (http_port, https_port)
    assert len(loopback) == 1 and not loopback & {http_port, https_port, guard}
    [policy] = adapted["apps"]["tls"]["automation"]["policies"]
    if tls == "internal":
        assert sorted(policy["subjects"]) == sorted(expected)
        assert [i["module"] for i in policy["issuers"]] == ["internal"]
    else:
        # Without a directory Caddy sets up Let's Encrypt and ZeroSSL, each with the account's e-mail.
        issuers = policy["issuers"]
        assert issuers and all(i.get("email") == email for i in issuers), issuers
        assert not ca or [i.get("ca") for i in issuers] == [ca], issuers
