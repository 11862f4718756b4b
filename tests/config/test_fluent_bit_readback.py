"""Fluent Bit's configuration read back: values drawn from the grammars of what lands in it (the stack
name, logging.bufferMaxSize, logging.dockerLogDir, elasticWriterPassword) go through the settings
(refused with a key and a fix, or accepted), the renderer, and a reader of Fluent Bit's classic format
(tests/config/fluent_bit_classic.py: written here after Fluent Bit's documentation and its 3.2.10
source, NOT Fluent Bit's own parser, which cannot be installed here); what it reads is what was set.
Sizes are compared as Fluent Bit's flb_utils_size_to_bytes (src/flb_utils.c at v3.2.10) reads them.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from render.fluent_bit import PASSWORD_INCLUDE, render_fluent_bit_conf, render_password_include
from settings.log_pipeline import data_stream_name
from settings.model import PROJECT, SettingsError, parse_settings
from tests.config.fluent_bit_classic import ClassicError, read
from tests.unit.test_edge_settings import raw

_UNITS = {"K": 1000, "M": 1000**2, "G": 1000**3}


def size_to_bytes(text: str) -> int:
    """flb_utils_size_to_bytes for the shapes the settings take: digits, then K/M/G and an optional B,
    in 1000s (from 9223372036854775K, 9223372036854M, 9223372036G on it answers -1)."""
    match = re.fullmatch(r"(\d+)([KMG])B?", text, flags=re.IGNORECASE)
    assert match, text
    number, unit = int(match.group(1)), match.group(2).upper()
    limit = {"K": 9223372036854775, "M": 9223372036854, "G": 9223372036}[unit]
    return -1 if number >= limit else number * _UNITS[unit]


STACK = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True) | st.from_regex(r"[A-Za-z0-9_. -]{1,12}",
                                                                                     fullmatch=True)
SIZE = st.builds(lambda n, u, b: f"{n}{u}{b}", st.integers(1, 10**7), st.sampled_from("KMG"),
                 st.sampled_from(["", "B"]))
LOG_DIR = st.from_regex(r"(/[a-z0-9._-]{1,8}){0,3}/containers", fullmatch=True)
# Printable ASCII and some Unicode, with what the format itself reads (`#`, `=`, `$`, `{`, `}`, `[`, `@`).
PASSWORD = st.text(st.sampled_from(list("abcXYZ019 #=${}[]@%&'\"\\é漢")), min_size=12, max_size=30)


@settings(max_examples=100, deadline=None)
@given(stack=STACK, size=SIZE, log_dir=LOG_DIR, password=PASSWORD)
# 10000K is 10 MB for the settings (their floor) and for Fluent Bit; the renderer wrote it as 9M.
@example(stack="prod", size="10000K", log_dir="/var/lib/docker/containers", password="a-long-password=#1")
@example(stack="dev", size="1G", log_dir="/srv/docker/containers", password="#starts-with-a-hash =x")
def test_what_lands_in_fluent_bit_reads_back_as_set(stack: str, size: str, log_dir: str, password: str) -> None:
    config, secret_keys = raw("prod", logging={"bufferMaxSize": size, "dockerLogDir": log_dir})
    config["elasticWriterPassword"] = password
    try:
        s = parse_settings(PROJECT, stack, config, secret_keys | {"elasticWriterPassword"})
    except SettingsError as error:
        event("refused")
        message = str(error)
        assert re.findall(r"^  - (\(stack name\)|\S+): ", message, flags=re.MULTILINE), message
        assert message.count("\n  - ") == message.count("\n      fix: pulumi "), message
        assert password not in message
        return
    event("accepted")
    main = read(render_fluent_bit_conf(s))
    assert main.includes == [PASSWORD_INCLUDE]
    conf = read(render_password_include(password), into=main)
    assert conf.variables == {"ES_WRITER_PASSWORD": password}
    assert conf.values("OUTPUT", "es", "HTTP_Passwd") == [password]
    assert conf.values("OUTPUT", "es", "Index") == [data_stream_name(s)]
    [limit] = conf.values("OUTPUT", "es", "storage.total_limit_size")
    assert size_to_bytes(limit) == size_to_bytes(size) > 0, (limit, size)
    assert conf.values("INPUT", "tail", "Path") == [f"{log_dir}/*/*-json.log"]
    assert f"stack {stack}" in conf.values("FILTER", "modify", "Set")


@pytest.mark.parametrize(("text", "wrong"), [
    ("[OUTPUT]\n    Name es\n      Host x\n", "invalid indentation"),
    ("[OUTPUT]\n    Name\n", "undefined value"),
    ("[OUTPUT\n    Name es\n", "bad header"),
    ("@SET novalue\n", "invalid parameter"),
])
def test_the_reader_refuses_what_fluent_bits_reader_refuses(text: str, wrong: str) -> None:
    with pytest.raises(ClassicError, match=wrong):
        read(text)


def test_the_reader_trims_values_and_translates_variables_once() -> None:
    conf = read("@SET P=${Q} x \n[OUTPUT]\n    Name es\n    HTTP_Passwd   ${P}  \n    # Host nowhere\n")
    assert conf.variables == {"P": "${Q} x"}
    assert conf.values("OUTPUT", "es", "HTTP_Passwd") == ["${Q} x"]
    assert conf.values("OUTPUT", "es", "Host") == []
