"""The layout step (issue 15) changes where code lives, not what the stack is.

The fixture is the plan written before the move (resources in tree order); while the
restructuring lasts, every file of `make plan` must stay byte-identical to it. The fixture and
this test go once the restructuring is complete (the issue asks for exactly that).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.plan import main as plan_main

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "plan-before-layout"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_is_byte_identical_to_the_one_before_the_layout_step(stack: str, tmp_path: Path) -> None:
    assert plan_main([stack, "--out", str(tmp_path / stack)]) == 0
    before, after = _files(FIXTURE / stack), _files(tmp_path / stack)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
