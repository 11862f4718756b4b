"""How a setting is declared once, and the one parser every declared section goes through.

A section is a frozen dataclass whose fields are declared with `setting(...)`: the config key,
the default, the consumer's check, a one-line doc and an example. From that declaration come
the parser (type, check, unknown keys), the error messages with their fix, and the README
table (settings/docs.py). Nothing else lists a key.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

from settings.grammar import control_characters
from settings.places import in_container
from settings.problems import Problems, fix_command

T = TypeVar("T")
Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Declaration:
    key: str
    doc: str
    example: str
    check: Check | None = None
    # For lists: the check of each item, and how many items at least.
    item_check: Check | None = None
    min_items: int = 0
    # The container whose process reads the value (settings/places.py), "" when it is read
    # elsewhere (by `pulumi up`, by a browser): a host there must not be that container's loopback.
    read_by: str = ""


def setting(key: str, default: Any, *, doc: str, example: str, check: Check | None = None,
            item_check: Check | None = None, min_items: int = 0, read_by: str = "") -> Any:
    """A dataclass field declared as a stack setting (see the module docstring)."""
    declaration = Declaration(key, doc, example, check, item_check, min_items, read_by)
    return dataclasses.field(default=default, metadata={"setting": declaration})


def declarations(cls: type) -> list[tuple[dataclasses.Field[Any], Declaration]]:
    return [(f, f.metadata["setting"]) for f in dataclasses.fields(cls) if "setting" in f.metadata]


def read_object(raw: Mapping[str, str], key: str, problems: Problems) -> dict[str, Any]:
    """An object setting (Pulumi hands it over as JSON text); {} when unset or malformed."""
    text = raw.get(key)
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        problems.add(key, "must be an object of settings", fix_command(f"{key}.<name>", "<value>"))
        return {}
    return value


def unknown_keys(section: str, given: Mapping[str, Any], known: list[str], problems: Problems) -> None:
    for name in given:
        if name not in known:
            problems.add(f"{section}.{name}", f"is not a known setting (known: {', '.join(known)})",
                         f"pulumi config rm --path {section}.{name}")


def _typed(kind: Any, value: Any) -> tuple[Any, str | None]:
    """The value as the declared type, or what is wrong with its type."""
    if kind is bool:
        if isinstance(value, str) and value in ("true", "false"):  # a top-level flag arrives as text
            return value == "true", None
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, "must be a whole number")
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return (float(value), None) if ok else (None, "must be a number")
    if kind is str:
        return (value, None) if isinstance(value, str) else (None, "must be a string")
    # tuple[str, ...]: a list of strings.
    ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return (tuple(value), None) if ok else (None, "must be a list of strings")


def _checked(declaration: Declaration, value: Any) -> str | None:
    place = in_container(declaration.read_by) if declaration.read_by else None
    if isinstance(value, str):
        return control_characters(value) or (declaration.check(value) if declaration.check else None) \
            or (place(value) if place and value else None)
    if isinstance(value, tuple):
        if len(value) < declaration.min_items:
            return f"must list at least {declaration.min_items} item(s)"
        for item in value:
            wrong = control_characters(item) or (declaration.item_check(item) if declaration.item_check else None) \
                or (place(item) if place else None)
            if wrong:
                return f"item {item!r} {wrong}"
        return None
    return declaration.check(value) if declaration.check else None


def _fix(full: str, kind: Any, declaration: Declaration) -> str:
    """The command that sets a valid value; a list is replaced whole, then given its first item."""
    if kind in (bool, int, float, str):
        return fix_command(full, declaration.example)
    return f"pulumi config rm --path {full} && {fix_command(f'{full}[0]', declaration.example)}"


def parse_section(cls: type[T], section: str, given: Mapping[str, Any], problems: Problems,
                  prefix: str = "") -> T:
    """Every declared field of `cls` from `given`; a bad value is reported and its default kept.

    `prefix` is the key's path ("prometheus." for an object setting, "" for top-level keys).
    """
    hints = get_type_hints(cls)
    declared = declarations(cls)
    if prefix:
        unknown_keys(section, given, [d.key for _, d in declared], problems)
    values: dict[str, Any] = {}
    for field, declaration in declared:
        if declaration.key not in given:
            continue
        full = f"{prefix}{declaration.key}"
        value, wrong = _typed(hints[field.name], given[declaration.key])
        if wrong is None:
            wrong = _checked(declaration, value)
        if wrong is not None:
            # repr() shows a newline or a control character escaped, never raw in the message.
            problems.add(full, f"{wrong}, got {given[declaration.key]!r}", _fix(full, hints[field.name], declaration))
            continue
        values[field.name] = value
    return cls(**values)
