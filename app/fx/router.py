"""HTTP routes for FX rates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api.deps import Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal, Workspace
from app.fx import service
from app.fx.schemas import RatesIn, RatesOut

router = APIRouter(prefix="/v1/fx-rates", tags=["FX rates"], responses=problems(401, 403))


def _rates_out(base_currency: str, rows: list[Any]) -> RatesOut:
    return RatesOut(
        base_currency=base_currency,
        rates={row.currency: f"{row.rate.normalize():f}" for row in rows},
        updated_at=max((row.updated_at for row in rows), default=None),
    )


@router.put(
    "",
    summary="Set the workspace's FX rates",
    description="Replaces every rate. An amount is converted once, when its event arrives, "
    "with the rate in force then; changing a rate never rewrites stored events.",
    responses=problems(422),
)
async def put_fx_rates(
    body: RatesIn,
    conn: Transaction,
    now: Now,
    principal: Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))],
) -> RatesOut:
    workspace = Workspace(principal.workspace_id, principal.base_currency)
    await service.replace_rates(conn, workspace.id, workspace.base_currency, body.rates, now)
    return _rates_out(workspace.base_currency, await service.current_rates(conn, workspace.id))


@router.get("", summary="The workspace's FX rates")
async def get_fx_rates(
    conn: Transaction,
    principal: Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))],
) -> RatesOut:
    workspace = Workspace(principal.workspace_id, principal.base_currency)
    return _rates_out(workspace.base_currency, await service.current_rates(conn, workspace.id))
