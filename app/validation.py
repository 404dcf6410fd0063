"""Field types shared by request models."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

MAX_JSON_OBJECT_BYTES = 16 * 1024
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def _small_json_object(value: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's jsonb cannot hold U+0000; refuse it here rather than fail the transaction.
    if _contains_nul(value):
        raise ValueError("must not contain the character U+0000")
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError("must not contain NaN or Infinity") from error
    size = len(encoded.encode())
    if size > MAX_JSON_OBJECT_BYTES:
        raise ValueError(f"is {size} bytes as JSON; the limit is {MAX_JSON_OBJECT_BYTES}")
    return value


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
"""A stable id chosen by the client: a scheme's, a tier's or a segment's."""

JsonObject = Annotated[
    dict[str, Any],
    AfterValidator(_small_json_object),
    Field(description="A JSON object, at most 16 KiB when serialised."),
]

Amount = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=18,
        decimal_places=4,
        allow_inf_nan=False,
        description="Exact decimal, at most 4 decimal places; send it as a string.",
        examples=["129.90"],
    ),
]
