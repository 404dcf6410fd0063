"""Every metric of ``view`` as an SQL expression over the customers table, for the SQL engine.

``app.rules.compile`` turns a condition into SQL over whatever ``Columns`` it is given; this
module gives it the customers table itself, so segments and bulk reclassification read the same
numbers a customer's profile shows: lifetime totals from the customer row, windows and
user-defined metrics from correlated subqueries on the roll-ups. Each expression equals, for
every customer and to the last digit, what ``app.customers.service.view`` shows as of ``now``
(``app.customers.metrics`` for the built-ins, ``app.metrics.aggregate`` and the fold of
``app.metrics.repository`` for user-defined metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from app.clock import utc_day, window_start
from app.currencies import minor_units
from app.customers.metrics import CLV_METRICS, RFM_METRICS, WINDOWS
from app.db.tables import (
    customer_days,
    customer_source_days,
    customer_source_totals,
    customer_tiers,
    customers,
)
from app.metrics.aggregate import Definition
from app.money import STORED_PLACES, format_decimal, format_money
from app.rules.compile import Columns, SqlExpr
from app.rules.fields import MetricKind, is_event_count

Among = Literal["workspace", "ids", "id"]
"""Which customers a statement is about: the whole workspace, those of the parameter ``ids``
(an array), or the one of the parameter ``id``. One customer is compared by ``=``, not by
``= ANY``: for that, PostgreSQL settles on a generic plan of the prepared statement, where
for an array it plans every execution afresh (about 0.6 ms for a scheme's statement)."""


def among(ids: Sequence[str]) -> Among:
    return "id" if len(ids) == 1 else "ids"


def id_parameters(ids: Sequence[str]) -> dict[str, Any]:
    """The parameter ``among(ids)`` names, bound to ``ids``."""
    return {"id": ids[0]} if len(ids) == 1 else {"ids": list(ids)}


def half_even(total: SqlExpr, count: SqlExpr) -> SqlExpr:
    """``total / count`` rounded half-even to 4 places, as Python's ``quantize`` does; NULL
    when ``count`` is 0 or NULL.

    PostgreSQL's ``round`` goes half away from zero and numeric division is not exact, so the
    rounding is done on the exact integer quotient and remainder of ``total * 10000 / count``.
    (Python divides to 28 significant digits before rounding; the two could differ only for a
    quotient needing more digits than that right next to a tie.)
    """
    scaled = total * 10000
    quotient = sa.func.div(scaled, count, type_=sa.Numeric())
    remainder = scaled - quotient * count
    twice = 2 * sa.func.abs(remainder, type_=sa.Numeric())
    away = sa.or_(
        twice > count,
        sa.and_(twice == count, sa.func.mod(quotient, 2, type_=sa.Numeric()) != 0),
    )
    rounded = quotient + sa.case((away, sa.func.sign(remainder, type_=sa.Numeric())), else_=0)
    # Multiplying is exact where dividing by 10000 would round large quotients.
    return sa.case((count > 0, rounded * sa.literal(STORED_PLACES, sa.Numeric())))


def _day_sum(column: SqlExpr, workspace: SqlExpr, start: date) -> SqlExpr:
    days = customer_days.c
    # Correlated explicitly, so that it reads the customer of an enclosing query at any
    # depth (``computed_once`` puts it in a lateral subquery of its own).
    return sa.func.coalesce(
        sa.select(sa.func.sum(column))
        .where(
            days.workspace_id == workspace,
            days.customer_id == customers.c.customer_id,
            days.day >= sa.literal(start, sa.Date()),
        )
        .correlate(customers)
        .scalar_subquery(),
        0,
    )


def _builtins(workspace: SqlExpr, today: date) -> dict[str, SqlExpr]:
    c = customers.c
    days = customer_days.c
    since_last_order = sa.literal(today, sa.Date()) - sa.cast(
        sa.func.timezone("UTC", c.last_order_at), sa.Date()
    )
    metrics: dict[str, SqlExpr] = {
        "order_count": c.order_count,
        "lifetime_spend": c.order_total - c.refund_total,
        "refund_total": c.refund_total,
        "avg_order_value": half_even(c.order_total, c.order_count),
        "first_order_at": c.first_order_at,
        "last_order_at": c.last_order_at,
        "last_event_at": c.last_event_at,
        # greatest() skips NULLs: "no order yet" stays NULL, an order dated tomorrow counts 0.
        "days_since_last_order": sa.case(
            (
                c.last_order_at.is_not(None),
                sa.func.greatest(since_last_order, 0, type_=sa.Integer()),
            )
        ),
        **{name: c[name] for name in (*RFM_METRICS, *CLV_METRICS)},
    }
    for window in WINDOWS:
        start = window_start(today, window)
        metrics[f"spend_{window}d"] = _day_sum(
            days.order_amount - days.refund_amount, workspace, start
        )
        metrics[f"orders_{window}d"] = _day_sum(days.orders, workspace, start)
    return metrics


def _user_metric(definition: Definition, workspace: SqlExpr, today: date) -> SqlExpr:
    """``metric_value`` of the definition's lifetime roll-up, or of its window's days folded
    as ``app.metrics.repository`` folds them."""
    if not definition.ready:
        pending_type = sa.Integer() if definition.aggregation == "count" else sa.Numeric()
        return sa.cast(sa.null(), pending_type)
    lifetime = definition.window_days is None
    table = customer_source_totals if lifetime else customer_source_days
    r = table.c
    where = [
        r.workspace_id == workspace,
        r.customer_id == customers.c.customer_id,
        r.event_type == sa.literal(definition.event_type, sa.Text()),
        r.property == sa.literal(definition.prop, sa.Text()),
    ]
    if definition.window_days is not None:
        where.append(r.day >= sa.literal(window_start(today, definition.window_days), sa.Date()))
    if definition.aggregation == "last":
        return (
            sa.select(r.last_value)
            .where(*where, r.last_at.is_not(None))
            .order_by(r.last_at.desc(), r.last_event_id.collate("C").desc())
            .limit(1)
            .correlate(customers)
            .scalar_subquery()
        )
    value: SqlExpr
    if definition.aggregation == "count":
        value = r.events if lifetime else sa.func.sum(r.events)
    elif definition.aggregation == "sum":
        value = r.total if lifetime else sa.func.sum(r.total)
    elif definition.aggregation == "avg":
        value = (
            half_even(r.total, r.n)
            if lifetime
            else half_even(sa.func.sum(r.total), sa.func.sum(r.n))
        )
    elif definition.aggregation == "min":
        value = r.low if lifetime else sa.func.min(r.low)
    else:
        value = r.high if lifetime else sa.func.max(r.high)
    folded = sa.select(value).where(*where).correlate(customers).scalar_subquery()
    # No roll-up yet is an empty one: no events and a total of 0.
    return sa.func.coalesce(folded, 0) if definition.aggregation in ("count", "sum") else folded


def stored_tier(workspace_id: UUID) -> Callable[[str], SqlExpr]:
    """``Columns.tier`` for the customers' stored tiers (``customer_tiers``)."""

    def tier(scheme: str) -> SqlExpr:
        t = customer_tiers.c
        return (
            sa.select(t.tier)
            .where(
                t.workspace_id == sa.literal(workspace_id, sa.Uuid()),
                t.customer_id == customers.c.customer_id,
                t.scheme_key == sa.literal(scheme, sa.Text()),
            )
            .scalar_subquery()
        )

    return tier


def customer_columns(
    workspace_id: UUID,
    definitions: Iterable[Definition],
    now: datetime,
    tier: Callable[[str], SqlExpr],
) -> Columns:
    """The fields of customers as ``view`` shows them at ``now``, for a FROM of the
    ``customers`` table (not aliased) restricted to ``workspace_id``.

    ``metric`` knows the built-ins, ``<type>_count`` (NULL for a type the customer never had)
    and the given definitions (NULL while pending); any other name raises ``KeyError``.
    ``tier`` is the caller's.
    """
    today = utc_day(now)
    workspace = sa.literal(workspace_id, PG_UUID(as_uuid=True))
    builtins = _builtins(workspace, today)
    user = {definition.name: definition for definition in definitions}

    def metric(name: str) -> SqlExpr:
        if name in builtins:
            return builtins[name]
        if name in user:
            return _user_metric(user[name], workspace, today)
        if is_event_count(name):
            event_type = sa.literal(name.removesuffix("_count"), sa.Text())
            return sa.cast(customers.c.event_counts.op("->>")(event_type), sa.Integer())
        raise KeyError(name)

    return Columns(
        metric=metric, traits=customers.c.traits, tier=tier, created_at=customers.c.created_at
    )


WINDOWED_BUILTINS = frozenset(
    name for window in WINDOWS for name in (f"spend_{window}d", f"orders_{window}d")
)


def reads_rollups(name: str, definitions: Iterable[Definition]) -> bool:
    """Whether the metric is computed per customer from the roll-ups (a window of days, or a
    user-defined aggregation), rather than read from the customer row."""
    return name in WINDOWED_BUILTINS or any(d.name == name for d in definitions)


def computed_once(columns: Columns, names: Iterable[str]) -> tuple[sa.FromClause, Columns]:
    """The ``customers`` table joined to one lateral subquery computing each of ``names`` once
    per customer, and ``columns`` reading those from it.

    Over ``customer_columns`` every reading of a metric is a correlated subquery of its own:
    a condition comparing one windowed metric a hundred times would sum the customer's days a
    hundred times. The subquery is fenced (``OFFSET 0``) so the planner keeps it whole."""
    ordered = sorted(set(names))
    if not ordered:
        return customers, columns
    lateral = (
        sa.select(*(columns.metric(name).label(f"m{i}") for i, name in enumerate(ordered)))
        .offset(0)
        .lateral("computed_metrics")
    )
    once = {name: lateral.c[f"m{i}"] for i, name in enumerate(ordered)}

    def metric(name: str) -> SqlExpr:
        return once[name] if name in once else columns.metric(name)

    joined = customers.join(lateral, sa.true())
    return joined, Columns(
        metric=metric, traits=columns.traits, tier=columns.tier, created_at=columns.created_at
    )


def metric_value(kind: MetricKind | None, value: Any, currency: str) -> Any:
    """A metric as the customer profile shows it: counts as integers, money as
    ``format_money`` shows it in ``currency`` (the base currency), other numbers as plain
    decimal strings, timestamps as UTC date-times."""
    if value is None:
        return None
    if kind == "count":
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    number = Decimal(value)
    if kind == "money":
        return format_money(number, currency)
    return format_decimal(number)


def metric_json(kind: MetricKind | None, value: SqlExpr, currency: str) -> SqlExpr:
    """``metric_value`` in SQL, as the JSON value ``to_jsonable_python`` makes of it, for
    payloads built by a statement: counts as integers, money with the minor units of
    ``currency`` and any further decimals it has, other numbers without trailing zeros,
    timestamps as UTC date-times (``Z``, microseconds only when there are some)."""
    if kind == "count":
        return sa.func.to_jsonb(
            sa.cast(sa.func.trunc(sa.cast(value, sa.Numeric())), sa.BigInteger())
        )
    if kind == "timestamp":
        utc = sa.func.timezone("UTC", value)
        # ``||`` rather than concat(), which would make "Z" of a null.
        whole = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=sa.Text())
        fraction = sa.case(
            (sa.extract("microseconds", value) % 1_000_000 != 0, sa.func.to_char(utc, ".US")),
            else_="",
        )
        return sa.func.to_jsonb(whole + fraction + "Z")
    number = sa.cast(value, sa.Numeric())
    if kind == "money":
        places = sa.func.greatest(minor_units(currency), sa.func.min_scale(number))
        return sa.func.to_jsonb(sa.cast(sa.func.round(number, places), sa.Text()))
    return sa.func.to_jsonb(sa.cast(sa.func.trim_scale(number), sa.Text()))


def fenced_columns(
    workspace_id: UUID,
    definitions: Iterable[Definition],
    now: datetime,
    metrics: Iterable[str],
    schemes: Iterable[str],
    customers_of: Among,
) -> tuple[sa.Subquery, Columns]:
    """The customers of the workspace (``customers_of``: all, or the parameter's) with each
    of ``metrics`` and their stored tier in each of ``schemes`` computed once, in a subquery
    the planner does not flatten (``OFFSET 0``), and ``Columns`` over it.

    A condition reads a metric in several comparisons and in its next flip; over
    ``customer_columns`` each reading is a correlated subquery over the roll-ups of its own,
    which PostgreSQL plans and runs separately. Classifying one customer runs for every
    event, so each metric is computed once here instead."""
    metric_names = sorted(set(metrics))
    scheme_keys = sorted(set(schemes))
    inner = customer_columns(workspace_id, definitions, now, stored_tier(workspace_id))
    c = customers.c
    select = sa.select(
        c.customer_id,
        c.traits,
        c.created_at,
        *(inner.metric(name).label(f"metric_{i}") for i, name in enumerate(metric_names)),
        *(inner.tier(key).label(f"tier_{i}") for i, key in enumerate(scheme_keys)),
    ).where(c.workspace_id == sa.literal(workspace_id, PG_UUID(as_uuid=True)))
    if customers_of == "ids":
        select = select.where(c.customer_id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Text()))))
    elif customers_of == "id":
        select = select.where(c.customer_id == sa.bindparam("id", type_=sa.Text()))
    fenced = select.offset(0).subquery("facts_of")
    metric_columns = {name: fenced.c[f"metric_{i}"] for i, name in enumerate(metric_names)}
    tier_columns = {key: fenced.c[f"tier_{i}"] for i, key in enumerate(scheme_keys)}
    columns = Columns(
        metric=metric_columns.__getitem__,
        traits=fenced.c.traits,
        tier=tier_columns.__getitem__,
        created_at=fenced.c.created_at,
    )
    return fenced, columns
