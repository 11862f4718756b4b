"""The one YAML emitter: stable key order, no aliases, block style, so rendered files diff well."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's emitter when PyYAML was built with it (the wheels are): the same output, several times
# faster (the plan renders a few hundred rules).
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _NoAliasDumper(_BaseDumper):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Multi-line strings (templates, PromQL) as literal blocks: readable in review diffs.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_NoAliasDumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """Serialise `data` keeping the insertion order of mappings."""
    return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=120)
