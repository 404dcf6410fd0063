"""Engine and transaction helpers. The caller (request, job, CLI command) owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.db.url import async_url

# Deadlock detected, serialization failure: the transaction was rolled back and may be retried.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": "tierline", "timezone": "UTC"}},
    )


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    async with engine.begin() as conn:
        yield conn
