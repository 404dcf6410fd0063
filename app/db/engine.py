"""Engine and transaction helpers. The caller (request, job, CLI command) owns the transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.db.statements import Positional
from app.db.url import async_url, asyncpg_dsn

# Deadlock detected, serialization failure: the transaction was rolled back and may be retried.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


SERVER_SETTINGS = {"application_name": "tierline", "timezone": "UTC"}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Bounds PostgreSQL enforces on every session of a pool, in seconds; 0 turns one off.

    ``statement`` stops a statement that runs longer (SQLSTATE 57014), ``lock`` one that waits
    longer for a row or table lock (55P03), and ``idle_in_transaction`` ends the session of
    a transaction left open and idle that long (a stalled client, a stuck task), releasing
    its locks and snapshot. Each pool has its own (``app.main``): requests short, customer
    queries shorter, background jobs and imports long."""

    statement: float = 0
    lock: float = 0
    idle_in_transaction: float = 0

    def server_settings(self) -> dict[str, str]:
        return {
            "statement_timeout": _milliseconds(self.statement),
            "lock_timeout": _milliseconds(self.lock),
            "idle_in_transaction_session_timeout": _milliseconds(self.idle_in_transaction),
        }


def _milliseconds(seconds: float) -> str:
    return str(round(seconds * 1000))


UNBOUNDED = Timeouts()


RawConnection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
"""A connection of ``create_raw_pool``, as ``acquire`` hands it out."""


def create_engine(url: str, pool_size: int = 10, timeouts: Timeouts = UNBOUNDED) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        connect_args={"server_settings": {**SERVER_SETTINGS, **timeouts.server_settings()}},
    )


def create_query_engine(url: str, pool_size: int, timeouts: Timeouts = UNBOUNDED) -> AsyncEngine:
    """The engine of customer queries (count, search): each statement its own transaction, and
    every statement planned for its own values.

    No transaction is opened around a statement (``AUTOCOMMIT``: no ``BEGIN`` or ``COMMIT``),
    so a query answered by one statement costs one round trip. And the sessions plan every
    execution of a prepared statement for its values (``plan_cache_mode =
    force_custom_plan``): asyncpg prepares and keeps each statement per connection, and after
    five runs PostgreSQL may switch to a generic plan that guesses how many customers a trait
    or tier matches; a guess of 5,000 for 120,000 costs a parallel scan. Planning a customer
    query takes well under a millisecond, its execution from one to hundreds. The engine's
    per-customer statements want the opposite (generic plans, ``bench/README.md``), so this
    is a pool of its own.
    """
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "server_settings": {
                **SERVER_SETTINGS,
                **timeouts.server_settings(),
                "plan_cache_mode": "force_custom_plan",
            }
        },
    )


async def create_raw_pool(
    url: str,
    size: int,
    prepared: Iterable[Positional] = (),
    timeouts: Timeouts = UNBOUNDED,
    settings: Mapping[str, str] | None = None,
) -> asyncpg.Pool:
    """A pool of raw asyncpg connections for the event write path (``app.events.flush``),
    beside the engine's: SQLAlchemy's checkout, transaction and check-in cost about as much
    server CPU as the event's own statements. Connections open on demand, with the
    statements of ``prepared`` prepared by SQL (``Positional.prepare``) and
    ``standard_conforming_strings`` on, which their literal arguments rely on; JSON comes
    back decoded and goes in as text, as through the engine. ``settings``: more of
    PostgreSQL's settings for its sessions."""

    async def setup(conn: asyncpg.Connection) -> None:
        for type_name in ("json", "jsonb"):
            await conn.set_type_codec(
                type_name, encoder=str, decoder=json.loads, schema="pg_catalog", format="text"
            )
        for statement in prepared:
            await conn.execute(statement.prepare)

    async def reset(conn: asyncpg.Connection) -> None:
        """Only a transaction left open (its request cancelled midway) is undone: the path
        sets no session state, so asyncpg's full reset query would be a round trip for
        nothing on every release."""
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")

    pool = await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=0,
        max_size=size,
        init=setup,
        reset=reset,
        server_settings={
            **SERVER_SETTINGS,
            **timeouts.server_settings(),
            "standard_conforming_strings": "on",
            **(settings or {}),
        },
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    async with engine.begin() as conn:
        yield conn
