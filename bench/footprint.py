"""What Prometheus itself costs at a platform's size: memory, CPU of ingestion and of the rules, disk, series.

A Prometheus (Debian's, held to the stack's CPU share like the measured one) scrapes the bench's
platform series (bench/series.py) from a loopback exporter at the stack's scrape interval:
1. ingestion only, for `ingest_seconds`: its CPU seconds (utime + stime, /proc/<pid>/stat) per
   second, and the head's series (`prometheus_tsdb_head_series`);
2. the stack's rule files added (reload), each group at its own interval, for as long: the CPU per
   second above ingestion's is the rules' (the 5-minute, hourly and 3-hour copies are evaluated at
   most once in the window, their few evaluations an hour weigh little);
3. every group at the scrape interval for two rounds, so each has written its series: the head's
   series above ingestion's are the series the rules add (recorded series and the alerts' `ALERTS`).
Memory is polled from /proc/<pid>/status all along (RssAnon: the Go heap and stacks; RssFile: the
memory-mapped blocks and head chunks), peak kept. Bytes a sample on disk: the raw blocks the bench
backfilled (chunks + index over `numSamples` in meta.json).

What this does not show: a head that has held 2-3 hours of samples (the window is minutes; head
chunks past the first 120 samples are memory-mapped from disk since Prometheus 2.19, so the
anonymous memory a series costs is mostly reached once its first chunk is cut), nor Prometheus 3.x
(the stack's image) against Debian's 2.42 measured here.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.grafana import duration_ms
from bench.prometheus import Server, free_port, running
from bench.series import Family, Size, platform, series_count

TARGETS = 8  # the platform's series are split over this many scrape targets
# Fields of Size that count things a bigger platform has more of (the others are shapes: CPUs a
# host, routes an API, tables a database).
SCALED = ("hosts", "containers", "api_instances", "engines", "strategies", "pg_instances")
PAGE = 4096


def scaled(size: Size, factor: int) -> Size:
    return dataclasses.replace(size, **{name: getattr(size, name) * factor for name in SCALED})


@dataclass(frozen=True)
class Memory:
    anon_bytes: int
    file_bytes: int


def memory_now(pid: int) -> Memory:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) * 1024
    return Memory(fields.get("RssAnon", 0), fields.get("RssFile", 0))


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (and its threads), seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """Polls a process's RssAnon and RssFile until stopped; keeps the peaks."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every = pid, every
        self.peak_anon = self.peak_file = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                now = memory_now(self.pid)
            except OSError:
                return
            self.peak_anon, self.peak_file = max(self.peak_anon, now.anon_bytes), max(self.peak_file, now.file_bytes)
            self._stop.wait(self.every)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Exporter(http.server.ThreadingHTTPServer):
    """`/metrics/<k>`: the k-th share of the platform's series, their values now (text format)."""

    def __init__(self, families: list[Family], port: int) -> None:
        self.shares: list[list[Family]] = [families[k::TARGETS] for k in range(TARGETS)]
        self.cache: dict[tuple[int, int], bytes] = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def page(self, share: int) -> bytes:
        now = int(time.time())
        key = (share, now // 5)
        with self.lock:
            if key not in self.cache:
                self.cache = {k: v for k, v in self.cache.items() if k[1] == key[1]}
                lines = [prefix + values[0] + "\n" for family in self.shares[share]
                         for prefix, values in family.rows([now])]
                self.cache[key] = "".join(lines).encode()
            return self.cache[key]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Exporter

    def do_GET(self) -> None:
        body = self.server.page(int(self.path.rsplit("/", 1)[-1]))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def exporter(size: Size) -> Iterator[int]:
    port = free_port()
    server = _Exporter(platform(size), port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def _config(path: Path, port: int, scrape_interval: str, evaluation_interval: str, rule_files: list[Path]) -> Path:
    jobs = [{"job_name": f"platform-{k}", "honor_labels": True, "metrics_path": f"/metrics/{k}",
             "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]} for k in range(TARGETS)]
    path.write_text(json.dumps({"global": {"scrape_interval": scrape_interval,
                                           "evaluation_interval": evaluation_interval},
                                "rule_files": [str(p) for p in rule_files], "scrape_configs": jobs}, indent=1))
    return path


def _rules_at(rule_files: list[Path], out: Path, interval: str | None) -> list[Path]:
    """The rule files, every group at `interval` (None: each group's own)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in rule_files:
        data = yaml.safe_load(path.read_text()) or {}
        for group in data.get("groups", []):
            if interval:
                group["interval"] = interval
        written.append(out / path.name)
        written[-1].write_text(yaml.safe_dump(data, sort_keys=False))
    return written


@dataclass(frozen=True)
class Footprint:
    label: str
    raw_series: int  # series the platform exposes
    head_series: int  # what Prometheus holds from the scrapes (the platform's + each target's up/scrape_*)
    rule_series: int  # series the rule files add (recorded and ALERTS)
    samples_per_second: float
    ingestion_cpu_per_second: float  # CPU seconds a second, scraping and appending
    rule_cpu_per_second: float  # CPU seconds a second above ingestion's, the rules evaluated
    peak_anon_mb: float
    peak_file_mb: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _head_series(server: Server) -> int:
    return int(next(iter(server.metric("prometheus_tsdb_head_series").values()), 0))


def _reload(server: Server) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/-/reload", method="POST"), timeout=60).read()


def _cpu_rate(pid: int, seconds: float) -> float:
    before, began = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - began)


def measure_footprint(label: str, size: Size, rule_files: list[Path], work: Path, scrape_interval: str,
                      evaluation_interval: str, cpus: int, ingest_seconds: float) -> Footprint:
    """Steps 1-3 of the module docstring for one platform size."""
    began = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    scrape_s = duration_ms(scrape_interval) / 1000
    with exporter(size) as port:
        config = _config(work / "footprint.yml", port, scrape_interval, evaluation_interval, [])
        with running(work / "data", config, cpus=cpus, log=work / "prometheus.log") as server, \
                MemoryWatch(server.process.pid) as watch:
            deadline = time.monotonic() + 10 * scrape_s
            while _head_series(server) == 0 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(2 * scrape_s)  # every target scraped twice: the head has its series
            ingestion = _cpu_rate(server.process.pid, ingest_seconds)
            head = _head_series(server)
            _config(config, port, scrape_interval, evaluation_interval,
                    _rules_at(rule_files, work / "rules-own", None))
            _reload(server)
            with_rules = _cpu_rate(server.process.pid, ingest_seconds)
            _config(config, port, scrape_interval, evaluation_interval,
                    _rules_at(rule_files, work / "rules-all", evaluation_interval))
            _reload(server)
            time.sleep(2 * duration_ms(evaluation_interval) / 1000 + 2)
            with_series = _head_series(server)
    return Footprint(label, series_count(platform(size)), head, with_series - head, round(head / scrape_s, 1),
                     round(ingestion, 4), round(max(0.0, with_rules - ingestion), 4),
                     round(watch.peak_anon / 2**20, 1), round(watch.peak_file / 2**20, 1),
                     round(time.monotonic() - began, 1))


def bytes_per_sample(blocks_dir: Path) -> tuple[float, int]:
    """(bytes on disk a sample, samples) over the blocks in `blocks_dir` (chunks, index, meta)."""
    size = samples = 0
    for meta in blocks_dir.glob("*/meta.json"):
        samples += int(json.loads(meta.read_text())["stats"]["numSamples"])
        size += sum(f.stat().st_size for f in meta.parent.rglob("*") if f.is_file())
    return (round(size / samples, 3) if samples else 0.0), samples
