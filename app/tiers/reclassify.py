"""Re-classifying many customers at once, set-based: the SQL engine of the tier rules.

Per scheme (in dependency order) one statement classifies a set of customers: the condition
compiler (``app.rules.compile``) over the metric expressions of ``app.customers.columns``
gives each customer's qualifying tier, and the same movement rules as ``app.tiers.policy``
(immediate upgrades, downgrades held back by grace and tenure) decide the new assignment; the
changed assignments, their history rows and an earlier ``next_review_at`` (a rule's time
comparison that will flip, a pending downgrade) are written in the same statement.

Callers hold the customers' row locks, as every other writer does, so an event for a customer
is classified either before the chunk (and the chunk re-classifies it under the new rules) or
after it (and sees the new rules itself): no change is lost or recorded twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from app.customers import repository as customer_store
from app.customers.catalog import field_catalog
from app.customers.columns import customer_columns, stored_tier
from app.db import Record
from app.db.statements import execute_template
from app.db.tables import customers
from app.jobs import service as jobs
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.rules.compile import TZ, Columns, compile_condition, compile_next_flip
from app.rules.fields import FieldCatalog
from app.segments import membership
from app.segments import repository as segment_store
from app.segments.model import Segment
from app.segments.query import metric_value
from app.tiers import RECLASSIFY_JOB
from app.tiers import repository as tiers
from app.tiers.policy import Reason, Scheme, in_dependency_order
from app.webhooks import TIER_CHANGED, outbox

CHUNK = 1000


def _facts(
    scheme: Scheme,
    columns: Columns,
    workspace_id: UUID,
    ids: list[str] | None,
    now: datetime,
    metrics: Sequence[str],
) -> sa.Select[Any]:
    """Per customer (of ``ids``; None: of the workspace): the tier it qualifies for, the next
    moment a rule's time comparison flips for it, and the values of ``metrics`` (``m0``,
    ``m1``...) for its messages."""
    qualified = sa.case(
        *(
            (compile_condition(tier.condition, columns, now), sa.literal(tier.key, sa.Text()))
            for tier in scheme.tiers
        ),
        else_=sa.literal(scheme.default_tier, sa.Text()),
    )
    flips = [compile_next_flip(tier.condition, columns, now) for tier in scheme.tiers]
    flip = flips[0] if len(flips) == 1 else sa.func.least(*flips, type_=TZ)
    select = sa.select(
        customers.c.customer_id,
        qualified.label("qualified"),
        flip.label("flip"),
        *(columns.metric(name).label(f"m{i}") for i, name in enumerate(metrics)),
    ).where(customers.c.workspace_id == sa.literal(workspace_id, sa.Uuid()))
    if ids is None:
        return select
    return select.where(customers.c.customer_id == sa.any_(sa.literal(ids, ARRAY(sa.Text()))))


# The movement rules of app.tiers.policy.decide, over every customer of the chunk at once:
# ``next`` holds each customer's action (assign, move, hold, keep) and new assignment.
_DECIDE = """
facts AS ({facts}),
current AS (
    SELECT f.*,
           t.tier AS held, t.version AS held_version, t.since AS held_since,
           t.downgrade_to AS held_to, t.downgrade_since AS held_stopped,
           t.downgrade_at AS held_at,
           t.override_tier AS held_override, t.override_reason AS held_override_reason,
           t.override_set_at AS held_override_set, t.override_expires_at AS held_override_until,
           t.override_tier IS NOT NULL
               AND (t.override_expires_at IS NULL OR t.override_expires_at > {now}) AS pinned,
           t.override_tier IS NOT NULL AND t.override_expires_at <= {now} AS lapsed,
           array_position({keys}, f.qualified) AS wanted_rank,
           array_position({keys}, t.tier) AS held_rank,
           COALESCE(t.downgrade_since, {now}) AS stopped
    FROM facts f
    LEFT JOIN customer_tiers t
      ON t.workspace_id = {ws} AND t.customer_id = f.customer_id AND t.scheme_key = {scheme}
),
timed AS (
    SELECT c.*,
           CASE WHEN {grace} AND NOT c.lapsed THEN GREATEST(
               CAST(CAST(c.stopped AT TIME ZONE 'UTC' AS date) + {grace_days} AS timestamp)
                   AT TIME ZONE 'UTC',
               CAST(CAST(c.held_since AT TIME ZONE 'UTC' AS date) + {min_days} AS timestamp)
                   AT TIME ZONE 'UTC')
           ELSE {now} END AS due
    FROM current c
),
decided AS (
    SELECT t.*,
           CASE WHEN t.pinned THEN t.held_override ELSE t.qualified END AS target,
           CASE
               WHEN t.held IS NULL THEN 'assign'
               WHEN t.pinned AND t.held = t.held_override THEN 'keep'
               WHEN t.pinned THEN 'move'
               WHEN t.held = t.qualified THEN 'keep'
               WHEN t.held_rank IS NULL OR t.wanted_rank < t.held_rank THEN 'move'
               WHEN t.due <= {now} THEN 'move'
               ELSE 'hold'
           END AS action
    FROM timed t
),
next AS (
    SELECT d.*,
           CASE WHEN d.action = 'hold' THEN d.held ELSE d.target END AS tier,
           CASE WHEN d.action IN ('assign', 'move') THEN {now}
                ELSE d.held_since END AS since,
           CASE WHEN d.action = 'hold' THEN d.qualified END AS downgrade_to,
           CASE WHEN d.action = 'hold' THEN d.stopped END AS downgrade_since,
           CASE WHEN d.action = 'hold' THEN d.due END AS downgrade_at,
           CASE WHEN d.pinned THEN d.held_override END AS override_tier,
           CASE WHEN d.pinned THEN d.held_override_reason END AS override_reason,
           CASE WHEN d.pinned THEN d.held_override_set END AS override_set_at,
           CASE WHEN d.pinned THEN d.held_override_until END AS override_expires_at,
           CASE WHEN d.pinned THEN 'override'
                WHEN d.lapsed THEN 'override_expired'
                WHEN {grace} AND d.action = 'move' AND d.held_stopped IS NOT NULL
                     AND d.held_rank IS NOT NULL AND d.wanted_rank > d.held_rank
                THEN 'grace_expired' ELSE {reason} END AS change_reason
    FROM decided d
)
"""

_APPLY = (
    "WITH "  # noqa: S608 (constant SQL text joined; values are bound parameters)
    + _DECIDE
    + """,
saved AS (
    INSERT INTO customer_tiers AS t (
        workspace_id, customer_id, scheme_key, tier, version, since,
        downgrade_to, downgrade_since, downgrade_at,
        override_tier, override_reason, override_set_at, override_expires_at
    )
    SELECT {ws}, n.customer_id, {scheme}, n.tier, {version}, n.since,
           n.downgrade_to, n.downgrade_since, n.downgrade_at,
           n.override_tier, n.override_reason, n.override_set_at, n.override_expires_at
    FROM next n
    WHERE (n.held, n.held_version, n.held_since, n.held_to, n.held_stopped, n.held_at,
           n.held_override)
          IS DISTINCT FROM
          (n.tier, {version}, n.since, n.downgrade_to, n.downgrade_since, n.downgrade_at,
           n.override_tier)
    ORDER BY n.customer_id
    ON CONFLICT (workspace_id, customer_id, scheme_key) DO UPDATE SET
        tier = EXCLUDED.tier, version = EXCLUDED.version, since = EXCLUDED.since,
        downgrade_to = EXCLUDED.downgrade_to, downgrade_since = EXCLUDED.downgrade_since,
        downgrade_at = EXCLUDED.downgrade_at, override_tier = EXCLUDED.override_tier,
        override_reason = EXCLUDED.override_reason,
        override_set_at = EXCLUDED.override_set_at,
        override_expires_at = EXCLUDED.override_expires_at
),
history AS (
    INSERT INTO tier_history (
        workspace_id, customer_id, scheme_key, version, from_tier, to_tier,
        changed_at, reason, cause
    )
    SELECT {ws}, n.customer_id, {scheme}, {version}, n.held, n.target, {now},
           n.change_reason, {cause}
    FROM next n
    WHERE n.action IN ('assign', 'move')
    ORDER BY n.customer_id
),
review AS (
    UPDATE customers AS c
    SET next_review_at = LEAST(c.next_review_at, r.at)
    FROM (SELECT customer_id, LEAST(flip, downgrade_at, override_expires_at) AS at FROM next)
        AS r
    WHERE c.workspace_id = {ws} AND c.customer_id = r.customer_id AND r.at IS NOT NULL
      AND (c.next_review_at IS NULL OR r.at < c.next_review_at)
)
SELECT * FROM next WHERE action IN ('assign', 'move') ORDER BY customer_id
"""
)

# What applying a version would do, changing nothing: the customers that would change tier
# now, and those whose move grace and tenure would hold back, by from and to tier. The same
# decisions as _APPLY, so a preview equals the save.
_PREVIEW = (
    "WITH "
    + _DECIDE
    + """
SELECT held AS from_tier, target AS to_tier, action = 'hold' AS held_back,
       count(*) AS customers, (array_agg(customer_id ORDER BY customer_id))[1:{samples}] AS sample
FROM next
WHERE held IS DISTINCT FROM target
GROUP BY held, target, action = 'hold'
ORDER BY held_back, from_tier NULLS FIRST, to_tier
"""
)


async def classify_scheme(
    conn: AsyncConnection,
    workspace_id: UUID,
    scheme: Scheme,
    columns: Columns,
    ids: list[str],
    now: datetime,
    reason: Reason,
    cause: dict[str, Any],
    *,
    grace: bool = True,
    metrics: Sequence[str] = (),
) -> list[Record]:
    """Classifies the customers ``ids`` in one scheme; returns those that changed tier, by
    customer id: ``customer_id``, ``held`` (the old tier), ``target`` (the new one),
    ``change_reason`` and the values of ``metrics`` as ``m0``, ``m1``..."""
    own = _decision_values(scheme, workspace_id, now, reason, cause, grace=grace)
    facts = _facts(scheme, columns, workspace_id, ids, now, metrics)
    result = await execute_template(conn, _APPLY, "facts", facts, own)
    return list(result.all())


def _decision_values(
    scheme: Scheme,
    workspace_id: UUID,
    now: datetime,
    reason: Reason,
    cause: dict[str, Any],
    *,
    grace: bool,
) -> dict[str, tuple[Any, str]]:
    return {
        "keys": (scheme.tier_keys, "text[]"),
        "ws": (workspace_id, "uuid"),
        "scheme": (scheme.key, "text"),
        "version": (scheme.version, "integer"),
        "now": (now, "timestamptz"),
        "grace": (grace, "boolean"),
        "grace_days": (scheme.grace_days, "integer"),
        "min_days": (scheme.min_days_in_tier, "integer"),
        "reason": (reason, "text"),
        "cause": (json.dumps(cause), "jsonb"),
    }


async def preview_scheme(
    conn: AsyncConnection,
    workspace_id: UUID,
    scheme: Scheme,
    definitions: list[Definition],
    now: datetime,
    *,
    grace: bool,
    samples: int,
) -> list[Record]:
    """What applying ``scheme`` to every customer would do now, writing nothing: rows of
    ``from_tier``, ``to_tier``, ``held_back`` (a downgrade grace or tenure would hold back),
    ``customers`` and a ``sample`` of their ids."""
    columns = customer_columns(workspace_id, definitions, now, stored_tier(workspace_id))
    own = _decision_values(scheme, workspace_id, now, "rule_change", {}, grace=grace)
    del own["version"], own["cause"]  # only the writes use them; a statement binds all it gets
    own["samples"] = (samples, "integer")
    facts = _facts(scheme, columns, workspace_id, None, now, ())
    result = await execute_template(conn, _PREVIEW, "facts", facts, own)
    return list(result.all())


def _tier_messages(
    scheme: Scheme,
    changed: list[Record],
    metrics: Sequence[str],
    catalog: FieldCatalog,
    routes: outbox.Routes,
    now: datetime,
) -> list[outbox.NewMessage]:
    messages = []
    for row in changed:
        values = {
            name: metric_value(catalog.metric_kind(name), getattr(row, f"m{i}"))
            for i, name in enumerate(metrics)
        }
        data = outbox.tier_changed(
            scheme, row.customer_id, row.held, row.target, row.change_reason, values, now
        )
        endpoints = routes.for_tier_change(scheme, row.held, row.target)
        messages.append(outbox.NewMessage(TIER_CHANGED, row.customer_id, data, endpoints))
    return messages


def affected(schemes: list[Scheme], changed: Iterable[str]) -> list[Scheme]:
    """The schemes in ``changed`` and every scheme that reads their tiers, in dependency
    order."""
    reached = set(changed)
    ordered = in_dependency_order(schemes)
    for scheme in ordered:  # a reader comes after what it reads, so one pass suffices
        if scheme.reads_schemes & reached:
            reached.add(scheme.key)
    return [scheme for scheme in ordered if scheme.key in reached]


async def classify_customers(
    conn: AsyncConnection,
    workspace_id: UUID,
    schemes: list[Scheme],
    definitions: list[Definition],
    ids: list[str],
    now: datetime,
    reason: Reason,
    cause: dict[str, Any],
    *,
    without_grace: str | None = None,
    segments: Iterable[Segment] = (),
    notify: bool = True,
) -> int:
    """Classifies the customers ``ids`` (whose rows the caller holds locked) in the given
    schemes, in order, then re-evaluates their membership of the given segments; a scheme or
    segment reading a metric still being backfilled waits for it. ``without_grace`` names a
    scheme whose downgrades apply at once. Unless ``notify`` is false, each change an
    endpoint wants gets its outbox message. Returns how many tiers changed."""
    if not ids:
        return 0
    pending = {d.name for d in definitions if not d.ready}
    columns = customer_columns(workspace_id, definitions, now, stored_tier(workspace_id))
    routes = await outbox.routes(conn, workspace_id) if notify else outbox.Routes(())
    catalog = field_catalog(definitions)
    messages: list[outbox.NewMessage] = []
    changed = 0
    for scheme in schemes:
        if scheme.reads_metrics & pending:
            continue
        metrics = sorted(scheme.reads_metrics) if routes else []
        rows = await classify_scheme(
            conn,
            workspace_id,
            scheme,
            columns,
            ids,
            now,
            reason,
            cause,
            grace=scheme.key != without_grace,
            metrics=metrics,
        )
        changed += len(rows)
        if routes:
            messages += _tier_messages(scheme, rows, metrics, catalog, routes, now)
    # Schemes in dependency order, each by customer id: a customer's messages, and so their
    # sequence numbers, follow the order its changes were made in.
    messages.sort(key=lambda m: m.customer_id or "")
    await outbox.enqueue_many(conn, workspace_id, messages, now)
    await membership.apply(
        conn, workspace_id, segments, columns, ids, now, reason, cause, pending, routes
    )
    return changed


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


def readers_of(
    schemes: list[Scheme], segments: Iterable[Segment], metrics: Iterable[str]
) -> tuple[list[Scheme], list[Segment]]:
    """The schemes that read one of the metrics with every scheme reading their tiers, in
    dependency order, and the segments that read one of those schemes or metrics."""
    names = set(metrics)
    targets = affected(schemes, [s.key for s in schemes if s.reads_metrics & names])
    return targets, reading(segments, targets, names)


def _targets(
    job: Record, schemes: list[Scheme], segments: list[Segment]
) -> tuple[list[Scheme], str | None, list[Segment]]:
    """Which schemes and segments the job re-classifies, and the scheme saved without grace
    on change."""
    params = job.params
    if params["reason"] == "rule_change":
        current = next((s for s in schemes if s.key == params["scheme"]), None)
        if current is None or current.version != params["version"]:
            return [], None, []  # archived, or superseded by a newer version with its own job
        without_grace = None if current.grace_on_change else current.key
        targets = affected(schemes, [current.key])
        return targets, without_grace, reading(segments, targets)
    targets, readers = readers_of(schemes, segments, params["metrics"])
    return targets, None, readers


@jobs.handler(RECLASSIFY_JOB)
async def reclassify_chunk(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    """Applies the current rules to the next chunk of customers, under their row locks."""
    schemes, without_grace, segments = _targets(
        job,
        await tiers.active_schemes(conn, job.workspace_id),
        await segment_store.active_segments(conn, job.workspace_id),
    )
    if not schemes and not segments:
        return jobs.Progress(cursor=job.cursor, done=job.done, total=job.total, finished=True)
    total = job.total
    if total is None:
        total = await customer_store.count(conn, job.workspace_id)
    ids = await customer_store.lock_chunk(conn, job.workspace_id, job.cursor, CHUNK)
    definitions = await user_metrics.definitions(conn, job.workspace_id)
    cause = {k: v for k, v in job.params.items() if k != "reason"} | {"job_id": str(job.id)}
    await classify_customers(
        conn,
        job.workspace_id,
        schemes,
        definitions,
        ids,
        now,
        job.params["reason"],
        cause,
        without_grace=without_grace,
        segments=segments,
        notify=job.params.get("notify", True),
    )
    return jobs.Progress(
        cursor=ids[-1] if ids else job.cursor,
        done=job.done + len(ids),
        total=total,
        finished=len(ids) < CHUNK,
    )
