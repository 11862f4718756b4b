"""postgresExporterDsn as postgres-exporter's driver (lib/pq 1.10.9) reads it, and the `database`
section that the exporter never reads once a DSN is set."""

from __future__ import annotations

import pytest

from render.postgres_exporter import dsn_parts
from settings.grammar import PG_SSLMODES
from settings.secrets import postgres_dsn
from tests.unit.test_alerting_settings import parse, refused

ACCEPTED = [
    "postgresql://exporter:pw@db:5432/christmas?sslmode=verify-full",
    "postgres://exporter:pw@10.0.0.5/christmas?sslmode=disable&connect_timeout=10",
    "postgresql://exporter:pw@[2001:db8::5]:5432/christmas?sslmode=require",
    "postgresql://exporter:pw@db/christmas?application_name=postgres_exporter&sslsni=1",
]


@pytest.mark.parametrize("dsn", ACCEPTED)
def test_dsns_lib_pq_takes_are_accepted_and_split_for_the_exporter(dsn: str) -> None:
    assert postgres_dsn(dsn) is None
    user, password, uri = dsn_parts(dsn)
    assert (user, password) == ("exporter", "pw") and uri.split("/")[0] in dsn


def test_sslmodes_are_lib_pqs_own_list() -> None:
    # lib/pq ssl.go: `only "require" (default), "verify-full", "verify-ca", and "disable" supported`.
    assert set(PG_SSLMODES) == {"require", "verify-full", "verify-ca", "disable"}


def test_a_database_section_beside_a_dsn_is_one_problem_with_a_valid_fix() -> None:
    message = refused("  - database: is ignored because postgresExporterDsn is set", "fix: pulumi config rm database",
                      database={"host": "db.example.com", "sslmode": "verify-full"})
    assert message.count("\n  - ") == 1
    # The fix applied: prod without the section parses.
    assert parse().secrets_set >= {"postgresExporterDsn"}


def test_dev_without_a_dsn_reads_the_database_section() -> None:
    settings = parse("dev", drop=("postgresExporterDsn",), database={"sslmode": "verify-full"})
    assert settings.database.sslmode == "verify-full"


def test_the_exporter_gives_up_on_an_unreachable_database_inside_the_scrape_timeout() -> None:
    """lib/pq waits for an unreachable database as long as the dial takes (a name that does not resolve:
    the resolver's timeouts): past Prometheus' 10 s scrape timeout the exporter's target goes down and
    PostgresDown never fires. The engine showed it; the exporter's URI now carries connect_timeout."""
    _, _, uri = dsn_parts("postgresql://exporter:pw@db:5432/christmas?sslmode=require")
    assert uri == "db:5432/christmas?sslmode=require&connect_timeout=3"
    _, _, bare = dsn_parts("postgresql://exporter:pw@db/christmas")
    assert bare == "db/christmas?connect_timeout=3"
    # An operator's own timeout is theirs.
    _, _, own = dsn_parts("postgres://exporter:pw@10.0.0.5/christmas?sslmode=disable&connect_timeout=10")
    assert own.endswith("?sslmode=disable&connect_timeout=10")
