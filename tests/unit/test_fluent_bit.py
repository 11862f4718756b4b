"""Fluent Bit's rendered configuration, read back as Fluent Bit reads it, and applied to sample log lines.

Fluent Bit cannot be installed here (no Debian package in bookworm), so the configuration is
parsed by `read_classic` below (the classic format: `[SECTION]`, then `Key Value` lines) and
its parsers and filters are applied in Python with the semantics Fluent Bit documents for them:
a JSON parser decodes one object (anything else fails and the next parser is tried), a regex
parser's named groups become keys, `nest lift`, and the `modify` rules used.
"""

from __future__ import annotations

import dataclasses
import re

from render import fluent_bit
from settings import log_pipeline as logs
from settings.model import LoggingSettings
from tests.unit.fluent_bit_emulator import (
    of,
    read_classic,
    value,
    values,
)


def test_sections_in_pipeline_order(conf):
    assert [name for name, _ in conf] == ["@INCLUDE", "SERVICE", "INPUT", "FILTER", "FILTER", "FILTER", "FILTER",
                                          "OUTPUT"]


def test_service_loads_our_parsers_and_serves_prometheus_metrics(conf):
    [service] = of(conf, "SERVICE")
    assert value(service, "Parsers_File") == fluent_bit.PARSERS_PATH
    assert value(service, "HTTP_Server") == "On"
    assert value(service, "HTTP_Port") == "2020"
    assert value(service, "HTTP_Listen") == "0.0.0.0"
    # /api/v1/health only reports failures when Health_Check is on (the container's healthcheck).
    assert value(service, "Health_Check") == "On"
    # v2 has the buffer's fill level (fluentbit_output_chunk_available_capacity_percent), v1 does not.
    assert fluent_bit.METRICS_PATH == "/api/v2/metrics/prometheus"


def test_input_tails_docker_json_logs_with_offsets_on_the_volume(conf):
    [tail] = of(conf, "INPUT")
    assert value(tail, "Name") == "tail"
    assert value(tail, "Path") == "/var/lib/docker/containers/*/*-json.log"
    assert value(tail, "Parser") == fluent_bit.DOCKER_PARSER
    assert value(tail, "Docker_Mode") == "On"
    assert value(tail, "DB").startswith(fluent_bit.DATA_DIR + "/")
    assert value(tail, "storage.type") == "filesystem"


def test_a_custom_docker_log_dir_is_tailed(dev_settings):
    settings = dataclasses.replace(dev_settings, logging=LoggingSettings(docker_log_dir="/srv/docker/containers"))
    [tail] = of(read_classic(fluent_bit.render_fluent_bit_conf(settings)), "INPUT")
    assert value(tail, "Path") == "/srv/docker/containers/*/*-json.log"


def test_buffering_on_disk_and_retries_that_end_and_are_counted(conf, dev_settings):
    [service] = of(conf, "SERVICE")
    [output] = of(conf, "OUTPUT")
    assert value(service, "storage.path").startswith(fluent_bit.DATA_DIR + "/")
    # A finite limit: a chunk that never gets through is counted in retries_failed (the alert's
    # metric), which `no_limits` never increments.
    assert value(output, "Retry_Limit") == str(logs.RETRY_LIMIT) and logs.RETRY_LIMIT > 0
    # Waits capped at 5 minutes: once Elasticsearch is back every chunk is sent within minutes,
    # and RETRY_LIMIT capped waits (mean (base + cap) / 2 each) cover an outage of hours.
    assert (value(service, "scheduler.base"), value(service, "scheduler.cap")) == ("5", "300")
    assert logs.RETRY_LIMIT * (logs.SCHEDULER_BASE + logs.SCHEDULER_CAP) / 2 >= 3 * 3600
    # The whole bulk reply is read: a reply over the buffer would be retried however it was indexed.
    assert value(output, "Buffer_Size") == "False"
    assert dev_settings.logging.buffer_max_size == "1G"
    # As set: Fluent Bit reads 1G as 10^9 bytes, what the settings mean by it (not 1024M, 1.024 * 10^9).
    assert value(output, "storage.total_limit_size") == "1G"


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
    assert value(parsers[fluent_bit.DOCKER_PARSER], "Time_Key") == "time"


# --------------------------------------------------------------------------- the pipeline in Python
