"""The Blackbox exporter's rendered configuration, checked by the real program (Debian's 0.23)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from render.blackbox import render_blackbox_yml


def test_blackbox_exporter_accepts_the_configuration(tmp_path: Path) -> None:
    exe = shutil.which("prometheus-blackbox-exporter")
    assert exe, "prometheus-blackbox-exporter is missing: run `make tools`"
    config = tmp_path / "blackbox.yml"
    config.write_text(render_blackbox_yml())
    result = subprocess.run([exe, "--config.check", f"--config.file={config}"], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # A misspelt key fails the same check (strict parsing): the check can fail.
    config.write_text(render_blackbox_yml().replace("fail_if_not_ssl", "fail_if_no_ssl"))
    bad = subprocess.run([exe, "--config.check", f"--config.file={config}"], capture_output=True, text=True,
                         timeout=30, check=False)
    assert bad.returncode != 0
