"""postgres-exporter's connection: the DSN split into the three files the exporter reads.

postgres-exporter 0.17.1 (cmd/postgres_exporter/datasource.go, getDataSources) builds its DSN
from DATA_SOURCE_URI_FILE, DATA_SOURCE_USER_FILE and DATA_SOURCE_PASS_FILE when
DATA_SOURCE_NAME is unset, so the container's environment names files and holds no credential.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from settings.catalog import CATALOG
from settings.model import DatabaseSettings

SECRETS_DIR = "/run/secrets/postgres-exporter"
URI_FILE = f"{SECRETS_DIR}/uri"
USER_FILE = f"{SECRETS_DIR}/user"
PASS_FILE = f"{SECRETS_DIR}/password"
CONNECTION_FILES = (URI_FILE, USER_FILE, PASS_FILE)
# The container runs as nobody (components/metrics.py); the files are its own.
UID = CATALOG["postgres-exporter"].user
# Seconds lib/pq may take to reach the database (name lookup included), per connection. A scrape connects
# twice (the exporter's own queries and its collectors), and must end inside Prometheus' 10 s scrape
# timeout: an unreachable database is then pg_up 0 (PostgresDown) instead of a scrape that times out
# (TargetDown on the exporter, which inhibits PostgresDown). Measured with Debian's exporter against a
# resolver that never answers: no timeout 20.2 s a scrape, connect_timeout=5 10.2 s, connect_timeout=3
# 6.2 s; on the engine every scrape ended in "context deadline exceeded". An operator's own
# connect_timeout in the DSN is kept.
CONNECT_TIMEOUT_S = 3


def postgres_exporter_dsn(db: DatabaseSettings) -> str:
    """A password-less DSN (dev: trust or peer auth on the platform's database)."""
    return f"postgresql://{db.exporter_user}@{db.host}:{db.port}/{db.name}?sslmode={db.sslmode}"


def environment() -> dict[str, str]:
    """File names only: the exporter reads user, password and address from them."""
    return {"DATA_SOURCE_URI_FILE": URI_FILE, "DATA_SOURCE_USER_FILE": USER_FILE,
            "DATA_SOURCE_PASS_FILE": PASS_FILE}


def connection_files(dsn: str) -> dict[str, str]:
    """Path -> content of the three files (the exporter trims each, so no newline is needed)."""
    user, password, uri = dsn_parts(dsn)
    return {URI_FILE: uri, USER_FILE: user, PASS_FILE: password}


def dsn_parts(dsn: str) -> tuple[str, str, str]:
    """A postgresql:// URL as postgres-exporter's DATA_SOURCE_{USER,PASS,URI}_FILE take it.

    postgres-exporter 0.17.1 (cmd/postgres_exporter/datasource.go) rebuilds
    `postgresql:// + url.UserPassword(user, pass) + @ + uri`, escaping user and password itself,
    so they are given percent-decoded and the URI (host:port/db?params) without them.
    """
    scheme, _, rest = dsn.partition("://")
    if scheme not in ("postgresql", "postgres") or not rest:
        raise ValueError("must be a postgresql:// connection URL")
    parts = urlsplit(dsn)
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    if not hostinfo:
        raise ValueError("must name the database host")
    user, _, password = userinfo.partition(":") if at else ("", "", "")
    query = parts.query
    if "connect_timeout" not in parse_qs(query):
        query = "&".join(q for q in (query, f"connect_timeout={CONNECT_TIMEOUT_S}") if q)
    uri = hostinfo + parts.path + f"?{query}"
    return unquote(user), unquote(password), uri
