"""Field types shared by request models, and the mark of a secret a response shows once."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

MAX_JSON_OBJECT_BYTES = 16 * 1024
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's category Cc, all 65 of it."""


def no_control_characters(value: str) -> str:
    """The value, unless it holds a control character (``ValueError``)."""
    if _CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters")
    return value


def contains_nul(value: Any) -> bool:
    """Whether U+0000 is in any string of a JSON value (keys too)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


# Built once: json.dumps with arguments builds an encoder on every call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, the measure of ``MAX_JSON_OBJECT_BYTES``."""
    return len(_COMPACT_JSON.encode(value).encode())


def _small_json_object(value: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's jsonb cannot hold U+0000; refuse it here rather than fail the transaction.
    if contains_nul(value):
        raise ValueError("must not contain the character U+0000")
    try:
        size = json_size(value)
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800") parses from JSON but has no UTF-8 form.
        raise ValueError("must be valid Unicode") from None
    except ValueError as error:
        raise ValueError("must not contain NaN or Infinity") from error
    if size > MAX_JSON_OBJECT_BYTES:
        raise ValueError(f"is {size} bytes as JSON; the limit is {MAX_JSON_OBJECT_BYTES}")
    return value


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(no_control_characters),
]


def _no_nul(value: str) -> str:
    # PostgreSQL's text and jsonb cannot hold U+0000: refused here rather than fail the write.
    if "\x00" in value:
        raise ValueError("must not contain the character U+0000")
    return value


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_control_characters),
]
"""A name people read: a workspace's, a key's, a scheme's or a segment's."""

Description = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_no_nul)]
"""Free text; line breaks allowed."""

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

EventType = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9_]{1,64}$"),
    Field(
        description="`order`, `refund`, `visit`, `support_ticket`, `survey`, or your own name "
        "(lowercase letters, digits and `_`, at most 64).",
        examples=["order"],
    ),
]

FIRST_YEAR = 1970
LAST_YEAR = 9998


def _moment_in_range(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")
    return value


def _day_in_range(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")
    return value


# A moment with a timezone: a naive one would mean a different instant on every server.
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]


class ShownOnce:
    """Marks the field of a response model that holds a secret shown once (a new API key, a
    webhook signing secret); the model also has a ``secret_shown_once`` field
    (``SecretShownOnce``). An answer replayed for an ``Idempotency-Key`` carries null in the
    field's place and ``secret_shown_once: true``: the secret is never stored to replay it."""


SHOWN_ONCE = ShownOnce()
SECRET_SHOWN_ONCE = "secret_shown_once"  # noqa: S105 (a field name, not a secret)

SecretShownOnce = Annotated[
    bool,
    Field(
        description="`true` in an answer replayed for an `Idempotency-Key` (header "
        "`Idempotent-Replayed: true`): the secret was shown once, in the first answer, and is "
        "`null` here. `false` in the answer that shows it.",
        examples=[False],
    ),
]
