"""What the program asks of each pinned image (docs/images.md), read from the containers it declares."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.service_args import Healthcheck
from offline.mocks import ProgramRun, is_secret, unwrap
from render import elasticsearch_exporter
from render.prometheus import CONFIG_PATH

GATEWAY = "172.30.0.1"  # what offline/mocks.py answers for the stack network's gateway


def container(run: ProgramRun, service: str) -> dict[str, Any]:
    [found] = [unwrap(c.inputs) for c in run.containers() if unwrap(c.inputs)["name"].endswith(f"-{service}")]
    return dict(found)


def test_node_exporter_sees_the_hosts_network_and_later_mounts(dev_run: ProgramRun) -> None:
    spec = container(dev_run, "node-exporter")
    assert spec["networkMode"] == "host" and spec.get("networksAdvanced") is None
    assert spec["pidMode"] == "host"
    assert spec["mounts"] == [{"type": "bind", "source": "/", "target": "/host", "readOnly": True,
                               "bindOptions": {"propagation": "rslave"}}]
    # Only the stack network's gateway: reachable by Prometheus, not from outside the host.
    assert f"--web.listen-address={GATEWAY}:9100" in spec["command"]
    # Its healthcheck asks that address, read from the container's environment by busybox sh.
    assert spec["envs"] == [f"NODE_EXPORTER_ADDRESS={GATEWAY}:9100"]
    assert spec["healthcheck"]["tests"] == ["CMD-SHELL", 'wget -q --spider "http://$NODE_EXPORTER_ADDRESS/metrics"']


def test_prometheus_scrapes_node_exporter_at_that_gateway(dev_run: ProgramRun) -> None:
    uploads = {u["file"]: u["content"] for u in container(dev_run, "prometheus")["uploads"]}
    jobs = {j["job_name"]: j for j in yaml.safe_load(uploads[CONFIG_PATH])["scrape_configs"]}
    assert jobs["node_exporter"]["static_configs"][0]["targets"] == [f"{GATEWAY}:9100"]


def test_cadvisor_can_read_oom_kills_and_exports_only_what_is_read(dev_run: ProgramRun) -> None:
    spec = container(dev_run, "cadvisor")
    assert spec["capabilities"] == {"drops": ["ALL"], "adds": ["SYSLOG"]}
    assert spec["devices"] == [{"hostPath": "/dev/kmsg", "containerPath": "/dev/kmsg", "permissions": "r"}]
    assert "--enable_metrics=cpu,memory,network,oom_event" in spec["command"]
    assert not [flag for flag in spec["command"] if flag.startswith("--disable_metrics")]
    # The Docker socket and, on the containerd image store, containerd's socket.
    assert {"hostPath": "/var/run", "containerPath": "/var/run", "readOnly": True} in spec["volumes"]


def test_elasticsearch_exporter_reads_as_logs_reader_from_a_password_file(dev_run: ProgramRun) -> None:
    [declared] = [c for c in dev_run.containers() if unwrap(c.inputs)["name"].endswith("-elasticsearch-exporter")]
    spec = unwrap(declared.inputs)
    # No credential in the container's configuration: no environment at all, only a file name.
    assert not spec.get("envs")
    # The uploads are a secret Output; the value is the reader's password (a placeholder here), 0400 nobody's.
    assert is_secret(declared.inputs["uploads"])
    assert spec["uploads"] == [{"file": elasticsearch_exporter.PASSWORD_FILE,
                                "content": "REDACTED-generated-elasticReaderPassword",
                                "permissions": "0400", "owner": "65534", "group": "65534"}]
    # The image's shell reads the file into the exporter's own environment, then becomes it.
    assert spec["entrypoints"][:2] == ["/bin/sh", "-c"]
    assert f'ES_PASSWORD="$(cat {elasticsearch_exporter.PASSWORD_FILE})"' in spec["entrypoints"][2]
    assert "exec /bin/elasticsearch_exporter" in spec["entrypoints"][2]
    assert spec["command"] == elasticsearch_exporter.flags() and "--es.indices" in spec["command"]
    assert spec["user"] == elasticsearch_exporter.UID


def test_the_exporters_entrypoint_exports_the_files_password_exactly(tmp_path: Path) -> None:
    """Run the entrypoint with sh against a stand-in exporter that prints its environment."""
    password = "p@ss w'o\"rd$1"
    secret = tmp_path / "reader-password"
    secret.write_text(password)
    fake = tmp_path / "elasticsearch_exporter"
    fake.write_text('#!/bin/sh\nprintf "%s|%s|%s" "$ES_USERNAME" "$ES_PASSWORD" "$*"\n')
    fake.chmod(0o755)
    argv = [a.replace(elasticsearch_exporter.PASSWORD_FILE, str(secret))
            .replace("/bin/elasticsearch_exporter", str(fake))
            for a in elasticsearch_exporter.entrypoint()]
    result = subprocess.run([*argv, *elasticsearch_exporter.flags()], capture_output=True, text=True, check=False,
                            timeout=10)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"logs_reader|{password}|{' '.join(elasticsearch_exporter.flags())}"
    secret.unlink()
    assert subprocess.run([*argv], capture_output=True, text=True, check=False, timeout=10).returncode != 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pulumi_up_waits_as_long_as_docker_could_take_to_call_a_container_unhealthy(
        stack: str, dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    run = dev_run if stack == "dev" else prod_run
    for declared in run.containers():
        spec = unwrap(declared.inputs)
        if not spec.get("wait"):
            continue
        hc = spec["healthcheck"]
        budget = Healthcheck(test=hc["tests"], interval=hc["interval"], timeout=hc["timeout"],
                             retries=hc["retries"], start_period=hc["startPeriod"]).seconds_until_unhealthy()
        assert spec["waitTimeout"] >= budget, spec["name"]
    kibana = container(run, "kibana")
    # Kibana's first start (migrations on one CPU) gets minutes, not the former fixed 180 s.
    assert kibana["healthcheck"]["startPeriod"] == "300s" and kibana["waitTimeout"] >= 575


def test_seconds_until_unhealthy_counts_start_period_and_every_retry() -> None:
    assert Healthcheck(test=["x"], interval="15s", timeout="10s", retries=10,
                       start_period="300s").seconds_until_unhealthy() == 300 + 11 * 25
    assert Healthcheck(test=["x"], interval="1m", timeout="5s", retries=2,
                       start_period="0s").seconds_until_unhealthy() == 3 * 65


def test_the_gateway_node_exporter_listens_on_is_the_networks_ipv4_one() -> None:
    import pulumi_docker as docker

    from components.stack import _gateway

    configs = [docker.outputs.NetworkIpamConfig(subnet="fd00::/64", gateway="fd00::1"),
               docker.outputs.NetworkIpamConfig(subnet="172.18.0.0/16", gateway="172.18.0.1")]
    assert _gateway(configs) == "172.18.0.1"
    with pytest.raises(ValueError, match="no IPv4 gateway"):
        _gateway([configs[0]])
