"""Customer queries: a condition, the fields each row carries, a sort, a keyset cursor.

Search, count and export share this module. The condition compiles with the SQL engine
(``app.rules.compile``) over the metric expressions of ``app.customers.columns``, so a
query sees exactly what each customer's profile and the tier rules see.

A sort is a list of single-valued fields; the customer id is always the last tie-breaker,
and NULLs (no value) come last in either direction. A cursor holds the last row's sort
values and a checksum of the query and those values: a cursor edited by hand, or passed
with another condition or sort, is refused instead of silently paging something else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from app.auth.repository import config_version
from app.customers.catalog import BUILTIN_METRIC_KINDS
from app.customers.columns import (
    computed_once,
    customer_columns,
    metric_value,
    reads_rollups,
    stored_tier,
)
from app.db.statements import compiled_select
from app.db.tables import customer_tiers, customers, segment_members
from app.metrics.aggregate import Definition
from app.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.rules.compile import Columns, compile_condition
from app.rules.fields import (
    ConditionError,
    FieldCatalog,
    MetricKind,
    check,
    is_event_count,
    referenced_metrics,
)
from app.rules.schema import (
    AllCondition,
    EqualityComparison,
    MembershipComparison,
    Node,
    Operand,
    condition_json,
    parse_field,
)
from app.validation import contains_nul

SqlExpr = ColumnElement[Any]
Direction = Literal["asc", "desc"]

GROUPS = ("metrics", "traits", "tiers")
DEFAULT_FIELDS = ("customer_id", "metrics", "tiers")


class QueryError(Exception):
    """A field or sort the workspace cannot answer; ``errors`` are API error items."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One requested field: what it is and where its value goes in an item."""

    path: str
    kind: Literal["id", "created_at", "metric", "trait", "tier", "group"]
    ref: tuple[str, ...]
    """Where the value goes in an item: ``("metrics", "spend_365d")``; a group's name."""
    metric_kind: MetricKind | None = None

    @property
    def sortable(self) -> bool:
        return self.kind != "group"


def resolve_field(path: str, catalog: FieldCatalog, where: str) -> FieldSpec:
    """The field named by ``path`` (``customer_id``, ``metrics``, ``metrics.spend_365d``,
    ``traits.address.city``, ``tiers.value``...); ``QueryError`` at ``where`` if unknown."""
    if path == "customer_id":
        return FieldSpec(path, "id", ("customer_id",))
    if path in GROUPS:
        return FieldSpec(path, "group", (path,))
    try:
        ref = parse_field(path)
    except ValueError:
        raise QueryError(
            [
                {
                    "field": where,
                    "message": "must be customer_id, customer.created_at, metrics, traits, "
                    "tiers, metrics.<name>, traits.<key>[.<key>...] or tiers.<scheme>",
                    "code": "unknown_field",
                }
            ]
        ) from None
    if ref.namespace == "customer":
        return FieldSpec(path, "created_at", ("created_at",))
    if ref.namespace == "traits":
        return FieldSpec(path, "trait", ("traits", *ref.path))
    name = ref.name
    if ref.namespace == "tiers":
        if name not in catalog.schemes:
            raise _unknown(where, f"no scheme '{name}' in this workspace", "unknown_scheme")
        return FieldSpec(path, "tier", ("tiers", name))
    kind = catalog.metric_kind(name)
    if kind is None:
        raise _unknown(where, f"no metric '{name}' in this workspace", "unknown_metric")
    return FieldSpec(path, "metric", ("metrics", name), kind)


def _unknown(where: str, message: str, code: str) -> QueryError:
    return QueryError([{"field": where, "message": message, "code": code}])


def check_condition(condition: Node | None, catalog: FieldCatalog) -> None:
    if condition is None:
        return
    errors: list[ConditionError] = check(condition, catalog)
    if errors:
        raise QueryError([e.field_error("condition") for e in errors])


@dataclass(frozen=True, slots=True)
class SortKey:
    field: FieldSpec
    direction: Direction


MAX_COMPUTED_METRICS = 16
"""Distinct metrics computed from roll-ups (windows, user-defined aggregations) one query may
read in its condition and sort: each is a subquery per customer, the cost of a query."""


def computed_metrics(
    condition: Node | None, sort: Sequence[SortKey], definitions: Sequence[Definition]
) -> set[str]:
    names = referenced_metrics(condition) if condition is not None else set()
    names |= {key.field.ref[1] for key in sort if key.field.kind == "metric"}
    return {name for name in names if reads_rollups(name, definitions)}


def check_cost(
    condition: Node | None, sort: Sequence[SortKey], definitions: Sequence[Definition]
) -> None:
    """Refuses a query that would compute more than ``MAX_COMPUTED_METRICS`` metrics per
    customer, before it runs."""
    computed = computed_metrics(condition, sort, definitions)
    if len(computed) > MAX_COMPUTED_METRICS:
        raise QueryError(
            [
                {
                    "field": "condition",
                    "message": f"reads {len(computed)} metrics computed from windows or "
                    f"your aggregations ({', '.join(sorted(computed))}); one query may read "
                    f"at most {MAX_COMPUTED_METRICS}",
                    "code": "too_costly",
                }
            ]
        )


@dataclass(frozen=True, slots=True)
class Query:
    """A checked query of one workspace as of ``now``."""

    workspace_id: UUID
    condition: Node | None
    sort: tuple[SortKey, ...]
    fields: tuple[FieldSpec, ...]
    definitions: tuple[Definition, ...]
    metric_kinds: Mapping[str, MetricKind]
    scheme_keys: tuple[str, ...]
    now: datetime
    currency: str
    """The workspace's base currency, which items show money in."""
    segment: str | None = None  # only the stored members of this saved segment

    @property
    def metric_names(self) -> list[str]:
        """The metrics of the ``metrics`` field: the built-ins and the user-defined ones."""
        return [*BUILTIN_METRIC_KINDS, *(d.name for d in self.definitions)]

    def computed_metrics(self) -> set[str]:
        """The metrics the condition and sort read that are computed from roll-ups."""
        return computed_metrics(self.condition, self.sort, self.definitions)

    def sources(self) -> tuple[sa.FromClause, Columns]:
        """The FROM of the query's statements and the fields over it: each metric the
        condition and sort read from roll-ups computed once per customer."""
        columns = customer_columns(
            self.workspace_id, list(self.definitions), self.now, stored_tier(self.workspace_id)
        )
        return computed_once(columns, self.computed_metrics())

    def where(self, columns: Columns) -> list[SqlExpr]:
        clauses = [customers.c.workspace_id == sa.literal(self.workspace_id, sa.Uuid())]
        if self.condition is not None:
            clauses.append(compile_condition(self.condition, columns, self.now))
            clauses += index_hints(self.condition, self.workspace_id)
        if self.segment is not None:
            m = segment_members.c
            clauses.append(
                sa.exists().where(
                    m.workspace_id == customers.c.workspace_id,
                    m.segment_key == sa.literal(self.segment, sa.Text()),
                    m.customer_id == customers.c.customer_id,
                )
            )
        return clauses

    def fingerprint(self) -> str:
        """Identifies the condition and sort (not the fields, which may change per page)."""
        condition = None
        if self.condition is not None:
            condition = condition_json(self.condition)
        sort = [[key.field.path, key.direction] for key in self.sort]
        return json.dumps([condition, sort], separators=(",", ":"), sort_keys=True)


def _conjuncts(condition: Node) -> list[Node]:
    """The parts of the condition that must each hold: ``all`` opened, recursively."""
    if isinstance(condition, AllCondition):
        return [part for item in condition.all for part in _conjuncts(item)]
    return [condition]


def _equal_to(node: Node | None) -> tuple[Operand, ...] | None:
    """The values of an ``eq`` or ``in`` comparison; None for any other node."""
    if isinstance(node, EqualityComparison) and node.op == "eq":
        return (node.operand,)
    if isinstance(node, MembershipComparison) and node.op == "in":
        return node.operands
    return None


def index_hints(condition: Node, workspace_id: UUID) -> list[SqlExpr]:
    """Predicates the condition implies, written so that an index can answer them.

    The compiled condition never yields NULL, which keeps it exact but hides it from the
    planner; these are added beside it, so the result is the same and PostgreSQL may start
    from the GIN index on traits (``traits @> {...}`` for a trait that must equal a value) or
    from the tier index (the customers holding one of the tiers a scheme must be in).
    """
    hints: list[SqlExpr] = []
    for part in _conjuncts(condition):
        operands = _equal_to(part)
        if operands is None:
            continue
        assert isinstance(part, EqualityComparison | MembershipComparison)
        if part.ref.namespace == "tiers":
            t = customer_tiers.c
            holders = sa.select(t.customer_id).where(
                t.workspace_id == sa.literal(workspace_id, sa.Uuid()),
                t.scheme_key == sa.literal(part.ref.name, sa.Text()),
                t.tier == sa.any_(sa.literal([str(o) for o in operands], ARRAY(sa.Text()))),
            )
            hints.append(customers.c.customer_id.in_(holders))
        elif part.ref.namespace == "traits" and isinstance(part, EqualityComparison):
            value = part.operand
            if isinstance(value, datetime):
                continue
            # An exact JSON number for a Decimal, as the compiler writes it.
            text = str(value) if isinstance(value, Decimal) else json.dumps(value)
            for key in reversed(part.ref.path):
                text = "{" + json.dumps(key) + ":" + text + "}"
            contained = sa.cast(sa.literal(text, sa.Text()), JSONB)
            hints.append(customers.c.traits.op("@>", return_type=sa.Boolean)(contained))
    return hints


def sort_expression(spec: FieldSpec, columns: Columns) -> SqlExpr:
    """A sortable SQL value of the field; traits sort as jsonb (by JSON type, then value)."""
    if spec.kind == "id":
        return customers.c.customer_id
    if spec.kind == "created_at":
        return customers.c.created_at
    if spec.kind == "tier":
        return columns.tier(spec.ref[1])
    if spec.kind == "trait":
        return customers.c.traits.op("#>", return_type=JSONB)(
            sa.literal(list(spec.ref[1:]), ARRAY(sa.Text()))
        )
    return _metric(spec.ref[1], columns)


def _metric(name: str, columns: Columns) -> SqlExpr:
    expr = columns.metric(name)
    # No event of a type yet is a count of 0, as the rules read it.
    return sa.func.coalesce(expr, 0) if is_event_count(name) else expr


# --- selecting fields ------------------------------------------------------------------


def _field_columns(query: Query, i: int, spec: FieldSpec, columns: Columns) -> list[SqlExpr]:
    """The labelled columns field ``i`` needs: ``f<i>``, or ``f<i>_<n>`` for the metrics
    group (one per metric, then the event counts), each with its SQL type kept."""
    if spec.kind != "group":
        return [sort_expression(spec, columns).label(f"f{i}")]
    group = spec.ref[0]
    if group == "traits":
        return [customers.c.traits.label(f"f{i}")]
    if group == "tiers":
        t = customer_tiers.c
        tiers = (
            sa.select(sa.func.jsonb_object_agg(t.scheme_key, t.tier))
            .where(
                t.workspace_id == sa.literal(query.workspace_id, sa.Uuid()),
                t.customer_id == customers.c.customer_id,
            )
            .scalar_subquery()
        )
        return [tiers.label(f"f{i}")]
    metrics = [columns.metric(name).label(f"f{i}_{n}") for n, name in enumerate(query.metric_names)]
    return [*metrics, customers.c.event_counts.label(f"f{i}_{len(metrics)}")]


def _select_list(query: Query, columns: Columns) -> list[SqlExpr]:
    return [
        column
        for i, spec in enumerate(query.fields)
        for column in _field_columns(query, i, spec, columns)
    ]


def _metrics_group(query: Query, i: int, row: Any) -> dict[str, Any]:
    names = query.metric_names
    event_counts = getattr(row, f"f{i}_{len(names)}")
    metrics: dict[str, Any] = {
        f"{event_type}_count": int(count) for event_type, count in sorted(event_counts.items())
    }
    for n, name in enumerate(names):
        metrics[name] = metric_value(
            query.metric_kinds[name], getattr(row, f"f{i}_{n}"), query.currency
        )
    return metrics


def item_of(query: Query, row: Any) -> dict[str, Any]:
    """One result row as the API shows it: fields nested by their path."""
    item: dict[str, Any] = {}
    for i, spec in enumerate(query.fields):
        if spec.kind == "group":
            group = spec.ref[0]
            if group == "metrics":
                values = _metrics_group(query, i, row)
            else:
                values = getattr(row, f"f{i}") or {}
            item[group] = {**item.get(group, {}), **values}
            continue
        value = getattr(row, f"f{i}")
        if spec.kind == "metric":
            value = metric_value(spec.metric_kind, value, query.currency)
        elif spec.kind == "created_at":
            value = value.astimezone(UTC)
        _put(item, spec.ref, value)
    return item


def _put(item: dict[str, Any], path: Sequence[str], value: Any) -> None:
    target = item
    for key in path[:-1]:
        nested = target.get(key)
        if not isinstance(nested, dict):
            nested = target[key] = {}
        target = nested
    target[path[-1]] = value


# --- sorting and the keyset cursor -------------------------------------------------------


def _cursor_value(spec: FieldSpec, value: Any) -> Any:
    """A sort value as the cursor keeps it (JSON-safe, exact)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _bound(spec: FieldSpec, value: Any) -> SqlExpr:
    """A cursor value back as a typed parameter; ``InvalidCursor`` when it cannot be one."""
    try:
        if spec.kind in ("id", "tier"):
            if not isinstance(value, str):
                raise ValueError(value)
            return sa.literal(value, sa.Text())
        if spec.kind == "created_at" or spec.metric_kind == "timestamp":
            return sa.literal(datetime.fromisoformat(value), sa.DateTime(timezone=True))
        if spec.kind == "trait":
            # The trait's JSON value as the row had it: a string, a number, a boolean...
            return sa.cast(sa.literal(json.dumps(value), sa.Text()), JSONB)
        if spec.metric_kind == "count":
            if type(value) is not int:
                raise ValueError(value)
            return sa.literal(value, sa.BigInteger())
        return sa.literal(Decimal(value), sa.Numeric())
    except (TypeError, ValueError, InvalidOperation) as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error


def _checksum(fingerprint: str, key: list[Any]) -> str:
    payload = json.dumps([fingerprint, key], separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def encode(query: Query, row: Any) -> str:
    key = [_cursor_value(k.field, getattr(row, f"s{i}")) for i, k in enumerate(query.sort)]
    key.append(row.customer_id)
    return encode_cursor([_checksum(query.fingerprint(), key), *key])


def decode(query: Query, cursor: str) -> list[Any]:
    raw = decode_cursor(cursor, len(query.sort) + 2)
    checksum, key = raw[0], raw[1:]
    # The checksum tells a stale cursor from another query's, but anyone can compute one:
    # a made-up key must not reach PostgreSQL with a character its text cannot hold.
    if contains_nul(key):
        raise InvalidCursor("The cursor is not one this service issued.")
    if checksum != _checksum(query.fingerprint(), key) or not isinstance(key[-1], str):
        raise InvalidCursor(
            "The cursor was altered or belongs to another query: pass the same condition "
            "and sort as the page it came from."
        )
    return key


def _after(sort_exprs: list[tuple[SqlExpr, SortKey]], key: list[Any]) -> SqlExpr:
    """Rows strictly after ``key`` in the order ``sort_exprs`` then customer id, NULLs last."""
    clauses: list[SqlExpr] = []
    equal: list[SqlExpr] = []
    for (expr, sort_key), value in zip(sort_exprs, key, strict=False):
        if value is None:
            equal.append(expr.is_(None))  # only NULLs tie with NULL, and nothing comes after
            continue
        bound = _bound(sort_key.field, value)
        beyond = expr < bound if sort_key.direction == "desc" else expr > bound
        clauses.append(sa.and_(*equal, sa.or_(beyond, expr.is_(None))))
        equal.append(expr == bound)
    clauses.append(sa.and_(*equal, customers.c.customer_id > sa.literal(key[-1], sa.Text())))
    return sa.or_(*clauses)


def _ordered(sort_exprs: list[tuple[SqlExpr, SortKey]]) -> list[Any]:
    order: list[Any] = [
        (expr.desc() if key.direction == "desc" else expr.asc()).nulls_last()
        for expr, key in sort_exprs
    ]
    order.append(customers.c.customer_id.asc())
    return order


def search_statement(query: Query, cursor: str | None, limit: int) -> sa.Select[Any]:
    source, columns = query.sources()
    sort_exprs = [(sort_expression(key.field, columns), key) for key in query.sort]
    where = query.where(columns)
    if cursor is not None:
        where.append(_after(sort_exprs, decode(query, cursor)))
    return (
        sa.select(
            customers.c.customer_id,
            *(expr.label(f"s{i}") for i, (expr, _) in enumerate(sort_exprs)),
            *_select_list(query, columns),
        )
        .select_from(source)
        .where(*where)
        .order_by(*_ordered(sort_exprs))
        .limit(limit + 1)
    )


async def plan_for_these_values(conn: AsyncConnection) -> None:
    """Makes PostgreSQL plan this transaction's queries for their own values, on a connection
    of the main engine (the export's; the query engine's sessions always do, see
    ``app.db.engine.create_query_engine`` for why)."""
    await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


Page = tuple[list[dict[str, Any]], str | None]
"""A page of items and the cursor of the next, if any."""


async def search(
    conn: AsyncConnection, query: Query, cursor: str | None, limit: int
) -> tuple[Page, int | None]:
    """A page, and the workspace's configuration version read by the same statement: one
    round trip on the query engine (two for an empty page, whose version is read after it:
    the version never goes back, so the same version then means the same before)."""
    version = config_version(query.workspace_id).label("config_version")
    statement = search_statement(query, cursor, limit).add_columns(version)
    rows = (await conn.execute(statement)).all()
    if rows:
        read = rows[0].config_version
    else:
        read = (await conn.execute(sa.select(config_version(query.workspace_id)))).scalar()
    items = [item_of(query, row) for row in rows[:limit]]
    return (items, encode(query, rows[limit - 1]) if len(rows) > limit else None), read


def _held_tiers(condition: Node | None) -> tuple[str, list[str]] | None:
    """The scheme and tiers when the whole condition is "holds one of these tiers"."""
    if not isinstance(condition, EqualityComparison | MembershipComparison):
        return None
    operands = _equal_to(condition)
    if operands is None or condition.ref.namespace != "tiers":
        return None
    return condition.ref.name, [str(operand) for operand in operands]


_TIER_COUNT = ("segments", "count by tier")


def _tier_count() -> sa.Select[int, int]:
    """How many customers of ``:workspace_id`` hold one of ``:tiers`` in ``:scheme``, and
    the workspace's configuration version. Every stored tier belongs to an existing customer
    (erasure removes both), so the tier index alone answers the most common count."""
    workspace_id = sa.bindparam("workspace_id", type_=sa.Uuid())
    t = customer_tiers.c
    return sa.select(sa.func.count(), config_version(workspace_id)).where(
        t.workspace_id == workspace_id,
        t.scheme_key == sa.bindparam("scheme", type_=sa.Text()),
        t.tier == sa.any_(sa.bindparam("tiers", type_=ARRAY(sa.Text()))),
    )


async def count(conn: AsyncConnection, query: Query) -> tuple[int, int | None]:
    """The count, and the workspace's configuration version read by the same statement (None
    once the workspace is deleted): one round trip on the query engine, which plans each
    statement for its values (``app.db.engine.create_query_engine``)."""
    held = _held_tiers(query.condition)
    if held is not None and query.segment is None:
        # The same statement for every count by tier: compiled once, run on the driver's
        # connection (a third of the time of building and running it with SQLAlchemy).
        scheme, tiers = held
        select = compiled_select(_TIER_COUNT, _tier_count, conn.dialect)
        values = {"workspace_id": query.workspace_id, "scheme": scheme, "tiers": tiers}
        # The query engine's connections begin no transaction: the driver's may run it.
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        # fetch, not fetchrow: asyncpg would ask for one row at a time, and PostgreSQL never
        # runs a query in parallel when it may be suspended after a few rows.
        found = (await raw.fetch(select.sql, *select.bound(values)))[0]
        return int(found[0]), found[1]
    statement = sa.select(sa.func.count(), config_version(query.workspace_id))
    source, columns = query.sources()
    statement = statement.select_from(source).where(*query.where(columns))
    row = (await conn.execute(statement)).one()
    return int(row[0]), row[1]


def export_statement(query: Query) -> sa.Select[Any]:
    """Every matching customer with the requested fields, in customer id order."""
    source, columns = query.sources()
    return (
        sa.select(customers.c.customer_id, *_select_list(query, columns))
        .select_from(source)
        .where(*query.where(columns))
        .order_by(customers.c.customer_id)
    )
