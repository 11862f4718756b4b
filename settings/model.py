"""The names the rest of the program imports from settings/, in one place.

Everything an operator can set is declared once: settings/sections.py (object settings and
top-level flags), settings/services.py (per-service settings, keyed by settings/catalog.py),
settings/secrets.py (secrets); settings/load.py parses and validates them all at once.
"""

from __future__ import annotations

from settings.catalog import CONTAINER_PORTS, SERVICES
from settings.load import load_settings, parse_settings
from settings.problems import SettingsError
from settings.secrets import GENERATABLE_SECRETS, OPTIONAL_SECRETS, SECRET_KEYS, SECRETS, SecretSpec
from settings.sections import (
    AlertingSettings,
    AlertThresholds,
    DatabaseSettings,
    EdgeSettings,
    GrafanaSettings,
    LoggingSettings,
    PrometheusSettings,
)
from settings.services import PublishedPort, ServiceSettings
from settings.stack import PROJECT, TOP_LEVEL_KEYS, StackSecrets, StackSettings

__all__ = [
    "CONTAINER_PORTS", "GENERATABLE_SECRETS", "OPTIONAL_SECRETS", "PROJECT", "SECRETS", "SECRET_KEYS", "SERVICES",
    "TOP_LEVEL_KEYS", "AlertThresholds", "AlertingSettings", "DatabaseSettings", "EdgeSettings", "GrafanaSettings",
    "LoggingSettings", "PrometheusSettings", "PublishedPort", "SecretSpec", "ServiceSettings", "SettingsError",
    "StackSecrets", "StackSettings", "load_settings", "parse_settings",
]
