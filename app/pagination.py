"""The one list format: ``{"items": [...], "next_cursor": ...}`` with keyset cursors.

A cursor is the sort key of the last item of a page, base64url-encoded JSON. Clients treat it as
opaque; the server never uses OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from app.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=[None],
    )


class InvalidCursor(BadRequest):
    slug, title = "invalid-cursor", "Invalid cursor"


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidCursor("The cursor is not one this service issued.")
    return key


def next_cursor(rows: list[Any], limit: int, key_of: Any) -> str | None:
    """Rows were fetched with ``limit + 1``: a surplus row means there is a next page."""
    if len(rows) <= limit:
        return None
    return encode_cursor(key_of(rows[limit - 1]))


MAX_SEQ = 2**63 - 1


def decode_key(cursor: str | None, pattern: str) -> str | None:
    """A cursor holding one text key matching ``pattern`` (a page by key); None for none."""
    if cursor is None:
        return None
    (key,) = decode_cursor(cursor, 1)
    if not isinstance(key, str) or not re.fullmatch(pattern, key):
        raise InvalidCursor("The cursor is not one this service issued.")
    return key


def decode_seq(cursor: str | None) -> int | None:
    """A cursor holding one positive bigint sequence number (a history page)."""
    if cursor is None:
        return None
    (seq,) = decode_cursor(cursor, 1)
    if type(seq) is not int or not 0 < seq <= MAX_SEQ:
        raise InvalidCursor("The cursor is not one this service issued.")
    return seq
