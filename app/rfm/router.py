"""HTTP routes for RFM refreshes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.api.deps import Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.rfm import service
from app.rfm.schemas import RfmRefreshOut, RfmRefreshResult

_RULE = (
    "Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` "
    "from 1 to 5 as `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` "
    "descending (the most recent order scores highest; days are whole UTC days), "
    "`order_count` ascending and `lifetime_spend` ascending. `cume_dist` is the share of "
    "customers whose value comes before or equals one's own, so equal values get equal "
    "scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without "
    "orders have null scores.\n\n"
    "Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` "
    "ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) = 3, 4 and 5; with `rfm_m` 3, the first two get "
    "`rfm_fm` round(2.5) = 3.\n\n"
    "The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and "
    "searches) but change only at a refresh: every 24 hours, or on request here."
)

router = APIRouter(prefix="/v1/schemes/rfm/refresh", tags=["Schemes"], responses=problems(401, 403))


@router.post(
    "",
    summary="Refresh the workspace's RFM scores",
    description=f"{_RULE}\n\nScores every customer now, in one statement, records the cut "
    "points, and queues the reclassification of the schemes and segments that read a score.",
)
async def refresh_rfm(
    conn: Transaction,
    now: Now,
    principal: Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))],
) -> RfmRefreshResult:
    refreshed = await service.refresh(conn, principal.workspace_id, now)
    return RfmRefreshResult.model_validate(refreshed.shown(principal.base_currency))


@router.get(
    "",
    summary="The last RFM refresh",
    description=f"{_RULE}\n\nWhen the scores were last computed, and the cut points then.",
    responses=problems(404),
)
async def get_rfm_refresh(
    conn: Transaction,
    principal: Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))],
) -> RfmRefreshOut:
    refreshed = await service.last_refresh(conn, principal.workspace_id)
    return RfmRefreshOut.model_validate(refreshed.shown(principal.base_currency))
