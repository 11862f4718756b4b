"""The backups scheduler's volume on a real engine (issue 21, first defect).

The scheduler runs as 65534:0 in the curl image, which has no /backups. Docker copies an image
directory's owner into a new empty volume only when the image has that directory (moby
`CopyImagePathContent`/`copyExistingContents`), so the volume was root 0755 and `touch
/backups/first-run` failed: the container never became healthy and `pulumi up` timed out on it.
The fix (components/backups.py `backups_volume_owner`): a one-shot job mounts the new volume first on
Prometheus' data directory, which that image has, owned by nobody.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from offline.mocks import DeclaredResource
from tests.engine.daemon import PrivateDaemon
from tests.engine.deploy import apply, container_logs, declare, remove_stack

STACK = "dev"
NEEDED = {"backups-container", "backups-volume-init-container"}


def _backups_only(old: bool):
    def transform(resource: DeclaredResource, inputs: dict[str, Any]) -> dict[str, Any] | None:
        if resource.name not in NEEDED or (old and resource.name == "backups-volume-init-container"):
            return None
        # Not `wait`: the test reads the outcome itself instead of waiting out the provider's 220 s.
        return {**inputs, "wait": False}
    return transform


def _volume_owner(engine: PrivateDaemon, name: str) -> tuple[int, int, int]:
    path = engine.client.get(f"/volumes/{name}")["Mountpoint"]
    done = engine.in_netns("stat", "-c", "%u %g %a", path)
    uid, gid, mode = done.stdout.split()
    return int(uid), int(gid), int(mode, 8)


def _first_run_or_error(engine: PrivateDaemon, container: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        logs = container_logs(engine, container)
        if "Permission denied" in logs:
            return "denied: " + logs
        done = engine.docker("exec", container, "test", "-e", "/backups/first-run", check=False)
        if done.returncode == 0:
            return "first-run"
        time.sleep(1)
    return "neither: " + container_logs(engine, container)


@pytest.fixture
def clean(engine: PrivateDaemon):
    remove_stack(engine, STACK)
    yield
    remove_stack(engine, STACK)


def test_old_backups_definition_cannot_write_its_volume(engine, images, clean):
    run = declare(STACK, engine, images)
    outcomes = apply(engine, run, _backups_only(old=True))
    assert set(outcomes) == {"backups-container"}
    seen = _first_run_or_error(engine, outcomes["backups-container"].id)
    assert seen.startswith("denied: ") and "/backups/first-run" in seen, seen
    assert _volume_owner(engine, "christmas-monitoring-dev-backups-data") == (0, 0, 0o755)


def test_backups_volume_belongs_to_the_scheduler_after_its_first_mount(engine, images, clean):
    run = declare(STACK, engine, images)
    outcomes = apply(engine, run, _backups_only(old=False))
    assert {o.error for o in outcomes.values()} == {""}, outcomes
    # The one-shot job exited 0 (the provider's `attach` waited for it) before the scheduler started.
    assert outcomes["backups-volume-init-container"].state["ExitCode"] == 0
    assert _volume_owner(engine, "christmas-monitoring-dev-backups-data") == (65534, 65534, 0o755)
    assert _first_run_or_error(engine, outcomes["backups-container"].id) == "first-run"
