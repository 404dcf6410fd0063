"""The raw pool of the hot write path (``app.db.engine.create_raw_pool``)."""

from __future__ import annotations

from typing import Any

from app.db.engine import create_raw_pool
from app.db.statements import positional


async def test_a_transaction_left_open_is_rolled_back_when_the_connection_returns(
    database_url: str,
) -> None:
    pool = await create_raw_pool(database_url, 1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN; CREATE TABLE left_open (x int)")
            assert conn.is_in_transaction()
        async with pool.acquire() as conn:  # the same connection: the pool holds one
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('left_open')") is None
    finally:
        await pool.close()


async def test_connections_open_with_the_statements_prepared_and_json_decoded(
    database_url: str,
) -> None:
    statement = positional("SELECT CAST(:doc AS jsonb) -> 'a' AS a", "tierline_test")
    pool = await create_raw_pool(database_url, 1, [statement])
    try:
        async with pool.acquire() as conn:
            run = statement.execute({"doc": '{"a": [1]}'})
            await conn.execute(f"CREATE TEMP TABLE seen AS {run}")
            found: Any = await conn.fetchval("SELECT a FROM seen")
            assert found == [1]
            assert await conn.fetchval("SHOW standard_conforming_strings") == "on"
    finally:
        await pool.close()
