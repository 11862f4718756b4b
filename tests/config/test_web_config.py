"""Prometheus' and Alertmanager's web configuration, checked by `promtool check web-config`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import bcrypt
import pytest
import yaml

from offline.mocks import unwrap
from render.web_config import (
    ALERTMANAGER_WEB_CONFIG,
    MAX_PASSWORD_BYTES,
    PROMETHEUS_WEB_CONFIG,
    bcrypt_hash,
    derived_salt,
    render_web_config,
)

PASSWORD = "Zq8xW2vN5kT7-a-long-random-password"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe, "promtool is missing: run `make tools` (Debian package prometheus)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60, check=False)


def test_rendered_web_config_passes_promtool(tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text(render_web_config({"prometheus": bcrypt_hash(PASSWORD, "christmas-monitoring/dev/prometheus")}))
    result = promtool("check", "web-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_rejects_a_hash_that_is_not_bcrypt(tmp_path: Path) -> None:
    # The checker is not vacuous: a plain password where the hash belongs fails.
    path = tmp_path / "web.yml"
    path.write_text(render_web_config({"prometheus": PASSWORD}))
    assert promtool("check", "web-config", str(path)).returncode != 0


def test_the_hash_verifies_the_password_and_only_it() -> None:
    hashed = bcrypt_hash(PASSWORD, "ctx").encode()
    assert bcrypt.checkpw(PASSWORD.encode(), hashed)
    assert not bcrypt.checkpw(b"another password", hashed)


def test_the_same_password_gives_the_same_file_on_every_run() -> None:
    # What keeps `pulumi preview` free of a diff (and the container from being replaced) each run.
    first = render_web_config({"alertmanager": bcrypt_hash(PASSWORD, "christmas-monitoring/prod/alertmanager")})
    again = render_web_config({"alertmanager": bcrypt_hash(PASSWORD, "christmas-monitoring/prod/alertmanager")})
    assert first == again


def test_the_salt_differs_per_stack_and_account_and_per_password() -> None:
    salts = {derived_salt(PASSWORD, "p/dev/prometheus"), derived_salt(PASSWORD, "p/prod/prometheus"),
             derived_salt(PASSWORD, "p/dev/alertmanager"), derived_salt(PASSWORD + "x", "p/dev/prometheus")}
    assert len(salts) == 4
    hashes = {bcrypt_hash(PASSWORD, "p/dev/prometheus"), bcrypt_hash(PASSWORD, "p/prod/prometheus")}
    assert len(hashes) == 2


def test_the_salt_is_a_valid_bcrypt_salt() -> None:
    salt = derived_salt(PASSWORD, "ctx")
    assert salt.startswith(b"$2b$10$") and len(salt) == 29
    # The 22nd character carries 2 bits: only these four are canonical (Go's bcrypt re-encodes it).
    assert salt[-1:] in (b".", b"O", b"e", b"u")


@pytest.mark.parametrize("password", ["", "x" * (MAX_PASSWORD_BYTES + 1)])
def test_a_password_bcrypt_cannot_hash_whole_is_refused(password: str) -> None:
    with pytest.raises(ValueError):
        bcrypt_hash(password, "ctx")


def test_users_are_listed_in_a_stable_order() -> None:
    text = render_web_config({"b": "$2b$10$x", "a": "$2b$10$y"})
    assert list(yaml.safe_load(text)["basic_auth_users"]) == ["a", "b"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_the_web_config_the_program_uploads_passes_promtool(stack, service, request, tmp_path: Path) -> None:
    run = request.getfixturevalue(f"{stack}_run")
    [server] = [c for c in run.containers() if c.name == f"{service}-container"]
    path = PROMETHEUS_WEB_CONFIG if service == "prometheus" else ALERTMANAGER_WEB_CONFIG
    [text] = [u["content"] for u in unwrap(server.inputs)["uploads"] if u["file"] == path]
    (tmp_path / "web.yml").write_text(text)
    result = promtool("check", "web-config", str(tmp_path / "web.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_password_of_72_bytes_is_hashed_and_73_refused_with_the_reason() -> None:
    assert bcrypt.checkpw(("é" * 36).encode(), bcrypt_hash("é" * 36, "ctx", cost=4).encode())
    with pytest.raises(ValueError) as refused:
        bcrypt_hash("x" * 73, "ctx")
    assert str(refused.value) == "a basic-auth password must be at most 72 bytes (bcrypt's limit)"
    with pytest.raises(ValueError) as empty:
        bcrypt_hash("", "ctx")
    assert str(empty.value) == "a basic-auth password must not be empty"


def test_the_hash_has_the_cost_asked_for_and_a_web_config_needs_a_user() -> None:
    assert bcrypt_hash("password", "ctx", cost=4).startswith("$2b$04$")
    assert bcrypt_hash("password", "ctx").startswith("$2b$10$")
    with pytest.raises(ValueError) as refused:
        render_web_config({})
    assert str(refused.value) == "a web configuration needs at least one user"
