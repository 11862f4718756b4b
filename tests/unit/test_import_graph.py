"""The program's import graph (issue 25): no cycles, and the one-way flow DESIGN.md draws.

Every import counts, also those inside functions or `if TYPE_CHECKING:` (a cycle hidden there is still
two modules that cannot be understood apart). The rules and the renderers are siblings: neither
imports the other (what both need lives in settings/ or formats/; the guide's route, which both Alertmanager
and Grafana's policy use, is passed in by components/); doctor reads a
deployed stack and the stack file, never the offline plan.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The program and its day-2 tools; the policy pack is a program of its own (`mypy policy`).
EXCLUDED = ("tests/", "policy/", "scripts/")


def _modules() -> dict[str, Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    found: dict[str, Path] = {}
    for name in listed:
        if name.startswith(EXCLUDED) or not (ROOT / name).exists():
            continue
        parts = name.removesuffix(".py").split("/")
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__main__"] = ROOT / name
    return found


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The program's modules `module` imports (a name imported from a package counts as its module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in known else node.module for n in names]
        else:
            continue
        found |= {n for n in names if n in known and n != module}
    return found


GRAPH: dict[str, set[str]] = {m: _imported(m, p, known) for known in [_modules()] for m, p in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_guides_copy_imports_nothing_of_the_program():
    assert GRAPH["mixin.guide"] == set()


def test_the_graph_sees_the_program():
    assert len(GRAPH) > 90 and "components.stack" in GRAPH["__main__"] and "mixin.alerts" in GRAPH["mixin.rule_files"]


def test_the_import_graph_has_no_cycle():
    assert _cycles(GRAPH) == []


def test_a_planted_cycle_is_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(("importer", "imported"), [("render", "mixin"), ("mixin", "render"),
                                                    ("doctor", "offline"), ("settings", "components"),
                                                    ("render", "components"), ("mixin", "components")])
def test_no_import_against_the_flow(importer, imported):
    wrong = {m: sorted(t for t in targets if t.split(".")[0] == imported)
             for m, targets in GRAPH.items() if m.split(".")[0] == importer}
    assert {m: t for m, t in wrong.items() if t} == {}
