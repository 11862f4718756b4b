"""The Caddyfile as data: blocks of tokens, each token checked, serialised once (render/caddy.py builds them).

Every token is a plain word (`token`) or a quoted header value (`quoted`): no whitespace, quote, brace, `#`
or backslash, so no token can open a block, start a comment, or expand `{$ENV}`/`{placeholder}`. Anything
else is refused, never escaped.
"""

from __future__ import annotations

import re

# Every token the renderer writes unquoted: no whitespace, quote, brace, `#` or backslash, so
# no token can open a block, start a comment, or expand `{$ENV}`/`{placeholder}`.
PLAIN = re.compile(r"[A-Za-z0-9._:/@+=*-]+")


# A block is a list of lines; a line is tokens, or (tokens, nested block).
Line = tuple[str, ...] | tuple[tuple[str, ...], "Block"]
Block = list[Line]


def nested(head: tuple[str, ...], *lines: Line) -> Line:
    """`head {` lines `}`."""
    return (head, list(lines))


def token(value: str) -> str:
    if not PLAIN.fullmatch(value):
        raise ValueError(f"{value!r} cannot be written into the Caddyfile as a plain token")
    return value


def quoted(value: str) -> str:
    """A header value with spaces: double quotes, and nothing inside that Caddy would interpret."""
    if not re.fullmatch(r"[A-Za-z0-9._:/@+=;, -]+", value):
        raise ValueError(f"{value!r} cannot be written into the Caddyfile as a quoted token")
    return f'"{value}"'


def render_block(block: Block, depth: int) -> list[str]:
    indent = "\t" * depth
    lines: list[str] = []
    for line in block:
        if len(line) == 2 and isinstance(line[1], list):
            head, inner = line
            assert isinstance(head, tuple)
            lines.append(indent + " ".join([*head, "{"]))
            lines += render_block(inner, depth + 1)
            lines.append(indent + "}")
        else:
            lines.append(indent + " ".join(str(t) for t in line))
    return lines
