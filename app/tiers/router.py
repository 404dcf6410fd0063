"""HTTP routes for classification schemes and customers' tier history."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.idempotency import Idempotent
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.auth.service import authorize
from app.classification import flows, schemes
from app.customers.router import CustomerIdPath
from app.pagination import DEFAULT_LIMIT, Page, next_cursor
from app.tiers import preview, service, templates
from app.tiers.assignment_schemas import (
    OverrideIn,
    TierAssignment,
    TierHistoryItem,
    TiersAsOf,
)
from app.tiers.explanation_schemas import TierExplanation
from app.tiers.policy import shown
from app.tiers.schemas import (
    PreviewCell,
    Scheme,
    SchemeIn,
    SchemePreview,
    SchemeVersion,
    TemplateIn,
    TemplateOut,
    TemplateThreshold,
)
from app.validation import KEY_PATTERN, Moment

router = APIRouter(tags=["Schemes"], responses=problems(401, 403))

Writer = Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))]
Reader = Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))]
CustomerWriter = Annotated[Principal, Depends(require(Scope.CUSTOMERS_WRITE))]
SchemeKey = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        description="The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.",
    ),
]


def _version_fields(row: Any) -> dict[str, Any]:
    definition = row.definition
    return {
        "key": row.key,
        "version": row.version,
        "name": definition["name"],
        "description": definition.get("description"),
        "tiers": definition["tiers"],
        "default_tier": definition["default_tier"],
        "downgrade_grace_days": definition["downgrade_grace_days"],
        "min_days_in_tier": definition["min_days_in_tier"],
        "grace_on_change": definition["grace_on_change"],
        "saved_at": row.saved_at,
        "saved_by": row.saved_by,
        "job_id": row.job_id,
    }


def _scheme(row: Any) -> Scheme:
    return Scheme(
        **_version_fields(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
    )


@router.get(
    "/v1/schemes/templates",
    summary="Scheme templates, with their thresholds",
    description="Proven classifications to start from: `value` (VIP / regular / potential), "
    "`rfm` (the RFM groups over the RFM scores), `lifecycle` (new / active / at risk / "
    "churned), `industrial` (strategic / key / general account) and `clv` (tiers by the CLV "
    "model's predicted value, with a churn-risk segment). Each lists its thresholds with "
    "their defaults and the scheme (and segments) it installs with them. All on one page.",
)
async def list_templates(principal: Reader) -> Page[TemplateOut]:
    templates_out = [
        TemplateOut(
            name=t.name,
            title=t.title,
            description=t.description,
            thresholds={
                name: TemplateThreshold(
                    kind=th.kind, default=_jsonable(th.default), description=th.description
                )
                for name, th in t.thresholds.items()
            },
            scheme=t.definition({}),
            segments=t.segment_definitions({}),
        )
        for t in templates.TEMPLATES.values()
    ]
    return Page(items=templates_out, next_cursor=None)


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


@router.post(
    "/v1/schemes/templates/{name}",
    summary="Install a template as a scheme",
    description="Saves the template as a version of the scheme `key` (default: the "
    "template's name), with `thresholds` in place of its defaults, exactly as `PUT "
    "/v1/schemes/{key}` would: an ordinary scheme you can then edit. A template with "
    "segments (`clv`) saves them too, as `PUT /v1/segments/{key}` would, and needs the scope "
    "`segments:write` as well. `201` when the scheme is new, `200` for a new version. An "
    "unknown template is a `404`; an unknown threshold or one of the wrong type a `422` "
    "naming it.",
    responses={201: {"model": Scheme, "description": "Created."}, **problems(404, 422)},
)
async def install_template(
    name: Annotated[str, Path(description="`value`, `rfm`, `lifecycle`, `industrial` or `clv`.")],
    body: TemplateIn,
    response: Response,
    conn: Transaction,
    now: Now,
    principal: Writer,
    idempotency: Idempotent,
) -> Scheme:
    if templates.get(name).segment_definitions({}):
        authorize(principal, Scope.SEGMENTS_WRITE)
    await idempotency.claim(conn, principal.workspace_id)
    row, created = await schemes.install_template(
        conn, principal.workspace_id, name, body, principal.key_id, now
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return await idempotency.keep(_scheme(row))


@router.put(
    "/v1/schemes/{key}",
    summary="Create a scheme or save a new version of it",
    description="Every save is a new version; earlier versions stay readable. The new "
    "version applies at once to customers as their events arrive, and to everyone in the "
    "background (`job_id`, progress at `GET /v1/jobs/{id}`), recording each change in the "
    "tier history with reason `rule_change`. `201` when the scheme is new (or was archived), "
    "`200` for a new version. A `422` names what is wrong and leaves the current version "
    "active.",
    responses={201: {"model": Scheme, "description": "Created."}, **problems(400, 422)},
)
async def put_scheme(
    key: SchemeKey,
    body: SchemeIn,
    response: Response,
    conn: Transaction,
    now: Now,
    principal: Writer,
) -> Scheme:
    row, created = await schemes.put_scheme(
        conn, principal.workspace_id, key, body, principal.key_id, now
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _scheme(row)


@router.post(
    "/v1/schemes/{key}/preview",
    summary="What saving a version would do, changing nothing",
    description="Takes the body a save takes and answers, for every customer of the "
    "workspace as of now, who would change tier (counts by from and to tier, with a sample "
    "of customer ids), whose downgrade grace or tenure would hold back, and how many webhook "
    "messages saving it would send. Nothing is stored. The decisions are the ones the save's "
    "reclassification makes, so saving the same body at the same moment does exactly this. "
    "Schemes that read this one's tiers are not previewed. A `422` is the one saving it "
    "would get; a `409` when a metric it reads is still being backfilled.",
    responses=problems(400, 409, 422),
)
async def preview_scheme(
    key: SchemeKey, body: SchemeIn, conn: Transaction, now: Now, principal: Writer
) -> SchemePreview:
    found = await schemes.preview_scheme(conn, principal.workspace_id, key, body, now)

    def cells(found_cells: list[preview.Cell]) -> list[PreviewCell]:
        return [
            PreviewCell(
                from_tier=c.from_tier, to_tier=c.to_tier, count=c.customers, sample=c.sample
            )
            for c in found_cells
        ]

    return SchemePreview(
        scheme=key,
        transitions=cells(found.transitions),
        held_back=cells(found.held_back),
        webhook_messages=found.webhook_messages,
    )


@router.get("/v1/schemes", summary="The workspace's schemes, by key", responses=problems(400))
async def list_schemes(
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    archived: Annotated[bool, Query(description="Include archived schemes.")] = False,
) -> Page[Scheme]:
    rows = await service.list_page(conn, principal.workspace_id, cursor, limit, archived)
    return Page[Scheme](
        items=[_scheme(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.key]),
    )


@router.get("/v1/schemes/{key}", summary="A scheme's current version", responses=problems(404))
async def get_scheme(key: SchemeKey, conn: Transaction, principal: Reader) -> Scheme:
    return _scheme(await service.get(conn, principal.workspace_id, key))


@router.get(
    "/v1/schemes/{key}/versions/{version}",
    summary="One version of a scheme, as it was saved",
    responses=problems(404),
)
async def get_scheme_version(
    key: SchemeKey,
    version: Annotated[int, Path(ge=1, le=2_147_483_647)],
    conn: Transaction,
    principal: Reader,
) -> SchemeVersion:
    row = await service.get_version(conn, principal.workspace_id, key, version)
    return SchemeVersion(**_version_fields(row))


@router.delete(
    "/v1/schemes/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Archive a scheme",
    description="Customers stop being classified in it and lose their tier there; its "
    "versions and the tier history stay. Saving it again brings it back. `409` while another "
    "scheme reads its tiers.",
    responses=problems(404, 409),
)
async def archive_scheme(key: SchemeKey, conn: Transaction, now: Now, principal: Writer) -> None:
    await schemes.archive_scheme(conn, principal.workspace_id, key, now)


@router.get(
    "/v1/customers/{customer_id}/tiers/history",
    tags=["Customers"],
    summary="A customer's tier changes, newest first",
    responses=problems(400, 404),
)
async def tier_history(
    customer_id: CustomerIdPath,
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    scheme: Annotated[
        str | None, Query(pattern=KEY_PATTERN, description="Only this scheme's changes.")
    ] = None,
) -> Page[TierHistoryItem]:
    rows = await service.history_page(
        conn, principal.workspace_id, customer_id, scheme, cursor, limit
    )
    return Page[TierHistoryItem](
        items=[
            TierHistoryItem(
                scheme=row.scheme_key,
                version=row.version,
                from_tier=row.from_tier,
                to_tier=row.to_tier,
                reason=row.reason,
                changed_at=row.changed_at,
                cause=row.cause,
            )
            for row in rows[:limit]
        ],
        next_cursor=next_cursor(rows, limit, lambda row: [row.seq]),
    )


@router.get(
    "/v1/customers/{customer_id}/tiers",
    tags=["Customers"],
    summary="A customer's tier in every scheme, now or at a past moment",
    description="Without `as_of`: the current tier in every active scheme, as the profile "
    "shows it, with any downgrade that grace or tenure holds back. With `as_of`: each "
    "scheme's tier at that moment according to the tier history (the latest change at or "
    "before `as_of`, so a change at exactly `as_of` counts), including schemes archived "
    "since; a scheme archived at or before `as_of` has no holders from then on. Schemes in "
    "which the customer had no tier at that moment are left out. `as_of` needs a timezone "
    "and must not be later than now; otherwise `422` naming `as_of`.",
    responses=problems(404, 422),
)
async def get_customer_tiers(
    customer_id: CustomerIdPath,
    conn: Transaction,
    now: Now,
    principal: Reader,
    as_of: Annotated[
        Moment | None,
        Query(description="A past moment with a timezone, e.g. `2026-03-01T00:00:00Z`."),
    ] = None,
) -> TiersAsOf:
    held = await service.tiers_at(conn, principal.workspace_id, customer_id, as_of, now)
    return TiersAsOf.model_validate(
        {"customer_id": customer_id, "as_of": (as_of or now).astimezone(UTC), "tiers": shown(held)}
    )


@router.get(
    "/v1/customers/{customer_id}/tiers/{scheme}/explain",
    tags=["Customers"],
    summary="Why a customer holds its tier in a scheme, and what would move it",
    description='Answers "why am I not VIP?" from the same data and rules that classify '
    "the customer, as of now:\n\n"
    "- `current`: the stored tier (null before the customer's first classification in the "
    "scheme) with a held-back downgrade (`pending_downgrade.to`, `.at`); `qualifies_for`: "
    "the tier whose condition holds now.\n"
    "- `tiers`: from the top tier down to the current one (or the qualified one if lower), "
    "each condition in its own shape (`all` / `any` / `not` with `holds`), every comparison "
    "with its threshold (`value`), the customer's value (`actual`, as the profile shows it) "
    "and `holds`.\n"
    "- `next_tier`: the first tier above the current one and what its condition lacks "
    "(`missing`): a tree of `all` / `any` over the comparisons that must flip, with amounts "
    'for numeric metrics (`"400.00 more lifetime_spend"`, `"1 more orders_90d"`; counts '
    "in whole units, money in the base currency's minor units, so `gt 5000` from 4600.00 "
    "needs 400.01 in EUR, 401 in JPY) and a text for "
    "the rest (`missing: null`). `any` lists every branch, cheapest first.\n"
    "- `keep_tier`: while the current tier's condition holds, what would end it (`lose_if`, "
    "closest first, each with the margin `spare` and, for time comparisons and the built-in "
    "windowed metrics, `changes_at`: when it flips with no new event); while a downgrade is "
    "pending, what would cancel it (`missing`).\n\n"
    "`404` for an unknown customer or scheme; `409` for an archived scheme (the tier history "
    "still has its past).",
    responses=problems(404, 409),
)
async def explain_tier(
    customer_id: CustomerIdPath,
    scheme: SchemeKey,
    conn: Transaction,
    now: Now,
    principal: Reader,
) -> TierExplanation:
    return await service.explain_tier(
        conn, principal.workspace_id, customer_id, scheme, now, principal.base_currency
    )


@router.put(
    "/v1/customers/{customer_id}/tiers/{scheme}/override",
    tags=["Customers"],
    summary="Pin a customer's tier in a scheme by hand",
    description="The customer moves to `tier` at once and stays there, whatever the rules say, "
    "until `expires_at` (or until the override is removed): events, reviews and new versions "
    "leave the tier alone. The move is recorded with reason `override` and sent to webhook "
    "subscribers like any other; schemes and segments reading this tier follow it. When the "
    "override expires the rules take over at once, without downgrade grace, with reason "
    "`override_expired`. Setting it again replaces it. `422` for a tier the scheme lacks or "
    "an expiry in the past; `409` when the customer has no tier in the scheme yet.",
    responses=problems(404, 409, 422),
)
async def set_override(
    customer_id: CustomerIdPath,
    scheme: SchemeKey,
    body: OverrideIn,
    conn: Transaction,
    now: Now,
    principal: CustomerWriter,
) -> TierAssignment:
    assignment = await flows.set_override(
        conn, principal.workspace_id, customer_id, scheme, body, now
    )
    return TierAssignment.model_validate(assignment)


@router.delete(
    "/v1/customers/{customer_id}/tiers/{scheme}/override",
    tags=["Customers"],
    summary="End an override now",
    description="The override lapses now: the rules take over at once, without downgrade "
    "grace (history reason `override_expired` if the tier moves). Answers the tier that "
    "follows. `404` when there is no override in force.",
    responses=problems(404, 409),
)
async def end_override(
    customer_id: CustomerIdPath,
    scheme: SchemeKey,
    conn: Transaction,
    now: Now,
    principal: CustomerWriter,
) -> TierAssignment:
    assignment = await flows.end_override(conn, principal.workspace_id, customer_id, scheme, now)
    return TierAssignment.model_validate(assignment)
