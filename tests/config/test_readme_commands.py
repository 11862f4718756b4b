"""The README's promtool and amtool commands, run exactly as written on what `make plan` wrote.

The README tells operators to check the plan's files with the real tools; this runs `make plan`
for every stack those commands name (prod first, as the issue's operator would), then each
command verbatim through a shell (they use globs), and expects every one to pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# A command in backticks that starts with promtool or amtool and reads a file under build/.
COMMAND = re.compile(r"`((?:promtool|amtool) [^`]*build/[^`]*)`")


def readme_commands() -> list[str]:
    return COMMAND.findall((PROJECT_DIR / "README.md").read_text())


def test_the_readme_names_the_checks_of_the_plan() -> None:
    commands = readme_commands()
    assert any(c.startswith("amtool check-config build/prod/") for c in commands), commands
    assert any(c.startswith("amtool config routes test --config.file=build/prod/") for c in commands), commands
    assert any(c.startswith("promtool check rules build/") for c in commands), commands
    assert any(c.startswith("promtool check config build/") for c in commands), commands


def test_make_plan_then_every_readme_command_passes() -> None:
    assert shutil.which("make") and shutil.which("amtool") and shutil.which("promtool"), "run `make tools`"
    commands = readme_commands()
    stacks = sorted({m for c in commands for m in re.findall(r"build/(\w+)/", c)}, key=lambda s: s != "prod")
    for stack in stacks:
        made = subprocess.run(["make", "plan", f"STACK={stack}"], cwd=PROJECT_DIR, capture_output=True,
                              text=True, timeout=300, check=False)
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=PROJECT_DIR, capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        if "check" in command:
            assert "SUCCESS" in result.stdout + result.stderr, command
