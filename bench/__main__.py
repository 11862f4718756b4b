"""`python -m bench` (`make bench`): the dashboards' cost at a platform's size, and Prometheus' own footprint.

Generates the raw days (bench/series.py), backfills them and each revision's recording rules with
promtool, then measures every panel query and every variable of the four dashboards on Debian's
Prometheus held to the stack's CPU share, over 7 days, 30 days, 24 hours and 2 days; then the
footprint of a Prometheus scraping the platform at its size and at 3x (bench/footprint.py). Prints
the tables and the targets' verdicts and writes bench/results/<date>.md and .json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench import report
from bench.backfill import BackfillStats, backfill_raw
from bench.footprint import Footprint, bytes_per_sample, measure_footprint, scaled
from bench.pipeline import Outcome, Settings, run_revisions
from bench.series import Size, series_count
from bench.series import platform as platform_series
from bench.sizing import fit, footprint_lines
from bench.sources import PROJECT_DIR, Sources, checkout, plan_sources
from bench.targets import verdicts

T = TypeVar("T")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for field in dataclasses.fields(Size):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=int, default=field.default,
                            help=f"{field.metadata['help']} (default {field.default})")
    parser.add_argument("--days", type=int, default=7,
                        help="days of data (queries cover 7d, 24h, 2d and 30d; 30d is whole only with 30)")
    parser.add_argument("--step", type=int, default=60, help="seconds between samples")
    parser.add_argument("--cpus", type=int, default=1, help="cores of the measured Prometheus (the stack's `cpus`)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per query (median taken)")
    parser.add_argument("--no-merge", action="store_true",
                        help="skip merging rule blocks into raw blocks (saves the compactor's minute; for tests)")
    parser.add_argument("--evaluations", type=int, default=4, help="rule evaluations watched for their cost")
    parser.add_argument("--live-hours", type=int, default=7,
                        help="hours of data up to now for the rule evaluation cost (rules' longest range + 1h)")
    parser.add_argument("--evaluation-interval", default="", help="override the stack's rule evaluation interval")
    parser.add_argument("--scrape-interval", default="",
                        help="override the stack's scrape interval for the footprint and the sizing fit (tests)")
    parser.add_argument("--footprint-seconds", type=float, default=90,
                        help="seconds of ingestion (and again of rules) per footprint size; 0 = no footprint")
    parser.add_argument("--footprint-factors", default="1,3",
                        help="platform sizes the footprint is measured at, as multiples of the bench size")
    parser.add_argument("--footprint-only", action="store_true",
                        help="only the footprint (no backfill, no queries): minutes instead of tens")
    parser.add_argument("--stack", default="prod", help="stack whose offline plan gives rules and dashboards")
    parser.add_argument("--baseline-rev", default="28a6919", help="git revision to compare with ('' for none)")
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "build" / "bench", help="scratch directory")
    parser.add_argument("--results", type=Path, default=PROJECT_DIR / "bench" / "results")
    return parser.parse_args(argv)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{os.cpu_count()} x {cpu}, {memory_kb / 1048576:.0f} GiB RAM; {version}"


def _plans(args: argparse.Namespace) -> list[Sources]:
    """The baseline revision's and this tree's offline plans, side by side."""
    def baseline() -> Sources:
        with checkout(args.baseline_rev) as tree:
            return plan_sources(tree, args.stack, args.work / "plan-baseline", f"main@{args.baseline_rev}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(baseline)] if args.baseline_rev else []
        jobs.append(pool.submit(plan_sources, PROJECT_DIR, args.stack, args.work / "plan-current", "current"))
        return [job.result() for job in jobs]


def _write(args: argparse.Namespace, text: str, summary: dict[str, Any], series: int, stamp: datetime) -> None:
    args.results.mkdir(parents=True, exist_ok=True)
    name = f"{stamp:%Y-%m-%dT%H%M}-{series}"
    (args.results / f"{name}.md").write_text(text)
    (args.results / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"written {args.results / name}.md and .json")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = Size(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Size)})
    began = time.monotonic()
    end = int(time.time()) // 60 * 60
    settings = Settings(size, end, args.days, args.step, args.cpus, args.repeats, args.work,
                        merge=not args.no_merge, evaluations=args.evaluations,
                        evaluation_interval=args.evaluation_interval, live_hours=args.live_hours)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    series = series_count(platform_series(size))
    print(f"bench: {series:,} raw series, {args.days} days every {args.step}s; planning, generating and "
          "backfilling ...", flush=True)
    phases: dict[str, float] = {}
    revisions = _timed(phases, "plans_s", lambda: _plans(args))
    if args.footprint_only:
        raw, outcomes = BackfillStats(0, 0.0, 0.0, 0.0), [Outcome(revisions[-1].label)]
    else:
        raw = _timed(phases, "raw_backfill_s", lambda: backfill_raw(size, end - args.days * 86400, end, args.step,
                                                                    args.work / "raw"))
        print(f"  raw: {raw.samples:,} samples in {raw.seconds:.0f}s (generating {raw.generate_cpu_seconds:.0f}s, "
              f"promtool {raw.promtool_seconds:.0f}s, summed over workers)", flush=True)
        outcomes = _timed(phases, "revisions_s", lambda: run_revisions(settings, revisions, args.work / "raw"))
    footprints = _timed(phases, "footprint_s", lambda: _footprints(args, size, revisions[-1]))
    disk = bytes_per_sample(args.work / "raw")
    sizing = fit(footprints, outcomes[-1].timings.get("query_peak_anon_mb", 0.0), disk[0],
                 args.scrape_interval or revisions[-1].scrape_interval) if len(footprints) >= 2 else None
    total = time.monotonic() - began
    stamp = datetime.now(UTC)
    if sizing:
        sizing = dataclasses.replace(sizing, source=f"bench/results/{stamp:%Y-%m-%dT%H%M}-{series}.json")
    header = _header(args, size, series, raw, phases, outcomes, total, stamp)
    text = report.markdown(header, outcomes, args.days, footprint_lines(footprints, disk, sizing))
    print(text)
    _write(args, text, {"date": stamp.isoformat(), "series": series, "size": dataclasses.asdict(size),
                        "days": args.days, "step": args.step, "cpus": args.cpus, "samples": raw.samples,
                        "seconds": round(total, 1), "phases": phases,
                        "load_average": [round(x, 2) for x in os.getloadavg()],
                        "footprints": [f.as_dict() for f in footprints],
                        "bytes_per_sample": {"bytes": disk[0], "samples": disk[1]},
                        "sizing": sizing.as_dict() if sizing else None,
                        "outcomes": [{"label": o.label, "timings": o.timings, "rule_groups": o.rule_groups,
                                      "verdicts": [v.as_dict() for v in
                                                   verdicts(o.results, o.variables, args.days, o.rule_groups)],
                                      "variables": [v.as_dict() for v in o.variables],
                                      "results": [r.as_dict() for r in o.results]} for o in outcomes]},
           series, stamp)
    return 0


def _header(args: argparse.Namespace, size: Size, series: int, raw: BackfillStats, phases: dict[str, float],
            outcomes: list[Outcome], total: float, stamp: datetime) -> list[str]:
    """The report's first lines: machine, data, run time, and the machine's load (it slows every figure)."""
    return [f"## Bench {stamp:%Y-%m-%d %H:%M} UTC", "",
              f"- machine: {machine()}", f"- data: {series:,} raw series ({dataclasses.asdict(size)}), "
              f"{args.days} days every {args.step}s = {raw.samples:,} samples; "
              f"measured Prometheus on {args.cpus} CPU (taskset + GOMAXPROCS), {args.repeats} runs per query",
              f"- run time: {total / 60:.1f} min; phases (wall s): {phases}; raw backfill summed over its 2 "
              f"workers: generating {raw.generate_cpu_seconds:.0f}s, promtool {raw.promtool_seconds:.0f}s",
              "- per revision (preparations and rule watches overlap): "
              + "; ".join(f"{o.label}: {o.timings}" for o in outcomes),
              f"- load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"]


def _footprints(args: argparse.Namespace, size: Size, sources: Sources) -> list[Footprint]:
    """The footprint at each factor of the bench size, one after the other (each on the stack's CPUs)."""
    if not args.footprint_seconds:
        return []
    found = []
    for factor in (int(f) for f in args.footprint_factors.split(",")):
        print(f"  footprint at {factor}x the bench size (load average {os.getloadavg()[0]:.1f}) ...", flush=True)
        found.append(measure_footprint(f"{factor}x", scaled(size, factor), sources.rule_files,
                                       args.work / f"footprint-{factor}x",
                                       args.scrape_interval or sources.scrape_interval,
                                       args.evaluation_interval or sources.evaluation_interval, args.cpus,
                                       args.footprint_seconds))
        print(f"    {found[-1]}", flush=True)
    return found


def _timed(phases: dict[str, float], name: str, work: Callable[[], T]) -> T:
    began = time.monotonic()
    result = work()
    phases[name] = round(time.monotonic() - began, 1)
    return result


if __name__ == "__main__":
    sys.exit(main())
