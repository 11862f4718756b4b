"""A throwaway PostgreSQL 15 cluster on loopback, run as a non-root user (CI runs as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from render import postgres_exporter as pg
from settings.model import StackSettings
from tests.integration.processes import Process, Processes, require_program, wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Small on purpose: the connection-saturation alert is driven by opening real connections.
MAX_CONNECTIONS = 20
SUPERUSER = "postgres"


def _as_db_user() -> list[str]:
    """Prefix that drops root to the `postgres` user (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return []
    setpriv = require_program("setpriv")
    return [setpriv, "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


@dataclass
class Postgres:
    port: int
    data_dir: Path
    process: Process
    # The platform's database (settings database.name): the one LowDbConnections counts.
    database: str

    def dsn(self, user: str = SUPERUSER, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def execute(self, *statements: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.dsn(dbname=dbname), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    @contextmanager
    def connections(self, count: int) -> Iterator[list[psycopg.Connection[tuple[object, ...]]]]:
        """`count` real client connections to the platform database, held open, then closed."""
        opened: list[psycopg.Connection[tuple[object, ...]]] = []
        try:
            for _ in range(count):
                opened.append(psycopg.connect(self.dsn(dbname=self.database), autocommit=True))
            yield opened
        finally:
            for conn in opened:
                conn.close()


def start_postgres(processes: Processes, port: int, database: str, exporter_user: str) -> Postgres:
    initdb = require_program(str(PG_BIN / "initdb"))
    postgres = require_program(str(PG_BIN / "postgres"))
    data_dir = Path(tempfile.mkdtemp(prefix="christmas-it-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data_dir, user.pw_uid, user.pw_gid)
    subprocess.run([*_as_db_user(), initdb, "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    process = processes.start("postgres", [
        *_as_db_user(), postgres, "-D", str(data_dir), "-p", str(port),
        "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data_dir}",
        "-c", f"max_connections={MAX_CONNECTIONS}", "-c", "fsync=off",
    ], stop_signal=signal.SIGINT)  # SIGINT = fast shutdown: clients are disconnected, no waiting
    db = Postgres(port=port, data_dir=data_dir, process=process, database=database)

    def ready() -> bool:
        if not process.alive():
            raise AssertionError(f"postgres exited:\n{process.log_tail()}")
        try:
            db.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    wait_until(ready, 30, "PostgreSQL to accept connections")
    # The exporter's role as the stack expects it: monitoring rights only (pg_monitor), no superuser.
    db.execute(f'CREATE ROLE "{exporter_user}" LOGIN', f'GRANT pg_monitor TO "{exporter_user}"',
               f'CREATE DATABASE "{database}"')
    return db


def remove_data_dir(db: Postgres) -> None:
    shutil.rmtree(db.data_dir, ignore_errors=True)


def postgres_exporter_files(settings: StackSettings, directory: Path) -> dict[str, str]:
    """As in the container: the DSN as the three files the exporter reads; the env names them."""
    directory.mkdir()
    env = {}
    for variable, path in pg.environment().items():
        content = pg.connection_files(pg.postgres_exporter_dsn(settings.database))[path]
        env[variable] = str(_written(directory / path.rsplit("/", 1)[1], content))
    return env


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
