"""Where a value lands: loopback read inside a container, ports on host-network services, host paths
mounted into a root container. Each refusal names its key and a fix that parses."""

from __future__ import annotations

import pytest

from offline.mocks import ProgramRun, run_program, unwrap
from settings import places
from settings.declare import declarations
from settings.secrets import SECRETS
from settings.sections import SECTIONS
from tests.conftest import stack_config
from tests.unit.test_alerting_settings import parse, refused

LOOPBACK = ["localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.1.2.3", "0.0.0.0", "[::1]", "[::]",
            "ip6-localhost"]
NOT_LOOPBACK = ["postgres", "10.0.0.5", "[2001:db8::1]", "smtp.example.com", "localhost.example.com"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_in_every_spelling_is_found(host: str) -> None:
    assert places.is_loopback(places.host_of(f"{host}:25"))
    assert places.is_loopback(places.host_of(f"https://{host}/x"))


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not places.is_loopback(places.host_of(f"{host}:25"))


# Every declared setting read inside a container, with a loopback value of its own grammar.
CONTAINER_SETTINGS = {
    ("alerting", "smtpSmarthost"): "localhost:1025",
    ("prometheus", "appTargets"): ["127.0.0.1:8000"],
    ("prometheus", "tradingTargets"): ["localhost:8001"],
    ("database", "host"): "localhost",
    ("logging", "snapshotS3Endpoint"): "127.0.0.1:9000",
}


def test_every_setting_read_in_a_container_is_in_this_test() -> None:
    declared = {(section, d.key) for section, cls in SECTIONS.items() for _, d in declarations(cls) if d.read_by}
    assert declared == set(CONTAINER_SETTINGS)


@pytest.mark.parametrize(("key", "value"), CONTAINER_SETTINGS.items(), ids=lambda v: str(v))
def test_loopback_read_inside_a_container_is_refused_with_a_fix(key: tuple[str, str], value: object) -> None:
    section, name = key
    extra = {"logging": {"snapshotS3Bucket": "christmas-es-snapshots", name: value}} if section == "logging" else {}
    message = refused(f"{section}.{name}", "inside the", **(extra or {section: {name: value}}))
    assert "loopback" in message


@pytest.mark.parametrize(("key", "value"), [
    ("slackWebhookUrl", "https://localhost/services/T/B/X"),
    ("heartbeatUrl", "https://127.0.0.1/ping/abc"),
    ("postgresExporterDsn", "postgresql://u:secret-pw@localhost:5432/christmas"),
])
def test_secrets_read_inside_a_container_refuse_loopback_without_echoing_them(key: str, value: str) -> None:
    assert next(s for s in SECRETS if s.key == key).read_by
    message = refused(key, "loopback", **{key: value})
    assert value not in message


def test_the_dev_stack_ships_a_smarthost_the_alertmanager_container_reaches() -> None:
    smarthost = parse("dev").alerting.smtp_smarthost
    assert not places.is_loopback(places.host_of(smarthost))


def test_a_published_port_on_a_host_network_service_is_refused() -> None:
    message = refused("publish.node-exporter", "host's network", publish={"node-exporter": {"port": 9100}})
    assert "pulumi config rm --path publish.node-exporter" in message


def test_the_services_declared_on_the_host_network_are_the_ones_the_program_runs_there() -> None:
    config, secret_keys = stack_config("prod")
    run = ProgramRun()
    run_program("prod", config, secret_keys, into=run)
    on_host = {unwrap(c.inputs)["name"].removeprefix("christmas-monitoring-prod-") for c in run.containers()
               if unwrap(c.inputs).get("networkMode") == "host"}
    assert on_host == set(places.HOST_NETWORK_SERVICES)


@pytest.mark.parametrize("path", ["/etc", "/etc/containers", "/", "/proc/containers", "/var/run/containers",
                                  "/fluent-bit/containers", "/fluent-bit", "/var/lib/docker", "/root/containers",
                                  "/usr/lib/containers"])
def test_a_log_directory_that_exposes_the_host_or_hides_fluent_bit_is_refused(path: str) -> None:
    refused("logging.dockerLogDir", "pulumi config set --path logging.dockerLogDir /var/lib/docker/containers",
            logging={"dockerLogDir": path})


@pytest.mark.parametrize("path", ["/var/lib/docker/containers", "/srv/docker/containers",
                                  "/home/deploy/.local/share/docker/containers"])
def test_docker_data_roots_are_accepted(path: str) -> None:
    assert parse(logging={"dockerLogDir": path}).logging.docker_log_dir == path


def test_fluent_bits_own_paths_are_under_the_tree_the_log_directory_may_not_hide() -> None:
    from render import fluent_bit as fb
    for path in (fb.CONFIG_DIR, fb.DATA_DIR, fb.CONFIG_PATH):
        assert path.startswith(places.FLUENT_BIT_OWN_TREE + "/")
