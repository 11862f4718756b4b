"""The basic-auth passwords of one integration run, and the files the servers and clients read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from render.web_config import bcrypt_hash, render_web_config
from settings.names import ALERTMANAGER_USER, PROMETHEUS_USER
from tests.integration.processes import Auth


@dataclass(frozen=True)
class Credentials:
    """Random passwords of this run, as the stack's secrets would be."""

    prometheus: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    alertmanager: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def prometheus_auth(self) -> Auth:
        return (PROMETHEUS_USER, self.prometheus)

    @property
    def alertmanager_auth(self) -> Auth:
        return (ALERTMANAGER_USER, self.alertmanager)

    def write(self, directory: Path) -> tuple[Path, Path]:
        """The password files prometheus.yml names, and the two servers' web configurations."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "prometheus-password").write_text(self.prometheus)
        (directory / "alertmanager-password").write_text(self.alertmanager)
        prometheus_web = directory / "prometheus-web.yml"
        prometheus_web.write_text(render_web_config({PROMETHEUS_USER: bcrypt_hash(self.prometheus, "it/prometheus")}))
        alertmanager_web = directory / "alertmanager-web.yml"
        alertmanager_web.write_text(render_web_config(
            {ALERTMANAGER_USER: bcrypt_hash(self.alertmanager, "it/alertmanager")}))
        return prometheus_web, alertmanager_web
