"""The literal arguments of statements prepared by SQL (``app.db.statements.literal``) reach
PostgreSQL as the very values they stand for, whatever characters a client put in them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db.engine import create_raw_pool
from app.db.statements import literal, positional

AWKWARD = [
    "it's",
    "''",
    "\\",
    "\\'",
    "'; DROP TABLE events; --",
    "$$",
    "$tag$ x $tag$",
    'say "hi"',
    "line\nbreak\ttab",
    "ünïcödé ✓ 😀",
    "E'\\x41'",
    "",
]

# What a client's string can hold: any character PostgreSQL text can (not NUL, nor a lone
# surrogate, which UTF-8 cannot encode).
TEXT = st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"]))


@pytest.fixture
async def raw(database_url: str) -> Any:
    pool = await create_raw_pool(database_url, 1)
    async with pool.acquire() as conn:
        yield conn
    await pool.close()


async def read_back(raw: Any, value: Any, sql_type: str) -> Any:
    """The value as PostgreSQL reads its literal into a parameter of ``sql_type``, through
    a statement prepared by SQL and executed with it, as the hot write path does."""
    statement = positional(f"SELECT CAST(:value AS {sql_type}) AS value", "read_back")
    await raw.execute(statement.prepare)
    try:
        await raw.execute(
            f"CREATE TEMP TABLE seen AS {statement.execute({'value': value})} WITH DATA"
        )
        return await raw.fetchval("SELECT value FROM seen")
    finally:
        await raw.execute("DROP TABLE IF EXISTS seen; DEALLOCATE read_back")


@pytest.mark.parametrize("text", AWKWARD)
async def test_awkward_text_arrives_unchanged(raw: Any, text: str) -> None:
    assert await read_back(raw, text, "text") == text
    assert await read_back(raw, [text, "b", text], "text[]") == [text, "b", text]


# The connection is shared by the examples: each leaves it as it found it.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=TEXT)
async def test_any_text_arrives_unchanged(raw: Any, text: str) -> None:
    assert await read_back(raw, text, "text") == text
    assert await read_back(raw, [text], "text[]") == [text]


@pytest.mark.parametrize(
    ("value", "sql_type"),
    [
        (UUID("5477f7bf-ff07-4b0b-b505-9c0af0e5f454"), "uuid"),
        (datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC), "timestamptz"),
        (date(2026, 2, 28), "date"),
        (Decimal("-1234.5678"), "numeric"),
        (Decimal("1E+3"), "numeric"),
        (42, "integer"),
        (True, "boolean"),
        (False, "boolean"),
        (None, "text"),
        (b"\x00\x01'\\\xff", "bytea"),
        ([], "text[]"),
        (["NULL", "{}", ","], "text[]"),
    ],
)
async def test_typed_values_arrive_unchanged(raw: Any, value: Any, sql_type: str) -> None:
    assert await read_back(raw, value, sql_type) == value


def test_a_nul_character_is_refused_before_it_is_sent() -> None:
    with pytest.raises(ValueError, match="NUL"):
        literal("a\0b")
