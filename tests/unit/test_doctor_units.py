"""doctor's pieces that need no stack: where it reads a stack's endpoints and credentials, and the
certificate check against a real TLS server on loopback (openssl makes the certificates)."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from doctor import checks_backups, checks_edge, checks_logs, checks_neighbours
from doctor.docker_api import Container, ExecResult, ssh_destination
from doctor.report import Status
from doctor.stack import DEFAULT_DOCKER_HOST, Endpoints, StackCredentials, Target, load_target
from render import backups as bk
from settings.model import StackSettings

NOW_MS = time.time() * 1000


class FakePulumi:
    def __init__(self, outputs: dict[str, str], config: dict[str, str]) -> None:
        self.outputs, self.config = outputs, config
        self.calls: list[list[str]] = []

    def __call__(self, args):
        self.calls.append(list(args))
        if args[:2] == ["stack", "output"]:
            return json.dumps(self.outputs)
        if args[:2] == ["config", "get"] and args[2] in self.config:
            return self.config[args[2]] + "\n"
        raise subprocess.CalledProcessError(255, ["pulumi", *args])


def test_endpoints_come_from_the_stack_outputs_and_passwords_from_outputs_then_config(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    pulumi = FakePulumi({"prometheus_url": "http://localhost:19090", "alertmanager_url": "http://localhost:19093",
                         "grafanaAdminPassword": "generated-admin-pw"}, {"elasticPassword": "configured-elastic-pw"})
    target = load_target("dev", runner=pulumi)
    assert target.endpoints.prometheus == "http://localhost:19090"
    assert target.endpoints.elasticsearch == "http://localhost:19200"  # dev publishes it (Pulumi.dev.yaml)
    assert target.docker.host == DEFAULT_DOCKER_HOST
    assert target.credentials.get("grafanaAdminPassword") == "generated-admin-pw"
    assert target.credentials.get("elasticPassword") == "configured-elastic-pw"
    assert target.credentials.get("smtpPassword") is None
    # Read once, asked for by name with --show-secrets; never part of what the objects print.
    assert pulumi.calls[0] == ["stack", "output", "--json", "--show-secrets", "--stack", "dev"]
    assert "pw" not in repr(target) and "pw" not in repr(target.grafana_auth())


def test_a_swarm_stack_is_refused_with_where_to_look_instead_before_any_pulumi_call():
    pulumi = FakePulumi({}, {})
    with pytest.raises(SystemExit) as refused:
        load_target("swarm", runner=pulumi)
    assert "runs on a Docker Swarm" in str(refused.value) and "docs/scale-out.md" in str(refused.value)
    assert pulumi.calls == []


def test_prod_reaches_elasticsearch_inside_its_container_and_checks_its_public_certificates():
    target = load_target("prod", runner=FakePulumi({}, {}))
    assert target.endpoints.elasticsearch is None
    assert set(target.endpoints.entry_points) == {"https://grafana.christmas-trading.com",
                                                  "https://kibana.christmas-trading.com"}


def _tls_server(tmp_path: Path, days: int) -> tuple[int, str, threading.Thread]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", str(days), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    port, thread = _one_handshake(cert, key)
    return port, str(cert), thread


def _one_handshake(cert: Path, key: Path) -> tuple[int, threading.Thread]:
    """A TLS listener on 127.0.0.1 presenting `cert` for one handshake; its port and serving thread."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass
        listener.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize(("days", "status"), [(90, Status.PASS), (5, Status.FAIL)])
def test_certificate_expiry_is_read_from_a_real_handshake(tmp_path, dev_settings, days, status):
    port, cafile, thread = _tls_server(tmp_path, days)
    endpoints = Endpoints("http://x", "http://x", "http://x", None, entry_points=(f"https://localhost:{port}",))
    target = Target(dev_settings, endpoints, docker=None, credentials=StackCredentials("dev"))  # type: ignore[arg-type]
    [result] = checks_edge.check_certificates(target, cafile=cafile)
    thread.join(5)
    assert result.status is status, result
    assert f"{days - 1} days left" in result.saw or f"{days} days left" in result.saw


def _internal_ca_server(tmp_path: Path, name: str) -> tuple[int, str, threading.Thread]:
    """A TLS server for `name` on 127.0.0.1 whose certificate a CA of its own signed (as Caddy's internal CA
    signs dev's); returns its port, the CA root's PEM and the thread serving one handshake."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
            "-subj", "/CN=Caddy Local Authority", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={name}")
    (tmp_path / "ext").write_text(f"subjectAltName=DNS:{name}\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "leaf.pem", "-days", "7", "-extfile", "ext")  # 168 hours
    port, thread = _one_handshake(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    return port, (tmp_path / "ca.pem").read_text(), thread


class EdgeOnlyDocker:
    """The Docker host as doctor sees it: one edge container, whose `cat` of the internal root answers `root`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.ran: list[tuple[str, list[str]]] = []

    def containers(self, stack):
        return [Container("e1", f"christmas-monitoring-{stack}-edge", "edge", "running", {})]

    def exec(self, container_id, argv):
        self.ran.append((container_id, argv))
        found = argv == ["cat", checks_edge.INTERNAL_ROOT] and bool(self.root)
        return ExecResult(0 if found else 1, self.root or "cat: no such file", self.root)


def test_dev_certificates_are_checked_against_the_edges_internal_ca_at_a_localhost_name(tmp_path, dev_settings):
    """Dev's `edge.tls: internal`: doctor reads Caddy's root in the edge container and checks the handshake
    against it, at https://grafana.localhost:<port> although the machine's resolver does not know
    *.localhost (RFC 6761: loopback; glibc resolves only `localhost`)."""
    assert dev_settings.edge.tls == "internal"
    port, root, thread = _internal_ca_server(tmp_path, "grafana.localhost")
    endpoints = Endpoints("http://x", "http://x", "http://x", None,
                          entry_points=(f"https://grafana.localhost:{port}",))
    docker = EdgeOnlyDocker(root)
    target = Target(dev_settings, endpoints, docker=docker, credentials=StackCredentials("dev"))  # type: ignore[arg-type]
    [result] = checks_edge.check_certificates(target)
    thread.join(5)
    assert result.status is Status.PASS, result
    url = f"https://grafana.localhost:{port}"
    assert result.saw.startswith(f"{url}: 16") and result.saw.endswith(" hours left (internal CA)"), result.saw
    assert docker.ran == [("e1", ["cat", "/data/caddy/pki/authorities/local/root.crt"])]


def test_an_unreadable_internal_root_is_named_with_its_fix(dev_settings):
    endpoints = Endpoints("http://x", "http://x", "http://x", None, entry_points=("https://grafana.localhost:1",))
    target = Target(dev_settings, endpoints, docker=EdgeOnlyDocker(""), credentials=StackCredentials("dev"))  # type: ignore[arg-type]
    [result] = checks_edge.check_certificates(target)
    assert result.status is Status.FAIL
    assert result.saw.startswith(
        "could not read the edge's internal CA root: cat /data/caddy/pki/authorities/local/root.crt")
    assert result.fix == "is the edge container running?"


@pytest.mark.parametrize(("host", "address"), [
    ("localhost", "127.0.0.1"), ("grafana.localhost", "127.0.0.1"), ("a.b.localhost", "127.0.0.1"),
    ("localhost.example.com", "localhost.example.com"), ("mylocalhost", "mylocalhost"),
    ("grafana.example.com", "grafana.example.com")])
def test_only_localhost_names_are_taken_as_loopback(host, address):
    assert checks_edge.connect_address(host) == address


def _slm_target(dev_settings: StackSettings, policy: dict[str, object]) -> Target:
    endpoints = Endpoints("http://x", "http://x", "http://x", "http://es")
    target = Target(dev_settings, endpoints, docker=None, credentials=StackCredentials("dev"))  # type: ignore[arg-type]
    target.elastic = lambda path: {bk.SLM_POLICY: policy}  # type: ignore[method-assign]
    return target


@pytest.mark.parametrize(("policy", "status", "saw"), [
    # A policy set an hour ago has not run yet: not a failure.
    ({"modified_date_millis": NOW_MS - 3_600_000}, Status.PASS, "no snapshot yet"),
    # Three days without any snapshot is.
    ({"modified_date_millis": NOW_MS - 3 * 86_400_000}, Status.FAIL, "no snapshot yet"),
    # The last run failed after the last success: its reason is shown.
    ({"last_success": {"snapshot_name": "a", "time": NOW_MS - 86_400_000},
      "last_failure": {"time": NOW_MS - 3_600_000, "details": "repository_verification_exception"}},
     Status.FAIL, "repository_verification_exception"),
    ({"last_success": {"snapshot_name": "logs-1", "time": NOW_MS - 3_600_000}}, Status.PASS, "logs-1: 1.0h old"),
])
def test_elasticsearch_snapshot_age_and_failures(dev_settings, policy, status, saw, monkeypatch):
    # The check's clock is the clock the cases were written against (not minutes later in a long run).
    monkeypatch.setattr(time, "time", lambda: NOW_MS / 1000)
    [result] = checks_backups.check_elasticsearch_snapshots(_slm_target(dev_settings, policy))
    assert result.status is status and saw in result.saw, result


@pytest.mark.parametrize(("host", "user", "port"), [("ssh://deploy@swarm-manager-1:2222", "deploy", "2222"),
                                                    ("ssh://deploy@swarm-manager-1", "deploy", "22")])
def test_an_ssh_docker_host_reaches_ssh_with_its_user_and_port(host, user, port):
    """The destination doctor hands ssh, read back by ssh itself (`ssh -G` prints what it would use)."""
    destination = ssh_destination(urlsplit(host).netloc)
    shown = subprocess.run(["ssh", "-G", destination], capture_output=True, text=True, check=True, timeout=10).stdout
    settings = dict(line.split(" ", 1) for line in shown.splitlines() if " " in line)
    assert (settings["hostname"], settings["user"], settings["port"]) == ("swarm-manager-1", user, port)


class _LogsHost:
    """What check_logs reads of a Docker host: containers, and each one's log lines."""

    def __init__(self, logs: dict[str, str]) -> None:
        self.logs_of = logs

    def logs(self, container_id: str, since: int, tail: int) -> str:
        return self.logs_of[container_id]


class _LogsTarget:
    def __init__(self, logs: dict[str, str]) -> None:
        self.docker = _LogsHost(logs)

    def containers(self) -> list[Container]:
        return [Container(service, service, service, "running", {}) for service in self.docker.logs_of]

    @staticmethod
    def link(document: str, anchor: str) -> str:
        return f"{document}#{anchor}"


def test_the_log_check_reads_every_alertmanager_peer_and_skips_old_lines():
    now = datetime.now(UTC)
    old = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    fresh = now.isoformat().replace("+00:00", "Z")
    target = _LogsTarget({"prometheus": f"ts={old} level=error msg=gone\n",
                          "alertmanager-3": f"ts={fresh} level=error msg=\"Notify for alerts failed\"\n",
                          "node-exporter": f"ts={fresh} level=error msg=not-a-guide-service\n"})
    [result] = checks_logs.check_logs(target)  # type: ignore[arg-type]
    assert result.status is Status.FAIL
    assert "alertmanager-3: 1 error lines" in result.saw
    assert "prometheus" not in result.saw and "node-exporter" not in result.saw


class StacksDocker:
    """A Docker host running containers of `stacks`."""

    host = "unix:///var/run/docker.sock"

    def __init__(self, *stacks: str) -> None:
        self.running = set(stacks)

    def stacks(self) -> set[str]:
        return self.running


@pytest.mark.parametrize(("running", "status", "saw"), [
    (("dev",), Status.PASS, "unix:///var/run/docker.sock: only stack dev"),
    # Pulumi.prod.yaml names no docker:host either: the same (local) daemon, compared by `pulumi preview`.
    (("dev", "prod"), Status.PASS, "unix:///var/run/docker.sock: compared at preview: prod"),
    # Pulumi.swarm.yaml names ssh://deploy@swarm-manager-1.christmas.internal: never compared with dev.
    (("dev", "prod", "swarm"), Status.FAIL, "unix:///var/run/docker.sock: compared at preview: prod; "
                                            "never compared (their docker:host names another daemon): swarm"),
    (("dev", "staging"), Status.PASS, "unix:///var/run/docker.sock: no stack file here: staging"),
])
def test_stacks_sharing_the_docker_host_are_found_by_the_engine_not_by_the_url(dev_settings, running, status, saw):
    """The plan compares stacks whose docker:host text names the same daemon; doctor asks the daemon which
    stacks run there and fails on one the plan never compared, with the fix."""
    endpoints = Endpoints("http://x", "http://x", "http://x", None)
    target = Target(dev_settings, endpoints, docker=StacksDocker(*running),  # type: ignore[arg-type]
                    credentials=StackCredentials("dev"))
    [result] = checks_neighbours.check_neighbours(target)
    assert (result.status, result.saw) == (status, saw)
    if status is Status.FAIL:
        assert result.fix.startswith("write the same docker:host in Pulumi.dev.yaml and in Pulumi.<stack>.yaml of "
                                     "swarm (e.g. `pulumi config set docker:host <url> -s <stack>`)")
