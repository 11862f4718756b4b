"""What Prometheus needs for the series a stack expects: memory, CPU, disk, from `make bench`'s figures.

`make bench` measures the footprint of Prometheus at the bench's platform size and at three times it
(bench/footprint.py, bench/sizing.py): anonymous memory grows linearly with the series held (the
scraped ones plus those the rules add), CPU with the series scraped, disk with the samples. MEASURED
holds those figures as one run gave them (README "Sizing" quotes the run and the machine's load;
tests/unit/test_sizing.py keeps MEASURED equal to that run's JSON). A stack declares the series it
expects (`sizing.expectedSeries`); settings refuse a Prometheus memory limit or retention size below
what the table gives for it (settings/sizing_checks.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from settings import grammar as g
from settings.declare import setting

HEADROOM = 0.30  # of the memory limit left free at the expected size (a query burst, compaction)
LIMIT_STEP_MB = 64


@dataclass(frozen=True)
class SizingFigures:
    """A measured footprint, per thousand series where it grows with them."""

    anon_mb_base: float  # anonymous memory of an (almost) empty Prometheus, from the fit
    anon_mb_per_1k_series: float  # anonymous memory per thousand series held in the head
    file_mb_per_1k_series: float  # memory-mapped (page cache, reclaimable) per thousand series
    query_anon_mb: float  # the dashboards over 7 and 30 days on top (bench size)
    cpu_per_1k_series: float  # CPU seconds a second per thousand scraped series: ingestion and rules
    rule_series_per_series: float  # series the rules add per scraped series
    bytes_per_sample: float  # on disk, compacted blocks
    scrape_seconds: float
    source: str  # the run: bench/results/<name>.json

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def held(self, series: int) -> float:
        return series * (1 + self.rule_series_per_series)

    def memory_need_mb(self, series: int) -> float:
        return self.anon_mb_base + self.anon_mb_per_1k_series * self.held(series) / 1000 + self.query_anon_mb

    def memory_limit_mb(self, series: int) -> int:
        """The smallest limit (a multiple of 64 MB) that keeps HEADROOM of it free at `series`."""
        need = self.memory_need_mb(series) / (1 - HEADROOM)
        return int(math.ceil(need / LIMIT_STEP_MB) * LIMIT_STEP_MB)

    def cpus(self, series: int) -> float:
        return self.cpu_per_1k_series * series / 1000

    def disk_bytes_per_day(self, series: int, scrape_seconds: float | None = None) -> float:
        """Every series held, one sample a scrape (the rules' at least as sparse), a day."""
        return self.held(series) * 86400 / (scrape_seconds or self.scrape_seconds) * self.bytes_per_sample

    def disk_bytes(self, series: int, days: float, scrape_seconds: float | None = None) -> float:
        return self.disk_bytes_per_day(series, scrape_seconds) * days


# `make bench` at 2026-12-07 21:58 UTC (README "Sizing": the machine's load, what the figures leave out).
MEASURED = SizingFigures(anon_mb_base=26.6, anon_mb_per_1k_series=3.953, file_mb_per_1k_series=0.002,
                         query_anon_mb=28.5, cpu_per_1k_series=0.00195, rule_series_per_series=0.3443,
                         bytes_per_sample=3.463, scrape_seconds=15.0,
                         source='bench/results/2026-12-07T2158-18192.json')


@dataclass(frozen=True)
class SizingSettings:
    """The size of the platform the stack watches: what Prometheus is sized for."""

    expected_series: int = setting("expectedSeries", 20000, example="20000", check=g.between(100, 10_000_000),
                                   doc="series Prometheus is expected to scrape (the footprint table in README "
                                       "\"Sizing\"); memoryMb.prometheus and prometheus.retentionSize must cover it")
