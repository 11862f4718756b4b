"""The sizing figures from the footprints of one run (bench/footprint.py), and their report lines.

Anonymous memory is fitted as a line through the footprints' (series held, peak) points; CPU per
thousand series is the highest of the footprints' (ingestion + rules) per series; bytes a sample come
from the bench's raw blocks. settings/sizing.py turns the figures into limits.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.footprint import Footprint
from bench.grafana import duration_ms
from settings.sizing import HEADROOM, SizingFigures

TABLE_SERIES = (5_000, 10_000, 20_000, 50_000, 100_000)


def fit(footprints: Sequence[Footprint], query_anon_mb: float, bytes_per_sample: float,
        scrape_interval: str, source: str = "") -> SizingFigures:
    points = sorted((f.head_series + f.rule_series, f.peak_anon_mb, f.peak_file_mb) for f in footprints)
    (x0, y0, z0), (x1, y1, z1) = points[0], points[-1]
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else y1 / x1
    # Mapped memory starts with the binary's own pages (~30 MB): its growth per series is the slope.
    mapped = max(0.0, (z1 - z0) / (x1 - x0)) if x1 != x0 else z1 / x1
    return SizingFigures(
        anon_mb_base=round(max(0.0, y0 - slope * x0), 1), anon_mb_per_1k_series=round(slope * 1000, 3),
        file_mb_per_1k_series=round(mapped * 1000, 3), query_anon_mb=query_anon_mb,
        cpu_per_1k_series=round(max((f.ingestion_cpu_per_second + f.rule_cpu_per_second) / f.head_series * 1000
                                    for f in footprints), 5),
        rule_series_per_series=round(max(f.rule_series / f.head_series for f in footprints), 4),
        bytes_per_sample=bytes_per_sample, scrape_seconds=duration_ms(scrape_interval) / 1000, source=source)


def table(figures: SizingFigures, series: Sequence[int] = TABLE_SERIES) -> list[str]:
    lines = [f"| series scraped | held (with the rules') | memory need MB | memory limit MB ({HEADROOM:.0%} free) | "
             "mapped MB (page cache) | CPU cores | disk a day | disk 7 days | disk 30 days |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in series:
        mapped = figures.file_mb_per_1k_series * figures.held(n) / 1000
        lines.append(f"| {n:,} | {figures.held(n):,.0f} | {figures.memory_need_mb(n):,.0f} | "
                     f"{figures.memory_limit_mb(n):,} | {mapped:,.0f} | "
                     f"{figures.cpus(n):.2f} | {_gb(figures.disk_bytes_per_day(n))} | "
                     f"{_gb(figures.disk_bytes(n, 7))} | {_gb(figures.disk_bytes(n, 30))} |")
    return lines


def _gb(value: float) -> str:
    return f"{value / 1e9:.2f} GB"


def footprint_lines(footprints: Sequence[Footprint], disk: tuple[float, int],
                    figures: SizingFigures | None) -> list[str]:
    if not footprints:
        return []
    lines = ["### Footprint of Prometheus (bench/footprint.py)", "",
             "| size | raw series | head series | series the rules add | samples/s | ingestion CPU s/s | "
             "rules CPU s/s | peak anon MB | peak mapped MB | s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {f.label} | {f.raw_series:,} | {f.head_series:,} | {f.rule_series:,} | {f.samples_per_second:,.0f} | "
              f"{f.ingestion_cpu_per_second:.3f} | {f.rule_cpu_per_second:.3f} | {f.peak_anon_mb:,.0f} | "
              f"{f.peak_file_mb:,.0f} | {f.seconds:.0f} |" for f in footprints]
    lines += ["", f"- bytes a sample on disk (the raw blocks): {disk[0]} over {disk[1]:,} samples"]
    if figures:
        lines += [f"- fitted: {figures.as_dict()}", "", "#### Sizing table", "", *table(figures)]
    return lines
