"""What judging one event takes without the database: its validation error, its fingerprint
(the identity of a replay), and the plain values a backfill stores (``Parsed``).

Kept apart from ``app.events.service`` so that the import's reading process
(``app.events.import_reader``), forked before the importer's heavier imports, has what it needs
at once.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError

from app.errors import InvalidInput, field_errors
from app.events import staged_copy
from app.events.schemas import EventIn

# Built once (json.dumps with arguments builds one per call); its output must never change:
# stored events are compared by these bytes' digest.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(event: EventIn) -> bytes:
    """Identity of an event's content: equal for a faithful replay, whatever the formatting."""
    canonical = {
        "customer_id": event.customer_id,
        "type": event.type,
        "occurred_at": event.occurred_at.timestamp(),
        "amount": None if event.amount is None else f"{event.amount.normalize():f}",
        "currency": event.currency,
        "properties": event.properties,
        "traits": event.traits,
    }
    return hashlib.sha256(_CANONICAL_JSON.encode(canonical).encode()).digest()


def invalid(error: ValidationError) -> InvalidInput:
    """The error a batch item that fails validation is rejected with: the 422 a request
    with that body gets."""
    return InvalidInput(field_errors(error.errors()))


def given_event_id(item: dict[str, Any]) -> str | None:
    """The ``event_id`` a batch item that fails validation is answered with: the one it
    gave, when that is a string the JSON answer can carry (a lone surrogate, ``"\\ud800"``,
    parses but cannot be encoded back)."""
    given = item.get("event_id")
    if not isinstance(given, str):
        return None
    try:
        given.encode()
    except UnicodeEncodeError:
        return None
    return given


class Parsed(NamedTuple):
    """A valid event as storing it takes it: plain values, computed from the event alone
    (``parsed``), so an import computes them in its reading process, while the database
    stores the chunk before, and sends them over cheaply (no model objects)."""

    event_id: str
    customer_id: str
    type: str
    occurred_at: datetime
    """In UTC."""
    amount: Decimal | None
    currency: str | None
    properties: str
    """As JSON text."""
    traits: str | None
    """As JSON text; ``None`` when the event carries none."""
    fingerprint: bytes
    has_traits: bool
    """Whether the event carries at least one trait."""
    removes_traits: bool
    """Whether one of its traits is ``null`` (removes the trait)."""
    copied: bytes
    """Its own fields of a staging row, encoded for ``COPY`` (``staged_copy.event_fields``)."""
    copied_amount: bytes
    """``amount`` encoded for ``COPY``: the base amount too, when it needs no conversion."""


def parsed(event: EventIn) -> Parsed:
    traits = event.traits
    occurred_at = event.occurred_at.astimezone(UTC)
    properties = _json(event.properties)
    traits_json = None if traits is None else _json(traits)
    digest = fingerprint(event)
    amount = staged_copy.numeric(event.amount)
    return Parsed(
        event.event_id,
        event.customer_id,
        event.type,
        occurred_at,
        event.amount,
        event.currency,
        properties,
        traits_json,
        digest,
        bool(traits),
        traits is not None and None in traits.values(),
        staged_copy.event_fields(
            event.event_id,
            event.customer_id,
            event.type,
            occurred_at,
            amount,
            properties,
            traits_json,
            digest,
        ),
        amount,
    )


# Built once, as _CANONICAL_JSON.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json(value: dict[str, Any]) -> str:
    return _COMPACT_JSON.encode(value) if value else "{}"
