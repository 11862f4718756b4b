"""postgres-exporter's connection string when the stack does not set `postgresExporterDsn`."""

from __future__ import annotations

from settings.model import DatabaseSettings


def postgres_exporter_dsn(db: DatabaseSettings) -> str:
    """A password-less DSN (dev: trust or peer auth on the platform's database)."""
    return f"postgresql://{db.exporter_user}@{db.host}:{db.port}/{db.name}?sslmode={db.sslmode}"
