"""The one YAML emitter: stable key order, no aliases, block style, so rendered files diff well.

A string reads back as the same string in every consumer's parser: PyYAML quotes what YAML 1.1
would resolve to another type, but Kibana reads kibana.yml with js-yaml 4 (YAML 1.2 core schema:
`0o17` is 15, `1e3` is 1000) and Prometheus/Alertmanager with Go's yaml (strconv's base prefixes
and `_`), so strings of those shapes are quoted too (tests/config/test_yaml_consumers.py).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# libyaml's emitter when PyYAML was built with it (the wheels are): the same output, several times
# faster (the plan renders a few hundred rules).
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _NoAliasDumper(_BaseDumper):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Plain scalars some YAML parser reads as a number, boolean, null or date (YAML 1.1, 1.2 core, js-yaml,
# Go's yaml): signs, base prefixes 0x 0o 0b, `_` separators, exponents, leading dots, inf/nan.
_NOT_A_STRING = re.compile(
    r"[-+]?(\d[\d_]*(\.[\d_]*)?([eE][-+]?[\d_]+)?|\.\d[\d_]*([eE][-+]?[\d_]+)?|0[oO][0-7_]+|0[xX][\da-fA-F_]+"
    r"|0[bB][01_]+|\.(inf|Inf|INF|nan|NaN|NAN)|[\d_]+(:[0-5]?\d)+(\.[\d_]*)?)"
    r"|(true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|null|Null|NULL|~)?"
    r"|\d{4}-\d\d?-\d\d?([Tt ].*)?")


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Multi-line strings (templates, PromQL) as literal blocks: readable in review diffs.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if _NOT_A_STRING.fullmatch(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_NoAliasDumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """Serialise `data` keeping the insertion order of mappings."""
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=120)
