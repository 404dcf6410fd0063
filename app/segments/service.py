"""Customer queries and saved segments.

A segment's members are kept up to date by ``app.segments.membership``; saving a definition
applies it to every customer in the background (the ``segment_membership`` job), in chunks
under the customers' row locks, as a new scheme version is applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.keys import Scope, grants
from app.customers import repository as customer_store
from app.customers.service import CustomerNotFound
from app.db import Record
from app.errors import Forbidden, InvalidInput, NotFound
from app.jobs import service as jobs
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.pagination import decode_key, decode_seq
from app.rules.fields import FieldCatalog
from app.rules.schema import Node, dotted, walk
from app.segments import MEMBERSHIP_JOB, repository
from app.segments.query import (
    DEFAULT_FIELDS,
    FieldSpec,
    Query,
    QueryError,
    SortKey,
    check_condition,
    check_cost,
    resolve_field,
)
from app.segments.schemas import SegmentIn
from app.segments.schemas import SortKey as SortKeyIn
from app.tiers import repository as schemes
from app.tiers.policy import Scheme
from app.tiers.service import catalog_of
from app.validation import KEY_PATTERN


class SegmentNotFound(NotFound):
    pass


async def catalog(conn: AsyncConnection, workspace_id: UUID) -> FieldCatalog:
    definitions = await user_metrics.definitions(conn, workspace_id)
    return catalog_of(definitions, await schemes.active_schemes(conn, workspace_id))


PROFILE_NAMESPACES = frozenset({"traits", "customer"})
"""The fields of a customer's profile beyond its id, metrics and tiers (``traits.*``,
``customer.created_at``): a query reads them only for a key with ``customers:read``."""


def check_profile_access(
    scopes: frozenset[str],
    condition: Node | None,
    sort: Sequence[SortKeyIn] = (),
    fields: Sequence[str] | None = None,
) -> None:
    """Refuses (403 naming ``customers:read``) a query that selects, filters or sorts by a
    trait or other profile field for a key without that scope: selecting shows the values,
    filtering or sorting by them lets the caller probe them, a customer at a time. Checked
    before the query is, so the refusal does not depend on the fields existing."""
    if grants(scopes, Scope.CUSTOMERS_READ):
        return
    named = [(f"fields.{i}", path) for i, path in enumerate(fields or ())]
    if condition is not None:
        named += [(f"{dotted(at)}.field", str(c.ref)) for at, c in walk(condition, ("condition",))]
    named += [(f"sort.{i}.field", key.field) for i, key in enumerate(sort)]
    for where, path in named:
        if path.split(".", 1)[0] in PROFILE_NAMESPACES:
            raise Forbidden(
                f"{where}: '{path}' reads the customers' profiles, which needs the "
                f"'{Scope.CUSTOMERS_READ.value}' scope; without it a query may select, "
                "filter and sort by customer_id, metrics and tiers only.",
                required_scope=Scope.CUSTOMERS_READ.value,
            )


async def build_query(
    conn: AsyncConnection,
    workspace_id: UUID,
    now: datetime,
    currency: str,
    condition: Node | None,
    sort: list[SortKeyIn] | None = None,
    fields: list[str] | None = None,
    segment: str | None = None,
) -> Query:
    """The query, checked against the workspace's metrics and schemes as stored now; its
    items show money in ``currency``, the workspace's base currency."""
    definitions = await user_metrics.definitions(conn, workspace_id)
    active = await schemes.active_schemes(conn, workspace_id)
    return query_of(
        workspace_id, now, currency, definitions, active, condition, sort, fields, segment
    )


def query_of(
    workspace_id: UUID,
    now: datetime,
    currency: str,
    definitions: Sequence[Definition],
    active: Iterable[Scheme],
    condition: Node | None,
    sort: list[SortKeyIn] | None = None,
    fields: list[str] | None = None,
    segment: str | None = None,
) -> Query:
    """The query, checked against these metric definitions and active schemes (as stored,
    or a cached configuration's): every problem is reported in one 422."""
    known = catalog_of(definitions, active)
    errors: list[dict[str, str]] = []
    try:
        check_condition(condition, known)
    except QueryError as error:
        errors += error.errors
    sort_keys: list[SortKey] = []
    for i, key in enumerate(sort or []):
        where = f"sort.{i}.field"
        try:
            spec = resolve_field(key.field, known, where)
        except QueryError as error:
            errors += error.errors
            continue
        if not spec.sortable:
            errors.append(
                {
                    "field": where,
                    "message": f"'{key.field}' is a group of values; sort by one of them, "
                    f"e.g. '{key.field}.<name>'",
                    "code": "not_sortable",
                }
            )
        sort_keys.append(SortKey(spec, key.direction))
    specs: list[FieldSpec] = []
    for i, path in enumerate(fields if fields is not None else DEFAULT_FIELDS):
        try:
            specs.append(resolve_field(path, known, f"fields.{i}"))
        except QueryError as error:
            errors += error.errors
    if not errors:
        try:
            check_cost(condition, sort_keys, definitions)
        except QueryError as error:
            errors += error.errors
    if errors:
        raise InvalidInput(errors)
    return Query(
        workspace_id=workspace_id,
        condition=condition,
        sort=tuple(sort_keys),
        fields=tuple(specs),
        definitions=tuple(definitions),
        metric_kinds=known.metrics,
        scheme_keys=tuple(sorted(known.schemes)),
        now=now,
        currency=currency,
        segment=segment,
    )


# --- saved segments ----------------------------------------------------------------------


async def put(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    body: SegmentIn,
    saved_by: UUID | None,
    now: datetime,
) -> tuple[Record, bool]:
    """Saves a new version of the segment and queues its application to every customer."""
    await schemes.lock_schemes(conn, workspace_id)  # what the condition reads stays put
    try:
        check_condition(body.condition, await catalog(conn, workspace_id))
    except QueryError as error:
        raise InvalidInput(error.errors) from None
    definition = body.model_dump(mode="json", by_alias=True)
    version, created = await repository.save(conn, workspace_id, key, definition, saved_by, now)
    job_id = await jobs.create(
        conn, workspace_id, MEMBERSHIP_JOB, {"segment": key, "version": version}, now
    )
    await repository.set_job(conn, workspace_id, key, job_id)
    return await get(conn, workspace_id, key), created


async def get(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record:
    row = await repository.get(conn, workspace_id, key)
    if row is None:
        raise SegmentNotFound(f"No segment '{key}' in this workspace.")
    return row


async def get_active(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record:
    row = await get(conn, workspace_id, key)
    if row.archived_at is not None:
        raise SegmentNotFound(f"Segment '{key}' is archived; save it again to revive it.")
    return row


async def list_page(
    conn: AsyncConnection, workspace_id: UUID, cursor: str | None, limit: int, archived: bool
) -> list[Record]:
    after = decode_key(cursor, KEY_PATTERN)
    return await repository.page(conn, workspace_id, after, limit, archived)


async def archive(conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime) -> None:
    """Archives the segment: its members are dropped, their history stays."""
    await get(conn, workspace_id, key)
    await repository.archive(conn, workspace_id, key, now)


async def members_page(
    conn: AsyncConnection, workspace_id: UUID, key: str, cursor: str | None, limit: int
) -> list[Record]:
    await get_active(conn, workspace_id, key)
    return await repository.members_page(conn, workspace_id, key, decode_key(cursor, ".+"), limit)


async def member_count(conn: AsyncConnection, workspace_id: UUID, key: str) -> int:
    await get_active(conn, workspace_id, key)
    return await repository.member_count(conn, workspace_id, key)


async def _existing_customer(conn: AsyncConnection, workspace_id: UUID, customer_id: str) -> None:
    if await customer_store.get(conn, workspace_id, customer_id) is None:
        raise CustomerNotFound(f"No customer '{customer_id}' in this workspace.")


async def customer_segments(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str
) -> list[Record]:
    await _existing_customer(conn, workspace_id, customer_id)
    return await repository.customer_segments(conn, workspace_id, customer_id)


async def history_page(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, cursor: str | None, limit: int
) -> list[Record]:
    await _existing_customer(conn, workspace_id, customer_id)
    before = decode_seq(cursor)
    return await repository.history_page(conn, workspace_id, customer_id, before, limit)
