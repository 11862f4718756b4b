"""Settings that know the size: a Prometheus memory limit or retention size below what the sizing
table (settings/sizing.py, README "Sizing") gives for `sizing.expectedSeries` is refused, naming the figure.

Prometheus parses `--storage.tsdb.retention.size` with base-2 units (`units.ParseBase2Bytes`:
KB = KiB = 1024 B), so the check reads it the same way.
"""

from __future__ import annotations

import math
import re

from settings.grammar import duration_seconds
from settings.problems import Problems, fix_command
from settings.sizing import HEADROOM, MEASURED, SizingFigures
from settings.stack import StackSettings

_SIZE = re.compile(r"(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)")
_POWER = {"B": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def size_bytes(value: str) -> float | None:
    """Bytes of a Prometheus size (`10GB` = 10 x 2^30), None when not one."""
    match = _SIZE.fullmatch(value)
    if not match:
        return None
    return float(match.group(1)) * float(1024 ** _POWER[match.group(2)[0]])


def sizing_checks(s: StackSettings, problems: Problems, figures: SizingFigures = MEASURED) -> None:
    if not figures.source:  # no measured figures: nothing to hold the settings to
        return
    series = s.sizing.expected_series
    expected = "sizing.expectedSeries"
    memory, limit = s.services["prometheus"].memory_mb, figures.memory_limit_mb(series)
    if memory < limit and not problems.about("memoryMb.prometheus", expected):
        problems.add("memoryMb.prometheus",
                     f"({memory} MB) is below the {limit} MB that {series:,} expected series need: "
                     f"{figures.memory_need_mb(series):,.0f} MB measured (README \"Sizing\", {figures.source}) "
                     f"with {HEADROOM:.0%} of the limit free; or lower {expected}",
                     fix_command("memoryMb.prometheus", str(limit)))
    keys = ("prometheus.retentionSize", "prometheus.retentionTime", "prometheus.scrapeInterval", expected)
    days = duration_seconds(s.prometheus.retention_time) / 86400
    scrape = duration_seconds(s.prometheus.scrape_interval)
    need = figures.disk_bytes(series, days, scrape)
    gib = max(1, math.ceil(need / 2**30))
    if problems.about("prometheus.retentionSize") and not problems.about(*keys[1:]):
        # Refused by its grammar: the fix it gets is a size this stack's series fit in.
        problems.refix("prometheus.retentionSize", fix_command("prometheus.retentionSize", f"{gib}GB"))
    given = size_bytes(s.prometheus.retention_size)
    if given is None or problems.about(*keys):
        return
    if given < need:
        problems.add("prometheus.retentionSize",
                     f"({s.prometheus.retention_size}) is below the {need / 2**30:.1f} GiB that {series:,} expected "
                     f"series take over prometheus.retentionTime ({s.prometheus.retention_time}): "
                     f"{figures.disk_bytes_per_day(series, scrape) / 2**30:.2f} GiB a day (README \"Sizing\", "
                     f"{figures.source}); Prometheus would delete the oldest days first",
                     fix_command("prometheus.retentionSize", f"{gib}GB"))
