"""Fixtures of the unit tests: Fluent Bit's rendered configuration, read back as Fluent Bit reads it."""

from __future__ import annotations

import pytest

from render import fluent_bit
from tests.unit.fluent_bit_emulator import Sections, of, read_classic, value


@pytest.fixture(scope="module")
def conf(dev_settings) -> Sections:
    return read_classic(fluent_bit.render_fluent_bit_conf(dev_settings))


@pytest.fixture(scope="module")
def parsers() -> dict[str, list[tuple[str, str]]]:
    return {value(p, "Name"): p for p in of(read_classic(fluent_bit.render_parsers_conf()), "PARSER")}


@pytest.fixture(scope="module")
def prod_conf(prod_settings) -> Sections:
    return read_classic(fluent_bit.render_fluent_bit_conf(prod_settings))
