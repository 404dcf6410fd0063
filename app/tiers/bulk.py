"""The SQL engine of the tier rules: classifying a set of customers, one statement a scheme.

Per scheme (in dependency order) one statement classifies a set of customers: the condition
compiler (``app.rules.compile``) over the metric expressions of ``app.customers.columns``
gives each customer's qualifying tier, and the same movement rules as ``app.tiers.policy``
(immediate upgrades, downgrades held back by grace and tenure) decide the new assignment; the
changed assignments, their history rows and, for each move an endpoint wants, its
``customer.tier_changed`` message and deliveries are written in the same statement, which
returns each customer's decision and its review moment (a rule's time comparison that will
flip, a pending downgrade, an override's expiry) for the caller to store.

The classification pipeline (``app.classification.pipeline``) is the one caller that writes:
it holds the customers' row locks, as every other writer does, so an event for a customer is
classified either before a chunk (and the chunk re-classifies it under the new rules) or
after it (and sees the new rules itself): no change is lost or recorded twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import utc_day
from app.customers.catalog import field_catalog
from app.customers.columns import Among, among, fenced_columns, id_parameters, metric_json
from app.db import Record
from app.db.statements import compiled_select, execute_template
from app.metrics.aggregate import Definition
from app.rules.compile import TZ, compile_condition, compile_next_flip
from app.tiers.policy import Reason, Scheme
from app.webhooks import TIER_CHANGED

Cause = Mapping[str, Any]
"""Why a customer was classified (an event id, a version, a due review...), kept with each
history row it writes."""


def _facts(
    scheme: Scheme,
    workspace_id: UUID,
    definitions: Iterable[Definition],
    now: datetime,
    customers_of: Among,
    metrics: Sequence[str],
    currency: str | None,
) -> sa.Select[Any]:
    """Per customer (of the workspace, or of the parameter ``customers_of`` names): the
    tier it qualifies for, the next moment a rule's time comparison flips for it, and the
    values of ``metrics`` as its messages show them (``metrics``, an object; money in
    ``currency``, the base currency)."""
    fenced, columns = fenced_columns(
        workspace_id,
        definitions,
        now,
        scheme.reads_metrics | set(metrics),
        scheme.reads_schemes,
        customers_of,
    )
    qualified = sa.case(
        *(
            (compile_condition(tier.condition, columns, now), sa.literal(tier.key, sa.Text()))
            for tier in scheme.tiers
        ),
        else_=sa.literal(scheme.default_tier, sa.Text()),
    )
    flips = [compile_next_flip(tier.condition, columns, now) for tier in scheme.tiers]
    flip = flips[0] if len(flips) == 1 else sa.func.least(*flips, type_=TZ)
    catalog = field_catalog(definitions)
    parts: list[Any] = []
    if metrics:
        assert currency is not None, "the metrics of a payload show money in the base currency"
        for name in metrics:
            kind = catalog.metric_kind(name)
            parts += [
                sa.literal(name, sa.Text()),
                metric_json(kind, columns.metric(name), currency),
            ]
    shown = sa.func.jsonb_build_object(*parts, type_=JSONB)
    return sa.select(
        fenced.c.customer_id,
        qualified.label("qualified"),
        flip.label("flip"),
        shown.label("metrics"),
    )


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
           array_position({keys}, CASE WHEN t.override_tier IS NOT NULL
               AND (t.override_expires_at IS NULL OR t.override_expires_at > {now})
               THEN t.override_tier ELSE f.qualified END) AS target_rank,
           array_position({keys}, t.tier) AS held_rank,
           COALESCE(t.downgrade_since, {now}) AS stopped
    FROM facts f
    LEFT JOIN customer_tiers t
      ON t.workspace_id = {ws} AND t.customer_id = f.customer_id AND t.scheme_key = {scheme}
      [chunk]
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

ASSIGNMENT_REPLACED = """
    ON CONFLICT (workspace_id, customer_id, scheme_key) DO UPDATE SET
        tier = EXCLUDED.tier, version = EXCLUDED.version, since = EXCLUDED.since,
        downgrade_to = EXCLUDED.downgrade_to, downgrade_since = EXCLUDED.downgrade_since,
        downgrade_at = EXCLUDED.downgrade_at, override_tier = EXCLUDED.override_tier,
        override_reason = EXCLUDED.override_reason,
        override_set_at = EXCLUDED.override_set_at,
        override_expires_at = EXCLUDED.override_expires_at
"""
"""A customer's assignment in a scheme, written over the one it had."""

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
    -- The reclassification job keeps the version of an assignment it does not otherwise
    -- change: the scheme version's watermark shows it (app.tiers.repository.SHOWN_VERSION).
    WHERE (n.held, CASE WHEN {keep_versions} THEN {version} ELSE n.held_version END,
           n.held_since, n.held_to, n.held_stopped, n.held_at, n.held_override)
          IS DISTINCT FROM
          (n.tier, {version}, n.since, n.downgrade_to, n.downgrade_since, n.downgrade_at,
           n.override_tier)
    ORDER BY n.customer_id
    """
    + ASSIGNMENT_REPLACED
    + """
),
history AS (
    INSERT INTO tier_history (
        workspace_id, customer_id, scheme_key, version, from_tier, to_tier,
        changed_at, reason, cause
    )
    SELECT {ws}, n.customer_id, {scheme}, {version}, n.held, n.target, {now},
           n.change_reason, COALESCE({causes} -> n.customer_id, {cause})
    FROM next n
    WHERE n.action IN ('assign', 'move')
    ORDER BY n.customer_id
),
moved AS (
    SELECT n.customer_id, n.held, n.target, n.change_reason, n.metrics,
           CASE WHEN n.held IS NULL THEN 'entered'
                WHEN n.held_rank IS NULL OR n.target_rank IS NULL THEN NULL
                WHEN n.target_rank < n.held_rank THEN 'up' ELSE 'down' END AS direction
    FROM next n
    WHERE n.action IN ('assign', 'move')
),
-- The endpoints that want each move: app.webhooks.outbox.Subscriber.wants_tier_change.
outgoing AS (
    SELECT r.*, gen_random_uuid() AS message_id
    FROM (
        SELECT m.*, ARRAY(
            SELECT e.id
            FROM jsonb_to_recordset({subscribers})
                 AS e(id uuid, schemes text[], tiers text[], direction text)
            WHERE (e.schemes IS NULL OR {scheme} = ANY(e.schemes))
              AND (e.tiers IS NULL OR m.held = ANY(e.tiers) OR m.target = ANY(e.tiers))
              AND (e.direction = 'any' OR m.direction IS NULL OR m.direction = e.direction
                   OR (m.direction = 'entered' AND e.direction = 'up'))
        ) AS endpoints
        FROM moved m
    ) AS r
    WHERE cardinality(r.endpoints) > 0
),
message AS (
    INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
    SELECT {ws}, o.message_id, {message_type}, o.customer_id,
           jsonb_build_object(
               'customer_id', o.customer_id, 'scheme', {scheme}, 'scheme_version', {version},
               'from_tier', o.held, 'to_tier', o.target, 'direction', o.direction,
               'reason', o.change_reason, 'changed_at', {changed_at}, 'metrics', o.metrics),
           {now}
    FROM outgoing o
    ORDER BY o.customer_id
),
delivery AS (
    INSERT INTO webhook_deliveries
        (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT {ws}, o.message_id, e.id, 'pending', {now}, {now}
    FROM outgoing o, unnest(o.endpoints) AS e(id)
)
SELECT n.customer_id, n.action, n.held, n.target, n.change_reason,
       LEAST(n.flip, n.downgrade_at, n.override_expires_at) AS review_at,
       o.message_id IS NOT NULL AS messaged
FROM next n LEFT JOIN outgoing o ON o.customer_id = n.customer_id
ORDER BY n.customer_id
"""
)

# A chunk's assignments are looked up by its ids: else, in a workspace of some hundred
# thousand customers, the planner reads every assignment of the scheme for each chunk. One
# customer keeps its plain join (a generic plan; an array is planned afresh every time).
_APPLY_TO: dict[Among, str] = {
    "id": _APPLY.replace("[chunk]", ""),
    "ids": _APPLY.replace("[chunk]", "AND t.customer_id = ANY({ids})"),
}

# What applying a version would do, changing nothing: the customers that would change tier
# now, and those whose move grace and tenure would hold back, by from and to tier. The same
# decisions as _APPLY, so a preview equals the save.
_PREVIEW = (
    "WITH "
    + _DECIDE.replace("[chunk]", "")
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
    definitions: Sequence[Definition],
    ids: list[str],
    now: datetime,
    reason: Reason,
    cause: Cause,
    causes: Mapping[str, Cause],
    *,
    grace: bool = True,
    keep_versions: bool = False,
    subscribers: Sequence[Mapping[str, Any]] = (),
    currency: str | None = None,
) -> list[Record]:
    """Classifies the customers ``ids`` in one scheme; returns a row per customer, by id:
    ``customer_id``, ``action`` (``assign`` and ``move`` change the tier), ``held`` (the old
    tier), ``target`` (the new one), ``change_reason``, ``review_at`` (the next moment the
    tier may move with no new data) and ``messaged``. A customer's history rows carry its
    entry in ``causes``, else ``cause``. Each move that one of ``subscribers`` (as
    ``app.webhooks.outbox.Routes.tier_subscribers`` gives them) wants gets its
    ``customer.tier_changed`` message, with a delivery per such endpoint, in the same
    statement; their metrics show money in ``currency``, the workspace's base currency
    (needed with ``subscribers``). ``keep_versions``: an assignment whose tier, downgrade
    and override stay is not rewritten for the version alone (the reclassification job,
    whose watermark shows it)."""
    own = _decision_values(scheme, workspace_id, now, reason, cause, grace=grace)
    own["causes"] = (json.dumps(causes), "jsonb")
    own["keep_versions"] = (keep_versions, "boolean")
    own["subscribers"] = (json.dumps(list(subscribers)), "jsonb")
    own["message_type"] = (TIER_CHANGED, "text")
    own["changed_at"] = (json.dumps(to_jsonable_python(now)), "jsonb")
    # A payload shows the metrics the scheme reads; none are computed when nobody listens.
    metrics = sorted(scheme.reads_metrics) if subscribers else []
    today = utc_day(now)
    customers_of = among(ids)
    shape = (
        scheme.key,
        scheme.version,
        today,
        tuple(definitions),
        customers_of,
        currency,
        *metrics,
    )
    template = _APPLY_TO[customers_of]
    if customers_of == "ids":
        own["ids"] = (ids, "text[]")
    key = (_APPLY, workspace_id, *shape)
    build = partial(_facts, scheme, workspace_id, definitions, now, customers_of, metrics, currency)
    facts = compiled_select(key, build, conn.dialect)
    result = await execute_template(conn, template, "facts", facts, own, id_parameters(ids))
    return list(result.all())


def _decision_values(
    scheme: Scheme,
    workspace_id: UUID,
    now: datetime,
    reason: Reason,
    cause: Cause,
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
    own = _decision_values(scheme, workspace_id, now, "rule_change", {}, grace=grace)
    del own["version"], own["cause"]  # only the writes use them; a statement binds all it gets
    own["samples"] = (samples, "integer")
    build = partial(_facts, scheme, workspace_id, definitions, now, "workspace", (), None)
    compiled = compiled_select(None, build, conn.dialect)
    result = await execute_template(conn, _PREVIEW, "facts", compiled, own)
    return list(result.all())
