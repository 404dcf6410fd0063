"""Every pool's sessions carry their own bounds (issue 22): requests short, customer queries
shorter, exports bounded per fetch and per stall, background work long."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.engine import Timeouts, create_engine
from app.main import create_worker_engine
from app.settings import Settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        background_workers=False,
        request_statement_timeout=31,
        request_lock_timeout=11,
        request_idle_in_transaction_timeout=32,
        query_statement_timeout=9,
        export_statement_timeout=29,
        export_stall_timeout=28,
    )


BOUNDS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


async def session_bounds(engine: Any) -> tuple[str, ...]:
    async with engine.connect() as conn:
        return tuple([(await conn.exec_driver_sql(f"SHOW {name}")).scalar() for name in BOUNDS])


async def test_each_pool_has_its_bounds(app: Any) -> None:
    assert await session_bounds(app.state.engine) == ("31s", "11s", "32s")
    async with app.state.raw_pool.acquire() as conn:
        raw = tuple([await conn.fetchval(f"SHOW {name}") for name in BOUNDS])
    assert raw == ("31s", "11s", "32s")
    assert await session_bounds(app.state.query_engine) == ("9s", "11s", "0")
    # PostgreSQL ends a stalled export a little after the export ends itself.
    assert await session_bounds(app.state.export_engine) == ("29s", "11s", "33s")


async def test_a_statement_past_its_bound_is_stopped(database_url: str) -> None:
    engine = create_engine(database_url, 1, Timeouts(statement=0.2))
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as stopped:
                await conn.execute(text("SELECT pg_sleep(5)"))
        assert getattr(stopped.value.orig, "sqlstate", None) == "57014"
    finally:
        await engine.dispose()


async def test_background_work_has_its_own_longer_bounds(
    database_url: str, settings: Settings
) -> None:
    engine = create_worker_engine(database_url, settings)
    try:
        assert await session_bounds(engine) == ("15min", "1min", "10min")
    finally:
        await engine.dispose()
