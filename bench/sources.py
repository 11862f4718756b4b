"""What to benchmark, taken from the offline plan of a source tree (this one, or an older git revision).

The plan (`python -m offline.plan <stack> --out DIR`) writes the rule files Prometheus loads. The
dashboards' JSON models are shortened in its resources.json, so a short script runs the same plan
program under the same mocks and dumps each Grafana dashboard's `configJson` input: the exact JSON
Grafana would receive. An older revision is checked out with `git worktree add --detach` into a
temporary directory and planned with this tree's virtualenv.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
DASHBOARD_TYPE = "grafana:oss/dashboard:Dashboard"
_DUMP_DASHBOARDS = f"""
import json, sys
from offline.mocks import run_program, unwrap
from settings.stack_file import stack_config
config, secret_keys = stack_config(sys.argv[1])
run = run_program(sys.argv[1], config, secret_keys)
json.dump([json.loads(unwrap(r.inputs)["configJson"]) for r in run.of_type("{DASHBOARD_TYPE}")], sys.stdout)
"""
PROMETHEUS_DIR = Path("prometheus/etc/prometheus")


@dataclass(frozen=True)
class Sources:
    """One revision's rules and dashboards, and the intervals they were written for."""

    label: str
    rule_files: list[Path]
    dashboards: list[dict[str, Any]]
    evaluation_interval: str

    def recording_names(self) -> set[str]:
        names: set[str] = set()
        for path in self.rule_files:
            for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
                names.update(rule["record"] for rule in group.get("rules", []) if "record" in rule)
        return names


def plan_sources(tree: Path, stack: str, out: Path, label: str) -> Sources:
    """Run the offline plan of `tree` for `stack` into `out` and read its rules and dashboards."""
    python = str(PROJECT_DIR / "venv" / "bin" / "python")
    if not Path(python).exists():
        python = sys.executable
    subprocess.run([python, "-m", "offline.plan", stack, "--out", str(out)], cwd=tree, check=True,
                   capture_output=True, text=True)
    dumped = subprocess.run([python, "-c", _DUMP_DASHBOARDS, stack], cwd=tree, check=True, capture_output=True,
                            text=True)
    prometheus_dir = out / PROMETHEUS_DIR
    config = yaml.safe_load((prometheus_dir / "prometheus.yml").read_text())
    return Sources(label=label, rule_files=sorted((prometheus_dir / "rules").glob("*.yml")),
                   dashboards=json.loads(dumped.stdout),
                   evaluation_interval=str(config["global"].get("evaluation_interval", "1m")))


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """A detached worktree of `rev` of this repository, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-rev-") as parent:
        tree = Path(parent) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=PROJECT_DIR, check=True,
                       capture_output=True, text=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=PROJECT_DIR, check=False,
                           capture_output=True)
