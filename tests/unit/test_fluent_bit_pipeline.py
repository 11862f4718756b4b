"""Sample log lines through the rendered Fluent Bit pipeline (tests/unit/fluent_bit_emulator.py):
each stack ships only its own lines, and the platform's JSON becomes searchable fields."""

from __future__ import annotations

import json
import re

import pytest

from render import fluent_bit
from tests.unit.fluent_bit_emulator import (
    DroppedError,
    docker_line,
    of,
    run_pipeline,
    value,
)

TRADE = json.dumps({"level": "INFO", "service": "trading-engine", "message": "order filled"})


def test_each_stack_ships_its_own_lines_and_drops_the_other_stacks(conf, prod_conf, parsers):
    # dev and prod side by side on one host: both Fluent Bits tail the same files.
    prod_line = docker_line(TRADE, service="trading-engine", name="christmas-prod-trading-1", stack="prod")
    dev_line = docker_line(TRADE, service="trading-engine", name="christmas-dev-trading-1", stack="dev")
    assert run_pipeline(prod_conf, parsers, prod_line)["stack"] == "prod"
    assert run_pipeline(conf, parsers, dev_line)["stack"] == "dev"
    with pytest.raises(DroppedError):
        run_pipeline(conf, parsers, prod_line)  # prod's trading logs never reach dev's Elasticsearch
    with pytest.raises(DroppedError):
        run_pipeline(prod_conf, parsers, dev_line)


def test_the_stacks_own_containers_are_shipped(conf, parsers):
    line = docker_line("level=info msg=ready", service="prometheus", name="christmas-monitoring-dev-prometheus")
    assert run_pipeline(conf, parsers, line)["service"] == "prometheus"


@pytest.mark.parametrize("stack", [None, "", "dev2", "de", "xdev", "DEV"])
def test_a_container_not_marked_for_the_stack_is_dropped(conf, parsers, stack):
    with pytest.raises(DroppedError):
        run_pipeline(conf, parsers, docker_line(TRADE, stack=stack))


def test_a_line_without_attrs_is_dropped(conf, parsers):
    line = json.dumps({"log": TRADE + "\n", "stream": "stdout", "time": "2025-12-24T10:15:00.123456789Z"})
    with pytest.raises(DroppedError):
        run_pipeline(conf, parsers, line)


def test_the_stack_filter_runs_first_and_matches_the_label_exactly(conf):
    first = of(conf, "FILTER")[0]
    assert value(first, "Name") == "grep"
    assert value(first, "Regex") == "$attrs['com.christmas.monitoring.stack'] ^dev$"


def test_a_stack_name_with_a_dot_matches_only_itself():
    assert fluent_bit.stack_regex("eu.prod") == r"^eu\.prod$"
    pattern = fluent_bit.stack_regex("eu.prod")
    assert re.search(pattern, "eu.prod") and not re.search(pattern, "euxprod")


def test_platform_json_line_gives_the_searchable_fields(conf, parsers):
    line = json.dumps({"level": "ERROR", "service": "trading-engine", "user_id": "u-42", "path": "/api/orders",
                       "latency_ms": 812.5, "message": "order rejected: insufficient margin"})
    record = run_pipeline(conf, parsers, docker_line(line, service="trading-engine", name="christmas-trading-1"))
    assert record == {
        "level": "ERROR", "service": "trading-engine", "user_id": "u-42", "path": "/api/orders",
        "latency_ms": 812.5, "message": "order rejected: insufficient margin",
        "stream": "stdout", "container_name": "christmas-trading-1", "stack": "dev",
    }
    assert isinstance(record["latency_ms"], float)
    assert set(fluent_bit.PLATFORM_FIELDS) <= set(record)


def test_integer_latency_stays_a_number(conf, parsers):
    line = json.dumps({"level": "INFO", "service": "api", "path": "/api/trades", "latency_ms": 37, "message": "ok"})
    record = run_pipeline(conf, parsers, docker_line(line))
    assert record["latency_ms"] == 37 and isinstance(record["latency_ms"], int)


def test_a_line_without_service_takes_the_containers_service_label(conf, parsers):
    record = run_pipeline(conf, parsers, docker_line(json.dumps({"level": "WARN", "message": "slow disk"}),
                                                     service="prometheus", name="christmas-monitoring-dev-prometheus"))
    assert record["service"] == "prometheus"
    assert record["container_name"] == "christmas-monitoring-dev-prometheus"
    assert not any(k.startswith("attrs") for k in record)


def test_a_plain_text_line_becomes_the_message(conf, parsers):
    text = 'ts=2025-12-24T10:15:00Z caller=main.go:1 level=info msg="Server is ready"'
    record = run_pipeline(conf, parsers, docker_line(text, service="alertmanager"))
    assert record["message"] == text
    assert record["service"] == "alertmanager" and record["stack"] == "dev"
    assert "log" not in record


def test_a_json_value_that_is_not_an_object_is_kept_as_text(conf, parsers):
    record = run_pipeline(conf, parsers, docker_line('"just a string"'))
    assert record["message"] == '"just a string"'


def test_a_line_carrying_its_own_timestamp_does_not_clash_with_elasticsearchs(conf, parsers):
    line = json.dumps({"@timestamp": "2025-12-24T10:15:00Z", "level": "INFO", "message": "hi"})
    record = run_pipeline(conf, parsers, docker_line(line))
    assert "@timestamp" not in record  # Fluent Bit adds @timestamp itself (Time_Key of the output)


def test_a_value_with_a_newline_is_refused_by_the_renderer():
    with pytest.raises(ValueError, match="one line"):
        fluent_bit.render_sections([fluent_bit.Section("INPUT", [("Path", "/a\n/b")])])


def test_the_writer_password_comes_from_the_included_secret_file(conf):
    # First line: the include, so the variable is set before any section is configured.
    assert conf[0] == ("@INCLUDE", [("", fluent_bit.PASSWORD_INCLUDE)])
    # A password with `${...}`, `=` and quotes is set verbatim (@SET stores its value as is,
    # and a substituted value is not expanded again: src/flb_meta.c, src/flb_env.c).
    awkward = 'p@ss ${HOME} "q" = \\ {{x}}'
    assert fluent_bit.render_password_include(awkward) == f"@SET ES_WRITER_PASSWORD={awkward}\n"


@pytest.mark.parametrize("password", ["ends-with-space ", "two\nlines", "tab-at-end\t"])
def test_a_password_fluent_bit_would_alter_is_refused(password):
    with pytest.raises(ValueError, match="one line without trailing whitespace"):
        fluent_bit.render_password_include(password)
