"""Real programs started for the integration tests: free ports, logs, readiness, and sure teardown."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports nothing listens on, chosen at random *below* the ephemeral range:
    a port the kernel hands out for outgoing connections (scrapes, database clients) could otherwise be
    taken between choosing it here and the program binding it."""
    low, _ = _ephemeral_range()
    candidates = random.sample(range(10000, low), min(low - 10000, count * 20))
    chosen: list[int] = []
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"no {count} free loopback ports between 10000 and {low}")


def require_program(path: str) -> str:
    """The program's path; the test FAILS (never skips) when it is missing: `make tools` installs it."""
    found = path if os.path.isabs(path) and os.access(path, os.X_OK) else shutil.which(path)
    if not found:
        pytest.fail(f"{path} is not installed: run `make tools` (scripts/install-tools.sh)", pytrace=False)
    return found


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError) as error:
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last error: {last_error})")


# (user, password) for servers behind basic auth (Prometheus' and Alertmanager's web config).
Auth = tuple[str, str] | None


def auth_headers(auth: Auth) -> dict[str, str]:
    if auth is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}


def http_get(url: str, timeout: float = 5, auth: Auth = None) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=auth_headers(auth)), timeout=timeout) as response:
        body: bytes = response.read()
        return body


def http_json(url: str, data: dict[str, Any] | None = None, timeout: float = 5, auth: Auth = None) -> Any:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json",
                                                              **auth_headers(auth)})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def is_http_ok(url: str, auth: Auth = None) -> bool:
    try:
        http_get(url, timeout=2, auth=auth)
        return True
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Every process the tests start; `stop_all` ends each one (its whole process group) by id."""

    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None,
              stop_signal: int = signal.SIGTERM, cwd: Path | None = None) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})}, cwd=cwd,
                # Its own process group, so teardown reaches its children too, and only them.
                start_new_session=True,
            )
        process = Process(name, popen, log, stop_signal)
        self.started.append(process)
        return process

    def wait_http(self, process: Process, url: str, timeout: float = 30, auth: Auth = None) -> None:
        def ready() -> bool:
            if not process.alive():
                raise AssertionError(f"{process.name} exited ({process.popen.returncode}):\n{process.log_tail()}")
            return is_http_ok(url, auth)

        wait_until(ready, timeout, f"{process.name} at {url}")

    def stop(self, process: Process, timeout: float = 10) -> None:
        if process.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, process.stop_signal)
            try:
                process.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(5)
        # Children left behind in its group (none expected) are ended too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.popen.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        errors = []
        for process in reversed(self.started):
            try:
                self.stop(process)
            except Exception as error:  # teardown goes on: every other process must still end
                errors.append(f"{process.name}: {error}")
        if errors:
            raise RuntimeError("could not stop: " + "; ".join(errors))
