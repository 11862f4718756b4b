"""The policy pack started as the Pulumi engine starts it, and asked over gRPC.

`python -m pulumi.policy <engine> .` in policy/ is what the Python language host runs for
`pulumi preview --policy-pack policy`: it must load, announce its mandatory policies, and judge
resources sent over the wire, secrets included (policy/secret_marks.py in force).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc  # type: ignore[import-untyped]  # no stubs pinned
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped]  # no stubs pinned
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.policy.harness import analyze, variant
from tests.policy.test_policy_pack import container

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


@pytest.fixture(scope="module")
def served_pack() -> Iterator[object]:
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."], cwd=POLICY_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()  # the pack prints its port once it serves
        assert port.isdigit(), f"policy pack did not start: {port!r} {process.stderr.read() if process.stderr else ''}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)  # type: ignore[no-untyped-call]
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)


def test_the_pack_announces_its_mandatory_policies(served_pack):
    info = served_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "christmas-monitoring"
    assert {p.name: p.enforcementLevel for p in info.policies} == {
        name: proto.MANDATORY for name in ("images-pinned", "container-restart-healthcheck-memory",
                                           "no-privileged-no-host-namespace", "ports-on-loopback",
                                           "prod-data-volumes-protected", "no-plaintext-secret-env",
                                               "prometheus-alertmanager-web-config",
                                               "swarm-service-hardening")}


def test_the_served_pack_passes_prod_and_catches_a_plain_dsn(served_pack, prod_run):
    assert analyze(prod_run.resources, served_pack) == []
    c = container(prod_run, "postgres-exporter")
    found = analyze([variant(c, envs=["DATA_SOURCE_NAME=postgresql://u:hunter2@db:5432/x"])], served_pack)
    assert [(v.policy, v.urn) for v in found] == [("no-plaintext-secret-env", c.urn)]
    assert "sets DATA_SOURCE_NAME in its environment" in found[0].message
    assert "hunter2" not in found[0].message
