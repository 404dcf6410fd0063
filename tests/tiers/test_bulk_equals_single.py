"""The SQL engine equals the Python one: the classification pipeline (the tier rules in SQL,
as every trigger runs them) leaves a customer exactly as ``policy.classify`` (the Python
engine, the oracle, which explain and the profile use) says an identical twin should be left.

Each example builds one whole scenario in a transaction that is rolled back at the end, on one
database per test function: a workspace; a customer (traits, events some days before ``T0``,
a creation date) copied row for row to a twin; a scheme of 1-4 ordered tiers over built-in
metrics, traits and ``customer.created_at``, with grace and tenure of 0-5 days, and sometimes a
second scheme that reads ``tiers.<first>`` and sorts before it (so only the dependency order
is right); the current assignments, written straight into ``customer_tiers`` (none, the tier
the customer qualifies for, a higher or a lower one, one the scheme lacks; with or without a
pending downgrade that started some days ago); and a ``now`` 0-40 days after ``T0``, often
exactly on a midnight. Then the Python engine classifies the one customer (writing nothing)
and the pipeline classifies the twin in SQL, and the two are compared:

- the ``customer_tiers`` rows (tier, version, since, downgrade_to, downgrade_since,
  downgrade_at), column for column, against the Python engine's assignments;
- the ``tier_history`` rows written (scheme, version, from, to, reason, changed_at, cause), in
  order, against the Python engine's changes, and the count of changes each reports;
- ``next_review_at``: the pipeline recomputes it, so it equals the earlier of the metric
  windows' next change and the Python engine's own review moment (the earliest rule flip or
  pending downgrade), whatever the generated starting value.

``grace_on_change: false`` (the reclassify job's ``without_grace``) has no switch in
``policy.classify``: for those examples the Python side runs with ``policy.decide`` given
``grace=False`` for that scheme, which is what the flag means there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from unittest.mock import patch
from uuid import UUID, uuid4

import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.principal import Workspace
from app.classification import pipeline
from app.classification.schemes import put_scheme
from app.clock import FrozenClock, midnight, utc_day
from app.customers.service import replace_traits, row_of, view
from app.db.tables import customer_days, customer_tiers, customers, tier_history, workspaces
from app.events.backfill import backfill
from app.events.schemas import EventIn
from app.tiers import policy
from app.tiers import repository as tiers_repository
from app.tiers.policy import Assignment, Classification, Reason, Scheme
from app.tiers.schemas import SchemeIn
from tests.conftest import T0
from tests.rules.strategies import trait_comparisons
from tests.rules.strategies import traits as trait_sets

TODAY = utc_day(T0)
BASE = "value"
READER = "perks"  # sorts before BASE: only the dependency order classifies it after BASE
BASE_TIERS = ("gold", "silver", "bronze", "iron")
BASE_DEFAULT = "basic"
READER_TIERS = ("elite", "plus")
READER_DEFAULT = "none"
RETIRED = "platinum"  # a tier no version of either scheme has
PY, SQL = "twin-py", "twin-sql"
CAUSE = {"scheme": BASE, "test": "bulk-equals-single"}

TIMES_OF_DAY = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=12),
    timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
)

# --- strategies -------------------------------------------------------------------------------

MONEY_VALUES = ("0", "0.00", "0.01", "10.00", "99.99", "100", "100.00", "110.00", "250.50", "-5")
AMOUNTS = ("0.01", "10.00", "89.99", "99.99", "100.00", "250.50")


def _money_value(text: str) -> st.SearchStrategy[Any]:
    """Mostly the decimal string itself; an integral value sometimes as a JSON number."""
    value = Decimal(text)
    forms: list[Any] = [text, text, text]
    if value == value.to_integral_value():
        forms.append(int(value))
    return st.sampled_from(forms)


money_values = st.sampled_from(MONEY_VALUES).flatmap(_money_value)
day_counts = st.one_of(st.sampled_from([0, 1, 2, 7, 29, 30, 31, 40]), st.integers(0, 45))
ages = st.sampled_from([0, 1, 2, 3, 7, 30, 31, 45])


def _cmp(field_: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field_, "op": op, "value": value}


@st.composite
def _ordered(draw: st.DrawFn, field_: str, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    op = draw(st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "in", "between", "exists"]))
    if op == "exists":
        return _cmp(field_, op, draw(st.booleans()))
    if op == "in":
        return _cmp(field_, op, draw(st.lists(values, min_size=1, max_size=3)))
    if op == "between":
        bounds = sorted([draw(values), draw(values)], key=lambda v: Decimal(str(v)))
        return _cmp(field_, op, bounds)
    return _cmp(field_, op, draw(values))


money_comparisons = st.sampled_from(
    ["metrics.spend_30d", "metrics.spend_365d", "metrics.lifetime_spend"]
).flatmap(lambda f: _ordered(f, money_values))
count_comparisons = st.sampled_from(
    ["metrics.order_count", "metrics.days_since_last_order"]
).flatmap(lambda f: _ordered(f, day_counts))


@st.composite
def time_comparisons(draw: st.DrawFn) -> dict[str, Any]:
    field_ = draw(
        st.sampled_from(["metrics.last_order_at", "metrics.first_order_at", "customer.created_at"])
    )
    op = draw(st.sampled_from(["within_days", "older_than_days", "older_than_days", "gt", "lte"]))
    if op in ("gt", "lte"):
        moment = midnight(TODAY - timedelta(days=draw(day_counts))) + draw(
            st.sampled_from(TIMES_OF_DAY)
        )
        return _cmp(field_, op, moment.isoformat())
    return _cmp(field_, op, draw(ages))


leaves = st.one_of(money_comparisons, count_comparisons, time_comparisons(), trait_comparisons())


def _trees(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda items: {"all": items}),
            st.lists(inner, min_size=1, max_size=3).map(lambda items: {"any": items}),
            inner.map(lambda item: {"not": item}),
        ),
        max_leaves=4,
    )


conditions = _trees(leaves)
# No generated customer has this trait: a tier nobody reaches, above one somebody does.
NOBODY = {"field": "traits.missing", "op": "exists", "value": True}
tier_conditions = st.one_of(conditions, conditions, st.just(NOBODY))


@st.composite
def base_tier_comparisons(draw: st.DrawFn, keys: Sequence[str]) -> dict[str, Any]:
    """A comparison with the first scheme's tier: what makes the second scheme depend on it."""
    tier = st.sampled_from(keys)
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "exists"]))
    if op == "exists":
        return _cmp(f"tiers.{BASE}", op, draw(st.booleans()))
    if op in ("in", "not_in"):
        return _cmp(f"tiers.{BASE}", op, draw(st.lists(tier, min_size=1, max_size=3)))
    return _cmp(f"tiers.{BASE}", op, draw(tier))


@st.composite
def reader_conditions(draw: st.DrawFn, keys: Sequence[str]) -> dict[str, Any]:
    reads = draw(base_tier_comparisons(keys))
    shape = draw(st.sampled_from(["alone", "all", "any", "not"]))
    if shape == "alone":
        return reads
    if shape == "not":
        return {"not": reads}
    return {shape: [reads, draw(conditions)]}


def definition(
    name: str,
    tiers: Sequence[tuple[str, dict[str, Any]]],
    default: str,
    grace_days: int,
    min_days: int,
    grace_on_change: bool = True,
) -> dict[str, Any]:
    return {
        "name": name,
        "tiers": [{"key": key, "name": key.title(), "condition": c} for key, c in tiers],
        "default_tier": default,
        "downgrade_grace_days": grace_days,
        "min_days_in_tier": min_days,
        "grace_on_change": grace_on_change,
    }


@dataclass(frozen=True)
class Event:
    kind: Literal["order", "refund", "visit"]
    days_before_t0: int
    earlier_by: timedelta  # T0 is noon: 12h earlier is midnight, 12h + 1us the day before
    amount: str | None


events = st.builds(
    Event,
    kind=st.sampled_from(["order", "order", "refund", "visit"]),
    days_before_t0=day_counts,
    earlier_by=st.sampled_from(
        [timedelta(0), timedelta(hours=3), timedelta(hours=12), timedelta(hours=12, microseconds=1)]
    ),
    amount=st.sampled_from(AMOUNTS),
)

Relation = Literal["none", "qualified", "higher", "lower", "retired"]


@dataclass(frozen=True)
class Held:
    """A current assignment, relative to the tier the customer qualifies for (resolved once
    the customer and the schemes exist: ``pick`` chooses among the higher or lower tiers; with
    none there, the customer holds the tier it qualifies for). A pending downgrade goes to a
    tier below the held one when there is one, and its ``downgrade_at`` is arbitrary: the
    engines recompute it."""

    relation: Relation
    pick: int
    old_version: bool  # from the previous version of the scheme, if there is one
    since_days_ago: int
    since_time: timedelta
    pending: tuple[int, int, timedelta, int] | None  # to (index), since (days ago, time), at


pendings = st.tuples(
    st.integers(0, 4), st.integers(0, 7), st.sampled_from(TIMES_OF_DAY), st.integers(-3, 6)
)
helds = st.builds(
    Held,
    relation=st.sampled_from(["higher", "higher", "qualified", "retired", "lower", "none"]),
    pick=st.integers(0, 3),
    old_version=st.booleans(),
    since_days_ago=st.integers(0, 9),
    since_time=st.sampled_from(TIMES_OF_DAY),
    pending=st.one_of(st.none(), pendings, pendings),
)


@dataclass(frozen=True)
class Scenario:
    base: dict[str, Any]
    reader: dict[str, Any] | None
    versions: int  # how many times the schemes are saved
    traits: dict[str, Any]
    events: list[Event]
    created_days_before_t0: int
    held_base: Held
    held_reader: Held
    review_days: int | None  # the stored next_review_at before: midnight this many days on
    now: datetime
    without_grace: str | None
    reason: Reason


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    grace = st.integers(0, 5)
    count = draw(st.integers(1, 4))
    base_tiers = [(key, draw(tier_conditions)) for key in BASE_TIERS[:count]]
    base_keys = [*BASE_TIERS[:count], BASE_DEFAULT]
    with_reader = draw(st.booleans())
    without_grace = draw(st.sampled_from([None, BASE, READER] if with_reader else [None, BASE]))
    base = definition(
        "Value", base_tiers, BASE_DEFAULT, draw(grace), draw(grace), without_grace != BASE
    )
    reader = None
    if with_reader:
        reader_count = draw(st.integers(1, 2))
        reader_tiers = [
            (key, draw(reader_conditions(base_keys))) for key in READER_TIERS[:reader_count]
        ]
        reader = definition(
            "Perks", reader_tiers, READER_DEFAULT, draw(grace), draw(grace), without_grace != READER
        )
    forward = draw(
        st.one_of(st.just(0), st.sampled_from([1, 2, 3, 29, 30, 31]), st.integers(1, 40))
    )
    # 0: the clock stays at T0 (noon); otherwise a time of day on a later date, often midnight.
    now = (
        T0
        if forward == 0
        else midnight(TODAY + timedelta(days=forward)) + draw(st.sampled_from(TIMES_OF_DAY))
    )
    return Scenario(
        base=base,
        reader=reader,
        versions=draw(st.integers(1, 2)),
        traits=draw(trait_sets),
        events=draw(st.lists(events, max_size=4)),
        created_days_before_t0=draw(day_counts),
        held_base=draw(helds),
        held_reader=draw(helds),
        review_days=draw(st.none() | st.integers(-2, 10)),
        now=now,
        without_grace=without_grace,
        reason=draw(st.sampled_from(["rule_change", "review"])),
    )


# --- the two paths ----------------------------------------------------------------------------


async def new_workspace(conn: AsyncConnection) -> UUID:
    workspace_id = uuid4()
    await conn.execute(
        sa.insert(workspaces).values(id=workspace_id, slug=f"ws-{workspace_id.hex}", name="Test")
    )
    return workspace_id


async def add_customer(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    history: Sequence[Event],
    created_at: datetime,
) -> None:
    """The customer through a real write path: traits, then its events stored at T0 (as a
    backfill, before any scheme exists)."""
    await replace_traits(conn, workspace_id, customer_id, traits, created_at)
    events = [
        EventIn.model_validate(
            {
                "event_id": f"{customer_id}-{i}",
                "customer_id": customer_id,
                "type": sent.kind,
                "occurred_at": T0 - timedelta(days=sent.days_before_t0) - sent.earlier_by,
                "amount": None if sent.kind == "visit" else sent.amount,
            }
        )
        for i, sent in enumerate(history)
    ]
    results = await backfill(conn, Workspace(workspace_id, "EUR"), events, T0)
    assert all(getattr(result, "status", None) == "created" for result in results), results
    await conn.execute(
        sa.update(customers)
        .where(customers.c.workspace_id == workspace_id, customers.c.customer_id == customer_id)
        .values(created_at=created_at)
    )


async def copy_customer(conn: AsyncConnection, workspace_id: UUID, source: str, to: str) -> None:
    """Every row the metrics read, copied to a twin with another id."""
    for table in (customers, customer_days):
        names = [c.name for c in table.columns]
        chosen = [
            sa.literal(to, sa.Text()).label(n) if n == "customer_id" else table.c[n] for n in names
        ]
        await conn.execute(
            sa.insert(table).from_select(
                names,
                sa.select(*chosen).where(
                    table.c.workspace_id == workspace_id, table.c.customer_id == source
                ),
            )
        )


async def save_scheme(
    conn: AsyncConnection, workspace_id: UUID, key: str, body: dict[str, Any], versions: int
) -> None:
    """Through the service, so the scheme is one the API accepts."""
    for _ in range(versions):
        await put_scheme(conn, workspace_id, key, SchemeIn.model_validate(body), None, T0)


async def set_next_review(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, at: datetime | None
) -> None:
    await conn.execute(
        sa.update(customers)
        .where(customers.c.workspace_id == workspace_id, customers.c.customer_id == customer_id)
        .values(next_review_at=at)
    )


async def set_assignment(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, a: Assignment
) -> None:
    await conn.execute(
        sa.insert(customer_tiers).values(
            workspace_id=workspace_id,
            customer_id=customer_id,
            scheme_key=key,
            tier=a.tier,
            version=a.version,
            since=a.since,
            downgrade_to=a.downgrade_to,
            downgrade_since=a.downgrade_since,
            downgrade_at=a.downgrade_at,
        )
    )


async def classify_python(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    now: datetime,
    reason: Reason,
    without_grace: str | None,
) -> tuple[Classification, State]:
    """The Python engine's answer for the customer, changing nothing: its classification and
    the state the customer should be left in (tiers, history, ``next_review_at``)."""
    real_decide = policy.decide

    def decide(
        scheme: Scheme,
        current: Assignment | None,
        qualified: str,
        at: datetime,
        why: Reason,
        *,
        grace: bool = True,
    ) -> Any:
        grace = grace and scheme.key != without_grace
        return real_decide(scheme, current, qualified, at, why, grace=grace)

    row = await row_of(conn, workspace_id, customer_id)
    customer = await view(conn, workspace_id, row, now, "EUR")
    current = await tiers_repository.assignments(conn, workspace_id, customer_id)
    active = await tiers_repository.active_schemes(conn, workspace_id)
    with patch.object(policy, "decide", decide):
        result = policy.classify(
            active,
            customer.facts({}),
            current,
            now,
            reason,
            pending_metrics=customer.pending_metrics,
        )
    tiers = [
        (key, a.tier, a.version, a.since, a.downgrade_to, a.downgrade_since, a.downgrade_at)
        for key, a in sorted(result.assignments.items())
    ]
    history = [
        (c.scheme, c.version, c.from_tier, c.to_tier, c.reason, now, CAUSE) for c in result.changes
    ]
    review = earliest(customer.next_review_at, result.next_review_at)
    return result, State(tiers, history, review)


async def classify_sql(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    now: datetime,
    reason: Reason,
    without_grace: str | None,
) -> int:
    """Through the classification pipeline, as every trigger does."""
    outcome = await pipeline.classify(
        conn, workspace_id, [customer_id], now, reason, CAUSE, without_grace=without_grace
    )
    return outcome.tiers_changed


@dataclass(frozen=True)
class State:
    tiers: list[tuple[Any, ...]]
    history: list[tuple[Any, ...]]
    next_review_at: datetime | None = field(compare=False)


async def state_of(conn: AsyncConnection, workspace_id: UUID, customer_id: str) -> State:
    t, h = customer_tiers.c, tier_history.c
    tiers = await conn.execute(
        sa.select(
            t.scheme_key,
            t.tier,
            t.version,
            t.since,
            t.downgrade_to,
            t.downgrade_since,
            t.downgrade_at,
        )
        .where(t.workspace_id == workspace_id, t.customer_id == customer_id)
        .order_by(t.scheme_key)
    )
    history = await conn.execute(
        sa.select(h.scheme_key, h.version, h.from_tier, h.to_tier, h.reason, h.changed_at, h.cause)
        .where(h.workspace_id == workspace_id, h.customer_id == customer_id)
        .order_by(h.seq)
    )
    review = await conn.execute(
        sa.select(customers.c.next_review_at).where(
            customers.c.workspace_id == workspace_id, customers.c.customer_id == customer_id
        )
    )
    return State(
        [tuple(r) for r in tiers], [tuple(r) for r in history], review.scalar_one_or_none()
    )


def earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


@dataclass(frozen=True)
class Outcome:
    python: State
    sql: State
    before: State
    classification: Classification
    python_changes: int
    sql_changes: int


async def run_both(
    conn: AsyncConnection,
    workspace_id: UUID,
    now: datetime,
    reason: Reason,
    without_grace: str | None = None,
) -> Outcome:
    """Classifies PY in Python and SQL in SQL (identical before) and checks they agree."""
    before = await state_of(conn, workspace_id, SQL)
    classification, python = await classify_python(
        conn, workspace_id, PY, now, reason, without_grace
    )
    sql_changes = await classify_sql(conn, workspace_id, SQL, now, reason, without_grace)
    sql = await state_of(conn, workspace_id, SQL)
    python_changes = len(classification.changes)
    outcome = Outcome(python, sql, before, classification, python_changes, sql_changes)
    shown = f"\npython: {python}\nsql:    {sql}\nreview: {python.next_review_at}"
    assert sql.tiers == python.tiers, shown
    assert sql.history == python.history, shown
    assert sql_changes == python_changes == len(python.history), shown
    # The pipeline recomputes next_review_at: the metric windows' next change, then the
    # earliest rule flip, pending downgrade or override expiry.
    assert sql.next_review_at == python.next_review_at, shown
    return outcome


# --- setting up the assignments a scenario asks for -------------------------------------------


def _moment(now: datetime, days_ago: int, time: timedelta) -> datetime:
    return min(midnight(utc_day(now) - timedelta(days=days_ago)) + time, now)


def resolve(held: Held, scheme: Scheme, qualified: str, now: datetime) -> Assignment | None:
    keys = scheme.tier_keys
    rank = keys.index(qualified)
    if held.relation == "none":
        return None
    tier = qualified
    if held.relation == "retired":
        tier = RETIRED
    elif held.relation == "higher" and rank > 0:
        tier = keys[held.pick % rank]
    elif held.relation == "lower" and rank < len(keys) - 1:
        tier = keys[rank + 1 + held.pick % (len(keys) - rank - 1)]
    version = scheme.version - 1 if held.old_version and scheme.version > 1 else scheme.version
    since = _moment(now, held.since_days_ago, held.since_time)
    if held.pending is None:
        return Assignment(tier, version, since)
    to, days_ago, time, at_days = held.pending
    below = keys[keys.index(tier) + 1 :] if tier in keys else keys
    return Assignment(
        tier,
        version,
        since,
        downgrade_to=(below or keys)[to % len(below or keys)],
        downgrade_since=_moment(now, days_ago, time),
        downgrade_at=midnight(utc_day(now) + timedelta(days=at_days)),
    )


async def set_up(conn: AsyncConnection, scenario: Scenario) -> UUID:
    workspace_id = await new_workspace(conn)
    created_at = T0 - timedelta(days=scenario.created_days_before_t0, hours=5)
    await add_customer(conn, workspace_id, PY, scenario.traits, scenario.events, created_at)
    review = None
    if scenario.review_days is not None:
        review = midnight(utc_day(scenario.now) + timedelta(days=scenario.review_days))
    await set_next_review(conn, workspace_id, PY, review)
    await copy_customer(conn, workspace_id, PY, SQL)
    await save_scheme(conn, workspace_id, BASE, scenario.base, scenario.versions)
    if scenario.reader is not None:
        await save_scheme(conn, workspace_id, READER, scenario.reader, scenario.versions)

    # Which tier the customer qualifies for decides what "higher" or "qualified" means; the
    # reader's depends on the base scheme's new tier, so the base is decided first.
    now = scenario.now
    row = await row_of(conn, workspace_id, PY)
    customer = await view(conn, workspace_id, row, now, "EUR")
    tiers: dict[str, str] = {}
    context = customer.facts({})
    context["tiers"] = tiers
    schemes = {s.key: s for s in await tiers_repository.active_schemes(conn, workspace_id)}
    for key, held in ((BASE, scenario.held_base), (READER, scenario.held_reader)):
        if key not in schemes:
            continue
        scheme = schemes[key]
        qualified = scheme.qualifies_for(context, now)
        current = resolve(held, scheme, qualified, now)
        note(f"{key}: qualifies for {qualified}, holds {current}")
        if current is not None:
            for customer_id in (PY, SQL):
                await set_assignment(conn, workspace_id, customer_id, key, current)
        grace = scenario.without_grace != key
        tiers[key] = policy.decide(scheme, current, qualified, now, "review", grace=grace)[0].tier
    return workspace_id


def label(outcome: Outcome) -> None:
    """What happened to each scheme, for ``--hypothesis-show-statistics``."""
    held = {row[0]: row for row in outcome.before.tiers}
    for row in outcome.sql.tiers:
        key, had = row[0], held.get(row[0])
        moves = [h for h in outcome.sql.history if h[0] == key]
        if had is None:
            kind = "first tier"
        elif moves:
            kind = (
                f"moved from {'a retired tier' if had[1] == RETIRED else 'a tier'}: {moves[0][4]}"
            )
        elif row[4] is not None:
            kind = "downgrade pending" + (" (already was)" if had[4] is not None else " (new)")
        else:
            kind = "kept" + (", pending downgrade cancelled" if had[4] is not None else "")
        event(f"{key}: {kind}")


SETTINGS = settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    deadline=None,
)


@SETTINGS
@given(scenario=scenarios())
async def test_sql_engine_leaves_a_customer_as_the_python_engine_does(
    app: Any, clock: FrozenClock, scenario: Scenario
) -> None:
    engine: AsyncEngine = app.state.engine
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            clock.set(T0)
            workspace_id = await set_up(conn, scenario)
            clock.set(scenario.now)
            outcome = await run_both(
                conn, workspace_id, clock.now(), scenario.reason, scenario.without_grace
            )
            label(outcome)
        finally:
            await transaction.rollback()


# --- the subtle cases, spelled out --------------------------------------------------------------

VIP = {"field": "traits.vip", "op": "eq", "value": True}
BUYER = {"field": "metrics.order_count", "op": "gte", "value": 1}


def value_scheme(grace_days: int = 3, min_days: int = 0) -> dict[str, Any]:
    return definition(
        "Value", [("gold", VIP), ("silver", BUYER)], BASE_DEFAULT, grace_days, min_days
    )


async def twins(
    conn: AsyncConnection, body: dict[str, Any], held: Assignment | None, vip: bool = False
) -> UUID:
    """Two identical customers with one order (so: silver, or gold when ``vip``)."""
    workspace_id = await new_workspace(conn)
    order = Event("order", 2, timedelta(0), "10.00")
    await add_customer(conn, workspace_id, PY, {"vip": vip}, [order], T0 - timedelta(days=50))
    await set_next_review(conn, workspace_id, PY, None)
    await copy_customer(conn, workspace_id, PY, SQL)
    await save_scheme(conn, workspace_id, BASE, body, 1)
    if held is not None:
        for customer_id in (PY, SQL):
            await set_assignment(conn, workspace_id, customer_id, BASE, held)
    return workspace_id


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


async def both(
    app: Any,
    body: dict[str, Any],
    held: Assignment | None,
    now: datetime,
    *,
    vip: bool = False,
    without_grace: str | None = None,
) -> Outcome:
    async with app.state.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            workspace_id = await twins(conn, body, held, vip)
            return await run_both(conn, workspace_id, now, "rule_change", without_grace)
        finally:
            await transaction.rollback()


def tier_row(a: Assignment) -> tuple[Any, ...]:
    return (BASE, a.tier, a.version, a.since, a.downgrade_to, a.downgrade_since, a.downgrade_at)


def history_row(from_tier: str | None, to_tier: str, reason: str, at: datetime) -> tuple[Any, ...]:
    return (BASE, 1, from_tier, to_tier, reason, at, CAUSE)


GOLD_SINCE = midnight(day(-20)) + timedelta(hours=9)
STOPPED = midnight(day(0)) + timedelta(hours=10)  # 3 days of grace: due at midnight of day 3
PENDING = Assignment("gold", 1, GOLD_SINCE, "silver", STOPPED, midnight(day(3)))


async def test_a_pending_downgrade_falls_due_exactly_at_midnight(app: Any) -> None:
    due = midnight(day(3))
    before = await both(app, value_scheme(), PENDING, due - timedelta(microseconds=1))
    for state in (before.python, before.sql):
        assert state.tiers == [tier_row(PENDING)] and state.history == []

    at = await both(app, value_scheme(), PENDING, due)
    for state in (at.python, at.sql):
        assert state.tiers == [tier_row(Assignment("silver", 1, due))]
        assert state.history == [history_row("gold", "silver", "grace_expired", due)]


async def test_tenure_holds_a_downgrade_past_the_grace(app: Any) -> None:
    # Entered gold at 09:00 on day 1; 5 days of tenure: not before midnight of day 6.
    held = Assignment("gold", 1, midnight(day(1)) + timedelta(hours=9))
    now = midnight(day(4))
    outcome = await both(app, value_scheme(grace_days=1, min_days=5), held, now)
    pending = Assignment("gold", 1, held.since, "silver", now, midnight(day(6)))
    for state in (outcome.python, outcome.sql):
        assert state.tiers == [tier_row(pending)] and state.history == []
    assert outcome.sql.next_review_at == midnight(day(6))


async def test_without_grace_a_downgrade_happens_at_once(app: Any) -> None:
    now = midnight(day(1)) + timedelta(hours=6)  # a pending downgrade not due for two days
    outcome = await both(app, value_scheme(), PENDING, now, without_grace=BASE)
    for state in (outcome.python, outcome.sql):
        assert state.tiers == [tier_row(Assignment("silver", 1, now))]
        # Not "grace_expired": nobody waited for it.
        assert state.history == [history_row("gold", "silver", "rule_change", now)]

    fresh = Assignment("gold", 1, GOLD_SINCE)
    outcome = await both(app, value_scheme(), fresh, now, without_grace=BASE)
    for state in (outcome.python, outcome.sql):
        assert state.history == [history_row("gold", "silver", "rule_change", now)]


async def test_a_tier_the_scheme_no_longer_has_is_left_at_once(app: Any) -> None:
    held = Assignment(RETIRED, 1, GOLD_SINCE, "gold", STOPPED, midnight(day(9)))
    now = midnight(day(1))
    outcome = await both(app, value_scheme(grace_days=5, min_days=5), held, now)
    for state in (outcome.python, outcome.sql):
        assert state.tiers == [tier_row(Assignment("silver", 1, now))]
        assert state.history == [history_row(RETIRED, "silver", "rule_change", now)]


async def test_qualifying_again_cancels_a_pending_downgrade(app: Any) -> None:
    now = midnight(day(2)) + timedelta(hours=1)
    outcome = await both(app, value_scheme(), PENDING, now, vip=True)
    for state in (outcome.python, outcome.sql):
        # Same tier, same since, no downgrade waiting, nothing in the history.
        assert state.tiers == [tier_row(Assignment("gold", 1, GOLD_SINCE))]
        assert state.history == []


async def test_a_reader_sees_the_tier_its_scheme_just_got(app: Any) -> None:
    reader = definition(
        "Perks",
        [("elite", {"field": f"tiers.{BASE}", "op": "eq", "value": "silver"})],
        READER_DEFAULT,
        0,
        0,
    )
    now = midnight(day(3))
    async with app.state.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            workspace_id = await twins(conn, value_scheme(), PENDING)
            await save_scheme(conn, workspace_id, READER, reader, 1)
            outcome = await run_both(conn, workspace_id, now, "rule_change")
        finally:
            await transaction.rollback()
    for state in (outcome.python, outcome.sql):
        assert [(row[0], row[1]) for row in state.tiers] == [(READER, "elite"), (BASE, "silver")]
        assert [(row[0], row[3]) for row in state.history] == [(BASE, "silver"), (READER, "elite")]
