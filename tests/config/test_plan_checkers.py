"""Every file the offline plan writes, as it is (placeholders and all), through its consumer's own
checker: amtool, promtool, sh and shellcheck (Debian's, `make tools`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml


@pytest.fixture(scope="module", params=["dev", "prod", "swarm"])
def plan(request, planned) -> Path:
    out: Path = planned(request.param)[0]
    return out


def checker(*argv: str) -> str:
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def test_every_file_of_the_plan_passes_its_consumers_checker(plan, tmp_path):
    out = plan
    configs = list(out.glob("alertmanager*/etc/alertmanager/alertmanager.yml"))
    assert configs
    for config in configs:
        assert "SUCCESS" in checker("amtool", "check-config", str(config))
    rules = sorted(str(p) for p in (out / "prometheus/etc/prometheus/rules").glob("*.yml"))
    assert checker("promtool", "check", "rules", *rules).count("SUCCESS") == len(rules)
    # prometheus.yml names its rule files at their container path: check it with them where the plan wrote them.
    prometheus = yaml.safe_load((out / "prometheus/etc/prometheus/prometheus.yml").read_text())
    prometheus["rule_files"] = [str(out / "prometheus/etc/prometheus/rules/*.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prometheus))
    assert f"SUCCESS: {len(rules)} rule files found" in checker("promtool", "check", "config",
                                                                str(tmp_path / "prometheus.yml"))
    scripts = [str(p) for p in out.glob("*-setup/setup/*.sh")]
    assert len(scripts) == 2
    for script in scripts:
        checker("sh", "-n", script)
    checker("shellcheck", "--shell=sh", "--severity=style", *scripts)
