"""Numbers as their consumer holds them: each size and duration bounded by the parser that reads it,
floors where a smaller value breaks the stack, and thresholds written into the rules exactly.

Bounds (cited in settings/grammar.py): alecthomas/units ParseUnit (Prometheus' retention size),
Elasticsearch's TimeValue/ByteSizeValue (ILM), Fluent Bit's flb_utils_size_to_bytes.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mixin.alerts import render_alert_files
from settings import grammar as g
from tests.unit.test_alerting_settings import parse, refused

ACCEPTED = [
    (g.prometheus_size, ["512MB", "8191PB", "1.5GB", "50GiB", "1TB"]),
    (g.prometheus_interval, ["1s", "15s", "1m15s", "1500ms"]),
    (g.es_time, ["1h", "1d", "30d", "9223372036854775807s"]),
    (g.es_size, ["10mb", "5gb", "8191pb", "50GB"]),
    (g.fluent_bit_size, ["10M", "1G", "9223372035G", "10000K"]),
]
REFUSED = [
    # int64 bytes: 8192PB is 2**63, which ParseUnit lets through and int64() wraps negative.
    (g.prometheus_size, ["8192PB", "9223372036854775807B", "99999999999999999999GB", "1.99999999999999999999GB",
                         "100MB", "1KB"]),
    (g.prometheus_interval, ["1ms", "999ms", "0s"]),
    (g.es_time, ["99999999999999999999d", "30m", "59m", "10s"]),
    (g.es_size, ["8192pb", "9007199254740992kb", "1mb", "1b"]),
    # Fluent Bit returns -1 (no limit) from these on.
    (g.fluent_bit_size, ["9223372036G", "9223372036854M", "9223372036854775K", "99999999999999999999K", "5M", "1K"]),
]


@pytest.mark.parametrize(("check", "values"), ACCEPTED, ids=[c.__name__ for c, _ in ACCEPTED])
def test_values_inside_the_consumers_range_are_accepted(check, values) -> None:
    assert [v for v in values if check(v) is not None] == []


@pytest.mark.parametrize(("check", "values"), REFUSED, ids=[c.__name__ for c, _ in REFUSED])
def test_values_the_consumer_cannot_hold_are_refused(check, values) -> None:
    assert [v for v in values if check(v) is None] == []


def test_a_one_millisecond_scrape_interval_names_the_key_and_a_valid_fix() -> None:
    message = refused("prometheus.scrapeInterval", "at least 1s", prometheus={"scrapeInterval": "1ms"})
    assert "pulumi config set --path prometheus.scrapeInterval 15s" in message


def _expr(settings_, alert: str) -> str:
    for text in render_alert_files(settings_).values():
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alert:
                    return str(rule["expr"])
    raise AssertionError(alert)


@pytest.mark.parametrize("value", [99.9999, 0.0001, 12.345678901234, 1e-9, 99.99999999999999])
def test_a_threshold_is_written_into_the_rule_exactly(value: float) -> None:
    rendered = _expr(parse(thresholds={"cpuPercent": value}), "HighCpuUsage")
    number = re.search(r"> (\S+)$", rendered)
    assert number and float(number.group(1)) == value, rendered


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=100, exclude_min=True, exclude_max=True))
def test_any_accepted_percentage_reads_back_as_the_same_number(value: float) -> None:
    rendered = _expr(parse(thresholds={"diskFreePercent": value}), "DiskSpaceLow")
    number = re.search(r"< (\S+) and", rendered)
    assert number and float(number.group(1)) == value, rendered
