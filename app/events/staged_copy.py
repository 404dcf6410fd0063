"""The staging table's rows in PostgreSQL's binary ``COPY`` format, encoded in Python.

An import's reading process encodes each event's own fields here (``event_fields``), beside
its validation, so the importer only adds the fields it decides (position, currency and the
base amount) and joins bytes: asyncpg encoding the records itself
(``copy_records_to_table``) cost the importer's process about 7 us a row, on the path that
feeds the database. The staging table is in ``app.events.staging``; ``COLUMNS`` is the order
a row is encoded in. Only the types that table has: text, timestamptz, numeric, bytea,
integer.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal

COLUMNS = (
    "event_id",
    "customer_id",
    "type",
    "occurred_at",
    "amount",
    "properties",
    "traits",
    "fingerprint",
    "position",
    "currency",
    "amount_base",
    "fx_rate",
)

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)

_FIELDS = struct.pack(">h", len(COLUMNS))
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LENGTH = struct.Struct(">i")
_INTEGER = struct.Struct(">ii")
_TIMESTAMP = struct.Struct(">iq")
_NUMERIC_HEAD = struct.Struct(">ihhhh")
_NUMERIC_POSITIVE, _NUMERIC_NEGATIVE = 0x0000, 0x4000


def event_fields(
    event_id: str,
    customer_id: str,
    type: str,
    occurred_at: datetime,
    amount: bytes,
    properties: str,
    traits: str | None,
    fingerprint: bytes,
) -> bytes:
    """The row's first fields, ``event_id`` to ``fingerprint``: what the event alone decides
    (``amount`` encoded already, by ``numeric``)."""
    return b"".join(
        (
            text(event_id),
            text(customer_id),
            text(type),
            _TIMESTAMP.pack(8, (occurred_at - _PG_EPOCH) // _MICROSECOND),
            amount,
            text(properties),
            text(traits),
            _LENGTH.pack(len(fingerprint)) + fingerprint,
        )
    )


def row(fields: bytes, position: int, currency: bytes, amount_base: bytes, fx_rate: bytes) -> bytes:
    """A whole row: the event's ``fields``, then the fields the storing process decides,
    each already encoded (``text``, ``numeric``)."""
    return b"".join((_FIELDS, fields, _INTEGER.pack(4, position), currency, amount_base, fx_rate))


def text(value: str | None) -> bytes:
    if value is None:
        return NULL
    data = value.encode()
    return _LENGTH.pack(len(data)) + data


def numeric(value: Decimal | None) -> bytes:
    """PostgreSQL's numeric: base-10000 digits, the weight of the first, the sign and the
    display scale (the decimal places the value was written with, as ``numeric_in`` keeps
    them)."""
    if value is None:
        return NULL
    sign, _, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {value}")
    scale = max(-exponent, 0)
    padding = -scale % 4  # the fraction in whole groups of four digits
    unscaled = abs(int(value.scaleb(scale + padding)))
    digits: list[int] = []
    while unscaled:
        unscaled, digit = divmod(unscaled, 10000)
        digits.append(digit)
    weight = len(digits) - (scale + padding) // 4 - 1
    digits.reverse()
    while digits and digits[-1] == 0:
        digits.pop()
    if not digits:
        weight = 0
    head = _NUMERIC_HEAD.pack(
        8 + 2 * len(digits),
        len(digits),
        weight,
        _NUMERIC_NEGATIVE if sign and digits else _NUMERIC_POSITIVE,
        scale,
    )
    return head + struct.pack(f">{len(digits)}h", *digits)
