"""The collector of settings problems, and the error that reports them all at once."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


class SettingsError(Exception):
    """A user mistake in the stack configuration; the message lists every problem."""


def fix_command(key: str, example: str, *, secret: bool = False) -> str:
    """The `pulumi config set` command that sets `key` (with --path for a nested key)."""
    flag = "--secret " if secret else ""
    path = "--path " if "." in key or "[" in key else ""
    shown = example if example.startswith("<") else shlex.quote(example)
    return f"pulumi config set {path}{flag}{shlex.quote(key)} {shown}"


@dataclass
class Problems:
    """Every problem found in a stack's settings, reported together."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, key: str, what: str, fix: str) -> None:
        self.items.append((key, what, fix))

    def refix(self, key: str, fix: str) -> None:
        """Replace the fix of the problems about `key` (a rule that sees more than the key's grammar)."""
        self.items = [(k, what, fix if k == key else old) for k, what, old in self.items]

    def about(self, *keys: str) -> bool:
        """Whether a problem is already reported for one of `keys` (or a key below one of them)."""
        return any(k == key or k.startswith(key + ".") for k, _, _ in self.items for key in keys)

    def raise_if_any(self, stack: str) -> None:
        if not self.items:
            return
        lines = [f"stack '{stack}' has {len(self.items)} configuration problem(s):"]
        for key, what, fix in self.items:
            lines.append(f"  - {key}: {what}\n      fix: {fix}")
        raise SettingsError("\n".join(lines))
