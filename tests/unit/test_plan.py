"""The offline plan (`make plan`): what it writes, what it prints, and that it never writes a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline.mocks import PLACEHOLDERS
from offline.plan import main

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request, tmp_path_factory) -> tuple[str, Path, str]:
    out = tmp_path_factory.mktemp(request.param)
    result = subprocess.run([sys.executable, "-m", "offline.plan", request.param, "--out", str(out)],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return request.param, out, result.stdout


def test_resources_json_lists_every_resource_with_parent_and_protection(plan):
    stack, out, _ = plan
    document = json.loads((out / "resources.json").read_text())
    assert document["stack"] == stack
    resources = document["resources"]
    assert len(resources) > 50
    names = {r["name"] for r in resources}
    assert all(r["parent"] in names for r in resources if r["type"] != "christmas:monitoring:MonitoringStack")
    volumes = [r for r in resources if r["type"] == "docker:index/volume:Volume"]
    assert {r["protect"] for r in volumes} == {stack == "prod"}


def test_every_uploaded_file_is_written_at_its_path_in_the_container(plan):
    _, out, _ = plan
    for path in ("prometheus/etc/prometheus/prometheus.yml", "alertmanager/etc/alertmanager/alertmanager.yml"):
        assert (out / path).is_file(), path
    assert len(list((out / "prometheus/etc/prometheus/rules").glob("*.yml"))) >= 2
    document = json.loads((out / "resources.json").read_text())
    uploads = [f for r in document["resources"] if r["type"] == "docker:index/container:Container"
               for f in r["inputs"].get("uploads", [])]
    written = [p for p in out.rglob("*") if p.is_file() and p.name != "resources.json"]
    assert len(written) == len(uploads)


def test_the_plan_writes_no_secret(plan):
    _, out, stdout = plan
    everything = stdout + "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for key, value in PLACEHOLDERS.items():
        assert value not in everything, key
    # Generated dev passwords are unknown here; they come out of the mocks as `generated-...`.
    assert "generated-" not in everything
    assert "[secret]" in (out / "resources.json").read_text()
    assert "REDACTED" in (out / "alertmanager/etc/alertmanager/alertmanager.yml").read_text()


def test_summary_names_each_service_with_image_ports_and_volumes(plan):
    stack, _, stdout = plan
    assert f"offline plan of stack '{stack}'" in stdout
    for service in ("prometheus", "alertmanager", "grafana", "kibana", "elasticsearch", "fluent-bit",
                    "node-exporter", "cadvisor", "postgres-exporter"):
        assert f"\n  {service} " in stdout
    grafana_ports = "0.0.0.0:3000->3000" if stack == "prod" else "127.0.0.1:13000->3000"
    assert grafana_ports in stdout
    assert f"christmas-monitoring-{stack}-prometheus-data:/prometheus" in stdout


def test_a_settings_mistake_exits_2_with_the_message_and_no_traceback(tmp_path, monkeypatch, capsys):
    bad = (PROJECT_DIR / "Pulumi.prod.yaml").read_text().replace("retentionTime: 30d", "retentionTime: forever")
    monkeypatch.setattr("offline.mocks.PROJECT_DIR", tmp_path)
    monkeypatch.setattr("offline.plan.PROJECT_DIR", tmp_path)
    (tmp_path / "Pulumi.prod.yaml").write_text(bad)
    assert main(["prod", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "prometheus.retentionTime: must be a Prometheus duration" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_stack_is_refused(capsys):
    assert main(["staging"]) == 2
    assert "no Pulumi.staging.yaml" in capsys.readouterr().err
