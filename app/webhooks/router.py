"""HTTP routes for webhook endpoints and the messages sent to them."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, status

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.idempotency import Idempotent
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.db import Record
from app.pagination import DEFAULT_LIMIT, Page, next_cursor
from app.validation import Moment
from app.vault import Vault
from app.webhooks import messages, service
from app.webhooks.payloads import PAYLOADS
from app.webhooks.schemas import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointIn,
    EndpointPatch,
    EndpointWithSecret,
    EventType,
    Message,
    PingSent,
    Requeued,
)

router = APIRouter(prefix="/v1/webhooks", tags=["Webhooks"], responses=problems(401, 403))

Manager = Annotated[Principal, Depends(require(Scope.WEBHOOKS_MANAGE))]
EndpointId = Annotated[UUID, Path(description="The endpoint's id.")]
MessageId = Annotated[UUID, Path(description="The message's id (its `webhook-id` header).")]


UrlErrors = list[dict[str, str]]


async def _url_errors(request: Request, url: str | None) -> UrlErrors:
    # Read per request, not at import: the operator's allow list lives in the app's settings,
    # and the app may have been given its own resolver of host names.
    state = request.app.state
    settings = state.settings
    return await service.check_url(
        url, settings.webhook_allowed_networks, settings.webhook_connect_timeout, state.lookup_host
    )


async def _new_endpoint(request: Request, body: EndpointIn) -> tuple[EndpointIn, UrlErrors]:
    return body, await _url_errors(request, body.url)


async def _endpoint_patch(request: Request, body: EndpointPatch) -> tuple[EndpointPatch, UrlErrors]:
    return body, await _url_errors(request, body.url)


# The body comes with its URL checked by a dependency that routes list before the
# transaction: FastAPI solves dependencies in order, so the DNS lookup (up to the connect
# timeout) runs before the request takes its workspace's turn and a pooled connection. Its
# problems wait for the 422 the service raises after authorization, so a key without the
# scope learns nothing from them.
NewEndpoint = Annotated[tuple[EndpointIn, UrlErrors], Depends(_new_endpoint)]
EndpointChanges = Annotated[tuple[EndpointPatch, UrlErrors], Depends(_endpoint_patch)]


def _endpoint(row: Any) -> Endpoint:
    return Endpoint.model_validate(row._mapping)


def _vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


Secrets = Annotated[Vault, Depends(_vault)]


def _with_secret(row: Any, secret: str) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate({**row._mapping, "secret": secret})


def _message(row: Any, deliveries: list[Any]) -> Message:
    return Message(
        id=row.id,
        type=row.type,
        customer_id=row.customer_id,
        sequence=row.seq,
        created_at=row.created_at,
        payload=messages.payload(
            row.type, row.created_at, row.data, row.seq, customer=row.customer_id is not None
        ),
        deliveries=[Delivery.model_validate(d._mapping) for d in deliveries],
    )


# --- endpoints -----------------------------------------------------------------------------


@router.post(
    "/endpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to webhook messages",
    description="Creates an endpoint and returns its signing secret, **shown only here and on "
    "rotation**. Messages are POSTed in the Standard Webhooks format and signed with the "
    "`webhook-id`, `webhook-timestamp` and `webhook-signature` headers; verify them with a "
    "Standard Webhooks library and this secret. The URL must be http(s), without "
    "credentials, and its host must resolve only to publicly routable addresses (not "
    "private, loopback, link-local or reserved, nor an IPv6 form of such an IPv4 address) "
    "unless the operator's allow list admits them. Filter schemes and segments must "
    "exist in the workspace (archived ones count), and each filter part must apply to a "
    "listed event type.",
    responses=problems(422),
)
async def create_endpoint(
    checked: NewEndpoint,
    conn: Transaction,
    now: Now,
    principal: Manager,
    vault: Secrets,
    idempotency: Idempotent,
) -> EndpointWithSecret:
    body, url_errors = checked
    await idempotency.claim(conn, principal.workspace_id)
    row, secret = await service.create(conn, principal.workspace_id, body, url_errors, now, vault)
    return await idempotency.keep(_with_secret(row, secret))


@router.get(
    "/endpoints",
    summary="List webhook endpoints, oldest first",
    responses=problems(400),
)
async def list_endpoints(
    conn: Transaction, principal: Manager, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[Endpoint]:
    rows = await service.list_page(conn, principal.workspace_id, cursor, limit)
    return Page[Endpoint](
        items=[_endpoint(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.created_at.isoformat(), str(row.id)]),
    )


@router.get(
    "/endpoints/{endpoint_id}",
    summary="A webhook endpoint",
    description="The secret is not shown; rotate it to get a new one.",
    responses=problems(404),
)
async def get_endpoint(endpoint_id: EndpointId, conn: Transaction, principal: Manager) -> Endpoint:
    return _endpoint(await service.get(conn, principal.workspace_id, endpoint_id))


@router.patch(
    "/endpoints/{endpoint_id}",
    summary="Change a webhook endpoint",
    description="Changes only the fields sent; `description` and `filter` can be cleared "
    "with null. A new URL is checked as on creation; the result must still make sense "
    "(every filter part applies to a listed event type). `enabled: true` on a disabled "
    "endpoint re-enables it and clears `disabled_reason`, `disabled_at` and "
    "`failing_since`; `false` disables it. Failed deliveries can be re-sent with `recover`.",
    responses=problems(404, 422),
)
async def update_endpoint(
    checked: EndpointChanges,
    endpoint_id: EndpointId,
    conn: Transaction,
    now: Now,
    principal: Manager,
) -> Endpoint:
    body, url_errors = checked
    row = await service.update(conn, principal.workspace_id, endpoint_id, body, url_errors, now)
    return _endpoint(row)


@router.delete(
    "/endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint",
    description="Its pending deliveries are dropped with it, with their attempt records.",
    responses=problems(404),
)
async def delete_endpoint(endpoint_id: EndpointId, conn: Transaction, principal: Manager) -> None:
    await service.delete(conn, principal.workspace_id, endpoint_id)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    summary="Rotate an endpoint's signing secret",
    description="Returns the endpoint with a new secret, shown only here. For 24 hours the "
    "previous secret keeps signing too (the `webhook-signature` header carries both "
    "signatures), so the subscriber can switch without rejecting a message. Rotating again "
    "within that day retires the oldest secret at once.",
    responses=problems(404),
)
async def rotate_secret(
    endpoint_id: EndpointId,
    conn: Transaction,
    now: Now,
    principal: Manager,
    vault: Secrets,
    idempotency: Idempotent,
) -> EndpointWithSecret:
    await idempotency.claim(conn, principal.workspace_id)
    row, secret = await service.rotate_secret(conn, principal.workspace_id, endpoint_id, now, vault)
    return await idempotency.keep(_with_secret(row, secret))


@router.post(
    "/endpoints/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a test message to an endpoint",
    description="Queues a `ping` message to this endpoint only, whatever its event types, "
    'with data `{"endpoint_id": ..., "message": "Ping from Tierline"}`; follow it with '
    "`GET /v1/webhooks/messages/{message_id}`. A disabled endpoint accepts it too: it is "
    "delivered once the endpoint is enabled.",
    responses=problems(404),
)
async def test_endpoint(
    endpoint_id: EndpointId,
    conn: Transaction,
    now: Now,
    principal: Manager,
    idempotency: Idempotent,
) -> PingSent:
    await idempotency.claim(conn, principal.workspace_id)
    message_id = await service.send_test(conn, principal.workspace_id, endpoint_id, now)
    return await idempotency.keep(PingSent(message_id=message_id))


@router.post(
    "/endpoints/{endpoint_id}/recover",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Re-send the messages an endpoint failed to receive",
    description="Queues again every `failed` delivery to this endpoint of a message created at "
    "or after `since`, from the start of the retry schedule. Use it once the receiver is "
    "fixed; messages keep their ids, so a receiver that stores them can drop duplicates.",
    responses=problems(404, 422),
)
async def recover_endpoint(
    endpoint_id: EndpointId,
    conn: Transaction,
    now: Now,
    principal: Manager,
    idempotency: Idempotent,
    since: Annotated[
        Moment,
        Query(
            description="The earliest message creation time to re-send, with a timezone; "
            "not in the future.",
            examples=["2026-11-19T00:00:00Z"],
        ),
    ],
) -> Requeued:
    await idempotency.claim(conn, principal.workspace_id)
    requeued = await service.recover(conn, principal.workspace_id, endpoint_id, since, now)
    return await idempotency.keep(Requeued(requeued=requeued))


# --- messages ------------------------------------------------------------------------------

TypeFilter = Annotated[
    EventType | None, Query(alias="type", description="Only messages of this type.")
]
CustomerFilter = Annotated[
    str | None, Query(max_length=255, description="Only messages about this customer.")
]


@router.get(
    "/messages",
    summary="List webhook messages, newest first",
    description="Every message the outbox wrote (one is written only when some endpoint "
    "wants it), with its payload and its delivery to each endpoint.",
    responses=problems(400, 422),
)
async def list_messages(
    conn: Transaction,
    principal: Manager,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    type_: TypeFilter = None,
    customer_id: CustomerFilter = None,
    delivery_status: Annotated[
        DeliveryStatus | None,
        Query(alias="status", description="Only messages with a delivery in this status."),
    ] = None,
) -> Page[Message]:
    rows, deliveries = await service.messages_page(
        conn, principal.workspace_id, cursor, limit, type_, customer_id, delivery_status
    )
    return _messages(rows, deliveries, limit)


@router.get(
    "/endpoints/{endpoint_id}/messages",
    summary="List the messages sent to one endpoint, newest first",
    description="The messages with a delivery to this endpoint, each with that delivery "
    "only; the same filters as the workspace's list, `status` applying to this endpoint's "
    "delivery.",
    responses=problems(400, 404, 422),
)
async def list_endpoint_messages(
    endpoint_id: EndpointId,
    conn: Transaction,
    principal: Manager,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    type_: TypeFilter = None,
    customer_id: CustomerFilter = None,
    delivery_status: Annotated[
        DeliveryStatus | None,
        Query(alias="status", description="Only messages whose delivery is in this status."),
    ] = None,
) -> Page[Message]:
    rows, deliveries = await service.messages_page(
        conn,
        principal.workspace_id,
        cursor,
        limit,
        type_,
        customer_id,
        delivery_status,
        endpoint_id,
    )
    return _messages(rows, deliveries, limit)


def _messages(
    rows: list[Record], deliveries: dict[UUID, list[Record]], limit: int
) -> Page[Message]:
    """A page of the rows ``service.messages_page`` found, newest first."""
    return Page[Message](
        items=[_message(row, deliveries[row.id]) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.seq]),
    )


@router.get(
    "/messages/{message_id}",
    summary="A webhook message and its deliveries",
    responses=problems(404),
)
async def get_message(message_id: MessageId, conn: Transaction, principal: Manager) -> Message:
    row, deliveries = await service.get_message(conn, principal.workspace_id, message_id)
    return _message(row, deliveries)


@router.get(
    "/messages/{message_id}/attempts",
    summary="Every delivery attempt of a message, oldest first",
    description="One per request made, to every endpoint, with the answer's status, the "
    "latency and the start of the response body, or the error when no answer came; on one "
    "page (a message has at most one attempt per step of the retry schedule per endpoint).",
    responses=problems(404),
)
async def list_attempts(
    message_id: MessageId, conn: Transaction, principal: Manager
) -> Page[Attempt]:
    rows = await service.attempts(conn, principal.workspace_id, message_id)
    return Page(items=[Attempt.model_validate(row._mapping) for row in rows], next_cursor=None)


@router.post(
    "/messages/{message_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a message again",
    description="Queues again the message's delivery to each endpoint it went to (or only "
    "to `endpoint_id`), whatever its status, from the start of the retry schedule. The "
    "message keeps its id, payload and sequence.",
    responses=problems(404, 422),
)
async def replay_message(
    message_id: MessageId,
    conn: Transaction,
    now: Now,
    principal: Manager,
    idempotency: Idempotent,
    endpoint_id: Annotated[
        UUID | None,
        Query(description="Replay only to this endpoint; it must be one the message went to."),
    ] = None,
) -> Requeued:
    await idempotency.claim(conn, principal.workspace_id)
    requeued = await service.replay(conn, principal.workspace_id, message_id, endpoint_id, now)
    return await idempotency.keep(Requeued(requeued=requeued))


_RECEIVED = (
    "Tierline POSTs this body to each subscribed endpoint (Standard Webhooks): headers "
    "`webhook-id` (the message id; the same on every retry), `webhook-timestamp` (Unix "
    "seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of "
    "`{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret; two while a "
    "rotated secret still signs). Answer 2xx within 15 s; anything else is retried on the "
    "schedule. Verify with the `standardwebhooks` package."
)


def document_webhooks(app: FastAPI) -> None:
    """The OpenAPI document's ``webhooks`` section: one operation per message type, its body
    the type's payload model (``app.webhooks.payloads``)."""
    for type_, model in PAYLOADS.items():

        async def received(body: Any) -> None:
            """Documentation only: Tierline sends this; it serves no such route."""

        received.__annotations__ = {"body": model, "return": None}
        app.webhooks.add_api_route(
            type_,
            received,
            methods=["POST"],
            summary=model.__doc__,
            description=_RECEIVED,
            operation_id=f"webhook_{type_.replace('.', '_')}",
            tags=["Webhooks"],
            status_code=status.HTTP_204_NO_CONTENT,
        )
