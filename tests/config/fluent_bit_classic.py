"""A reader of Fluent Bit's classic configuration format, written here: NOT Fluent Bit's own parser.

Fluent Bit has no Debian package (bookworm) and its image cannot be pulled here, so no Fluent Bit
binary reads the rendered files in the tests. This reader follows the format as documented
("Classic mode: Format and schema", docs.fluentbit.io/manual/administration/configuring-fluent-bit/
classic-mode/format-schema; "Variables", .../classic-mode/variables; "Commands" @INCLUDE and @SET,
.../classic-mode/commands) and as Fluent Bit 3.2.10 reads it, read in its source at the tag:

- src/config_format/flb_cf_fluentbit.c `read_config`: a line is cut at `\\n` (and a `\\r` before it);
  a line starting with `#` is a comment; `@` starts a meta command (`@INCLUDE path`, `@SET k=v`); `[`
  a section header up to the first `]`; the first indented line fixes the indentation, and a later
  line indented differently is an error (groups, indented twice, are not read here: the program
  writes none); an indented `#` is a comment; the key ends at the first
  space, the value is the rest, and an empty value is an error ("key has an empty value");
- src/config_format/flb_config_format.c: key and value are trimmed (`flb_sds_trim`), meta commands
  are split at the first space, their value trimmed too;
- src/flb_meta.c `meta_cmd_set`: `@SET` splits at the first `=`; the value is stored as is;
- src/flb_env.c `flb_env_var_translate`: `${NAME}` in a property value is replaced, once, by the
  @SET variable or the environment (nothing when unset), the variable ending at the first `}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_BLANK = " \t"
# C's isspace, as flb_sds_trim uses it.
_SPACE = " \t\n\v\f\r"


class ClassicError(ValueError):
    """What Fluent Bit's reader refuses (it stops with a configuration error)."""


@dataclass
class Classic:
    sections: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    def section(self, name: str, plugin: str) -> list[tuple[str, str]]:
        """The one section `name` (INPUT, FILTER, ...) whose Name is `plugin`, its values translated."""
        [entries] = [e for n, e in self.sections if n.upper() == name and dict(e).get("Name") == plugin]
        return [(k, translate(v, self.variables)) for k, v in entries]

    def values(self, name: str, plugin: str, key: str) -> list[str]:
        return [v for k, v in self.section(name, plugin) if k.lower() == key.lower()]


def read(text: str, into: Classic | None = None) -> Classic:
    """Read `text` (call again with `into` for an @INCLUDEd file, in the order Fluent Bit reads them)."""
    conf = into or Classic()
    indent: str | None = None
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line or line.startswith("#"):
            continue
        if line.startswith("@") and len(line) > 3:
            command, space, rest = line.partition(" ")
            if not space:
                raise ClassicError(f"line {number}: a meta command without a value")
            rest = rest.strip(_SPACE)
            if command.upper() == "@INCLUDE":
                conf.includes.append(rest)
            elif command.upper() == "@SET":
                name, equals, value = rest.partition("=")
                if not equals:
                    raise ClassicError(f"line {number}: [meta SET] invalid parameter")
                conf.variables[name] = value
            continue
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                raise ClassicError(f"line {number}: bad header definition")
            conf.sections.append((line[1:end], []))
            continue
        if indent is None:
            indent = line[:len(line) - len(line.lstrip(_BLANK))] or line[:1]
        if not line.startswith(indent) or line[len(indent):len(indent) + 1] in tuple(_BLANK):
            raise ClassicError(f"line {number}: invalid indentation level")
        body = line[len(indent):]
        if not body or body.startswith("#"):
            continue
        key, space, value = body.partition(" ")
        if not space:
            raise ClassicError(f"line {number}: undefined value")
        if not value:
            raise ClassicError(f"line {number}: key has an empty value")
        if not conf.sections:
            raise ClassicError(f"line {number}: an entry outside a section")
        conf.sections[-1][1].append((key.strip(_SPACE), value.strip(_SPACE)))
    return conf


def translate(value: str, variables: dict[str, str]) -> str:
    """`${NAME}` replaced once from `variables` (flb_env_var_translate; no environment here)."""
    out, i, found = "", 0, False
    while True:
        start, end = value.find("${", i), value.find("}", i)
        if start < 0 or end < 0 or end - (start + 2) <= 0:
            break
        out += value[i:start] + variables.get(value[start + 2:end], "")
        found, i = True, end + 1
    if not found:
        return value
    return out + value[i:]
