"""Raw data into TSDB blocks: OpenMetrics text per time window, each read by `promtool tsdb create-blocks-from`.

promtool (2.42, cmd/promtool/backfill.go) memory-maps its input and parses the whole file once to
find its time span, then once more per block it writes. A week in one file would be ~20 GB parsed
dozens of times; so the week is cut into windows aligned to the block length, each window is one
file (in /dev/shm when it fits) that becomes exactly one block and is deleted once read, and two
workers run generation and promtool side by side.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.series import Size, platform

WINDOW_SECONDS = 6 * 3600  # one of promtool's block ranges (2h * 3^n), so a window is one block


@dataclass(frozen=True)
class Window:
    start: int  # first sample, Unix seconds
    end: int  # last sample (inclusive)


def windows(start: int, end: int, step: int, span: int = WINDOW_SECONDS) -> list[Window]:
    """Sample times from `start` to `end` every `step`, cut at multiples of `span` since the epoch."""
    first = start - start % step
    out: list[Window] = []
    begin = first
    while begin <= end:
        boundary = (begin // span + 1) * span
        last = min(end, boundary - 1)
        last -= (last - first) % step
        out.append(Window(begin, last))
        begin = last + step
    return out


def write_openmetrics(size: Size, window: Window, step: int, path: Path) -> int:
    """Every series' samples in the window, series after series; returns the number of samples."""
    times = list(range(window.start, window.end + 1, step))
    stamps = [f" {t}\n" for t in times]
    samples = 0
    with path.open("w", buffering=8 << 20) as out:
        for family in platform(size):
            for prefix, values in family.rows(times):
                out.write("".join([prefix + v + s for v, s in zip(values, stamps, strict=True)]))
                samples += len(values)
        out.write("# EOF\n")
    return samples


def _scratch_dir(bytes_needed: int, fallback: Path) -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 3 * bytes_needed:
        return shm
    return fallback


def _one_window(size: Size, window: Window, step: int, blocks_dir: Path, scratch: Path) -> tuple[int, float, float]:
    started = time.monotonic()
    fd, name = tempfile.mkstemp(prefix="bench-", suffix=".om", dir=scratch)
    os.close(fd)
    path = Path(name)
    try:
        samples = write_openmetrics(size, window, step, path)
        written = time.monotonic()
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "--quiet",
                        f"--max-block-duration={WINDOW_SECONDS}s", "openmetrics", str(path), str(blocks_dir)],
                       check=True, capture_output=True, text=True)
    finally:
        path.unlink(missing_ok=True)
    return samples, written - started, time.monotonic() - written


@dataclass(frozen=True)
class BackfillStats:
    samples: int
    seconds: float
    generate_cpu_seconds: float
    promtool_seconds: float


def backfill_raw(size: Size, start: int, end: int, step: int, blocks_dir: Path, workers: int = 2) -> BackfillStats:
    """Blocks of every series from `start` to `end` (Unix seconds) at `step` resolution in `blocks_dir`."""
    blocks_dir.mkdir(parents=True, exist_ok=True)
    parts = windows(start, end, step)
    # ~140 bytes a sample line; a window's file must fit twice over (two workers) in the scratch space.
    per_window = 140 * (WINDOW_SECONDS // step) * 20_000
    scratch = _scratch_dir(per_window * workers, blocks_dir.parent)
    began = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_one_window, [size] * len(parts), parts, [step] * len(parts),
                                [blocks_dir] * len(parts), [scratch] * len(parts)))
    return BackfillStats(sum(r[0] for r in results), time.monotonic() - began,
                         sum(r[1] for r in results), sum(r[2] for r in results))
