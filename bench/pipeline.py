"""One revision through the bench: its recording rules backfilled over the raw week, then measured.

Steps: raw blocks (shared, hard-linked) -> a Prometheus with both cores answers
`promtool tsdb create-blocks-from rules` -> the rule blocks join the data directory and Prometheus
merges them into the raw blocks (as in a long-running server, recorded and raw series share
blocks) -> a Prometheus with the stack's CPU share answers the panel queries -> on a copy of the
last hours ending now, the same Prometheus evaluates every rule group and reports
`prometheus_rule_group_last_duration_seconds`.

`__main__` runs the revisions' preparations side by side (their waits for the compactor overlap),
measures their queries one after the other, and watches their rule groups side by side, each
Prometheus on a core of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.backfill import PROMTOOL_ENV, backfill_raw
from bench.footprint import MemoryWatch
from bench.grafana import duration_ms, panel_queries
from bench.label_variables import VariableResult
from bench.measure import Result, measure
from bench.prometheus import running, wait_compacted, write_config
from bench.series import Size
from bench.sources import Sources

RANGES = {"7d": 7 * 24, "24h": 24, "2d": 48, "30d": 30 * 24}  # measured time ranges, hours
RULE_BLOCK_SECONDS = 54 * 3600  # the block length a 30-day Prometheus compacts to (10% of retention)


@dataclass(frozen=True)
class Settings:
    size: Size
    end: int  # Unix seconds: the dashboards' "now"
    days: int
    step: int  # seconds between raw samples (and between backfilled rule evaluations)
    cpus: int
    repeats: int
    work: Path
    live_hours: int = 7  # longest range the rule files read (alerts: [6h]) plus an hour
    merge: bool = True  # wait for Prometheus to merge rule blocks into raw ones (False: fast runs, tests)
    evaluations: int = 4  # rule evaluations watched for the rule groups' cost
    evaluation_interval: str = ""  # override of the stack's evaluation interval (tests)


@dataclass
class Outcome:
    label: str
    results: list[Result] = field(default_factory=list)
    variables: list[VariableResult] = field(default_factory=list)
    rule_groups: dict[str, tuple[float, float]] = field(default_factory=dict)  # group -> (last s, interval s)
    timings: dict[str, float] = field(default_factory=dict)


def _hardlink_blocks(raw: Path, data: Path) -> None:
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    for block in raw.iterdir():
        if (block / "meta.json").exists():
            shutil.copytree(block, data / block.name, copy_function=os.link)


def inline_recorded(expr: str, recorded: dict[str, str], step: int) -> str:
    """`record[1h]` -> `(its expression)[1h:<step>s]`, the same values (the record is evaluated every
    `step` in the backfill too).

    promtool backfills a rule from the Prometheus it queries, which does not hold the recorded series
    being backfilled (Prometheus's storage docs: rules that depend on other rules are not backfilled
    in one pass); the hourly p95 copy reads the p95 record.
    """
    for name, body in recorded.items():
        def subquery(match: re.Match[str], body: str = body) -> str:
            return f"({body})[{match.group(1)}:{step}s]"

        expr = re.sub(rf"(?<![\w:]){re.escape(name)}\[(\w+)\]", subquery, expr)
    return expr


def _recording_group_files(sources: Sources, out: Path, step: int) -> list[Path]:
    """Each rule group with recording rules in a file of its own (alerts dropped), for parallel backfill."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    groups = [g for path in sources.rule_files for g in (yaml.safe_load(path.read_text()) or {}).get("groups", [])]
    recorded = {r["record"]: r["expr"] for g in groups for r in g.get("rules", []) if "record" in r}
    for path in sources.rule_files:
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            rules = [{**r, "expr": inline_recorded(r["expr"], recorded, step)}
                     for r in group.get("rules", []) if "record" in r]
            if rules:
                target = out / f"{len(files):02d}-{group['name']}.yml"
                target.write_text(yaml.safe_dump({"groups": [{**group, "rules": rules}]}, sort_keys=False))
                files.append(target)
    return files


def backfill_rules(url: str, files: list[Path], start: int, end: int, step: int, out: Path) -> None:
    """`promtool tsdb create-blocks-from rules`, two promtool processes side by side.

    A group's own `interval` (the 5-minute copies) is the step promtool evaluates it at
    (cmd/promtool/rules.go: `Step: grp.Interval()`); `--eval-interval` is the others'.
    """
    halves = [files[0::2], files[1::2]]

    def one(index: int) -> None:
        if halves[index]:
            subprocess.run(["promtool", "tsdb", "create-blocks-from", "--quiet",
                            f"--max-block-duration={RULE_BLOCK_SECONDS}s", "rules", f"--url={url}",
                            f"--start={start}", f"--end={end}", f"--eval-interval={step}s",
                            f"--output-dir={out / str(index)}", *map(str, halves[index])],
                           check=True, capture_output=True, text=True, env=PROMTOOL_ENV)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, range(2)))


def prepare(settings: Settings, sources: Sources, raw: Path) -> Path:
    """The week's raw blocks plus this revision's recorded series, merged; returns the data directory."""
    base = settings.work / sources.label
    data = base / "data"
    _hardlink_blocks(raw, data)
    config = write_config(base / "setup.yml", sources.evaluation_interval, [])
    rule_blocks = base / "rule-blocks"
    shutil.rmtree(rule_blocks, ignore_errors=True)
    files = _recording_group_files(sources, base / "rule-groups", settings.step)
    with running(data, config, cpus=os.cpu_count() or 2, log=base / "prometheus-setup.log") as server:
        backfill_rules(server.url, files, settings.end - settings.days * 86400, settings.end, settings.step,
                       rule_blocks)
        for block in rule_blocks.glob("*/*/meta.json"):
            block.parent.rename(data / block.parent.name)
        if settings.merge:
            wait_compacted(data)
    return data


def measured_ranges(settings: Settings) -> dict[str, tuple[int, int]]:
    """Each range of RANGES as (start, end) in ms. 2d: the shortest range on the hourly copies
    (`resolution` above 36 hours); 30d: prod's retention. A range longer than `--days` reads only the
    days there are (the report says so)."""
    end_ms = settings.end * 1000
    return {name: (end_ms - hours * 3600_000, end_ms) for name, hours in RANGES.items()}


def measure_queries(settings: Settings, sources: Sources, data: Path,
                    memory: dict[str, float]) -> tuple[list[Result], list[VariableResult]]:
    base = settings.work / sources.label
    config = write_config(base / "measure.yml", sources.evaluation_interval, [])
    queries = [q for d in sources.dashboards for q in panel_queries(d)]
    ranges = measured_ranges(settings)
    with running(data, config, cpus=settings.cpus, log=base / "prometheus-measure.log") as server, \
            MemoryWatch(server.process.pid) as watch:
        print(f"  {sources.label}: measuring {len(queries)} panel queries and the variables over {list(ranges)} "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        measured = measure(server, queries, ranges, f"{settings.step}s", sources.recording_names(),
                           settings.repeats, sources.dashboards, sources.prometheus_json)
    # What answering the dashboards over 7 and 30 days takes: a query burst on top of ingestion.
    memory["query_peak_anon_mb"] = round(watch.peak_anon / 2**20, 1)
    memory["query_peak_file_mb"] = round(watch.peak_file / 2**20, 1)
    return measured


def _live_rule_files(sources: Sources, out: Path, interval: str) -> tuple[list[Path], dict[str, float]]:
    """The rule files with every group at `interval` (so each is evaluated while the bench watches),
    and each group's own interval in seconds (what its evaluation time is a share of)."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    declared: dict[str, float] = {}
    for path in sources.rule_files:
        data = yaml.safe_load(path.read_text()) or {}
        for group in data.get("groups", []):
            declared[f"{path.name};{group['name']}"] = duration_ms(group.pop("interval", interval)) / 1000
        files.append(out / path.name)
        files[-1].write_text(yaml.safe_dump(data, sort_keys=False))
    return files, declared


def rule_cost(settings: Settings, sources: Sources, live: Path, first_cpu: int = 0) -> dict[str, tuple[float, float]]:
    """Group -> (highest last evaluation seconds over a few rounds, the group's interval seconds).

    `live` holds raw blocks of the last hours up to now (shared by the revisions, hard-linked here).
    """
    base = settings.work / sources.label / "live"
    shutil.rmtree(base, ignore_errors=True)
    _hardlink_blocks(live, base / "data")
    interval = settings.evaluation_interval or sources.evaluation_interval
    files, declared = _live_rule_files(sources, base / "rules", interval)
    config = write_config(base / "live.yml", interval, files)
    seen: dict[str, float] = {}
    with running(base / "data", config, cpus=settings.cpus, log=base / "prometheus-live.log",
                 first_cpu=first_cpu) as server:
        for _ in range(settings.evaluations):
            time.sleep(duration_ms(interval) / 1000)
            for labels, value in server.metric("prometheus_rule_group_last_duration_seconds").items():
                seen[labels] = max(seen.get(labels, 0.0), value)
    return {_group_name(labels): (seen[labels], declared[_group_name(labels)]) for labels in seen}


def _group_name(labels: str) -> str:
    # {rule_group="/path/recording.yml;api.rules"} -> recording.yml;api.rules
    value = labels.split('rule_group="', 1)[-1].rstrip('"}')
    return value.rsplit("/", 1)[-1]


def prepare_timed(settings: Settings, sources: Sources, raw: Path) -> tuple[Path, float]:
    began = time.monotonic()
    data = prepare(settings, sources, raw)
    return data, round(time.monotonic() - began, 1)


def measure_timed(settings: Settings, sources: Sources, data: Path, outcome: Outcome) -> None:
    began = time.monotonic()
    outcome.results, outcome.variables = measure_queries(settings, sources, data, outcome.timings)
    outcome.timings["queries_s"] = round(time.monotonic() - began, 1)
    # Other work on the machine slows the measured Prometheus: the report shows how much there was.
    outcome.timings["load_average_1m_after_queries"] = round(os.getloadavg()[0], 2)


def run_revisions(settings: Settings, revisions: list[Sources], raw: Path) -> list[Outcome]:
    """Every revision prepared (side by side), measured (one at a time), its rules watched (side by side)."""
    outcomes = [Outcome(s.label) for s in revisions]
    with ThreadPoolExecutor(max_workers=len(revisions)) as pool:
        prepared = list(pool.map(lambda s: prepare_timed(settings, s, raw), revisions))
    for sources, outcome, (data, seconds) in zip(revisions, outcomes, prepared, strict=True):
        outcome.timings["rules_backfill_and_merge_s"] = seconds
        measure_timed(settings, sources, data, outcome)
        print(f"  {sources.label}: {outcome.timings}", flush=True)
    began = time.monotonic()
    now = int(time.time())
    live = settings.work / "live-raw"
    backfill_raw(settings.size, now - settings.live_hours * 3600, now - now % settings.step, settings.step, live)
    cores = os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=len(revisions)) as pool:
        costs = list(pool.map(lambda i: rule_cost(settings, revisions[i], live, (i * settings.cpus) % cores),
                              range(len(revisions))))
    for outcome, cost in zip(outcomes, costs, strict=True):
        outcome.rule_groups = cost
        outcome.timings["live_data_and_rule_cost_s"] = round(time.monotonic() - began, 1)
    return outcomes
