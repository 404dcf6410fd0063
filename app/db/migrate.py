"""Applying and checking migrations from inside the service."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None, *, require_citus: bool = False) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.attributes["url"] = url
    config.attributes["require_citus"] = require_citus
    return config


def upgrade(url: str, revision: str = "head", *, require_citus: bool = False) -> None:
    """Migrates to ``revision``; on Citus, then distributes every table not distributed yet
    (``app.db.distribution``). ``require_citus`` fails when the database lacks Citus."""
    command.upgrade(alembic_config(url, require_citus=require_citus), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(conn: AsyncConnection) -> str | None:
    def _current(sync_conn: Connection) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    return await conn.run_sync(_current)
