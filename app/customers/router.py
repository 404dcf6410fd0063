"""HTTP routes for customer profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.classification import flows, profile
from app.classification.schemas import Customer
from app.customers.schemas import Erasure, TraitsPatch, TraitsReplace
from app.events import service as events
from app.events.schemas import StoredEvent
from app.money import format_money
from app.pagination import DEFAULT_LIMIT, Page, next_cursor

router = APIRouter(prefix="/v1/customers", tags=["Customers"], responses=problems(401, 403))

Reader = Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))]
Writer = Annotated[Principal, Depends(require(Scope.CUSTOMERS_WRITE))]
CustomerIdPath = Annotated[
    str, Path(min_length=1, max_length=200, description="Your CRM's id for the customer.")
]


@router.get(
    "/{customer_id}",
    summary="A customer's traits, metrics and tiers",
    description="Metrics are as of now: windowed metrics move with the calendar.",
    responses=problems(404),
)
async def get_customer(
    customer_id: CustomerIdPath, conn: Transaction, now: Now, principal: Reader
) -> Customer:
    return Customer.model_validate(
        await profile.describe(
            conn, principal.workspace_id, customer_id, now, principal.base_currency
        )
    )


@router.put(
    "/{customer_id}",
    summary="Create a customer or replace its traits",
    responses=problems(400, 422),
)
async def put_customer(
    customer_id: CustomerIdPath, body: TraitsReplace, conn: Transaction, now: Now, principal: Writer
) -> Customer:
    customer = await flows.replace_traits(
        conn, principal.workspace_id, customer_id, body.traits, now, principal.base_currency
    )
    return Customer.model_validate(customer)


@router.patch(
    "/{customer_id}",
    summary="Merge traits into a customer",
    description="Given traits replace those of the same name; a `null` removes the trait. "
    "Creates the customer if needed.",
    responses=problems(400, 422),
)
async def patch_customer(
    customer_id: CustomerIdPath, body: TraitsPatch, conn: Transaction, now: Now, principal: Writer
) -> Customer:
    customer = await flows.merge_traits(
        conn, principal.workspace_id, customer_id, body.traits, now, principal.base_currency
    )
    return Customer.model_validate(customer)


@router.delete(
    "/{customer_id}",
    summary="Erase a customer and every row about them",
    description="Deletes the profile, events and roll-ups, and reports what was erased. "
    "Idempotent: erasing again reports zeros. The event ids are forgotten too, so events "
    "re-sent later are stored anew.",
)
async def erase_customer(
    customer_id: CustomerIdPath, conn: Transaction, now: Now, principal: Writer
) -> Erasure:
    erased = await flows.erase(conn, principal.workspace_id, customer_id, now)
    return Erasure(customer_id=customer_id, erased=erased)


def _stored_event(row: Any, base_currency: str) -> StoredEvent:
    def money(value: Any, currency: str) -> str | None:
        return None if value is None else format_money(value, currency)

    return StoredEvent(
        event_id=row.event_id,
        customer_id=row.customer_id,
        type=row.type,
        occurred_at=row.occurred_at,
        amount=money(row.amount, row.currency or base_currency),
        currency=row.currency,
        amount_base=money(row.amount_base, base_currency),
        fx_rate=None if row.fx_rate is None else f"{row.fx_rate.normalize():f}",
        properties=row.properties,
        received_at=row.received_at,
    )


@router.get(
    "/{customer_id}/events",
    summary="A customer's events, newest first",
    responses=problems(400, 404),
)
async def list_customer_events(
    customer_id: CustomerIdPath,
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[StoredEvent]:
    rows = await events.events_page(conn, principal.workspace_id, customer_id, cursor, limit)
    return Page[StoredEvent](
        items=[_stored_event(row, principal.base_currency) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.occurred_at.isoformat(), row.seq]),
    )
