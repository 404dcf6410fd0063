"""The one write pipeline: "these customers' facts changed, for this cause" in, their tiers,
segment memberships, history, outbox messages and ``next_review_at`` out.

Every trigger ends here, for one customer or a chunk of thousands, in the caller's
transaction and under the customers' row locks (taken in customer-id order by the caller):
an event, a batch or import chunk, a trait change, an override, a due review, a new scheme
or segment version, a finished metric backfill, a CLV refit or rescoring, the RFM refresh.
Per chunk it costs a fixed number of statements, whatever the number of customers:

1. with every scheme and segment in play, ``next_review_at`` is recomputed from the
   metric windows (built-in, then user-defined), since the facts may have moved it later;
2. each scheme, in dependency order, is classified by the SQL engine (``app.tiers.bulk``):
   assignments, history, earlier review moments and a message per tier change an
   endpoint wants, with its deliveries, in one statement;
3. each segment's membership likewise (``app.segments.membership``);
4. one outbox statement writes a message per segment change an endpoint wants, after the
   tiers' ones, so a customer's messages follow the order its changes were made in and
   their sequence numbers follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import repository as workspace_store
from app.clock import earliest, utc_day
from app.customers import repository as customer_store
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.segments import membership
from app.segments import repository as segment_store
from app.segments.membership import MembershipChange
from app.segments.model import Segment
from app.tiers import bulk
from app.tiers import repository as tier_store
from app.tiers.bulk import Cause
from app.tiers.policy import Change, Reason, Scheme, affected, in_dependency_order
from app.webhooks import TIER_CHANGED, outbox

NO_CAUSES: Mapping[str, Cause] = {}


@dataclass(frozen=True, slots=True)
class Targets:
    """What a trigger re-evaluates. ``everything``: every active scheme and segment, so a
    customer's ``next_review_at`` is recomputed from scratch; otherwise it only moves
    earlier, to the moments the re-evaluated rules call for."""

    schemes: Sequence[Scheme]
    segments: Sequence[Segment]
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.schemes or self.segments)


async def everything(conn: AsyncConnection, workspace_id: UUID) -> Targets:
    return Targets(
        in_dependency_order(await tier_store.active_schemes(conn, workspace_id)),
        await segment_store.active_segments(conn, workspace_id),
        everything=True,
    )


def reading(
    segments: Iterable[Segment], schemes: Iterable[Scheme], metrics: Iterable[str] = ()
) -> list[Segment]:
    """The segments that read a tier of one of the schemes, or one of the metrics."""
    scheme_keys = {scheme.key for scheme in schemes}
    metric_names = set(metrics)
    return [
        segment
        for segment in segments
        if segment.reads_schemes & scheme_keys or segment.reads_metrics & metric_names
    ]


async def readers_of(conn: AsyncConnection, workspace_id: UUID, metrics: Iterable[str]) -> Targets:
    """The schemes that read one of the metrics, with every scheme reading their tiers, in
    dependency order, and the segments that read one of those schemes or metrics."""
    names = set(metrics)
    schemes = await tier_store.active_schemes(conn, workspace_id)
    targets = affected(schemes, [s.key for s in schemes if s.reads_metrics & names])
    segments = await segment_store.active_segments(conn, workspace_id)
    return Targets(targets, reading(segments, targets, names))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the pipeline changed: tier moves and segment entries and exits, by customer, and
    (when it re-evaluated everything) each customer's ``next_review_at`` as stored."""

    tier_changes: Mapping[str, list[Change]] = field(default_factory=dict)
    segment_changes: Sequence[MembershipChange] = ()
    reviews: Mapping[str, datetime | None] = field(default_factory=dict)

    @property
    def tiers_changed(self) -> int:
        return sum(len(changes) for changes in self.tier_changes.values())


async def classify(
    conn: AsyncConnection,
    workspace_id: UUID,
    ids: Sequence[str],
    now: datetime,
    reason: Reason,
    cause: Cause,
    *,
    causes: Mapping[str, Cause] = NO_CAUSES,
    targets: Targets | None = None,
    definitions: list[Definition] | None = None,
    metric_reviews: Mapping[str, datetime | None] | None = None,
    stored_reviews: Mapping[str, datetime | None] | None = None,
    without_grace: str | None = None,
    notify: bool = True,
    keep_versions: bool = False,
) -> Outcome:
    """Re-evaluates the customers ``ids`` (whose rows the caller holds locked) in ``targets``
    (default: everything active) as of ``now``. Each history row carries the customer's
    entry in ``causes``, else ``cause``. A scheme or segment reading a metric still being
    backfilled waits for it. ``without_grace`` names a scheme whose downgrades apply at
    once. Unless ``notify`` is false, each change an endpoint wants gets its message.
    ``keep_versions``: an assignment is not rewritten for its version alone (the
    reclassification job, which moves the version's watermark instead).
    ``metric_reviews``: the next moment each customer's metric windows change, when the
    caller has computed it already (``CustomerView.next_review_at``); ``stored_reviews``:
    the customers' stored ``next_review_at``, when the caller has read it (an unchanged
    moment is then not written)."""
    if not ids:
        return Outcome()
    ordered = sorted(ids)
    if definitions is None:
        definitions = await user_metrics.definitions(conn, workspace_id)
    if targets is None:
        targets = await everything(conn, workspace_id)
    pending = {d.name for d in definitions if not d.ready}
    routes = await outbox.routes(conn, workspace_id) if notify and targets else outbox.Routes(())
    subscribers = routes.tier_subscribers()
    # A tier change's message shows the metrics its scheme reads, money in the base currency.
    currency = await workspace_store.base_currency(conn, workspace_id) if subscribers else None
    messaged = False
    tier_changes: dict[str, list[Change]] = {}
    moments: dict[str, list[datetime]] = {}
    for scheme in targets.schemes:
        if scheme.reads_metrics & pending:
            continue
        rows = await bulk.classify_scheme(
            conn,
            workspace_id,
            scheme,
            definitions,
            ordered,
            now,
            reason,
            cause,
            causes,
            grace=scheme.key != without_grace,
            keep_versions=keep_versions,
            subscribers=subscribers,
            currency=currency,
        )
        for row in rows:
            if row.review_at is not None:
                moments.setdefault(row.customer_id, []).append(row.review_at)
            if row.action not in ("assign", "move"):
                continue
            change = Change(scheme.key, scheme.version, row.held, row.target, row.change_reason)
            tier_changes.setdefault(row.customer_id, []).append(change)
            messaged = messaged or row.messaged
    applied = await membership.apply(
        conn,
        workspace_id,
        targets.segments,
        definitions,
        ordered,
        now,
        reason,
        cause,
        causes,
        pending,
    )
    for customer_id, flips in applied.flips.items():
        moments.setdefault(customer_id, []).extend(flips)
    if routes:
        # After the tiers' messages, which the schemes' statements wrote in dependency order:
        # each customer's messages follow the order its changes were made in.
        messages = [segment_message(change, reason, routes, now) for change in applied.changes]
        if not await outbox.enqueue_many(conn, workspace_id, messages, now) and messaged:
            await outbox.wake(conn, workspace_id)
    reviews = await _store_reviews(
        conn,
        workspace_id,
        ordered,
        now,
        targets,
        definitions,
        moments,
        metric_reviews=metric_reviews,
        stored_reviews=stored_reviews,
    )
    return Outcome(tier_changes, applied.changes, reviews)


async def _store_reviews(
    conn: AsyncConnection,
    workspace_id: UUID,
    ids: list[str],
    now: datetime,
    targets: Targets,
    definitions: list[Definition],
    moments: Mapping[str, list[datetime]],
    *,
    metric_reviews: Mapping[str, datetime | None] | None,
    stored_reviews: Mapping[str, datetime | None] | None,
) -> dict[str, datetime | None]:
    """Each customer's ``next_review_at``, in one statement that writes only the rows whose
    value changes. With everything re-evaluated, it is computed afresh: the metric windows'
    next change, then the rules' moments; otherwise the rules' moments only bring it
    earlier. Returns the moments computed afresh."""
    if not targets.everything:
        earlier = {c: min(found) for c, found in moments.items()}
        await customer_store.set_next_reviews(conn, workspace_id, earlier, only_earlier=True)
        return {}
    if metric_reviews is None:
        today = utc_day(now)
        built_in = await customer_store.window_reviews(conn, workspace_id, ids, today)
        user = await user_metrics.window_reviews(conn, workspace_id, definitions, ids, today)
        metric_reviews = {c: earliest(built_in.get(c), user.get(c)) for c in ids}
    reviews = {c: earliest(metric_reviews.get(c), *moments.get(c, ())) for c in ids}
    changed = reviews
    if stored_reviews is not None:
        changed = {
            c: at for c, at in reviews.items() if c not in stored_reviews or stored_reviews[c] != at
        }
    await customer_store.set_next_reviews(conn, workspace_id, changed, only_earlier=False)
    return reviews


def tier_message(
    scheme: Scheme,
    customer_id: str,
    change: Change,
    metrics: Mapping[str, object],
    routes: outbox.Routes,
    now: datetime,
) -> outbox.NewMessage:
    moved = scheme.movement(change.from_tier, change.to_tier)
    data = outbox.tier_changed(
        scheme.key,
        scheme.version,
        customer_id,
        change.from_tier,
        change.to_tier,
        moved,
        change.reason,
        metrics,
        now,
    )
    endpoints = routes.for_tier_change(scheme.key, change.from_tier, change.to_tier, moved)
    return outbox.NewMessage(TIER_CHANGED, customer_id, data, endpoints)


def segment_message(
    change: MembershipChange, reason: str, routes: outbox.Routes, now: datetime
) -> outbox.NewMessage:
    type_ = outbox.segment_type(change.change)
    data = outbox.segment_changed(change.segment, change.version, change.customer_id, reason, now)
    return outbox.NewMessage(
        type_, change.customer_id, data, routes.for_segment_change(change.segment, type_)
    )
