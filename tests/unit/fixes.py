"""Apply a suggested fix (`pulumi config set|rm [--path] [--secret] ...`, `pulumi stack rename ...`) to a
raw configuration, as Pulumi would, so a test can check that the fix is itself accepted."""

from __future__ import annotations

import itertools
import json
import re
import shlex
from typing import Any


def _set_path(config: dict[str, str], path: str, value: Any, remove: bool = False) -> None:
    """`--path` semantics: dots name object keys, `[n]` list items; the top key's value is JSON text."""
    tokens: list[str | int] = [int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"[^.\[\]]+|\[\d+\]", path)]
    top, rest = str(tokens[0]), tokens[1:]
    if not rest:
        if remove:
            config.pop(top, None)
        else:
            config[top] = value if isinstance(value, str) else json.dumps(value)
        return
    root: Any = json.loads(config[top]) if top in config else ([] if isinstance(rest[0], int) else {})
    node = root
    for token, following in itertools.pairwise(rest):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(token, int):
            while len(node) <= token:
                node.append(None)
            if node[token] is None:
                node[token] = empty
        else:
            node.setdefault(token, empty)
        node = node[token]
    leaf = rest[-1]
    if remove:
        if isinstance(node, dict):
            node.pop(leaf, None)
    elif isinstance(leaf, int):
        while len(node) <= leaf:
            node.append(None)
        node[leaf] = value
    else:
        node[leaf] = value
    config[top] = json.dumps(root)


def _typed(text: str) -> Any:
    """`pulumi config set --path` stores true/false and numbers as such (it parses the value as YAML)."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def apply_fix(config: dict[str, str], stack: str, fix: str) -> tuple[str, bool]:
    """The stack name after the fix, and whether it could be applied (placeholders such as <value> cannot)."""
    commands = fix.split(" or ")[0].split(" && ")
    if any("<" in command for command in commands):
        return stack, False
    for command in commands:
        stack = _apply_one(config, stack, command)
    return stack, True


def _apply_one(config: dict[str, str], stack: str, command: str) -> str:
    words = shlex.split(command)
    if words[:3] == ["pulumi", "stack", "rename"]:
        return words[3]
    assert words[:2] == ["pulumi", "config"], command
    verb, args = words[2], [w for w in words[3:] if w not in ("--path", "--secret")]
    path = "--path" in words
    if verb == "rm":
        _set_path(config, args[0], None, remove=True) if path else config.pop(args[0], None)
        return stack
    assert verb == "set", command
    key, value = args
    if path:
        _set_path(config, key, _typed(value))
    else:
        config[key] = value
    return stack
