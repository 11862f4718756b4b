"""Fluent Bit's classic configuration read back, and its parsers and filters applied in Python.

Fluent Bit cannot be installed here (no Debian package in bookworm), so the configuration is
parsed by `read_classic` (the classic format: `[SECTION]`, then `Key Value` lines) and its
parsers and filters are applied with the semantics Fluent Bit documents for them: a JSON parser
decodes one object (anything else fails and the next parser is tried), a regex parser's named
groups become keys, `nest lift`, and the `modify` rules used.
"""

from __future__ import annotations

import json
import re
from typing import Any

Sections = list[tuple[str, list[tuple[str, str]]]]


def read_classic(text: str) -> Sections:
    sections: Sections = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.fullmatch(r"\[[A-Z]+\]", line):
            sections.append((line[1:-1], []))
            continue
        if line.startswith("@"):  # a meta command (@INCLUDE, @SET), before any section
            sections.append((line.partition(" ")[0], [("", line.partition(" ")[2])]))
            continue
        assert line.startswith("    "), f"line {number}: an entry must be indented: {line!r}"
        key, _, value = line.strip().partition(" ")
        assert value.strip(), f"line {number}: {key} has no value"
        assert sections, f"line {number}: entry outside a section"
        sections[-1][1].append((key, value.strip()))
    return sections


def of(sections: Sections, name: str) -> list[list[tuple[str, str]]]:
    return [entries for section, entries in sections if section == name]


def value(entries: list[tuple[str, str]], key: str) -> str:
    found = [v for k, v in entries if k.lower() == key.lower()]
    assert len(found) == 1, f"{key}: {found}"
    return found[0]


def values(entries: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in entries if k.lower() == key.lower()]


# --------------------------------------------------------------------------- structure

def parse_with(parser: list[tuple[str, str]], text: str) -> dict[str, Any] | None:
    fmt = value(parser, "Format")
    if fmt == "json":
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return None
        return decoded if isinstance(decoded, dict) else None
    assert fmt == "regex"
    # Onigmo's (?<name>...) is Python's (?P<name>...).
    match = re.search(value(parser, "Regex").replace("(?<", "(?P<"), text)
    return match.groupdict() if match else None


class DroppedError(Exception):
    """The grep filter excluded the record: nothing reaches Elasticsearch."""


def record_accessor(record: dict[str, Any], pattern: str) -> Any:
    """Fluent Bit's record accessor for the two forms used: `$key` and `$key['sub key']`."""
    found = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_.\-/]*)((?:\['[^']*'\])*)", pattern)
    assert found, f"record accessor {pattern!r} not emulated"
    current: Any = record.get(found.group(1))
    for sub in re.findall(r"\['([^']*)'\]", found.group(2)):
        current = current.get(sub) if isinstance(current, dict) else None
    return current


def grep(record: dict[str, Any], section: list[tuple[str, str]]) -> None:
    """`Regex KEY REGEX`: a record whose KEY is missing or does not match is excluded."""
    assert not values(section, "Exclude") and not values(section, "Logical_Op")
    for rule in values(section, "Regex"):
        key, _, regex = rule.partition(" ")
        found = record_accessor(record, key if key.startswith("$") else f"${key}")
        if not isinstance(found, str) or not re.search(regex, found):
            raise DroppedError(rule)


def run_pipeline(conf: Sections, parsers: dict[str, list[tuple[str, str]]], docker_line: str) -> dict[str, Any]:
    [tail] = of(conf, "INPUT")
    record = parse_with(parsers[value(tail, "Parser")], docker_line)
    assert record is not None
    record.pop(value(parsers[value(tail, "Parser")], "Time_Key"))  # Time_Keep Off: it becomes the event time
    for section in of(conf, "FILTER"):
        name = value(section, "Name")
        if name == "parser":
            key = value(section, "Key_Name")
            for parser in values(section, "Parser"):
                parsed = parse_with(parsers[parser], record[key])
                if parsed is not None:
                    if value(section, "Preserve_Key") == "Off":
                        record.pop(key)
                    base = record if value(section, "Reserve_Data") == "On" else {}
                    record = {**base, **parsed}
                    break
        elif name == "grep":
            grep(record, section)
        elif name == "nest":
            assert value(section, "Operation") == "lift"
            nested = record.pop(value(section, "Nested_under"), {})
            record.update({value(section, "Add_prefix") + k: v for k, v in nested.items()})
        elif name == "modify":
            for op, arg in section:
                a, _, b = arg.partition(" ")
                if op in ("Name", "Match"):
                    continue
                if op == "Rename" and a in record and b not in record:
                    record[b] = record.pop(a)
                elif op == "Copy" and a in record and b not in record:
                    record[b] = record[a]
                elif op == "Remove":
                    record.pop(a, None)
                elif op == "Remove_wildcard":
                    record = {k: v for k, v in record.items() if not k.startswith(a)}
                elif op == "Set":
                    record[a] = b
                else:
                    assert op in ("Rename", "Copy"), f"modify rule {op} not emulated"
        else:
            raise AssertionError(f"filter {name} not emulated")
    return record


def docker_line(log: str, service: str = "api", name: str = "christmas-api-1", stack: str | None = "dev") -> str:
    """A json-file line as Docker writes it; `stack` None: a container without the stack label."""
    attrs = {"com.christmas.monitoring.service": service, "tag": name}
    if stack is not None:
        attrs["com.christmas.monitoring.stack"] = stack
    return json.dumps({"log": log + "\n", "stream": "stdout", "attrs": attrs,
                       "time": "2025-12-24T10:15:00.123456789Z"})


# --------------------------------------------------------------------------- logs stay in their environment


