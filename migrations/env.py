"""Alembic environment: runs migrations on the asyncpg driver.

The URL comes from ``config.attributes["url"]`` (set by ``app.db.migrate``) or, when alembic is
run by hand, from the settings (``TIERLINE_DATABASE_URL`` or the embedded server).
"""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import distribution
from app.db.tables import metadata
from app.db.url import async_url

config = context.config


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return str(url)
    from app.db.embedded import start_embedded
    from app.settings import Settings

    settings = Settings()
    return settings.database_url or start_embedded(settings.data_dir / "pg")


# Several servers may start at once against one database; one migrates, the others wait.
MIGRATION_LOCK = 7_240_002


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        # On Citus the tables are distributed by workspace, in the same transaction as the
        # migrations, so that new tables never stay on the coordinator (app.db.distribution).
        citus = distribution.has_citus(connection)
        if config.attributes.get("require_citus") and not citus:
            raise distribution.NotDistributed(
                "TIERLINE_REQUIRE_CITUS is set and the database has no Citus extension"
            )
        if citus:
            distribution.prepare(connection)
        context.run_migrations()
        if citus:
            distribution.distribute(connection)
            distribution.check(connection)


async def _run_async() -> None:
    engine = create_async_engine(async_url(_url()))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
