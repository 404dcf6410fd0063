"""HTTP routes for sending events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.api.deps import Ingestion, LeanRoute, ingestion
from app.api.limits import MAIN_POOL, RAW_POOL
from app.api.problems import error_problem
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Workspace
from app.auth.service import UNKNOWN_KEY, authorize
from app.errors import Unauthorized
from app.events import backfill, batch, service
from app.events.schemas import BatchIn, BatchResult, EventCreated, EventIn
from app.tiers.policy import Change

router = APIRouter(prefix="/v1/events", tags=["Events"], responses=problems(401, 403, 413, 415))

Ingest = Annotated[Ingestion, Depends(ingestion(Scope.EVENTS_WRITE))]


def _change(change: Change) -> dict[str, Any]:
    # Field by field: ``dataclasses.asdict`` copies deeply, several times slower per event.
    return {
        "scheme": change.scheme,
        "version": change.version,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "reason": change.reason,
    }


def item_result(result: service.ItemResult) -> dict[str, Any]:
    """A batch item's result as the API shows it: a rejection with its problem+json body."""
    if isinstance(result, service.Rejected):
        return {
            "event_id": result.event_id,
            "status": "rejected",
            "problem": error_problem(result.error),
        }
    return {
        "event_id": result.event_id,
        "status": result.status,
        "tier_changes": [_change(change) for change in result.tier_changes],
    }


REPLAY_EXAMPLE: dict[str, Any] = {
    "status": "duplicate",
    "event_id": "ord-1001",
    "customer": None,
    "tier_changes": [],
}
"""A replay as a key without ``customers:read`` sees it (with it, ``customer`` is the
profile, as for a ``201``)."""


async def send_event(body: EventIn, context: Ingest) -> Response:
    outcome = await context.batcher.submit(context.config, context.key_hash, body)
    created = EventCreated.model_validate(
        {
            "status": outcome.status,
            "event_id": outcome.event_id,
            "customer": outcome.customer,
            "tier_changes": [_change(change) for change in outcome.tier_changes],
        }
    )
    # Serialised once, here: FastAPI would validate the model again before dumping it.
    return Response(
        created.model_dump_json(),
        status.HTTP_201_CREATED if outcome.status == "created" else status.HTTP_200_OK,
        media_type="application/json",
    )


router.add_api_route(
    "",
    send_event,
    methods=["POST"],
    # Every event comes this way: the lean handler spares it FastAPI's per-request machinery.
    route_class_override=LeanRoute,
    status_code=status.HTTP_201_CREATED,
    response_model=EventCreated,
    summary="Send one event",
    description="Stores the event and updates the customer's metrics in one transaction. "
    "`201` with `status: created`, or `200` with `status: duplicate` when this `event_id` was "
    "already stored with the same body (nothing changes). The same `event_id` with a "
    "different body is a `409`. The response carries the tier changes the event caused "
    "and, for a key that also holds `customers:read`, the customer's resulting traits, "
    "metrics and tiers (`customer` is `null` otherwise).",
    responses={
        200: {
            "model": EventCreated,
            "description": "A replay: already stored, nothing changed.",
            # Else the docs would show the 201's example, `created`, for a replay too.
            "content": {"application/json": {"example": REPLAY_EXAMPLE}},
        },
        **problems(400, 409, 422),
    },
)


async def send_batch(body: BatchIn, context: Ingest) -> Response:
    workspace_id = context.config.workspace_id
    if body.mode == "backfill":
        async with (
            context.limits.connection(MAIN_POOL, workspace_id),
            context.engine.begin() as conn,
        ):
            # The bulk path reads what it needs itself; the key is confirmed current here.
            config = await context.configs.current(
                conn, context.key_hash, context.config.workspace_id
            )
            if config is None:
                raise Unauthorized(UNKNOWN_KEY)
            authorize(config.principals[context.key_hash], Scope.EVENTS_WRITE)
            workspace = Workspace(config.workspace_id, config.base_currency)
            results = await backfill.backfill_batch(
                conn, workspace, body.events, context.now, notify=body.notify
            )
    else:
        async with context.limits.connection(RAW_POOL, workspace_id), context.pool.acquire() as raw:
            results = await batch.ingest_batch(
                raw,
                context.engine,
                context.configs,
                context.config,
                context.key_hash,
                body.events,
                context.now,
            )
    answer = BatchResult.model_validate({"results": [item_result(result) for result in results]})
    return Response(answer.model_dump_json(), media_type="application/json")


router.add_api_route(
    "/batch",
    send_batch,
    methods=["POST"],
    # The lean handler parses a large body off the event loop (app.api.deps.parsed_body).
    route_class_override=LeanRoute,
    response_model=BatchResult,
    summary="Send up to 1,000 events",
    description="Each event is judged alone: a bad one is `rejected` with its problem and never "
    "rejects the others. Results come back in request order. Body limit 10 MiB. "
    'With `"mode": "backfill"` the batch takes the bulk path of `tierline import`, for '
    "loading history.",
    responses=problems(400, 422),
)
