"""Rendered shell scripts checked by the shell itself (`-n`) and by shellcheck (Debian's, from `make tools`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

POSIX_SH = [["sh", "-n"], ["shellcheck", "--shell=sh", "--severity=style"]]
BASH = [["bash", "-n"], ["shellcheck", "--shell=bash", "--severity=style"]]


def assert_script_passes(tool: list[str], script: str, tmp_path: Path) -> None:
    """`tool` accepts `script`; a missing tool fails here, never skips."""
    path = tmp_path / "script.sh"
    path.write_text(script)
    check = subprocess.run([*tool, str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
