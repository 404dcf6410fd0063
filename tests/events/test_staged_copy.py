"""The staging rows the import encodes itself (``app.events.staged_copy``) store exactly what
asyncpg's own encoding of the same values stores, every column read back as text."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db.url import asyncpg_dsn
from app.events import staged_copy, staging

# At most four decimal places and 18 digits, as ``app.validation.Amount``: built so, rather
# than filtered out of every decimal, which left too few to draw from (a flaky health check).
AMOUNTS = st.integers(0, 4).flatmap(
    lambda places: st.integers(0, 10 ** (14 + places) - 1).map(
        lambda digits: Decimal(digits).scaleb(-places)
    )
)

TEXTS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@st.composite
def staged_rows(draw: st.DrawFn, position: int) -> staging.StagedRow:
    amount = draw(st.none() | AMOUNTS | st.sampled_from([Decimal("1E+2"), Decimal("0.00")]))
    converted = amount is not None and draw(st.booleans())
    return staging.StagedRow(
        position=position,
        event_id=f"e-{position}-{draw(TEXTS)}",
        customer_id=draw(TEXTS),
        type=draw(st.sampled_from(["order", "refund", "visit"])),
        occurred_at=draw(
            st.datetimes(
                min_value=datetime(1970, 1, 1),
                max_value=datetime(9998, 12, 31),
                timezones=st.just(UTC),
            )
        ),
        amount=amount,
        currency=draw(st.none() | st.sampled_from(["EUR", "USD"])),
        amount_base=draw(AMOUNTS) if converted else amount,
        fx_rate=Decimal("0.923456") if converted else None,
        properties=draw(st.sampled_from(["{}", '{"channel":"web"}', '{"ü":"日本"}'])),
        traits=draw(st.none() | st.sampled_from(["{}", '{"region":"north"}'])),
        fingerprint=hashlib.sha256(str(position).encode()).digest(),
    )


def encoded(row: staging.StagedRow) -> bytes:
    fields = staged_copy.event_fields(
        row.event_id, row.customer_id, row.type, row.occurred_at, staged_copy.numeric(row.amount),
        row.properties, row.traits, row.fingerprint,
    )  # fmt: skip
    return staged_copy.row(
        fields,
        row.position,
        staged_copy.text(row.currency),
        staged_copy.numeric(row.amount_base),
        staged_copy.numeric(row.fx_rate),
    )


STORED = """
SELECT position, event_id, customer_id, type, occurred_at::text, amount::text, currency,
       amount_base::text, fx_rate::text, properties, traits, encode(fingerprint, 'hex')
FROM tierline_staged_events ORDER BY position
"""


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute("SET TIME ZONE 'UTC'")
    yield connection
    await connection.close()


async def stored(
    conn: asyncpg.Connection, rows: list[staging.StagedRow], ours: bool
) -> list[tuple[object, ...]]:
    async with conn.transaction():
        await conn.execute(staging.CREATE_STAGING)
        if ours:
            await staging.load_encoded(conn, [encoded(row) for row in rows])
        else:
            await staging.load(conn, rows)
        return [tuple(record) for record in await conn.fetch(STORED)]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
async def test_encoded_rows_store_what_asyncpg_stores(
    conn: asyncpg.Connection, data: st.DataObject
) -> None:
    rows = [data.draw(staged_rows(position)) for position in range(data.draw(st.integers(1, 8)))]
    assert await stored(conn, rows, ours=True) == await stored(conn, rows, ours=False)


@pytest.mark.parametrize(
    "amount",
    ["0", "0.0000", "0.05", "1", "26.24", "129.90", "10000", "10000.0001", "1E+2", "1.5E+3",
     "99999999999999.9999", "12345678901234.5678", "0.0001"],
)  # fmt: skip
async def test_amounts_keep_their_value_and_their_decimal_places(
    conn: asyncpg.Connection, amount: str
) -> None:
    row = staging.StagedRow(
        0, "e", "c", "order", datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=7),
        Decimal(amount), None, Decimal(amount), None, "{}", None, bytes(32),
    )  # fmt: skip
    ours, theirs = await stored(conn, [row], ours=True), await stored(conn, [row], ours=False)
    assert ours == theirs
    assert ours[0][5] == str(Decimal(amount).quantize(Decimal(1)) if "E" in amount else amount)
