"""HTTP routes for tier analytics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.analytics import service
from app.analytics.schemas import (
    Distribution,
    Interval,
    Performance,
    SegmentFlows,
    TierTransitions,
)
from app.api.deps import Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.validation import KEY_PATTERN, Day, Moment

router = APIRouter(prefix="/v1/analytics", tags=["Analytics"], responses=problems(401, 403))

Reader = Annotated[Principal, Depends(require(Scope.SEGMENTS_READ))]
SchemeKey = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        description="The scheme's key, e.g. `value`. An archived scheme still answers from "
        "its history.",
    ),
]

FirstDay = Annotated[
    Day | None, Query(alias="from", description="First day (UTC) of the period, inclusive.")
]
LastDay = Annotated[
    Day | None, Query(alias="to", description="Last day (UTC) of the period, inclusive.")
]

_PERIOD_RULES = "`from` after `to`, or a period longer than 3,660 days, is a `422` naming `from`."


@router.get(
    "/schemes/{key}/distribution",
    summary="How many customers hold each tier, now or at a past moment",
    description="Without `as_of`: the current tiers. With `as_of`: each customer's tier at "
    "that moment according to the tier history (its latest change at or before `as_of`). "
    "Customers who were erased since are not counted in the past either: their history is "
    "erased with them. An archived scheme has no holders from the moment it was archived. "
    '`share` is `count / total` with 4 decimals, rounded half-even (`"0.0000"` when '
    "`total` is 0).",
    responses=problems(404, 422),
)
async def tier_distribution(
    key: SchemeKey,
    conn: Transaction,
    now: Now,
    principal: Reader,
    as_of: Annotated[
        Moment | None,
        Query(
            description="A moment with a timezone, e.g. `2026-11-01T00:00:00Z`; omit for now.",
        ),
    ] = None,
) -> Distribution:
    return await service.distribution(conn, principal.workspace_id, key, as_of, now)


@router.get(
    "/schemes/{key}/transitions",
    summary="Tier changes over a period: who moved where, who entered, who left",
    description="Counts the tier history of the scheme with `changed_at` in `[from, to)`: "
    "changes from one tier to another (`transitions`), first tiers (`entered`: new "
    "customers, or every customer when the scheme was created), and customers erased from "
    "the workspace with the tier they held (`left`). A customer who moved twice counts "
    "twice. Customers erased later do not appear in `transitions` or `entered`: their "
    "history is erased with them. Defaults: `to` now, `from` 30 days before `to`. "
    f"{_PERIOD_RULES}",
    responses=problems(404, 422),
)
async def tier_transitions(
    key: SchemeKey,
    conn: Transaction,
    now: Now,
    principal: Reader,
    start: Annotated[
        Moment | None,
        Query(alias="from", description="Start of the period, inclusive, with a timezone."),
    ] = None,
    end: Annotated[
        Moment | None,
        Query(alias="to", description="End of the period, exclusive, with a timezone."),
    ] = None,
) -> TierTransitions:
    return await service.transitions(conn, principal.workspace_id, key, start, end, now)


@router.get(
    "/schemes/{key}/performance",
    summary="What each tier's customers brought in over a period",
    description="Groups customers by the tier they held at the start of the period "
    "(midnight UTC of `from`, from the tier history) and sums their daily roll-ups over the "
    "period's UTC days: `revenue` (orders minus refunds, in the workspace's base currency), "
    "`orders`, `average_order_value` (order amounts before refunds / orders, rounded "
    "half-even to 2 places, or to the currency's minor units where it has more) and "
    "`retention` (share of the row's customers who ordered at least "
    "once in the period, 4 decimals, rounded half-even). Every tier of the current version "
    "has a row; a last row with `tier: null` holds the newcomers: customers who held no tier "
    "at the start but got their first one before the end of the period or ordered in it. "
    "Customers who held no tier and did nothing in the period are in no row. Defaults: the "
    f"30 days ending today. {_PERIOD_RULES}",
    responses=problems(404, 422),
)
async def tier_performance(
    key: SchemeKey,
    conn: Transaction,
    now: Now,
    principal: Reader,
    first: FirstDay = None,
    last: LastDay = None,
) -> Performance:
    return await service.performance(
        conn, principal.workspace_id, key, first, last, now, principal.base_currency
    )


@router.get(
    "/segments/{key}/flows",
    summary="A saved segment's entries and exits per month, week or day, and its size",
    description="Counts the segment's history (`GET /v1/customers/{id}/segments/history`) "
    "with `changed_at` in the UTC days `from` to `to`, both inclusive, per calendar month, "
    "ISO week or day, and the members at the end of each period: the members now less the "
    "entries and plus the exits after it. Customers erased since are not counted: their "
    "history and memberships are erased with them. Defaults: `to` today, `from` the first "
    "day of the month eleven months before (twelve months). An archived segment still "
    f"answers from its history. {_PERIOD_RULES}",
    responses=problems(404, 422),
)
async def segment_flows(
    key: Annotated[str, Path(pattern=KEY_PATTERN, description="The segment's key.")],
    conn: Transaction,
    now: Now,
    principal: Reader,
    first: FirstDay = None,
    last: LastDay = None,
    interval: Annotated[
        Interval, Query(description="The length of each row: `month`, `week` or `day`.")
    ] = "month",
) -> SegmentFlows:
    return await service.segment_flows(
        conn, principal.workspace_id, key, first, last, interval, now
    )
