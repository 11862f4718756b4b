"""The guide's own checker (../shared/guide/check_guide.py) passes on the prod plan: the copy of the
guide, the rendered rules' `for` and severities, and the rendered route, held against the guide file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
GUIDE_DIR = PROJECT.parent / "shared" / "guide"


def test_check_guide_finds_no_problem_in_the_prod_plan(tmp_path: Path) -> None:
    assert (GUIDE_DIR / "check_guide.py").is_file(), f"the guide's checker is missing in {GUIDE_DIR}"
    plan = subprocess.run([sys.executable, "-m", "offline.plan", "prod", "--out", str(tmp_path / "prod")],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    check = subprocess.run([sys.executable, str(GUIDE_DIR / "check_guide.py"),
                            str(GUIDE_DIR / "monitoring-guide.ko.md"), str(PROJECT), str(tmp_path / "prod")],
                           cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip().endswith("problems=0")
