"""curl's config file (`curl -K file`): credentials that never appear on a command line.

curl's parser (src/tool_parsecfg.c): a double-quoted value ends at the next unescaped `"`;
inside it a backslash escapes the next character, and `\\t \\n \\r \\v` stand for those
control characters. Escaping `\\` and `"` (and writing control characters as escapes) gives
back any string exactly.
"""

from __future__ import annotations

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\v": "\\v"}


def quoted(value: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in value) + '"'


def user_config(user: str, password: str) -> str:
    """`user = "<user>:<password>"`: curl splits at the first colon, so the password may hold any."""
    return f"user = {quoted(f'{user}:{password}')}\n"
