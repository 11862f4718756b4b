"""Renderer and validator against the consumers' parsers: what the settings accept renders, and each
rendered YAML file reads the same in the parsers that read it.

Kibana reads kibana.yml with js-yaml 4 (YAML 1.2 core schema), Prometheus and Alertmanager with Go's
yaml; PyYAML (YAML 1.1) wrote them. A string such as `0o17` or `1e3` is plain to PyYAML and a number to
js-yaml (and to Go's strconv-based resolver): render/yamlout.py quotes such strings. Debian's
node-js-yaml 4.1.0 (scripts/install-tools.sh) is the js-yaml run here.

The property at the end draws a value for any declared setting or secret (each key's example, values
made from its example's alphabet, number-like strings, numbers and booleans): refused values stop the
program with one line per problem naming the key and a fix, never a traceback; accepted values render,
and every rendered YAML file reads back in js-yaml with the same strings where PyYAML has strings.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats.yamlout import dump_yaml
from offline.mocks import ProgramRun, run_program, unwrap
from render import kibana as kb
from settings.declare import declarations
from settings.model import SettingsError, parse_settings
from settings.secrets import SECRETS
from settings.sections import SECTIONS
from settings.stack_file import stack_config as plan_config

NODE = ["node", "-e", "const y=require('js-yaml');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "console.log(JSON.stringify(JSON.parse(s).map(t=>y.load(t)))))"]
ENV = {"NODE_PATH": "/usr/share/nodejs", "PATH": "/usr/bin:/bin"}

# Shapes some YAML parser reads as a non-string.
NUMBER_LIKE = st.from_regex(r"[-+]?(0[oxb][0-7]{1,12}|\d{1,12}(\.\d{0,3})?([eE][-+]?\d{1,3})?|\.\d{1,4}|\d_\d{3})",
                            fullmatch=True)
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), max_size=20)


def js_yaml(documents: list[str]) -> list[Any]:
    result = subprocess.run(NODE, input=json.dumps(documents), capture_output=True, text=True, timeout=60,
                            env=ENV, check=False)
    assert result.returncode == 0, "js-yaml is missing: run `make tools` (Debian package node-js-yaml)\n" \
        + result.stderr
    loaded: list[Any] = json.loads(result.stdout)
    return loaded


def strings_agree(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Paths where PyYAML reads a string and js-yaml reads something else."""
    if isinstance(ours, dict):
        return [p for k, v in ours.items() for p in strings_agree(v, (theirs or {}).get(str(k)), f"{path}.{k}")]
    if isinstance(ours, list):
        return [p for i, v in enumerate(ours) for p in strings_agree(v, theirs[i] if i < len(theirs or []) else None,
                                                                     f"{path}[{i}]")]
    return [path] if isinstance(ours, str) and ours != theirs else []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(NUMBER_LIKE, TEXT), min_size=1, max_size=20))
def test_any_string_reads_back_as_the_same_string_in_js_yaml_and_pyyaml(values: list[str]) -> None:
    documents = [dump_yaml({"value": v}) for v in values]
    assert [d["value"] for d in js_yaml(documents)] == values
    assert [yaml.safe_load(d)["value"] for d in documents] == values


NUMBER_LIKE_SECRETS = ["0o1777777777777777", "1e30000000000000000000000000000000", "123456789012345678901234",
                       "0x1F2E3D4C5B6A79801F2E3D4C5B6A7980", "1_000_000_000_000_000_000_000_000"]


def _uploads(run: ProgramRun) -> dict[str, str]:
    return {f"{unwrap(c.inputs)['name']}:{u['file']}": u["content"]
            for c in run.containers() for u in unwrap(c.inputs).get("uploads") or []}


@pytest.mark.parametrize("secret", NUMBER_LIKE_SECRETS)
def test_a_kibana_secret_that_looks_like_a_number_stays_a_string_for_kibana(secret: str) -> None:
    config, secret_keys = plan_config("prod")
    key = secret.ljust(32, "0") if secret.startswith("0o") else secret
    config.update(kibanaSystemPassword=secret, kibanaEncryptionKey=key.ljust(32, "1"))
    run = run_program("prod", config, secret_keys | {"kibanaSystemPassword", "kibanaEncryptionKey"})
    [kibana_yml] = [t for name, t in _uploads(run).items() if name.endswith(f":{kb.CONFIG_PATH}")]
    [loaded] = js_yaml([kibana_yml])
    assert loaded["elasticsearch.password"] == secret
    assert loaded["xpack.security.encryptionKey"] == key.ljust(32, "1")


# --------------------------------------------------------------------------- every declared key

KEYS: list[tuple[str, str, Any, Any]] = [
    (section, d.key, d.example, f.type) for section, cls in SECTIONS.items() for f, d in declarations(cls)
] + [("", spec.key, spec.example, "secret") for spec in SECRETS]


@st.composite
def a_value(draw: st.DrawFn) -> tuple[str, str, Any]:
    section, key, example, kind = draw(st.sampled_from(KEYS))
    alphabet = sorted(set(str(example)) | set("0123456789.:-_/@%#+ $"))
    text = st.one_of(st.just(str(example)), st.text(alphabet, max_size=len(str(example)) + 4), NUMBER_LIKE)
    if kind in ("bool", bool):
        value: Any = draw(st.one_of(st.booleans(), text))
    elif kind in ("int", int, "float", float):
        value = draw(st.one_of(st.integers(-10, 1 << 66), st.floats(allow_nan=False, allow_infinity=False), text))
    elif "tuple" in str(kind):
        value = draw(st.lists(text, max_size=3))
    else:
        value = draw(text)
    return section, key, value


def _config_with(section: str, key: str, value: Any) -> tuple[dict[str, str], set[str]]:
    config, secret_keys = plan_config("prod")
    if not section:
        config[key] = value if isinstance(value, str) else json.dumps(value)
        return config, secret_keys | {key}
    merged = json.loads(config.get(section, "{}"))
    merged[key] = value
    config[section] = json.dumps(merged)
    return config, secret_keys


# Each accepted example runs the program (~0.5 s) and node once: 40 examples take ~25 s on 2 cores.
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=a_value())
def test_any_value_of_any_setting_is_refused_with_a_fix_or_renders_files_the_consumers_read_alike(drawn) -> None:
    section, key, value = drawn
    config, secret_keys = _config_with(section, key, value)
    try:
        parse_settings("christmas-monitoring", "prod", config, frozenset(secret_keys))
    except SettingsError as error:
        lines = str(error).splitlines()[1:]
        problems = [line for line in lines if line.startswith("  - ")]
        fixes = [line for line in lines if line.startswith("      fix: ")]
        assert problems and len(problems) == len(fixes), str(error)
        assert all(f.startswith("      fix: pulumi ") for f in fixes), str(error)
        return
    run = run_program("prod", config, secret_keys)
    documents = {name: text for name, text in _uploads(run).items() if name.endswith((".yml", ".yaml"))}
    assert documents
    for (name, text), theirs in zip(documents.items(), js_yaml(list(documents.values())), strict=True):
        assert strings_agree(yaml.safe_load(text), theirs) == [], name
