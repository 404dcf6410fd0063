"""A flush: events of one workspace, at most one per customer and per id, stored and
classified together in three round trips.

The same work as ``service.ingest`` followed by the classification pipeline, for a set of
customers at once, on a raw asyncpg connection (``app.db.engine.create_raw_pool``), with
statements compiled once (``positional``) and prepared once per connection:

1. **write**, sent with ``BEGIN`` (or a savepoint, for a wave of a batch request): the events
   are inserted (an event's id is its idempotency key); only the new ones are folded into
   their customers' lifetime totals, which takes the customers' row locks in id order; then
   the day roll-ups and the roll-ups of the user-defined metrics they feed, in that order,
   the order every writer locks them in. The command tag counts the new events: when one is
   missing, an id was taken, the write is undone, and the events already stored are
   answered as replays (or refused as conflicts) while the others are written again.
2. **read**, a statement of its own so that its snapshot is taken after the row locks: the
   workspace's configuration version and, per customer, its row, window sums, user-defined
   roll-ups, tiers and segment memberships.
3. The configuration is the process's cached one (``app.classification.config``). If the
   version read in 2 is not the cached one, something the events depend on changed (an FX
   rate, a metric definition, a scheme, a key): the write is undone and the flush starts
   over with the configuration reloaded, each event's key checked against it again.
4. The Python engine classifies each customer (``policy.classify`` and the segments'
   ``evaluate``, held equal to the SQL engine by ``tests/tiers/test_bulk_equals_single.py``
   and ``tests/classification/test_triggers.py``).
5. **apply**, sent with ``COMMIT`` (alone when nothing changed): assignments, tier and
   segment history, memberships, outbox messages with their deliveries, ``next_review_at``,
   and the NOTIFY that wakes the delivery workers, in one statement for every customer.

Each customer's result is the one it would get alone: its facts are its own, and the flush
holds one event of it. Only the simple protocol lets ``BEGIN`` and ``COMMIT`` share a round
trip, and it takes no parameters: the write and apply statements are prepared by SQL when a
connection opens and run by ``EXECUTE`` with literal arguments (``Positional.execute``), each
set of rows one JSON literal. For orders and refunds in a workspace with a CLV model, the
read also brings the customers' purchase summaries, and one more statement writes the
predictions made of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

import asyncpg
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.keys import Scope, grants
from app.auth.service import UNKNOWN_KEY, authorize
from app.classification import pipeline
from app.classification.config import (
    ATTEMPTS,
    ConfigCache,
    ConfigurationChanging,
    WorkspaceConfig,
)
from app.classification.decision import Decided, decide
from app.clock import utc_day
from app.currencies import minor_units
from app.customers import repository as customer_store
from app.customers.service import CustomerView, check_merged_traits, view_of
from app.db.engine import RETRYABLE_SQLSTATES, RawConnection
from app.db.statements import Positional, positional
from app.db.tables import customers
from app.errors import TierlineError, Unauthorized
from app.events import repository as event_store
from app.events.parsed import fingerprint
from app.events.schemas import EventIn
from app.events.service import EventIdConflict, Outcome, check_time, replayed
from app.fx.service import missing_rate
from app.metrics import repository as metric_store
from app.metrics import service as user_metrics
from app.metrics.aggregate import evaluate as evaluate_metrics
from app.money import convert
from app.predictions import repository as prediction_store
from app.predictions.service import predictions
from app.tiers import policy
from app.tiers import repository as tier_store
from app.tiers.bulk import ASSIGNMENT_REPLACED
from app.webhooks import CHANNEL, outbox


@dataclass(frozen=True, slots=True)
class Submitted:
    """An event to flush, with the key it was sent with (checked against the configuration
    the flush runs under)."""

    event: EventIn
    key_hash: bytes


Result = Outcome | TierlineError
"""An event's answer: its outcome, or the error it is refused with on its own."""

TRANSIENT_ATTEMPTS = 3
"""Runs of a flush (or of a batch request's transaction) that hit a deadlock or a
serialization failure before the error is its events' (503 with ``Retry-After``)."""


def transient(error: BaseException) -> bool:
    """A deadlock or a serialization failure: the transaction was undone and may run again."""
    return getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES


@dataclass(frozen=True, slots=True)
class Frame:
    """How a flush's writes begin, end and are undone: a transaction of their own, or a
    savepoint in the caller's transaction (a wave of a batch request)."""

    begin: str
    end: str
    undo: str


OWN_TRANSACTION = Frame("BEGIN", "COMMIT", "ROLLBACK")
SAVEPOINT = Frame(
    "SAVEPOINT flush",
    "RELEASE SAVEPOINT flush",
    "ROLLBACK TO SAVEPOINT flush;\nRELEASE SAVEPOINT flush",
)


class _Taken(Exception):
    """Some ids were taken: the write was undone. The ids stored, with their fingerprints."""

    def __init__(self, stored: Mapping[str, bytes], version: int | None) -> None:
        self.stored = stored
        self.version = version


class _Stale(Exception):
    """The cached configuration is older than the workspace's: the write was undone."""

    def __init__(self, version: int | None) -> None:
        self.version = version


class _Refused(Exception):
    """Some events were refused once written (their merged traits grew too large): the write
    was undone. The refusals, by the events' indices."""

    def __init__(self, errors: Mapping[int, TierlineError]) -> None:
        self.errors = errors


@dataclass(frozen=True, slots=True)
class _Prepared:
    index: int
    event: EventIn
    digest: bytes
    row: dict[str, Any]
    """The event's columns and its contribution to its customer (``customer_store.event_row``)."""
    new_event: user_metrics.NewEvent
    shows_profile: bool
    """Whether the key may read the customer's profile (``customers:read``): a key that may
    only write events learns the tier changes it caused, not the customer's traits."""


_INPUT_COLUMNS = (
    "event_id text, amount numeric, currency text, amount_base numeric, fx_rate numeric, "
    "properties jsonb, fingerprint bytea," + customer_store.EVENT_ROW_COLUMNS
)


def _write(unset: bool) -> Positional:
    # An InitPlan, run before the first roll-up row: every customer is locked by then.
    folded = "CAST((SELECT ids FROM folded) AS text[])"
    rollups = [
        (name, metric_store.bulk_rollup_upsert(
            table, day=per_day, rows=f":{name}", customers=folded
        ))
        for name, table, per_day in (
            ("rollup_days", "customer_source_days", True),
            ("rollup_totals", "customer_source_totals", False),
        )
    ]  # fmt: skip
    days = customer_store.add_to_days_sql(
        f"(SELECT * FROM fresh WHERE customer_id = ANY({folded}))"  # noqa: S608
    )
    parts = [
        "input AS (SELECT * FROM json_to_recordset(CAST(:events AS json)) "  # noqa: S608
        f"AS e({_INPUT_COLUMNS}))",
        f"ev AS ({event_store.insert_set_sql('input')})",
        "fresh AS (SELECT * FROM input WHERE event_id IN (SELECT event_id FROM ev))",
        f"customer AS ({customer_store.fold_events_sql('fresh', unset=unset)})",
        "folded AS (SELECT array_agg(customer_id) AS ids FROM customer)",
        f"day AS ({days})",
        *(f"{name} AS ({upsert})" for name, upsert in rollups),
    ]
    # The command tag counts the new events: SELECT n.
    statement = "WITH " + ",\n".join(parts) + "\nSELECT 1 FROM ev"
    return positional(statement, f"tierline_flush_write{int(unset)}")


_WRITES = {unset: _write(unset) for unset in (False, True)}

_CUSTOMER_COLUMNS = tuple(column.name for column in customers.c)
_RATE = "SELECT rate FROM fx_rates WHERE workspace_id = $1 AND currency = $2"
_PREDICT = positional(prediction_store.WRITE_SQL)


@cache
def _read(rollups: bool, summaries: bool) -> Positional:
    # The arrays of rows are cast to named row types (migration 0017): Citus cannot return
    # anonymous records from its workers.
    assignment = ", ".join(tier_store.ASSIGNMENT_COLUMNS)
    of_customer = "WHERE workspace_id = :ws AND customer_id = c.customer_id"
    # Built from constants only.
    columns = [
        "(SELECT config_version FROM workspaces WHERE id = :ws) AS config_version",
        "c.*",
        "sums.*",
        f"(SELECT array_agg(CAST(ROW({assignment}) AS tier_assignment_row)) "  # noqa: S608
        f"FROM customer_tiers {of_customer}) AS tiers",
        f"(SELECT array_agg(segment_key) FROM segment_members {of_customer}) AS members",  # noqa: S608
    ]
    if rollups:
        read = metric_store.read_rollups_sql("c.customer_id")
        columns.append(
            f"(SELECT array_agg(CAST(ROW(r.*) AS rollup_row)) FROM ({read}) AS r) AS rollups"  # noqa: S608
        )
    if summaries:
        found = prediction_store.FOR_CUSTOMERS_SQL
        columns.append(
            f"(SELECT array_agg(CAST(ROW(s.*) AS purchase_summary_row)) FROM ({found}) AS s "  # noqa: S608
            "WHERE s.customer_id = c.customer_id) AS summaries"
        )
    sums = customer_store.window_sums_sql("c.customer_id")
    return positional(
        f"SELECT {', '.join(columns)} FROM customers AS c "  # noqa: S608
        f"CROSS JOIN LATERAL ({sums}) AS sums "
        "WHERE c.workspace_id = :ws AND c.customer_id = ANY(CAST(:customers AS text[]))"
    )


_APPLY = positional(
    "WITH "  # noqa: S608 (constant SQL text joined; values are bound parameters)
    + """tiers AS (
    INSERT INTO customer_tiers AS t (
        workspace_id, customer_id, scheme_key, tier, version, since,
        downgrade_to, downgrade_since, downgrade_at,
        override_tier, override_reason, override_set_at, override_expires_at
    )
    SELECT CAST(:ws AS uuid), a.customer_id, a.scheme_key, a.tier, a.version, a.since,
           a.downgrade_to, a.downgrade_since, a.downgrade_at,
           a.override_tier, a.override_reason, a.override_set_at, a.override_expires_at
    FROM json_to_recordset(CAST(:assignments AS json)) AS a(
        customer_id text, scheme_key text, tier text, version integer, since timestamptz,
        downgrade_to text, downgrade_since timestamptz, downgrade_at timestamptz,
        override_tier text, override_reason text, override_set_at timestamptz,
        override_expires_at timestamptz
    )
    ORDER BY a.customer_id COLLATE "C", a.scheme_key
    """
    + ASSIGNMENT_REPLACED
    + """
),
tier_changes AS (
    INSERT INTO tier_history (
        workspace_id, customer_id, scheme_key, version, from_tier, to_tier,
        changed_at, reason, cause
    )
    SELECT CAST(:ws AS uuid), h.customer_id, h.scheme_key, h.version, h.from_tier, h.to_tier,
           CAST(:now AS timestamptz), h.reason, h.cause
    FROM json_to_recordset(CAST(:tier_changes AS json)) AS h(
        ord integer, customer_id text, scheme_key text, version integer, from_tier text,
        to_tier text, reason text, cause jsonb
    )
    ORDER BY h.ord
),
entered AS (
    INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
    SELECT CAST(:ws AS uuid), m.segment_key, m.customer_id, CAST(:now AS timestamptz)
    FROM json_to_recordset(CAST(:entered AS json)) AS m(customer_id text, segment_key text)
),
exited AS (
    DELETE FROM segment_members AS s
    USING json_to_recordset(CAST(:exited AS json)) AS m(customer_id text, segment_key text)
    WHERE s.workspace_id = CAST(:ws AS uuid) AND s.customer_id = m.customer_id
      AND s.segment_key = m.segment_key
      -- An array (an InitPlan) for the index: the planner takes a function's rows for 100
      -- and would rather scan every member.
      AND s.customer_id = ANY(ARRAY(
          SELECT x.customer_id FROM json_to_recordset(CAST(:exited AS json)) AS x(customer_id text)
      ))
),
segment_changes AS (
    INSERT INTO segment_history (
        workspace_id, customer_id, segment_key, version, change, changed_at, reason, cause
    )
    SELECT CAST(:ws AS uuid), h.customer_id, h.segment_key, h.version, h.change,
           CAST(:now AS timestamptz), 'event', h.cause
    FROM json_to_recordset(CAST(:segment_changes AS json)) AS h(
        ord integer, customer_id text, segment_key text, version integer, change text,
        cause jsonb
    )
    ORDER BY h.ord
),
incoming AS (
    SELECT m.ord, gen_random_uuid() AS id, m.customer_id, m.type, m.data, m.endpoints
    FROM json_to_recordset(CAST(:messages AS json)) AS m(
        ord integer, customer_id text, type text, data jsonb, endpoints uuid[]
    )
),
message AS (
    INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
    SELECT CAST(:ws AS uuid), i.id, i.type, i.customer_id, i.data, CAST(:now AS timestamptz)
    FROM incoming i ORDER BY i.ord
),
delivery AS (
    INSERT INTO webhook_deliveries
        (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT CAST(:ws AS uuid), i.id, e, 'pending', CAST(:now AS timestamptz),
           CAST(:now AS timestamptz)
    FROM incoming i, unnest(i.endpoints) AS e
),
review AS (
    UPDATE customers AS c SET next_review_at = r.review_at
    FROM json_to_recordset(CAST(:reviews AS json)) AS r(customer_id text, review_at timestamptz)
    WHERE c.workspace_id = CAST(:ws AS uuid) AND c.customer_id = r.customer_id
      AND c.customer_id = ANY(ARRAY(  -- for the index, as in exited
          SELECT x.customer_id FROM json_to_recordset(CAST(:reviews AS json)) AS x(customer_id text)
      ))
)
SELECT pg_notify(CAST(:channel AS text), CAST(:ws AS text)) WHERE CAST(:notify AS boolean)
""",
    "tierline_flush_apply",
)

PREPARED = (*_WRITES.values(), _APPLY)
"""Prepared by SQL on each of the raw pool's connections as it opens (``create_raw_pool``)."""


async def write(
    raw: RawConnection,
    engine: AsyncEngine,
    configs: ConfigCache,
    config: WorkspaceConfig,
    items: Sequence[Submitted],
    now: datetime,
    *,
    frame: Frame = OWN_TRANSACTION,
    describe: bool = True,
) -> tuple[list[Result], WorkspaceConfig]:
    """Each item's result, in the order given, and the configuration they ran under. The
    items are of distinct customers and distinct ids. With ``describe``, an outcome carries
    the customer's profile after the event, for a key that may read it (``customers:read``).

    What one event would be refused with alone (its key, its time, a missing rate, its id
    taken by another body) is its result, and the others go on. A database error propagates,
    the frame undone: the caller decides whom it concerns (``app.events.batcher``)."""
    results: list[Result | None] = [None] * len(items)
    replays: list[_Prepared] = []
    todo = list(range(len(items)))
    for _ in range(ATTEMPTS):
        prepared = []
        for index in todo:
            try:
                prepared.append(await _prepare(raw, config, index, items[index], now))
            except TierlineError as error:
                results[index] = error
        if not prepared:
            todo = []
            break
        try:
            for done, outcome in await _attempt(raw, config, prepared, now, frame, describe):
                results[done.index] = outcome
            todo = []
            break
        except _Taken as taken:
            for p in prepared:
                stored = taken.stored.get(p.event.event_id)
                if stored is None:
                    continue
                if stored == p.digest:
                    replays.append(p)
                else:
                    results[p.index] = _conflict(p.event)
            todo = [p.index for p in prepared if p.event.event_id not in taken.stored]
            version = taken.version
        except _Stale as stale:
            version = stale.version
        except _Refused as refused:
            for index, refusal in refused.errors.items():
                results[index] = refusal
            todo = [p.index for p in prepared if p.index not in refused.errors]
            version = config.version
        if version != config.version:
            fresh = await _reloaded(engine, configs, config, version)
            if fresh is None:  # the workspace is gone
                for index in [*todo, *(p.index for p in replays)]:
                    results[index] = Unauthorized(UNKNOWN_KEY)
                return _all(results), config
            config = fresh
    for index in todo:
        results[index] = ConfigurationChanging(
            "The workspace's configuration changed under every attempt; send the event again."
        )
    for p in replays:
        results[p.index] = await _replayed(engine, config, p, now, describe)
    return _all(results), config


def _all(results: list[Result | None]) -> list[Result]:
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


async def _reloaded(
    engine: AsyncEngine, configs: ConfigCache, config: WorkspaceConfig, version: int | None
) -> WorkspaceConfig | None:
    if version is None:
        return None
    async with engine.connect() as conn:
        return await configs.reload(conn, config.workspace_id)


def _conflict(event: EventIn) -> EventIdConflict:
    return EventIdConflict(
        f"Event '{event.event_id}' is already stored with a different body; "
        "use a new event_id for a new event.",
        event_id=event.event_id,
    )


async def _replayed(
    engine: AsyncEngine, config: WorkspaceConfig, p: _Prepared, now: datetime, describe: bool
) -> Result:
    if not (describe and p.shows_profile):
        return Outcome("duplicate", p.event.event_id, None)
    try:
        async with engine.connect() as conn:
            return await replayed(
                conn, config.workspace_id, p.event, p.digest, now, True, config.base_currency
            )
    except TierlineError as error:
        return error


async def _prepare(
    raw: RawConnection, config: WorkspaceConfig, index: int, item: Submitted, now: datetime
) -> _Prepared:
    """The event's rows, once its key is known to hold the scope under ``config``."""
    principal = config.principals.get(item.key_hash)
    if principal is None:
        raise Unauthorized(UNKNOWN_KEY)
    authorize(principal, Scope.EVENTS_WRITE)
    event = item.event
    check_time(event, now)
    currency, rate, amount_base = event.currency, None, None
    if event.amount is not None:
        currency = currency or config.base_currency
        rate = await _rate(raw, config, currency)
        amount_base = (
            event.amount
            if rate == 1
            else convert(event.amount, rate, minor_units(config.base_currency))
        )
    digest = fingerprint(event)
    row = customer_store.event_row(
        event.customer_id,
        event.type,
        event.occurred_at,
        Decimal(0) if amount_base is None else amount_base,
        event.traits,
    )
    row |= {
        "event_id": event.event_id,
        "amount": event.amount,
        "currency": currency,
        "amount_base": amount_base,
        "fx_rate": None if rate == 1 else rate,
        "properties": event.properties,
        "fingerprint": "\\x" + digest.hex(),
    }
    new_event = user_metrics.NewEvent(
        event.customer_id, event.type, event.event_id, event.occurred_at, amount_base,
        event.properties,
    )  # fmt: skip
    shows_profile = grants(principal.scopes, Scope.CUSTOMERS_READ)
    return _Prepared(index, event, digest, row, new_event, shows_profile)


async def _rate(raw: RawConnection, config: WorkspaceConfig, currency: str) -> Decimal:
    if currency == config.base_currency:
        return Decimal(1)
    rate = config.rates.get(currency)
    if rate is None:
        # Perhaps set since the configuration was cached (the version check then starts
        # over): the table says.
        rate = await raw.fetchval(_RATE, config.workspace_id, currency)
    if rate is None:
        raise missing_rate(config.base_currency, currency)
    return Decimal(rate)


async def _attempt(
    raw: RawConnection,
    config: WorkspaceConfig,
    prepared: list[_Prepared],
    now: datetime,
    frame: Frame,
    describe: bool,
) -> list[tuple[_Prepared, Result]]:
    prepared = sorted(prepared, key=lambda p: p.event.customer_id)
    workspace_id = config.workspace_id
    rollups = user_metrics.rollup_rows(config.definitions, [p.new_event for p in prepared])
    unset = any(p.row["traits_unset"] for p in prepared)
    values: dict[str, Any] = {
        "ws": workspace_id,
        "now": now,
        "events": _json([p.row for p in prepared]),
        "rollup_days": _json(rollups.days),
        "rollup_totals": _json(rollups.totals),
    }
    if unset:
        removed = {p.event.customer_id: p.row["traits_unset"] for p in prepared}
        values["unset"] = to_json(removed).decode()
    try:
        written = await raw.execute(f"{frame.begin};\n{_WRITES[unset].execute(values)}")
        if int(written.rsplit(" ", 1)[1]) < len(prepared):
            await raw.execute(frame.undo)
            found = await raw.fetchrow(
                event_store.STORED_SQL, workspace_id, [p.event.event_id for p in prepared]
            )
            assert found is not None
            stored = dict(zip(found["event_ids"] or (), found["fingerprints"] or (), strict=True))
            raise _Taken({k: bytes(v) for k, v in stored.items()}, found["config_version"])
        return await _classify_and_apply(raw, config, prepared, values, now, frame, describe)
    except BaseException as error:
        if not isinstance(error, _Taken):
            await _undo(raw, frame)
        raise


async def _undo(raw: RawConnection, frame: Frame) -> None:
    """Undoes what an attempt left open; a connection that failed is left to the pool."""
    if raw.is_closed() or not raw.is_in_transaction():
        return
    with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        await raw.execute(frame.undo)


async def _classify_and_apply(
    raw: RawConnection,
    config: WorkspaceConfig,
    prepared: list[_Prepared],
    values: dict[str, Any],
    now: datetime,
    frame: Frame,
    describe: bool,
) -> list[tuple[_Prepared, Result]]:
    today = utc_day(now)
    reading = user_metrics.rollups_read(config.definitions, today)
    # The customers' purchase days changed: so do their CLV predictions.
    predicting = (
        [p.event.customer_id for p in prepared if p.row["day"] is not None]
        if config.clv_model is not None
        else []
    )
    read = _read(reading is not None, bool(predicting))
    values |= customer_store.window_starts(today)
    values |= {
        "workspace_id": config.workspace_id,
        "customers": [p.event.customer_id for p in prepared],
        "ids": predicting,
        "end": today,
    }
    if reading is not None:
        values |= metric_store.read_rollup_values(**reading)
    found = {r["customer_id"]: r for r in await raw.fetch(read.sql, *read.args(values))}
    version = next(iter(found.values()))["config_version"] if found else None
    if version != config.version:
        raise _Stale(version)
    refused = _traits_too_large(prepared, found)
    if refused:
        raise _Refused(refused)
    rows: dict[str, Any] = {
        cid: SimpleNamespace(**{c: r[c] for c in _CUSTOMER_COLUMNS}) for cid, r in found.items()
    }
    if predicting:
        assert config.clv_model is not None
        summaries = [s for cid in predicting for s in found[cid]["summaries"] or ()]
        predicted_ids, table = prediction_store.summaries_of(summaries)
        ids, columns = predictions(config.clv_model, predicting, predicted_ids, table)
        for record in await raw.fetch(
            _PREDICT.sql, *_PREDICT.args(values | {"ids": ids, **columns})
        ):
            rows[record["customer_id"]] = SimpleNamespace(**record)

    apply = _Apply(config, now)
    answers: list[tuple[_Prepared, Result]] = []
    for p in prepared:
        cid = p.event.customer_id
        customer = _customer(config, rows[cid], found[cid], now)
        decided = _decide(config, customer, found[cid], now)
        apply.add(p.event, customer, rows[cid], decided)
        shown = (
            customer.shown(policy.shown(decided.tiers.assignments), decided.review)
            if describe and p.shows_profile
            else None
        )
        answers.append((p, Outcome("created", p.event.event_id, shown, decided.tiers.changes)))
    if apply.empty:
        await raw.execute(frame.end)
    else:
        await raw.execute(f"{_APPLY.execute(apply.values())};\n{frame.end}")
    return answers


def _traits_too_large(
    prepared: list[_Prepared], found: Mapping[str, asyncpg.Record]
) -> dict[int, TierlineError]:
    """The events whose traits, merged into the stored ones, passed the size limit."""
    refused: dict[int, TierlineError] = {}
    for p in prepared:
        if p.event.traits:
            try:
                check_merged_traits(found[p.event.customer_id]["traits"])
            except TierlineError as error:
                refused[p.index] = error
    return refused


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return to_json(rows).decode()


def _customer(
    config: WorkspaceConfig, row: Any, facts: asyncpg.Record, now: datetime
) -> CustomerView:
    sums = customer_store.sums_of(dict(facts))
    found = facts.get("rollups")
    columns = metric_store.READ_ROLLUPS_COLUMNS
    windowed, lifetime = metric_store.rollups_of(
        dict(zip(columns, r, strict=True)) for r in found or ()
    )
    user = evaluate_metrics(config.definitions, windowed, lifetime, config.base_currency)
    return view_of(row, sums, user, now, config.base_currency)


def _decide(
    config: WorkspaceConfig, customer: CustomerView, facts: asyncpg.Record, now: datetime
) -> Decided:
    """What the pipeline would write for this customer, by the Python engine."""
    held = {
        values[0]: tier_store.assignment_of(
            SimpleNamespace(**dict(zip(tier_store.ASSIGNMENT_COLUMNS, values, strict=True)))
        )
        for values in facts["tiers"] or ()
    }
    members = set(facts["members"] or ())
    return decide(config.schemes, config.segments, customer, held, members, now, "event")


class _Apply:
    """The rows of the apply statement, gathered customer by customer, in flush order."""

    def __init__(self, config: WorkspaceConfig, now: datetime) -> None:
        self.config = config
        self.now = now
        self.assignments: list[dict[str, Any]] = []
        self.tier_changes: list[dict[str, Any]] = []
        self.entered: list[dict[str, str]] = []
        self.exited: list[dict[str, str]] = []
        self.segment_changes: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []

    @property
    def empty(self) -> bool:
        return not (self.assignments or self.tier_changes or self.segment_changes or self.reviews)

    def add(self, event: EventIn, customer: CustomerView, row: Any, decided: Decided) -> None:
        cid = event.customer_id
        cause = {"event_id": event.event_id}
        for key, assignment in decided.tiers.changed.items():
            self.assignments.append(
                {"customer_id": cid, **tier_store.assignment_row(key, assignment)}
            )
        for change in decided.tiers.changes:
            self.tier_changes.append(
                {
                    "ord": len(self.tier_changes),
                    "customer_id": cid,
                    "scheme_key": change.scheme,
                    "version": change.version,
                    "from_tier": change.from_tier,
                    "to_tier": change.to_tier,
                    "reason": change.reason,
                    "cause": cause,
                }
            )
        for moved in decided.segment_changes:
            pair = {"customer_id": cid, "segment_key": moved.segment}
            (self.entered if moved.change == "entered" else self.exited).append(pair)
            self.segment_changes.append(
                {
                    "ord": len(self.segment_changes),
                    **pair,
                    "version": moved.version,
                    "change": moved.change,
                    "cause": cause,
                }
            )
        if decided.review != row.next_review_at:
            self.reviews.append({"customer_id": cid, "review_at": decided.review})
        if self.config.routes:
            for message in _messages(self.config, customer, decided, self.now):
                self.messages.append(
                    {
                        "ord": len(self.messages),
                        "customer_id": cid,
                        "type": message.type,
                        "data": message.data,
                        "endpoints": message.endpoints,
                    }
                )

    def values(self) -> dict[str, Any]:
        return {
            "ws": self.config.workspace_id,
            "now": self.now,
            "assignments": _json(self.assignments),
            "tier_changes": _json(self.tier_changes),
            "entered": _json(self.entered),
            "exited": _json(self.exited),
            "segment_changes": _json(self.segment_changes),
            "messages": _json(self.messages),
            "reviews": _json(self.reviews),
            "channel": CHANNEL,
            "notify": bool(self.messages),
        }


def _messages(
    config: WorkspaceConfig, customer: CustomerView, decided: Decided, now: datetime
) -> list[outbox.NewMessage]:
    """The outbox messages an endpoint wants: tier changes in dependency order, then the
    segment entries and exits, as the pipeline orders them."""
    by_key = {s.key: s for s in config.schemes}
    found = []
    for change in decided.tiers.changes:
        scheme = by_key[change.scheme]
        values = {name: customer.metrics.get(name) for name in sorted(scheme.reads_metrics)}
        found.append(
            pipeline.tier_message(scheme, customer.customer_id, change, values, config.routes, now)
        )
    found += [
        pipeline.segment_message(change, "event", config.routes, now)
        for change in decided.segment_changes
    ]
    return [m for m in found if m.endpoints]
