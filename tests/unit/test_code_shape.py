"""Small modules with one job (issues 15, 25): no function over 50 lines. A module is split by topic,
not by length: past 300 lines it is a review signal (a warning in the test report), not a failure."""

from __future__ import annotations

import ast
import subprocess
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def tracked_python_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split()]


def test_the_check_sees_the_project():
    assert len(tracked_python_files()) > 100


def test_modules_over_300_lines_are_reported_for_review():
    long = {str(p.relative_to(ROOT)): n for p in tracked_python_files()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    for name, lines in sorted(long.items()):
        # Worth a look in review (one topic still?); splitting by length alone is not the fix.
        warnings.warn(f"{name}: {lines} lines (review signal: over {MAX_MODULE_LINES})", stacklevel=1)


def test_no_function_over_50_lines():
    long: dict[str, int] = {}
    for path in tracked_python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert long == {}
