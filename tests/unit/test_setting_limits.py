"""Every numeric setting at its limits and one step past them, the limits written as literals.

Each limit is the consumer's (a TCP port is 1-65535), or the program's reason (a threshold at
100% never fires); the tests state them here rather than read them back from settings/, so a
limit that drifts fails. The settings of the guide's four alerts (cpuPercent, memoryPercent,
errorRatePercent, dbConnectionsPercent) are left out while issue 20 reworks those alerts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import NamedTuple

import pytest

from settings.declare import declarations
from settings.model import PROJECT, SettingsError, parse_settings
from settings.sections import SECTIONS
from settings.services import MAP_SETTINGS
from tests.conftest import stack_config

# The step "one past" a limit: whole numbers step by 1, the others by a thousandth.
FINE = 0.001


class Limit(NamedTuple):
    key: str
    low: float
    high: float
    low_open: bool = False  # the low end itself is refused
    high_open: bool = False
    whole: bool = True
    # Other settings a value at the limit needs (e.g. a heap needs memory twice its size).
    needs: tuple[tuple[str, object], ...] = ()
    # The stacks where the key is read at all.
    stacks: tuple[str, ...] = ("dev", "prod")


LIMITS = (
    Limit("thresholds.diskFreePercent", 0, 100, low_open=True, high_open=True, whole=False),
    Limit("thresholds.apiP95LatencySeconds", 0, 600, low_open=True, whole=False),
    Limit("thresholds.dbReplicationLagSeconds", 0, 86400, low_open=True, whole=False),
    Limit("thresholds.dbSlowQuerySeconds", 0, 3600, low_open=True, whole=False),
    Limit("thresholds.orderFailurePercent", 0, 100, low_open=True, high_open=True, whole=False),
    Limit("thresholds.orderLatencyP95Seconds", 0, 600, low_open=True, whole=False),
    Limit("thresholds.containerMemoryPercent", 0, 100, low_open=True, high_open=True, whole=False),
    Limit("thresholds.diskFillHours", 1, 168, whole=False),
    Limit("thresholds.tradingIdleMinutes", 1, 1440, whole=False),
    Limit("alerting.alertmanagerPeers", 1, 5, needs=(("alerting.gossipSubnet", "172.16.94.0/28"),)),
    # Market hours: open before close, so each is tried against the widest other end.
    Limit("alerting.marketOpenHourUtc", 0, 23, needs=(("alerting.marketCloseHourUtc", 24),)),
    Limit("alerting.marketCloseHourUtc", 1, 24, needs=(("alerting.marketOpenHourUtc", 0),)),
    # The JVM heap: Elasticsearch's minimum, and below the 32 GB compressed-pointer limit; at most half the memory.
    Limit("logging.elasticsearchHeapMb", 128, 31744, needs=(("memoryMb.elasticsearch", 65536),)),
    # Ten years of daily indices would pass the shard budget (settings/rules.py): roll over monthly.
    Limit("logging.retentionDays", 1, 3650, needs=(("logging.rolloverMaxAge", "30d"),)),
    Limit("edge.httpPort", 1, 65535),
    # Every public URL names the HTTPS port (at 443, implied).
    Limit("edge.httpsPort", 1, 65535, needs=(("grafana.rootUrl", "https://grafana.example.com:{value}"),
                                             ("logging.kibanaPublicBaseUrl", "https://kibana.example.com:{value}"))),
    # prod requires postgresExporterDsn, which replaces database.*: only a stack without a DSN reads it.
    Limit("database.port", 1, 65535, stacks=("dev",)),
    Limit("publish.grafana.port", 1, 65535),
    # The sizing table (settings/sizing.py) holds the memory to the series a stack declares: 128 MB at the fewest.
    Limit("memoryMb.prometheus", 128, 262144, needs=(("sizing.expectedSeries", 100),)),
    # The most series need the most memory and disk the table allows.
    Limit("sizing.expectedSeries", 100, 10_000_000,
          needs=(("memoryMb.prometheus", 262144), ("prometheus.retentionSize", "8TB"))),
    Limit("cpus.grafana", 0.05, 64, whole=False),
)
# Numeric settings not in LIMITS, and why.
NOT_HERE = {
    "thresholds.cpuPercent": "the guide's HighCpuUsage (issue 20)",
    "thresholds.memoryPercent": "the guide's HighMemoryUsage (issue 20)",
    "thresholds.errorRatePercent": "the guide's HighErrorRate (issue 20)",
    "thresholds.dbConnectionsPercent": "the guide's LowDbConnections (issue 20)",
    "logging.elasticsearchNodes": "1 or 3, not a range: tests/unit/test_bad_inputs.py",
}


def with_values(stack: str, values: dict[str, object]) -> tuple[dict[str, str], frozenset[str]]:
    """The stack file's settings with `section.key` (or `publish.service.port`) replaced."""
    config, secret_keys = stack_config(stack)
    config = dict(config)
    for path, value in values.items():
        section, *rest = path.split(".")
        tree = json.loads(config.get(section, "{}"))
        node = tree
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = value
        config[section] = json.dumps(tree)
    if any(path.startswith("database.") for path in values):
        # database.* is read only without a DSN (settings/rules.py refuses both at once).
        config.pop("postgresExporterDsn", None)
        secret_keys = secret_keys - {"postgresExporterDsn"}
    return config, frozenset(secret_keys)


def problems(stack: str, values: dict[str, object]) -> str:
    config, secret_keys = with_values(stack, values)
    try:
        parse_settings(PROJECT, stack, config, secret_keys)
    except SettingsError as error:
        return str(error)
    return ""


def cases(limit: Limit) -> list[tuple[float, bool]]:
    """(value, accepted): each end, and one step past it."""
    step = 1 if limit.whole else FINE
    inside_low = limit.low + step if limit.low_open else limit.low
    inside_high = limit.high - step if limit.high_open else limit.high
    outside_low = limit.low if limit.low_open else limit.low - step
    outside_high = limit.high if limit.high_open else limit.high + step
    return [(inside_low, True), (outside_low, False), (inside_high, True), (outside_high, False)]


def _number(value: float, whole: bool) -> float | int:
    return int(value) if whole else round(value, 6)


@pytest.mark.parametrize(("stack", "limit"), [(stack, limit) for limit in LIMITS for stack in limit.stacks],
                         ids=[f"{limit.key}-{stack}" for limit in LIMITS for stack in limit.stacks])
def test_each_numeric_setting_is_accepted_at_its_limits_and_refused_one_step_past(stack: str, limit: Limit) -> None:
    for value, accepted in cases(limit):
        number = _number(value, limit.whole)
        needs = {k: v.format(value=number) if isinstance(v, str) else v for k, v in limit.needs}
        found = problems(stack, {**needs, limit.key: number})
        if accepted:
            assert found == "", f"{limit.key}={number} refused: {found}"
        else:
            assert f"  - {limit.key}: " in found, f"{limit.key}={number} accepted"


def numeric_keys() -> set[str]:
    keys = {f"{section}.{declaration.key}" for section, cls in SECTIONS.items()
            for field, declaration in declarations(cls) if field.type in ("int", "float", int, float)}
    return keys | {f"{m.key}.*" for m in MAP_SETTINGS if m.kind in (int, float)} | {"publish.*.port"}


def test_every_numeric_setting_is_tried_at_its_limits() -> None:
    # A numeric setting added to settings/ needs its row above (or a reason below).
    covered = {limit.key for limit in LIMITS} | set(NOT_HERE)
    covered |= {f"{key.split('.')[0]}.*" for key in covered if key.split(".")[0] in ("memoryMb", "cpus")}
    covered |= {"publish.*.port"} if "publish.grafana.port" in covered else set()
    assert sorted(numeric_keys() - covered) == []
    assert all(dataclasses.is_dataclass(cls) for cls in SECTIONS.values())


@pytest.mark.parametrize(("key", "expected"), [
    # What a stack gets when it says nothing: a week of logs, PostgreSQL's port, HTTP and HTTPS.
    ("logging.retentionDays", 7),
    ("database.port", 5432),
    ("edge.httpPort", 80),
    ("edge.httpsPort", 443),
    ("alerting.alertmanagerPeers", 1),
    ("alerting.marketOpenHourUtc", 0),
    ("alerting.marketCloseHourUtc", 24),
    ("thresholds.apiP95LatencySeconds", 1.0),
    ("thresholds.diskFreePercent", 10.0),
])
def test_an_unset_numeric_setting_takes_its_stated_default(key: str, expected: float) -> None:
    section, name = key.split(".")
    config, secret_keys = stack_config("prod")
    tree = json.loads(config.get(section, "{}"))
    tree.pop(name, None)
    config = {**config, section: json.dumps(tree)}
    settings = parse_settings(PROJECT, "prod", config, frozenset(secret_keys))
    field = next(f.name for f, d in declarations(SECTIONS[section]) if d.key == name)
    assert getattr(getattr(settings, section), field) == expected
