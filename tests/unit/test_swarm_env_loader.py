"""The loader that exports Swarm secret files as environment variables, run by busybox sh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from render.swarm_env import render_env_loader

# Everything a shell could misread: spaces, quotes, $, backquotes, ;, a glob, a leading dash.
NASTY = "-p a$HOME `id` 'q' \"d\" ;ls *"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: run `make tools`", pytrace=False)
    return path


def test_each_secret_file_becomes_its_variable_verbatim_and_the_command_runs_with_its_arguments(tmp_path):
    busybox = _tool("busybox")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "KIBANA_SYSTEM_PASSWORD").write_text(NASTY)
    (secrets / "KIBANA_ENCRYPTION_KEY").write_text("k" * 32)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "cat").symlink_to(busybox)
    script = tmp_path / "loader.sh"
    script.write_text(render_env_loader(["KIBANA_SYSTEM_PASSWORD", "KIBANA_ENCRYPTION_KEY"], str(secrets)))
    program = 'printf "%s|%s|%s\\n" "$KIBANA_SYSTEM_PASSWORD" "$KIBANA_ENCRYPTION_KEY" "$1"'
    result = subprocess.run([busybox, "sh", str(script), busybox, "sh", "-c", program, "prog", "--flag=1"],
                            capture_output=True, text=True, timeout=10, env={"PATH": str(bin_dir)}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{NASTY}|{'k' * 32}|--flag=1\n"


def test_a_missing_secret_file_stops_the_service_before_it_starts(tmp_path):
    busybox = _tool("busybox")
    script = tmp_path / "loader.sh"
    script.write_text(render_env_loader(["DATA_SOURCE_NAME"], str(tmp_path / "none")))
    result = subprocess.run([busybox, "sh", str(script), busybox, "echo", "started"], capture_output=True, text=True,
                            timeout=10, env={"PATH": str(Path(busybox).parent)}, check=False)
    assert result.returncode != 0 and "started" not in result.stdout


def test_shellcheck_accepts_the_loader(tmp_path):
    script = tmp_path / "loader.sh"
    script.write_text(render_env_loader(["ES_WRITER_PASSWORD"]))
    result = subprocess.run([_tool("shellcheck"), "--shell=sh", str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("names", [[], ["lower"], ["A B"], ["A;rm"]])
def test_only_environment_variable_names_reach_the_script(names):
    with pytest.raises(ValueError):
        render_env_loader(names)
