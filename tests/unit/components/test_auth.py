"""Basic auth for Prometheus and Alertmanager (components/auth.py) under mocks: the user each server accepts,
the files its clients and its own healthcheck read the password from, on one host and on a Swarm, and the
hash it checks against."""

from __future__ import annotations

import base64
import re
from typing import Any

import bcrypt
import pytest
import yaml

from components.auth import NOBODY, hash_context
from components.context import StackContext
from offline.mocks import ProgramRun, is_secret, unwrap
from render.web_config import bcrypt_hash
from settings.names import auth_user
from tests.conftest import stack_settings
from tests.unit.components.program import inputs, secret_uploads, secret_value, services

SERVERS = {"prometheus": "prometheusPassword", "alertmanager": "alertmanagerPassword"}
WEB_CONFIG = {"prometheus": "/etc/prometheus/web.yml", "alertmanager": "/etc/alertmanager/web.yml"}
# printf '%s:%s' '<user>' "$(cat <file>)" | base64 -w 0: the user literal, the password read in the container.
CREDENTIAL = re.compile(r"""printf '%s:%s' '(?P<user>[^']+)' "\$\(cat (?P<file>[^)]+)\)" \| base64 -w 0""")


def _credential(healthcheck: dict[str, Any]) -> tuple[str, str]:
    kind, command = healthcheck["tests"]
    assert kind == "CMD-SHELL"
    found = CREDENTIAL.search(command)
    assert found, command
    return found["user"], found["file"]


def _swarm_file(run: ProgramRun, secret_id: str) -> tuple[str, bool]:
    """A Swarm secret's content, and whether the state holds it as a secret."""
    data = next(r for r in run.resources if f"{r.name}-id" == secret_id).inputs["data"]
    return base64.b64decode(unwrap(data)).decode(), is_secret(data)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_on_a_swarm_the_healthcheck_reads_the_servers_password_from_a_swarm_secret_only_its_user_reads(
        swarm_run, server):
    container = services(swarm_run)[server]["taskSpec"]["containerSpec"]
    user, password_file = _credential(container["healthcheck"])
    assert user == auth_user(server)
    mounted = {s["fileName"]: s for s in container["secrets"]}
    secret = mounted[password_file]
    # The server runs as nobody: its password and its web configuration are nobody's alone, read-only.
    for path in (password_file, WEB_CONFIG[server]):
        assert (mounted[path]["fileUid"], mounted[path]["fileGid"], mounted[path]["fileMode"]) == (
            NOBODY, NOBODY, 0o400), path
    password = secret_value(swarm_run, "swarm", SERVERS[server])
    assert _swarm_file(swarm_run, secret["secretId"]) == (password, True)
    # The server checks that same password against the one user of its web configuration.
    web_config, secret_state = _swarm_file(swarm_run, mounted[WEB_CONFIG[server]]["secretId"])
    users = yaml.safe_load(web_config)["basic_auth_users"]
    assert secret_state and list(users) == [user]
    assert bcrypt.checkpw(password.encode(), users[user].encode())


def test_every_alertmanager_peer_accepts_the_one_credential_prometheus_sends(prod_run):
    peers = ["alertmanager", "alertmanager-1"]
    web_configs = {peer: secret_uploads(prod_run, peer)[WEB_CONFIG["alertmanager"]]["content"] for peer in peers}
    # One hash made once per run for both peers: the same file, so no peer answers 401 to Prometheus.
    assert web_configs["alertmanager"] == web_configs["alertmanager-1"]
    password = secret_value(prod_run, "prod", "alertmanagerPassword")
    for peer in peers:
        user, password_file = _credential(inputs(prod_run, peer)["healthcheck"])
        assert user == "alertmanager"
        assert secret_uploads(prod_run, peer)[password_file]["content"] == password
        assert password not in inputs(prod_run, peer)["healthcheck"]["tests"][1]
    prometheus_files = secret_uploads(prod_run, "prometheus")
    assert prometheus_files["/etc/prometheus/secrets/alertmanager-password"]["content"] == password


def test_the_same_password_hashes_differently_for_each_stack_and_server():
    """A web configuration copied from one stack (or server) tells nothing about another's, even where an
    operator reused the password; within one stack the hash stays the same run after run (no diff)."""
    password = "the-same-password-everywhere"
    contexts = {(stack, service): hash_context(StackContext(stack_settings(stack), {}, "n"), service,
                                               auth_user(service))
                for stack in ("dev", "prod") for service in SERVERS}
    assert contexts[("prod", "prometheus")] == "christmas-monitoring/prod/prometheus/prometheus"
    # bcrypt's lowest cost: the salt, derived from the context, is what differs (render/web_config.py).
    hashes = {key: bcrypt_hash(password, context, cost=4) for key, context in contexts.items()}
    assert len(set(hashes.values())) == 4
    assert bcrypt_hash(password, contexts[("prod", "prometheus")], cost=4) == hashes[("prod", "prometheus")]
    assert all(bcrypt.checkpw(password.encode(), h.encode()) for h in hashes.values())
