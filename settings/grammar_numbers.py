"""The numbers of durations and sizes as their consumers parse and hold them (Prometheus,
Elasticsearch, Fluent Bit): each grammar names the parser at its pinned version, its range (digits,
overflow, units) and a floor below which the stack breaks. Same conventions as settings/grammar.py
(None when valid, fullmatch only); settings.grammar re-exports these names.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"y": 31536000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# Prometheus holds a duration as int64 nanoseconds (about 292 years); 100y is plenty.
_MAX_DURATION_SECONDS = 100 * 31536000


def duration_seconds(value: str) -> float:
    """Seconds of a Prometheus duration that matches the grammar."""
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|[ywdhms])", value):
        total += int(number) / 1000 if unit == "ms" else int(number) * _UNIT_SECONDS[unit]
    return total


# Prometheus model.ParseDuration (prometheus/common model/time.go): units in this order, each once.
_PROM_DURATION = re.compile(r"(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?")

def prometheus_duration(value: str) -> str | None:
    if not value or value == "0" or not _PROM_DURATION.fullmatch(value) or not re.search(r"[1-9]", value):
        return ("must be a Prometheus duration such as 15s, 1m30s or 15d (units y w d h m s ms, "
                "largest first, each once; not zero)")
    if duration_seconds(value) > _MAX_DURATION_SECONDS:
        return "must be at most 100y (Prometheus holds durations as 64-bit nanoseconds)"
    return None


# A floor for the scrape and evaluation intervals: Prometheus cuts a scrape's timeout down to the
# interval, so below a second a target's ordinary response time (a /metrics page, a slow rule
# group) fails every scrape or evaluation. The integration tests run at 1s.
PROMETHEUS_INTERVAL_FLOOR_SECONDS = 1


def prometheus_interval(value: str) -> str | None:
    wrong = prometheus_duration(value)
    if wrong is None and duration_seconds(value) < PROMETHEUS_INTERVAL_FLOOR_SECONDS:
        return "must be at least 1s (Prometheus cuts each scrape or evaluation off at the interval)"
    return wrong


# alecthomas/units ParseBase2Bytes, as --storage.tsdb.retention.size reads it (one component).
_PROM_SIZE = re.compile(r"(\d+)(\.\d+)?(B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)")
_BASE2 = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
# units.ParseUnit (alecthomas/units util.go): leadingInt refuses a run of digits once it reaches
# (1<<63-10)/10; the sum is a float64, refused above 1<<63-1 (as a float64: 2**63), and
# int64() of exactly 2**63 wraps to the most negative int64: a size that deletes every block.
_GO_LEADING_INT_MAX = ((1 << 63) - 10) // 10
# A floor: Prometheus counts the WAL (128 MB segments) and the head chunks in the retention size,
# so a smaller limit deletes each block as soon as it is written.
PROMETHEUS_SIZE_FLOOR = 512 << 20


def prometheus_size_bytes(value: str) -> float:
    """Bytes of a size that matches _PROM_SIZE, computed in float64 as units.ParseUnit does."""
    match = _PROM_SIZE.fullmatch(value)
    assert match is not None
    whole, fraction, unit = match.groups()
    number = float(int(whole)) + (float(int(fraction[1:])) / 10 ** (len(fraction) - 1) if fraction else 0.0)
    return number * _BASE2[unit[0]]


def prometheus_size(value: str) -> str | None:
    match = _PROM_SIZE.fullmatch(value)
    if not match or not re.search(r"[1-9]", value):
        return "must be a Prometheus size such as 512MB, 50GB or 1TB (units B KB MB GB TB PB, or KiB ... PiB)"
    whole, fraction, _ = match.groups()
    if int(whole) >= _GO_LEADING_INT_MAX or (fraction and int(fraction[1:]) >= _GO_LEADING_INT_MAX) \
            or prometheus_size_bytes(value) >= 2.0 ** 63:
        return ("must be less than 8192PB, each number of at most 18 digits (Prometheus holds the size as a "
                "64-bit number of bytes)")
    if prometheus_size_bytes(value) < PROMETHEUS_SIZE_FLOOR:
        return "must be at least 512MB (Prometheus counts its write-ahead log, 128MB segments, in this size)"
    return None


# Elasticsearch TimeValue (ILM max_age): one unit, the number read by Long.parseLong
# (TimeValue.parseTimeValue, 8.18), so at most 2**63-1.
_ES_TIME = re.compile(r"([1-9]\d*)(d|h|m|s)")
_ES_TIME_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# ILM looks at an index every indices.lifecycle.poll_interval (10m by default): a shorter max_age
# rolls over at every poll, and each backing index is one more shard against the node's limit.
ES_ROLLOVER_FLOOR_SECONDS = 3600
_JAVA_LONG_MAX = (1 << 63) - 1


def es_time_seconds(value: str) -> int:
    match = _ES_TIME.fullmatch(value)
    assert match is not None
    return int(match.group(1)) * _ES_TIME_UNIT[match.group(2)]


def es_time(value: str) -> str | None:
    match = _ES_TIME.fullmatch(value)
    if not match:
        return "must be an Elasticsearch time such as 1d or 12h (one unit)"
    if int(match.group(1)) > _JAVA_LONG_MAX:
        return "must have a number of at most 9223372036854775807 (Elasticsearch reads it as a Java long)"
    if es_time_seconds(value) < ES_ROLLOVER_FLOOR_SECONDS:
        return "must be at least 1h (ILM checks indices every 10 minutes; each rollover adds a shard)"
    return None


es_time.__name__ = "es_time"

# Elasticsearch ByteSizeValue (ILM max_primary_shard_size): one unit of 1024s; the constructor
# refuses more than Long.MAX_VALUE bytes ("Values greater than 9223372036854775807 bytes are not
# supported", ByteSizeValue at 8.18).
_ES_SIZE = re.compile(r"([1-9]\d*)(b|kb|mb|gb|tb|pb)", re.IGNORECASE)
_ES_SIZE_UNIT = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}
# A floor: a primary shard rolled over below 10mb means an index every ILM poll.
ES_SIZE_FLOOR = 10 << 20


def es_size(value: str) -> str | None:
    match = _ES_SIZE.fullmatch(value)
    if not match:
        return "must be an Elasticsearch size such as 5gb or 500mb"
    size = int(match.group(1)) * _ES_SIZE_UNIT[match.group(2).lower()]
    if size > _JAVA_LONG_MAX:
        return "must be less than 8192pb (Elasticsearch refuses more than 2^63-1 bytes)"
    if size < ES_SIZE_FLOOR:
        return "must be at least 10mb (each rollover adds a shard)"
    return None


# Fluent Bit flb_utils_size_to_bytes (src/flb_utils.c, storage.total_limit_size): atoll of the
# number, then K/M/G (B optional) in 1000s; it returns -1 (read as "no limit") from
# 9223372036854775K, 9223372036854M or 9223372036G on.
_FLUENT_BIT_SIZE = re.compile(r"([1-9]\d*)(K|M|G)B?")
_FLUENT_BIT_LIMIT = {"K": 9223372036854775, "M": 9223372036854, "G": 9223372036}
_FLUENT_BIT_UNIT = {"K": 1000, "M": 1000**2, "G": 1000**3}
# A floor: Fluent Bit buffers in chunks of about 2 MB; a limit of a few chunks drops logs at once.
FLUENT_BIT_SIZE_FLOOR = 10 * 1000**2


def fluent_bit_size(value: str) -> str | None:
    match = _FLUENT_BIT_SIZE.fullmatch(value)
    if not match:
        return "must be a Fluent Bit size such as 512M or 1G"
    number, unit = int(match.group(1)), match.group(2)
    if number >= _FLUENT_BIT_LIMIT[unit]:
        return "must be less than 9223372036G (Fluent Bit reads a larger size as -1)"
    if number * _FLUENT_BIT_UNIT[unit] < FLUENT_BIT_SIZE_FLOOR:
        return "must be at least 10M (Fluent Bit buffers in chunks of about 2 MB)"
    return None
