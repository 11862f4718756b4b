"""Fluent Bit's rendered configuration, read back as Fluent Bit reads it, and applied to sample log lines.

Fluent Bit cannot be installed here (no Debian package in bookworm), so the configuration is
parsed by `read_classic` below (the classic format: `[SECTION]`, then `Key Value` lines) and
its parsers and filters are applied in Python with the semantics Fluent Bit documents for them:
a JSON parser decodes one object (anything else fails and the next parser is tried), a regex
parser's named groups become keys, `nest lift`, and the `modify` rules used.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from render import fluent_bit as fb
from settings.model import LoggingSettings

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


@pytest.fixture(scope="module")
def conf(dev_settings) -> Sections:
    return read_classic(fb.render_fluent_bit_conf(dev_settings))


@pytest.fixture(scope="module")
def parsers() -> dict[str, list[tuple[str, str]]]:
    return {value(p, "Name"): p for p in of(read_classic(fb.render_parsers_conf()), "PARSER")}


# --------------------------------------------------------------------------- structure


def test_sections_in_pipeline_order(conf):
    assert [name for name, _ in conf] == ["@INCLUDE", "SERVICE", "INPUT", "FILTER", "FILTER", "FILTER", "FILTER",
                                          "OUTPUT"]


def test_service_loads_our_parsers_and_serves_prometheus_metrics(conf):
    [service] = of(conf, "SERVICE")
    assert value(service, "Parsers_File") == fb.PARSERS_PATH
    assert value(service, "HTTP_Server") == "On"
    assert value(service, "HTTP_Port") == "2020"
    assert value(service, "HTTP_Listen") == "0.0.0.0"
    # /api/v1/health only reports failures when Health_Check is on (the container's healthcheck).
    assert value(service, "Health_Check") == "On"
    # v2 has the buffer's fill level (fluentbit_output_chunk_available_capacity_percent), v1 does not.
    assert fb.METRICS_PATH == "/api/v2/metrics/prometheus"


def test_input_tails_docker_json_logs_with_offsets_on_the_volume(conf):
    [tail] = of(conf, "INPUT")
    assert value(tail, "Name") == "tail"
    assert value(tail, "Path") == "/var/lib/docker/containers/*/*-json.log"
    assert value(tail, "Parser") == fb.DOCKER_PARSER
    assert value(tail, "Docker_Mode") == "On"
    assert value(tail, "DB").startswith(fb.DATA_DIR + "/")
    assert value(tail, "storage.type") == "filesystem"


def test_a_custom_docker_log_dir_is_tailed(dev_settings):
    settings = dataclasses.replace(dev_settings, logging=LoggingSettings(docker_log_dir="/srv/docker/containers"))
    [tail] = of(read_classic(fb.render_fluent_bit_conf(settings)), "INPUT")
    assert value(tail, "Path") == "/srv/docker/containers/*/*-json.log"


def test_buffering_on_disk_and_retries_that_end_and_are_counted(conf, dev_settings):
    [service] = of(conf, "SERVICE")
    [output] = of(conf, "OUTPUT")
    assert value(service, "storage.path").startswith(fb.DATA_DIR + "/")
    # A finite limit: a chunk that never gets through is counted in retries_failed (the alert's
    # metric), which `no_limits` never increments.
    assert value(output, "Retry_Limit") == str(fb.RETRY_LIMIT) and fb.RETRY_LIMIT > 0
    # Waits capped at 5 minutes: once Elasticsearch is back every chunk is sent within minutes,
    # and RETRY_LIMIT capped waits (mean (base + cap) / 2 each) cover an outage of hours.
    assert (value(service, "scheduler.base"), value(service, "scheduler.cap")) == ("5", "300")
    assert fb.RETRY_LIMIT * (fb.SCHEDULER_BASE + fb.SCHEDULER_CAP) / 2 >= 3 * 3600
    # The whole bulk reply is read: a reply over the buffer would be retried however it was indexed.
    assert value(output, "Buffer_Size") == "False"
    assert dev_settings.logging.buffer_max_size == "1G"
    assert value(output, "storage.total_limit_size") == "1024M"


@pytest.mark.parametrize(("size", "megabytes"), [("1G", 1024), ("512MB", 512), ("2 GB", 2048), ("1T", 1048576),
                                                 ("64mb", 64), ("2048K", 2)])
def test_buffer_sizes_in_megabytes(size, megabytes):
    assert fb.size_in_megabytes(size) == megabytes


def test_output_writes_to_the_stacks_data_stream_as_the_writer(conf, dev_settings):
    [output] = of(conf, "OUTPUT")
    assert value(output, "Name") == "es"
    assert value(output, "Host") == "elasticsearch" and value(output, "Port") == "9200"
    assert value(output, "HTTP_User") == "fluent_bit_writer"
    # The password is a variable the @INCLUDEd secret file sets, never written in this file.
    assert value(output, "HTTP_Passwd") == "${ES_WRITER_PASSWORD}"
    assert value(output, "Index") == "logs-christmas-dev"
    assert re.fullmatch(r"logs-christmas-.+", value(output, "Index"))
    # Data streams accept only `create`; ES 8 refuses a type name.
    assert value(output, "Write_Operation") == "create"
    assert value(output, "Suppress_Type_Name") == "On"
    # No Generate_ID: identical lines stay distinct documents, and no chunk can be answered
    # only with 409s (retried for nothing by out_es).
    assert values(output, "Generate_ID") == []


def test_every_filter_and_output_matches_the_input_tag(conf):
    [tail] = of(conf, "INPUT")
    pattern = re.escape(value(tail, "Tag")).replace(r"\*", ".*")
    for section in of(conf, "FILTER") + of(conf, "OUTPUT"):
        match = value(section, "Match")
        assert re.fullmatch(pattern, match.replace("*", "x")), match


def test_every_parser_named_in_the_config_is_defined(conf, parsers):
    named = [value(s, "Parser") for s in of(conf, "INPUT")]
    named += [p for s in of(conf, "FILTER") for p in values(s, "Parser")]
    assert set(named) <= set(parsers)
    assert value(parsers[fb.DOCKER_PARSER], "Time_Key") == "time"


# --------------------------------------------------------------------------- the pipeline in Python


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


@pytest.fixture(scope="module")
def prod_conf(prod_settings) -> Sections:
    return read_classic(fb.render_fluent_bit_conf(prod_settings))


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
    assert fb.stack_regex("eu.prod") == r"^eu\.prod$"
    assert re.search(fb.stack_regex("eu.prod"), "eu.prod") and not re.search(fb.stack_regex("eu.prod"), "euxprod")


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
    assert set(fb.PLATFORM_FIELDS) <= set(record)


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
        fb.render_sections([fb.Section("INPUT", [("Path", "/a\n/b")])])


def test_the_writer_password_comes_from_the_included_secret_file(conf):
    # First line: the include, so the variable is set before any section is configured.
    assert conf[0] == ("@INCLUDE", [("", fb.PASSWORD_INCLUDE)])
    # A password with `${...}`, `=` and quotes is set verbatim (@SET stores its value as is,
    # and a substituted value is not expanded again: src/flb_meta.c, src/flb_env.c).
    awkward = 'p@ss ${HOME} "q" = \\ {{x}}'
    assert fb.render_password_include(awkward) == f"@SET ES_WRITER_PASSWORD={awkward}\n"


@pytest.mark.parametrize("password", ["ends-with-space ", "two\nlines", "tab-at-end\t"])
def test_a_password_fluent_bit_would_alter_is_refused(password):
    with pytest.raises(ValueError, match="one line without trailing whitespace"):
        fb.render_password_include(password)
