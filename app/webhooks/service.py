"""Webhook endpoints (subscriptions, secrets, tests, recovery) and the outbox's messages as the
API shows them. Delivery itself is ``app.webhooks.worker``'s."""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record
from app.errors import InvalidInput, NotFound
from app.pagination import InvalidCursor, decode_cursor, decode_seq
from app.vault import Vault
from app.webhooks import PING, SEGMENT_ENTERED, SEGMENT_EXITED, TIER_CHANGED, guard, outbox
from app.webhooks import repository as store
from app.webhooks.schemas import EndpointFilter, EndpointIn, EndpointPatch

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 24
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
DISABLED_BY_HAND = "disabled through the API"
PING_TEXT = "Ping from Tierline"


class EndpointNotFound(NotFound):
    pass


class MessageNotFound(NotFound):
    pass


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and the base64 of a random key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- checks --------------------------------------------------------------------------------


def _unknown(field: str, kind: str, keys: Sequence[str], known: set[str]) -> list[dict[str, str]]:
    missing = [key for key in keys if key not in known]
    if not missing:
        return []
    return [
        {
            "field": field,
            "message": f"no {kind} {', '.join(repr(k) for k in missing)} in this workspace",
            "code": f"unknown_{kind}",
        }
    ]


def _not_applicable(
    event_types: Sequence[str] | None, found: EndpointFilter
) -> list[dict[str, str]]:
    """Filter parts that no subscribed type reads: they would silently do nothing. Every
    part applies to an endpoint that takes every type."""
    if event_types is None:
        return []
    parts: list[tuple[str, str]] = []
    if TIER_CHANGED not in event_types:
        given = {
            "schemes": found.schemes is not None,
            "tiers": found.tiers is not None,
            "direction": found.direction != "any",
        }
        parts += [(part, TIER_CHANGED) for part, is_given in given.items() if is_given]
    if found.segments is not None and not {SEGMENT_ENTERED, SEGMENT_EXITED} & set(event_types):
        parts.append(("segments", f"{SEGMENT_ENTERED} and {SEGMENT_EXITED}"))
    return [
        {
            "field": f"filter.{part}",
            "message": f"applies only to {types}, which event_types does not list",
            "code": "not_applicable",
        }
        for part, types in parts
    ]


async def check_url(
    url: str | None,
    allowed_networks: Sequence[guard.IPNetwork],
    within: float,
    lookup: guard.Lookup | None = None,
) -> list[dict[str, str]]:
    """The problems of a new URL (none when there is none), for ``create`` and ``update``.
    Resolving its host (with ``lookup``, the system resolver when ``None``) may take
    ``within`` seconds: call it before taking a connection."""
    if url is None:
        return []
    try:
        await guard.resolve(url, allowed_networks, within=within, lookup=lookup)
    except guard.UnsafeURL as error:
        return [{"field": "url", "message": str(error), "code": "unsafe_url"}]
    return []


async def _filter_errors(
    conn: AsyncConnection,
    workspace_id: UUID,
    event_types: Sequence[str] | None,
    found: EndpointFilter | None,
) -> list[dict[str, str]]:
    if found is None:
        return []
    errors: list[dict[str, str]] = []
    if found.schemes:
        known = await store.known_schemes(conn, workspace_id, found.schemes)
        errors += _unknown("filter.schemes", "scheme", found.schemes, known)
    if found.segments:
        known = await store.known_segments(conn, workspace_id, found.segments)
        errors += _unknown("filter.segments", "segment", found.segments, known)
    return errors + _not_applicable(event_types, found)


def _stored_filter(found: EndpointFilter | None) -> dict[str, Any] | None:
    return None if found is None else found.model_dump(exclude_none=True)


def _enablement(enabled: bool, now: datetime) -> dict[str, Any]:
    if enabled:
        return {
            "enabled": True,
            "disabled_reason": None,
            "disabled_at": None,
            "failing_since": None,
        }
    return {"enabled": False, "disabled_reason": DISABLED_BY_HAND, "disabled_at": now}


# --- endpoints -----------------------------------------------------------------------------


async def create(
    conn: AsyncConnection,
    workspace_id: UUID,
    body: EndpointIn,
    url_errors: list[dict[str, str]],
    now: datetime,
    vault: Vault,
) -> tuple[Record, str]:
    """The new endpoint's row and its secret, which is stored encrypted; one 422 names every
    problem, those ``check_url`` found included."""
    errors = url_errors + await _filter_errors(conn, workspace_id, body.event_types, body.filter)
    if errors:
        raise InvalidInput(errors)
    values = {
        "url": body.url,
        "description": body.description,
        "event_types": body.event_types,
        "filter": _stored_filter(body.filter),
        **_enablement(body.enabled, now),
    }
    secret = new_secret()
    row = await store.insert_endpoint(conn, workspace_id, values, vault.encrypt(secret), now)
    return row, secret


async def get(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, *, lock: bool = False
) -> Record:
    row = await store.get_endpoint(conn, workspace_id, endpoint_id, lock=lock)
    if row is None:
        raise EndpointNotFound(f"No webhook endpoint {endpoint_id} in this workspace.")
    return row


def _created_at_id(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    created_at, endpoint_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), UUID(endpoint_id)
    except (TypeError, ValueError) as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error


async def list_page(
    conn: AsyncConnection, workspace_id: UUID, cursor: str | None, limit: int
) -> list[Record]:
    return await store.endpoints_page(conn, workspace_id, _created_at_id(cursor), limit)


async def update(
    conn: AsyncConnection,
    workspace_id: UUID,
    endpoint_id: UUID,
    body: EndpointPatch,
    url_errors: list[dict[str, str]],
    now: datetime,
) -> Record:
    """Changes the fields the body sets; the result is checked as a whole (a filter must
    still apply to the event types), with the problems ``check_url`` found in a new URL."""
    given = body.model_fields_set
    errors = list(url_errors)
    current = await get(conn, workspace_id, endpoint_id, lock=True)
    values: dict[str, Any] = {"updated_at": now}
    if "url" in given:
        values["url"] = body.url
    if "event_types" in given:
        values["event_types"] = body.event_types
    if "description" in given:
        values["description"] = body.description
    if "filter" in given:
        values["filter"] = _stored_filter(body.filter)
    # Only a change of state counts: re-sending `enabled: true` must not reset failing_since,
    # the clock that disables an endpoint failing for days.
    if body.enabled is not None and body.enabled != current.enabled:
        values.update(_enablement(body.enabled, now))
    stored = values.get("filter", current.filter)
    errors += await _filter_errors(
        conn,
        workspace_id,
        values.get("event_types", current.event_types),
        None if stored is None else EndpointFilter.model_validate(stored),
    )
    if errors:
        raise InvalidInput(errors)
    if values.get("enabled"):
        await outbox.wake(conn, workspace_id)  # deliveries that waited for it are due now
    return await store.update_endpoint(conn, workspace_id, endpoint_id, values)


async def delete(conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> None:
    if not await store.delete_endpoint(conn, workspace_id, endpoint_id):
        raise EndpointNotFound(f"No webhook endpoint {endpoint_id} in this workspace.")


async def rotate_secret(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, now: datetime, vault: Vault
) -> tuple[Record, str]:
    """A new secret; the old one keeps signing beside it for a day, so subscribers can switch
    without losing a message. Returns the row and the new secret, which is stored encrypted."""
    current = await get(conn, workspace_id, endpoint_id, lock=True)
    secret = new_secret()
    values = {
        "secret": vault.encrypt(secret),
        "previous_secret": current.secret,
        "previous_secret_expires_at": now + PREVIOUS_SECRET_LIFETIME,
        "updated_at": now,
    }
    return await store.update_endpoint(conn, workspace_id, endpoint_id, values), secret


async def send_test(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, now: datetime
) -> UUID:
    """Queues a ``ping`` for this endpoint only; a disabled endpoint gets it once enabled."""
    await get(conn, workspace_id, endpoint_id)
    data = {"endpoint_id": str(endpoint_id), "message": PING_TEXT}
    message_id = await outbox.enqueue(conn, workspace_id, PING, None, data, now, [endpoint_id])
    assert message_id is not None, "a message with an endpoint is always written"
    return message_id


async def recover(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, since: datetime, now: datetime
) -> int:
    """Re-queues the endpoint's failed deliveries of messages created at or after ``since``."""
    if since > now:
        raise InvalidInput.at("since", "is in the future", "in_future")
    await get(conn, workspace_id, endpoint_id)
    requeued = await store.requeue_failed_since(conn, workspace_id, endpoint_id, since, now)
    if requeued:
        await outbox.wake(conn, workspace_id)
    return requeued


# --- messages ------------------------------------------------------------------------------


async def messages_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    cursor: str | None,
    limit: int,
    type_: str | None,
    customer_id: str | None,
    status: str | None,
    endpoint_id: UUID | None = None,
) -> tuple[list[Record], dict[UUID, list[Record]]]:
    """Up to ``limit + 1`` messages, newest first, and the deliveries of the first ``limit``;
    with ``endpoint_id``, the messages sent to that endpoint (404 for an unknown one) and
    their delivery to it."""
    if endpoint_id is not None:
        await get(conn, workspace_id, endpoint_id)
    rows = await store.messages_page(
        conn, workspace_id, decode_seq(cursor), limit, type_, customer_id, status, endpoint_id
    )
    ids = [row.id for row in rows[:limit]]
    return rows, await _deliveries(conn, workspace_id, ids, endpoint_id)


async def _deliveries(
    conn: AsyncConnection,
    workspace_id: UUID,
    message_ids: list[UUID],
    endpoint_id: UUID | None = None,
) -> dict[UUID, list[Record]]:
    grouped: dict[UUID, list[Record]] = defaultdict(list)
    if message_ids:
        for row in await store.deliveries(conn, workspace_id, message_ids, endpoint_id):
            grouped[row.message_id].append(row)
    return grouped


async def get_message(
    conn: AsyncConnection, workspace_id: UUID, message_id: UUID
) -> tuple[Record, list[Record]]:
    row = await store.get_message(conn, workspace_id, message_id)
    if row is None:
        raise MessageNotFound(f"No webhook message {message_id} in this workspace.")
    return row, (await _deliveries(conn, workspace_id, [message_id]))[message_id]


async def attempts(conn: AsyncConnection, workspace_id: UUID, message_id: UUID) -> list[Record]:
    await get_message(conn, workspace_id, message_id)
    return await store.attempts(conn, workspace_id, message_id)


async def replay(
    conn: AsyncConnection,
    workspace_id: UUID,
    message_id: UUID,
    endpoint_id: UUID | None,
    now: datetime,
) -> int:
    """Re-queues the message's deliveries (all of them, or the one to ``endpoint_id``),
    whatever their status: the subscriber receives it again, under the same id."""
    await get_message(conn, workspace_id, message_id)
    if endpoint_id is not None and not await store.has_delivery(
        conn, workspace_id, message_id, endpoint_id
    ):
        raise EndpointNotFound(
            f"Message {message_id} was not sent to a webhook endpoint {endpoint_id}."
        )
    requeued = await store.requeue_message(conn, workspace_id, message_id, endpoint_id, now)
    if requeued:
        await outbox.wake(conn, workspace_id)
    return requeued
