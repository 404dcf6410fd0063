"""Schemes (versioned, checked against the workspace), overrides, a customer's tier history
and explanations. Classifying customers is the pipeline's (``app.classification``); a new
version is applied to everyone by the reclassification job (``app.reclassification``).
What reads a scheme's tiers from outside tiers (segments) is handed in as plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import utc_day, window_start
from app.customers import repository as customers
from app.customers.catalog import field_catalog
from app.customers.metrics import WINDOWS
from app.customers.service import CustomerNotFound, row_of, view
from app.db import Record
from app.errors import Conflict, InvalidInput, NotFound
from app.jobs import RECLASSIFY_JOB
from app.jobs import service as jobs
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.pagination import decode_key, decode_seq
from app.rules.fields import ConditionError, FieldCatalog, check
from app.rules.schema import Node
from app.tiers import repository, templates
from app.tiers.assignment_schemas import OverrideIn
from app.tiers.explain import DayTotals, explain
from app.tiers.explanation_schemas import TierExplanation
from app.tiers.policy import (
    Assignment,
    Override,
    Scheme,
    SchemeCycle,
    in_dependency_order,
    scheme_from_definition,
)
from app.tiers.schemas import SchemeIn, TemplateIn
from app.validation import KEY_PATTERN

RESERVED_KEYS = frozenset({"templates"})
"""Keys a scheme cannot have: their ``/v1/schemes/<key>`` paths mean something else."""


class SchemeNotFound(NotFound):
    pass


class SchemeVersionNotFound(NotFound):
    pass


class SchemeInUse(Conflict):
    slug, title = "scheme-in-use", "Another scheme or a segment reads this scheme's tiers"


class SchemeArchived(Conflict):
    slug, title = "scheme-archived", "The scheme is archived"


class NoTierToOverride(Conflict):
    slug, title = "no-tier-yet", "The customer has no tier in this scheme yet"


class OverrideNotFound(NotFound):
    pass


def catalog_of(definitions: Iterable[Definition], schemes: Iterable[Scheme]) -> FieldCatalog:
    """What a condition may read, given these metric definitions and schemes."""
    return field_catalog(definitions, {s.key: s.tier_keys for s in schemes})


def _condition_errors(scheme: Scheme, catalog: FieldCatalog) -> list[ConditionError]:
    return [
        ConditionError(f"tiers.{i}.condition.{e.path}".rstrip("."), e.message, e.code)
        for i, tier in enumerate(scheme.tiers)
        for e in check(tier.condition, catalog)
    ]


def _broken(reader: str, errors: list[ConditionError]) -> list[dict[str, str]]:
    """What a reader of the proposed scheme's tiers would no longer be able to read."""
    return [
        {
            "field": "tiers",
            "message": f"{reader} reads this scheme's tiers and would break: {e.path}: {e.message}",
            "code": "tier_in_use",
        }
        for e in errors
    ]


async def check_proposal(
    conn: AsyncConnection,
    workspace_id: UUID,
    proposed: Scheme,
    segment_conditions: Mapping[str, Node],
) -> None:
    """Everything the proposed version refers to exists, nothing another scheme or a
    segment (``segment_conditions``: the conditions of those reading this scheme's tiers)
    reads from it disappears, and no two schemes read each other's tiers in a cycle."""
    others = [
        s for s in await repository.active_schemes(conn, workspace_id) if s.key != proposed.key
    ]
    catalog = catalog_of(await user_metrics.definitions(conn, workspace_id), [*others, proposed])
    errors = [e.field_error("") for e in _condition_errors(proposed, catalog)]
    for other in others:
        if proposed.key in other.reads_schemes:
            errors += _broken(f"scheme '{other.key}'", _condition_errors(other, catalog))
    for segment, condition in sorted(segment_conditions.items()):
        errors += _broken(f"segment '{segment}'", check(condition, catalog))
    if errors:
        raise InvalidInput(errors)
    try:
        in_dependency_order([*others, proposed])
    except SchemeCycle as cycle:
        raise InvalidInput(
            [
                {
                    "field": "tiers",
                    "message": "schemes would read each other's tiers in a cycle: "
                    + " -> ".join(cycle.keys),
                    "code": "scheme_cycle",
                }
            ]
        ) from None


async def put(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    body: SchemeIn,
    saved_by: UUID | None,
    now: datetime,
    segment_conditions: Mapping[str, Node],
) -> tuple[Record, bool]:
    """Saves a new version and queues its application to every customer; the schemes'
    lock serialises saves (``segment_conditions`` as in ``check_proposal``, read under it)."""
    if key in RESERVED_KEYS:
        raise InvalidInput(
            [
                {
                    "field": "key",
                    "message": f"'{key}' is reserved (GET /v1/schemes/{key} lists templates)",
                    "code": "reserved_key",
                }
            ]
        )
    definition = body.model_dump(mode="json", by_alias=True, exclude={"notify"})
    proposed = scheme_from_definition(key, 0, definition)
    await check_proposal(conn, workspace_id, proposed, segment_conditions)
    version, created = await repository.save_version(
        conn, workspace_id, key, definition, saved_by, now
    )
    job_id = await jobs.create(
        conn,
        workspace_id,
        RECLASSIFY_JOB,
        {"reason": "rule_change", "scheme": key, "version": version, "notify": body.notify},
        now,
    )
    await repository.set_version_job(conn, workspace_id, key, version, job_id)
    return await get(conn, workspace_id, key), created


async def get(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record:
    row = await repository.get_scheme(conn, workspace_id, key)
    if row is None:
        raise SchemeNotFound(f"No scheme '{key}' in this workspace.")
    return row


async def get_version(conn: AsyncConnection, workspace_id: UUID, key: str, version: int) -> Record:
    await get(conn, workspace_id, key)
    row = await repository.get_version(conn, workspace_id, key, version)
    if row is None:
        raise SchemeVersionNotFound(f"Scheme '{key}' has no version {version}.")
    return row


async def list_page(
    conn: AsyncConnection, workspace_id: UUID, cursor: str | None, limit: int, archived: bool
) -> list[Record]:
    after = decode_key(cursor, KEY_PATTERN)
    return await repository.scheme_page(conn, workspace_id, after, limit, archived)


async def archive(
    conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime, segments: list[str]
) -> None:
    """Archives the scheme: customers lose their tier in it, the history and versions stay.
    ``segments``: the keys of the segments that read its tiers; the caller holds the
    schemes' lock."""
    row = await get(conn, workspace_id, key)
    if row.archived_at is not None:
        return
    schemes = sorted(
        s.key for s in await repository.active_schemes(conn, workspace_id) if key in s.reads_schemes
    )
    if schemes or segments:
        readers = [f"scheme '{k}'" for k in schemes] + [f"segment '{k}'" for k in segments]
        raise SchemeInUse(
            f"Scheme '{key}' is read by {', '.join(readers)}; change those first.",
            schemes=schemes,
            segments=segments,
        )
    await repository.archive(conn, workspace_id, key, now)


async def history_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    scheme: str | None,
    cursor: str | None,
    limit: int,
) -> list[Record]:
    if await customers.get(conn, workspace_id, customer_id) is None:
        raise CustomerNotFound(f"No customer '{customer_id}' in this workspace.")
    return await repository.history_page(
        conn, workspace_id, customer_id, scheme, decode_seq(cursor), limit
    )


async def tiers_at(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    as_of: datetime | None,
    now: datetime,
) -> dict[str, Assignment]:
    """The customer's tier per scheme: without ``as_of`` the stored tiers (every active
    scheme's, as the profile shows them); at a past ``as_of`` the tier history's, with no
    pending downgrades (the history records changes only)."""
    await row_of(conn, workspace_id, customer_id)
    if as_of is None:
        return await repository.assignments(conn, workspace_id, customer_id)
    if as_of > now:
        raise InvalidInput.at(
            "as_of", "must not be in the future: the history records the past only", "future"
        )
    rows = await repository.tiers_at(conn, workspace_id, customer_id, as_of)
    return {row.scheme_key: Assignment(row.tier, row.version, row.since) for row in rows}


async def explain_tier(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    key: str,
    now: datetime,
    currency: str,
) -> TierExplanation:
    """Why the customer holds its tier in the scheme and what would move it, from the same
    view of the customer that classification reads, money in ``currency`` (the base
    currency)."""
    row = await row_of(conn, workspace_id, customer_id)
    scheme = await _active_scheme(conn, workspace_id, key, customer_id)
    current = await repository.assignments(conn, workspace_id, customer_id)
    definitions = await user_metrics.definitions(conn, workspace_id)
    customer = await view(conn, workspace_id, row, now, currency, definitions)
    context = customer.facts({k: a.tier for k, a in current.items()})
    since = window_start(utc_day(now), max(WINDOWS))
    days = [
        DayTotals(day.day, day.spend, day.orders)
        for day in await repository.daily_totals(conn, workspace_id, customer_id, since)
    ]
    return explain(
        scheme,
        context,
        current.get(key),
        now,
        field_catalog(definitions),
        currency,
        days,
    )


async def _active_scheme(
    conn: AsyncConnection, workspace_id: UUID, key: str, customer_id: str
) -> Scheme:
    """The scheme's current version; a 409 naming the customer's history when archived."""
    row = await get(conn, workspace_id, key)
    if row.archived_at is not None:
        raise SchemeArchived(
            f"Scheme '{key}' is archived: nobody holds a tier in it. Its past is at "
            f"GET /v1/customers/{customer_id}/tiers/history?scheme={key}."
        )
    return scheme_from_definition(row.key, row.version, row.definition)


async def set_override(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    key: str,
    body: OverrideIn,
    now: datetime,
) -> None:
    """Pins the customer's tier in the scheme (whose row the caller holds locked); the
    caller then classifies the customer, which applies it."""
    scheme = await _active_scheme(conn, workspace_id, key, customer_id)
    if body.tier not in scheme.tier_keys:
        raise InvalidInput.at(
            "tier",
            f"scheme '{key}' has no tier '{body.tier}' (it has {', '.join(scheme.tier_keys)})",
            "unknown_tier",
        )
    if body.expires_at is not None and body.expires_at <= now:
        raise InvalidInput.at("expires_at", "must be in the future", "in_past")
    override = Override(body.tier, body.reason, now, body.expires_at)
    if not await repository.set_override(conn, workspace_id, customer_id, key, override):
        raise NoTierToOverride(
            f"Customer '{customer_id}' has no tier in scheme '{key}' yet (a metric the scheme "
            "reads is still being backfilled, or the scheme is still being applied); try "
            "again once it has one."
        )


async def end_override(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, now: datetime
) -> None:
    """Ends the override now (the caller holds the customer's row locked, then classifies
    the customer): the rules take over at once, without grace."""
    await _active_scheme(conn, workspace_id, key, customer_id)
    if not await repository.end_override(conn, workspace_id, customer_id, key, now):
        raise OverrideNotFound(f"Customer '{customer_id}' has no override in scheme '{key}'.")


def template_scheme(name: str, body: TemplateIn) -> SchemeIn:
    """The template's scheme with ``body.thresholds`` in place of its defaults."""
    definition = templates.get(name).definition(body.thresholds)
    try:
        return SchemeIn.model_validate({**definition, "notify": body.notify})
    except ValidationError as error:
        # A threshold the scheme cannot take (e.g. grace beyond its limit).
        raise InvalidInput(
            [
                {
                    "field": "thresholds",
                    "message": f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                    "code": "invalid_threshold",
                }
                for e in error.errors()
            ]
        ) from None
