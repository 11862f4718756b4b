"""Apply a suggested fix (`pulumi config set|rm [--path] [--secret] ...`, `pulumi stack rename ...`) to a
raw configuration, as Pulumi would, so a test can check that the fix is itself accepted."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any


def _set_path(config: dict[str, str], path: str, value: Any, remove: bool = False) -> None:
    top, _, rest = path.partition(".")
    top, index = re.fullmatch(r"([^\[]+)(?:\[(\d+)\])?", top).groups()  # type: ignore[union-attr]
    if not rest and index is None:
        if remove:
            config.pop(top, None)
        else:
            config[top] = value if isinstance(value, str) else json.dumps(value)
        return
    node: Any = json.loads(config.get(top, "{}")) if rest else None
    root = node
    if rest:
        *parents, leaf = re.findall(r"[^.\[\]]+|\[\d+\]", rest)
        for name in parents:
            node = node.setdefault(name, {})
        if leaf.startswith("["):
            raise ValueError("list index below a section")
        if remove:
            node.pop(leaf, None)
        else:
            match = re.fullmatch(r"(.+?)\[(\d+)\]", leaf)
            if match:
                items = node.setdefault(match.group(1), [])
                items[int(match.group(2)):int(match.group(2)) + 1] = [value]
            else:
                node[leaf] = value
        config[top] = json.dumps(root)
    else:
        items = json.loads(config.get(top, "[]"))
        items[int(index):int(index) + 1] = [value]
        config[top] = json.dumps(items)


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
    command = fix.split(" or ")[0].split(" && ")[-1]
    if "<" in command:
        return stack, False
    words = shlex.split(command)
    if words[:3] == ["pulumi", "stack", "rename"]:
        return words[3], True
    assert words[:2] == ["pulumi", "config"], fix
    verb, args = words[2], [w for w in words[3:] if w not in ("--path", "--secret")]
    path = "--path" in words
    if verb == "rm":
        _set_path(config, args[0], None, remove=True) if path else config.pop(args[0], None)
        return stack, True
    assert verb == "set", fix
    key, value = args
    if path:
        _set_path(config, key, _typed(value))
    else:
        config[key] = value
    return stack, True
