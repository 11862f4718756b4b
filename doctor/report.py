"""The checklist: one line per check (PASS / FAIL / SKIP, what it saw); for a failure, the fix and its link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    # Not applicable to this stack (e.g. no TLS entry point), or depends on a check that failed.
    SKIP = "SKIP"


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    saw: str
    fix: str = ""
    link: str = ""


def passed(check: str, saw: str) -> Result:
    return Result(check, Status.PASS, saw)


def failed(check: str, saw: str, fix: str, link: str) -> Result:
    return Result(check, Status.FAIL, saw, fix, link)


def skipped(check: str, saw: str) -> Result:
    return Result(check, Status.SKIP, saw)


def verdict(check: str, ok: bool, saw: str, fix: str, link: str) -> Result:
    return passed(check, saw) if ok else failed(check, saw, fix, link)


def render(results: Iterable[Result], title: str) -> str:
    rows = list(results)
    width = max((len(r.check) for r in rows), default=10)
    lines = [title, ""]
    for r in rows:
        lines.append(f"[{r.status.value}] {r.check.ljust(width)}  {r.saw}")
        if r.status is Status.FAIL:
            lines.append(f"       {''.ljust(width)}  fix: {r.fix}")
            lines.append(f"       {''.ljust(width)}  see: {r.link}")
    counts = {s: sum(1 for r in rows if r.status is s) for s in Status}
    lines += ["", f"{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, {counts[Status.SKIP]} skipped"]
    return "\n".join(lines) + "\n"


def any_failed(results: Iterable[Result]) -> bool:
    return any(r.status is Status.FAIL for r in results)
