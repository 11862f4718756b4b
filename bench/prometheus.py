"""Debian's Prometheus on loopback, pinned to the stack's CPU share, and the HTTP API the bench uses."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROMETHEUS = "/usr/bin/prometheus"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def get(self, path: str, params: dict[str, str] | None = None, timeout: float = 300) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if path.startswith("/api/") else body.decode()

    def metric(self, name: str) -> dict[str, float]:
        """Labels text -> value of each sample of `name` on Prometheus's own /metrics."""
        found: dict[str, float] = {}
        for line in self.get("/metrics").splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                labels, _, value = line.rpartition(" ")
                found[labels[len(name):]] = float(value)
        return found


def _cpu_pinning(cpus: int, first: int = 0) -> tuple[list[str], dict[str, str]]:
    """taskset to `cpus` cores from `first` and GOMAXPROCS=`cpus`: what a `cpus: N` container limit gives Go."""
    env = {**os.environ, "GOMAXPROCS": str(cpus)}
    taskset = shutil.which("taskset")
    cores = os.cpu_count() or 1
    prefix = [taskset, "-c", ",".join(str((first + c) % cores) for c in range(cpus))] if taskset and cpus < cores \
        else []
    return prefix, env


@contextlib.contextmanager
def running(data_dir: Path, config: Path, cpus: int, log: Path, retention: str = "30d",
            first_cpu: int = 0) -> Iterator[Server]:
    """Prometheus on a free loopback port over `data_dir`, stopped (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    prefix, env = _cpu_pinning(cpus, first_cpu)
    command = [*prefix, PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
               f"--storage.tsdb.retention.time={retention}", f"--web.listen-address=127.0.0.1:{port}",
               "--web.enable-lifecycle", "--query.max-samples=500000000", "--query.timeout=10m",
               "--log.level=warn"]
    with log.open("ab") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait_ready(server, log)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {server.process.returncode}; see {log}")
        try:
            server.get("/-/ready", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"prometheus not ready after {timeout}s; see {log}")


def write_config(path: Path, evaluation_interval: str, rule_files: list[Path]) -> Path:
    """A prometheus.yml with no scrape jobs: only the rule files, evaluated at the stack's interval."""
    config = {"global": {"evaluation_interval": evaluation_interval},
              "rule_files": [str(p) for p in rule_files]}
    path.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML
    return path


def block_dirs(data_dir: Path) -> list[dict[str, Any]]:
    """meta.json of every block in the data directory."""
    metas = []
    for meta in sorted(data_dir.glob("*/meta.json")):
        with contextlib.suppress(OSError, ValueError):
            metas.append(json.loads(meta.read_text()))
    return metas


def overlapping(metas: list[dict[str, Any]]) -> bool:
    spans = sorted((m["minTime"], m["maxTime"]) for m in metas)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def wait_compacted(data_dir: Path, timeout: float = 900) -> float:
    """Seconds until no blocks overlap (Prometheus's compactor looks once a minute), twice in a row."""
    began = time.monotonic()
    clean = 0
    while time.monotonic() - began < timeout:
        clean = 0 if overlapping(block_dirs(data_dir)) else clean + 1
        if clean == 2:
            return time.monotonic() - began
        time.sleep(2)
    raise RuntimeError(f"blocks in {data_dir} still overlap after {timeout}s")
