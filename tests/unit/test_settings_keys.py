"""Keys once (issue 25): the top-level keys are derived from the declarations, so a key declared in
settings/ is known, parsed and documented without being listed again anywhere."""

from __future__ import annotations

import pytest

from settings.declare import declarations
from settings.model import TOP_LEVEL_KEYS, SettingsError, parse_settings
from settings.sections import SECTIONS, StackOptions
from settings.services import MAP_SETTINGS
from settings.stack_file import stack_config


def test_the_top_level_keys_are_the_declared_ones_each_once():
    declared = [*(s.key for s in MAP_SETTINGS), "publish", *SECTIONS, *(d.key for _, d in declarations(StackOptions))]
    assert len(TOP_LEVEL_KEYS) == len(set(TOP_LEVEL_KEYS))
    assert set(declared) <= set(TOP_LEVEL_KEYS)


@pytest.mark.parametrize("key", [d.key for _, d in declarations(StackOptions)])
def test_every_declared_flag_is_read_from_the_stack(key):
    # A value its declaration refuses is reported under its key: the parser reads every declared flag.
    raw, secret_keys = stack_config("dev")
    with pytest.raises(SettingsError) as error:
        parse_settings("christmas-monitoring", "dev", {**raw, key: "not-a-valid-value"}, frozenset(secret_keys))
    assert key in str(error.value)
