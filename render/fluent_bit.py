"""Fluent Bit's configuration (classic format): Docker's log files -> parsed fields -> Elasticsearch.

Why the classic `.conf` format and not YAML: it is the format of the guide and of Fluent Bit's
own documentation for every plugin used here, and repeated keys (`Parser`, `Rename`, `Record`)
are plain repeated lines, where the YAML format's list handling changed between 2.x and 3.x.
The configuration is built as data (sections of ordered key/value pairs) and serialised once.

Why `tail` on Docker's json-file logs and not the `forward` input with Docker's fluentd driver:
with the fluentd driver a container's stdout blocks (or, in non-blocking mode, drops lines)
whenever Fluent Bit is down or slow, and `docker logs` stops working; tailing the files keeps
the platform independent of the log pipeline, and the tail offsets (`DB`, on the data volume)
let a restarted Fluent Bit resume exactly where it stopped. The containers' json-file logs
carry `attrs` (service label and container name) because components/service.py sets
`labels`/`tag` in the log options.

Secrets: none in these two files. The writer's password is a third file, uploaded from a secret
Output (mode 0400; the image runs as root): `@INCLUDE`d first, its one line
`@SET ES_WRITER_PASSWORD=<password>` sets a configuration variable that `HTTP_Passwd
${ES_WRITER_PASSWORD}` reads. Fluent Bit 3.2.10 has no `_FILE` option and reads `${VAR}` from
the environment or from `@SET` (src/flb_env.c flb_env_get); `@SET` stores its value verbatim
(src/flb_meta.c meta_cmd_set) and a substituted value is not expanded again
(flb_env_var_translate), so a password holding `${` arrives intact. The line is trimmed
(src/config_format/flb_config_format.c, flb_sds_trim), so a password may not end in whitespace
(settings/secrets.py refuses it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from render.elasticsearch import WRITER_USER
from settings.catalog import CATALOG, SERVICE_LABEL, STACK_LABEL, scrape_of
from settings.log_pipeline import RETRY_LIMIT, SCHEDULER_BASE, SCHEDULER_CAP, data_stream_name
from settings.memory_floors import FLUENT_BIT_CHUNKS_UP
from settings.model import CONTAINER_PORTS, StackSettings

CONFIG_DIR = "/fluent-bit/etc"
CONFIG_PATH = f"{CONFIG_DIR}/fluent-bit.conf"
PARSERS_PATH = f"{CONFIG_DIR}/christmas-parsers.conf"
# The data volume: filesystem buffer (chunks not yet in Elasticsearch) and the tail offsets.
DATA_DIR = CATALOG["fluent-bit"].data_path
BUFFER_DIR = f"{DATA_DIR}/buffer/"
TAIL_DB = f"{DATA_DIR}/tail-docker.db"
PASSWORD_VARIABLE = "ES_WRITER_PASSWORD"
PASSWORD_INCLUDE = "/run/secrets/fluent-bit/es-writer-password.conf"
# The -debug image has no USER: Fluent Bit runs as root, who owns the password file.
UID = CATALOG["fluent-bit"].user
HTTP_PORT = CONTAINER_PORTS["fluent-bit"]
# Where Prometheus scrapes it, on one host and on a Swarm (v2: settings/catalog.py says why).
METRICS_PATH = scrape_of("fluent-bit").metrics_path
HEALTH_PATH = CATALOG["fluent-bit"].health_path
TAG_PREFIX = "docker"
# Fluent Bit calls itself unhealthy when more than this many flushes failed (or chunks exhausted
# their retries) within HC_PERIOD seconds (src/http_server/api/v1/health.c).
HC_ERRORS = 5
HC_RETRY_FAILURES = 5
HC_PERIOD = 60

# Which environment a container's logs belong to: this stack's containers carry it (components/
# service.py), and so must the platform's (README, "Which logs a stack ships"). Docker copies a
# label into each json-file line's `attrs` only when the `labels` log option names it.

# The platform's fields, as the index template maps them (see render/elasticsearch.py).
PLATFORM_FIELDS: tuple[str, ...] = ("level", "service", "user_id", "path", "latency_ms", "message")

# Docker's json-file wrapper: {"log": "<line>\n", "stream": "stdout", "attrs": {...}, "time": "..."}.
DOCKER_PARSER = "docker_json"
# The platform's structured log line: one JSON object per line.
PLATFORM_PARSER = "platform_json"
# Anything else (an exporter's logfmt, a stack trace line): the whole line becomes `message`.
PLAIN_PARSER = "plain_line"
PLAIN_REGEX = r"^(?<message>.*?)\s*$"
DOCKER_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%L"


@dataclass(frozen=True)
class Section:
    """One `[NAME]` block: its entries in order (a key may repeat, as Fluent Bit allows)."""

    name: str
    entries: Sequence[tuple[str, str]]

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.entries if k == key]


def service_section(s: StackSettings) -> Section:
    return Section("SERVICE", [
        ("Flush", "5"),
        ("Daemon", "Off"),
        ("Log_Level", "info"),
        ("Parsers_File", PARSERS_PATH),
        # The HTTP server: Prometheus scrapes METRICS_PATH, the healthcheck HEALTH_PATH.
        ("HTTP_Server", "On"),
        ("HTTP_Listen", "0.0.0.0"),
        ("HTTP_Port", str(HTTP_PORT)),
        # /api/v1/health answers 500 once more than HC_ERRORS flushes failed (FLB_ERROR) or more than
        # HC_RETRY_FAILURES chunks exhausted their retries in HC_PERIOD seconds. A *retry* counts for
        # neither: while Elasticsearch is down and chunks are being retried, the endpoint stays 200
        # (restarting Fluent Bit would not help); the FluentBit* alerts report that case.
        ("Health_Check", "On"),
        ("HC_Errors_Count", str(HC_ERRORS)),
        ("HC_Retry_Failure_Count", str(HC_RETRY_FAILURES)),
        ("HC_Period", str(HC_PERIOD)),
        ("scheduler.base", str(SCHEDULER_BASE)),
        ("scheduler.cap", str(SCHEDULER_CAP)),
        # Chunks live on the data volume until Elasticsearch acknowledges them: a restart of Fluent
        # Bit loses nothing; an Elasticsearch outage loses nothing until the buffer is full
        # (storage.total_limit_size: the oldest chunks are dropped) or a chunk's retries run out.
        ("storage.path", BUFFER_DIR),
        ("storage.sync", "full"),
        ("storage.checksum", "On"),
        ("storage.backlog.mem_limit", "16M"),
        ("storage.max_chunks_up", str(FLUENT_BIT_CHUNKS_UP)),  # memoryMb.fluent-bit's floor counts them
        ("storage.metrics", "On"),
    ])


def input_sections(s: StackSettings) -> list[Section]:
    return [Section("INPUT", [
        ("Name", "tail"),
        ("Tag", f"{TAG_PREFIX}.*"),
        ("Path", f"{s.logging.docker_log_dir}/*/*-json.log"),
        ("Parser", DOCKER_PARSER),
        # Docker splits lines over 16 KiB into partial entries: join them before parsing.
        ("Docker_Mode", "On"),
        ("Docker_Mode_Flush", "4"),
        # Offsets survive restarts; a first start reads the files from the beginning.
        ("DB", TAIL_DB),
        ("DB.locking", "true"),
        ("Read_from_Head", "true"),
        ("Refresh_Interval", "10"),
        ("Rotate_Wait", "30"),
        ("Skip_Long_Lines", "On"),
        ("Buffer_Max_Size", "256k"),
        ("storage.type", "filesystem"),
    ])]


def stack_regex(stack: str) -> str:
    """Onigmo regex matching exactly `stack` (Pulumi stack names: letters, digits, `-`, `_`, `.`)."""
    return "^" + re.sub(r"([.\\^$|?*+()\[\]{}])", r"\\\1", stack) + "$"


def filter_sections(s: StackSettings) -> list[Section]:
    match = f"{TAG_PREFIX}.*"
    return [
        # Logs stay in their environment: only lines whose container is labelled for this stack
        # are kept (a line without the label is dropped too). grep's record accessor reads the
        # label inside Docker's `attrs` (plugins/filter_grep/grep.c at v3.2.10: a key is a
        # record accessor pattern).
        Section("FILTER", [
            ("Name", "grep"),
            ("Match", match),
            ("Regex", f"$attrs['{STACK_LABEL}'] {stack_regex(s.stack)}"),
        ]),
        # The platform's JSON line becomes fields; any other line becomes `message`.
        Section("FILTER", [
            ("Name", "parser"),
            ("Match", match),
            ("Key_Name", "log"),
            ("Parser", PLATFORM_PARSER),
            ("Parser", PLAIN_PARSER),
            ("Reserve_Data", "On"),
            ("Preserve_Key", "Off"),
        ]),
        # Docker's attrs (service label, container name from the `tag` log option) to top-level keys.
        Section("FILTER", [
            ("Name", "nest"),
            ("Match", match),
            ("Operation", "lift"),
            ("Nested_under", "attrs"),
            ("Add_prefix", "attrs_"),
        ]),
        Section("FILTER", [
            ("Name", "modify"),
            ("Match", match),
            ("Rename", "attrs_tag container_name"),
            # A line that does not name its service gets the container's service label.
            ("Copy", f"attrs_{SERVICE_LABEL} service"),
            # Elasticsearch sets @timestamp from the Docker time; a duplicate key would be rejected.
            ("Remove", "@timestamp"),
            ("Remove_wildcard", "attrs_"),
            ("Set", f"stack {s.stack}"),
        ]),
    ]


def output_sections(s: StackSettings) -> list[Section]:
    return [Section("OUTPUT", [
        ("Name", "es"),
        ("Match", f"{TAG_PREFIX}.*"),
        ("Host", "elasticsearch"),
        ("Port", str(CONTAINER_PORTS["elasticsearch"])),
        ("HTTP_User", WRITER_USER),
        ("HTTP_Passwd", "${" + PASSWORD_VARIABLE + "}"),
        # A data stream: `create` operations only, the index template and ILM do the rest.
        ("Index", data_stream_name(s)),
        ("Write_Operation", "create"),
        ("Suppress_Type_Name", "On"),
        # No Generate_ID: the id would be a hash of the record, so two identical lines were one
        # document (the second a 409), and a chunk whose every record answers 409 (a resend of an
        # indexed chunk) counts as neither success nor error in plugins/out_es/es.c
        # (elasticsearch_error_check) and is retried until its limit.
        ("Replace_Dots", "On"),
        ("Time_Key", "@timestamp"),
        ("Trace_Error", "On"),
        # Read the whole bulk reply: a reply larger than Buffer_Size is an HTTP client error
        # (src/flb_http_client.c) and the chunk is retried, however it was indexed.
        ("Buffer_Size", "False"),
        ("Retry_Limit", str(RETRY_LIMIT)),
        # When the buffer of this output is full, the oldest chunks are dropped and counted in
        # fluentbit_output_dropped_records_total (src/flb_input_chunk.c): the alerts see it.
        # Written as set: its grammar is flb_utils_size_to_bytes' own (settings/grammar_numbers.py), decimal
        # units. Converted to MiB it was read larger (1G as 1024M, 1.024e9 bytes) or, rounded down, below the
        # settings' floor (10000K as 9M; tests/config/test_fluent_bit_readback.py).
        ("storage.total_limit_size", s.logging.buffer_max_size),
    ])]


def parser_sections() -> list[Section]:
    return [
        Section("PARSER", [
            ("Name", DOCKER_PARSER),
            ("Format", "json"),
            ("Time_Key", "time"),
            ("Time_Format", DOCKER_TIME_FORMAT),
            ("Time_Keep", "Off"),
        ]),
        # No Time_Key: the Docker timestamp (when the line was written) stays the record's time.
        # latency_ms keeps its JSON type (a number); the index template maps it as a number too.
        Section("PARSER", [
            ("Name", PLATFORM_PARSER),
            ("Format", "json"),
        ]),
        Section("PARSER", [
            ("Name", PLAIN_PARSER),
            ("Format", "regex"),
            ("Regex", PLAIN_REGEX),
        ]),
    ]


def render_sections(sections: Sequence[Section]) -> str:
    width = max((len(k) for section in sections for k, _ in section.entries), default=0) + 1
    blocks = []
    for section in sections:
        lines = [f"[{section.name}]"]
        for key, value in section.entries:
            if "\n" in value or "\n" in key:
                raise ValueError(f"{section.name}.{key}: a value must fit on one line")
            lines.append(f"    {key.ljust(width)}{value}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def render_fluent_bit_conf(s: StackSettings) -> str:
    # Meta commands run before any section is configured, so the variable is set when read.
    include = f"@INCLUDE {PASSWORD_INCLUDE}\n\n"
    return include + render_sections([service_section(s), *input_sections(s), *filter_sections(s),
                                      *output_sections(s)])


def render_password_include(password: str) -> str:
    """The secret file: one `@SET` line (a value Fluent Bit would alter is refused)."""
    if any(c in password for c in "\r\n") or password != password.rstrip():
        raise ValueError("the Elasticsearch writer password must fit on one line without trailing whitespace")
    return f"@SET {PASSWORD_VARIABLE}={password}\n"


def render_parsers_conf() -> str:
    return render_sections(parser_sections())
