"""Schemes (versioned, checked against the workspace) and classifying one customer.

Every trigger that touches one customer — an event, a trait change, a due review — goes
through ``refresh``, inside the caller's transaction and under the customer's row lock. A new
version is applied to everyone by the ``reclassify`` job (``app.tiers.reclassify``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest, utc_day
from app.customers import repository as customers
from app.customers.metrics import WINDOWS, window_start
from app.customers.service import CustomerNotFound, row_of, view
from app.db import Record
from app.errors import Conflict, InvalidInput, NotFound
from app.jobs import service as jobs
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.pagination import decode_key, decode_seq
from app.rules.fields import ConditionError, FieldCatalog, check
from app.segments import membership
from app.segments import repository as segment_store
from app.segments import service as segments
from app.segments.schemas import SegmentIn
from app.tiers import RECLASSIFY_JOB, repository, templates
from app.tiers.assignment_schemas import OverrideIn
from app.tiers.explain import DayTotals, explain
from app.tiers.explanation_schemas import TierExplanation
from app.tiers.policy import (
    Assignment,
    Change,
    Override,
    Reason,
    Scheme,
    SchemeCycle,
    classify,
    in_dependency_order,
    next_review,
    scheme_from_definition,
    shown,
)
from app.tiers.schemas import KEY_PATTERN, SchemeIn, TemplateIn
from app.webhooks import TIER_CHANGED, outbox

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


async def describe(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime
) -> dict[str, Any]:
    """The customer as the API shows it at ``now``, changing nothing; ``next_review_at``
    includes the moments its rules' time comparisons flip and pending downgrades fall due."""
    row = await row_of(conn, workspace_id, customer_id)
    current = await repository.assignments(conn, workspace_id, customer_id)
    customer = await view(conn, workspace_id, row, now, shown(current))
    schemes = await repository.active_schemes(conn, workspace_id)
    context = {**customer, "tiers": {key: a.tier for key, a in current.items()}}
    segments = await segment_store.active_segments(conn, workspace_id)
    customer["next_review_at"] = earliest(
        customer["next_review_at"],
        next_review(schemes, context, current, now),
        membership.next_review(segments, context, now),
    )
    return customer


def _catalog(definitions: list[Definition], schemes: list[Scheme]) -> FieldCatalog:
    return FieldCatalog.for_workspace(definitions, {s.key: s.tier_keys for s in schemes})


def _condition_errors(scheme: Scheme, catalog: FieldCatalog) -> list[ConditionError]:
    return [
        ConditionError(f"tiers.{i}.condition.{e.path}".rstrip("."), e.message, e.code)
        for i, tier in enumerate(scheme.tiers)
        for e in check(tier.condition, catalog)
    ]


async def check_proposal(conn: AsyncConnection, workspace_id: UUID, proposed: Scheme) -> None:
    """Everything the proposed version refers to exists, nothing another scheme reads from
    it disappears, and no two schemes read each other's tiers in a cycle."""
    others = [
        s for s in await repository.active_schemes(conn, workspace_id) if s.key != proposed.key
    ]
    catalog = _catalog(await user_metrics.definitions(conn, workspace_id), [*others, proposed])
    errors = [e.field_error("") for e in _condition_errors(proposed, catalog)]
    for other in others:
        if proposed.key in other.reads_schemes:
            errors += [
                {
                    "field": "tiers",
                    "message": f"scheme '{other.key}' reads this scheme's tiers and would "
                    f"break: {e.path}: {e.message}",
                    "code": "tier_in_use",
                }
                for e in _condition_errors(other, catalog)
            ]
    for segment in await segment_store.active_segments(conn, workspace_id):
        if proposed.key in segment.reads_schemes:
            errors += [
                {
                    "field": "tiers",
                    "message": f"segment '{segment.key}' reads this scheme's tiers and would "
                    f"break: {e.path}: {e.message}",
                    "code": "tier_in_use",
                }
                for e in check(segment.condition, catalog)
            ]
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
) -> tuple[Record, bool]:
    """Saves a new version and queues its application to every customer."""
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
    await repository.lock_schemes(conn, workspace_id)
    await check_proposal(conn, workspace_id, scheme_from_definition(key, 0, definition))
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


async def archive(conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime) -> None:
    """Archives the scheme: customers lose their tier in it, the history and versions stay."""
    await repository.lock_schemes(conn, workspace_id)
    row = await get(conn, workspace_id, key)
    if row.archived_at is not None:
        return
    schemes = sorted(
        s.key for s in await repository.active_schemes(conn, workspace_id) if key in s.reads_schemes
    )
    segments = [
        s.key
        for s in await segment_store.active_segments(conn, workspace_id)
        if key in s.reads_schemes
    ]
    if schemes or segments:
        readers = [f"scheme '{k}'" for k in schemes] + [f"segment '{k}'" for k in segments]
        raise SchemeInUse(
            f"Scheme '{key}' is read by {', '.join(readers)}; change those first.",
            schemes=schemes,
            segments=segments,
        )
    await repository.archive(conn, workspace_id, key, now)


async def refresh(
    conn: AsyncConnection,
    workspace_id: UUID,
    row: Record,
    now: datetime,
    reason: Reason,
    cause: dict[str, Any],
    definitions: list[Definition] | None = None,
) -> tuple[dict[str, Any], list[Change]]:
    """Re-classifies one customer (whose row the caller holds locked) in every active scheme;
    stores the new tiers, their history and the next review. Returns the customer as the API
    shows it, and the changes."""
    current = await repository.assignments(conn, workspace_id, row.customer_id)
    customer = await view(conn, workspace_id, row, now, shown(current), definitions)
    schemes = await repository.active_schemes(conn, workspace_id)
    result = classify(
        schemes, customer, current, now, reason, pending_metrics=customer["pending_metrics"]
    )
    await repository.save_assignments(
        conn, workspace_id, row.customer_id, result.changed, result.changes, now, cause
    )
    tiers = {key: assignment.tier for key, assignment in result.assignments.items()}
    segment_changes, segments_flip = await membership.refresh_customer(
        conn, workspace_id, {**customer, "tiers": tiers}, now, reason, cause
    )
    if result.changes or segment_changes:
        await _notify(
            conn, workspace_id, customer, schemes, result.changes, segment_changes, reason, now
        )
    customer["tiers"] = shown(result.assignments)
    customer["next_review_at"] = earliest(
        customer["next_review_at"], result.next_review_at, segments_flip
    )
    if customer["next_review_at"] != row.next_review_at:
        await customers.set_next_review(
            conn, workspace_id, row.customer_id, customer["next_review_at"]
        )
    return customer, result.changes


async def _notify(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer: dict[str, Any],
    schemes: list[Scheme],
    changes: list[Change],
    segment_changes: list[membership.MembershipChange],
    reason: Reason,
    now: datetime,
) -> None:
    """One outbox message per change that an endpoint wants, tiers first, in the order the
    changes happened."""
    routes = await outbox.routes(conn, workspace_id)
    if not routes:
        return
    customer_id = customer["customer_id"]
    by_key = {scheme.key: scheme for scheme in schemes}
    messages = [
        outbox.NewMessage(
            TIER_CHANGED,
            customer_id,
            outbox.tier_changed(
                by_key[c.scheme],
                customer_id,
                c.from_tier,
                c.to_tier,
                c.reason,
                customer["metrics"],
                now,
            ),
            routes.for_tier_change(by_key[c.scheme], c.from_tier, c.to_tier),
        )
        for c in changes
    ]
    for s in segment_changes:
        type_ = outbox.segment_type(s.change)
        messages.append(
            outbox.NewMessage(
                type_,
                customer_id,
                outbox.segment_changed(s.segment, s.version, customer_id, reason, now),
                routes.for_segment_change(s.segment, type_),
            )
        )
    await outbox.enqueue_many(conn, workspace_id, messages, now)


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
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, now: datetime
) -> TierExplanation:
    """Why the customer holds its tier in the scheme and what would move it, from the same
    view of the customer that classification reads (``describe``'s)."""
    row = await row_of(conn, workspace_id, customer_id)
    scheme = await _active_scheme(conn, workspace_id, key, customer_id)
    current = await repository.assignments(conn, workspace_id, customer_id)
    definitions = await user_metrics.definitions(conn, workspace_id)
    customer = await view(conn, workspace_id, row, now, shown(current), definitions)
    context = {**customer, "tiers": {k: a.tier for k, a in current.items()}}
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
        FieldCatalog.for_workspace(definitions),
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
) -> dict[str, Any]:
    """Pins the customer's tier in the scheme; the move is classified like any other (history
    reason ``override``, its webhook, the schemes and segments that read this tier). Returns
    the customer's tier in the scheme, as the profile shows it."""
    row = await row_of(conn, workspace_id, customer_id, lock=True)
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
    customer, _ = await refresh(conn, workspace_id, row, now, "override", {"override": body.reason})
    return dict(customer["tiers"][key])


async def end_override(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, now: datetime
) -> dict[str, Any]:
    """Ends the override now: the rules take over at once, without grace (history reason
    ``override_expired`` if the tier moves)."""
    row = await row_of(conn, workspace_id, customer_id, lock=True)
    await _active_scheme(conn, workspace_id, key, customer_id)
    if not await repository.end_override(conn, workspace_id, customer_id, key, now):
        raise OverrideNotFound(f"Customer '{customer_id}' has no override in scheme '{key}'.")
    customer, _ = await refresh(conn, workspace_id, row, now, "override", {})
    return dict(customer["tiers"][key])


async def install_template(
    conn: AsyncConnection,
    workspace_id: UUID,
    name: str,
    body: TemplateIn,
    saved_by: UUID | None,
    now: datetime,
) -> tuple[Record, bool]:
    """Saves the template, with ``body.thresholds`` in place of its defaults, as a version
    of the scheme ``body.key`` (default: the template's name), and its segments, if any, as
    versions of theirs."""
    template = templates.get(name)
    definition = template.definition(body.thresholds)
    try:
        scheme = SchemeIn.model_validate({**definition, "notify": body.notify})
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
    saved = await put(conn, workspace_id, body.key or name, scheme, saved_by, now)
    for key, segment in template.segment_definitions(body.thresholds).items():
        await segments.put(
            conn, workspace_id, key, SegmentIn.model_validate(segment), saved_by, now
        )
    return saved
