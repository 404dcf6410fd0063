"""Previewing a scheme version: what saving it would do now, changing nothing.

The decisions come from the same SQL as the reclassification a save starts
(``app.tiers.bulk``), over every customer of the workspace in one read-only statement,
so a preview equals the save made at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.errors import Conflict
from app.metrics import service as user_metrics
from app.rules.schema import Node
from app.tiers import bulk
from app.tiers.policy import scheme_from_definition
from app.tiers.schemas import SchemeIn
from app.tiers.service import check_proposal
from app.webhooks import outbox

SAMPLE_SIZE = 10


class MetricNotReady(Conflict):
    slug, title = "metric-not-ready", "A metric the proposal reads is still being computed"


@dataclass(frozen=True, slots=True)
class Cell:
    from_tier: str | None
    to_tier: str
    customers: int
    sample: list[str]


@dataclass(frozen=True, slots=True)
class Preview:
    transitions: list[Cell]
    """Moves saving would make at once (``from_tier`` None: the customer's first tier)."""
    held_back: list[Cell]
    """Downgrades the proposal calls for that grace or tenure would hold back for now."""
    webhook_messages: int


async def preview(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    body: SchemeIn,
    now: datetime,
    segment_conditions: Mapping[str, Node],
) -> Preview:
    """``segment_conditions``: those of the segments reading this scheme's tiers, which the
    proposal must not break (``check_proposal``)."""
    definition = body.model_dump(mode="json", by_alias=True, exclude={"notify"})
    scheme = scheme_from_definition(key, 0, definition)
    await check_proposal(conn, workspace_id, scheme, segment_conditions)
    definitions = await user_metrics.definitions(conn, workspace_id)
    waiting = sorted(scheme.reads_metrics & {d.name for d in definitions if not d.ready})
    if waiting:
        raise MetricNotReady(
            f"The proposal reads {', '.join(waiting)}, still being backfilled; saving it now "
            "would apply it once they are ready. Preview again then.",
            metrics=waiting,
        )
    rows = await bulk.preview_scheme(
        conn,
        workspace_id,
        scheme,
        definitions,
        now,
        grace=body.grace_on_change,
        samples=SAMPLE_SIZE,
    )
    cells = [
        (row.held_back, Cell(row.from_tier, row.to_tier, int(row.customers), list(row.sample)))
        for row in rows
    ]
    transitions = [cell for held, cell in cells if not held]
    routes = await outbox.routes(conn, workspace_id) if body.notify else outbox.Routes(())
    messages = sum(
        cell.customers
        for cell in transitions
        if routes.for_tier_change(
            scheme.key,
            cell.from_tier,
            cell.to_tier,
            scheme.movement(cell.from_tier, cell.to_tier),
        )
    )
    return Preview(
        transitions=transitions,
        held_back=[cell for held, cell in cells if held],
        webhook_messages=messages,
    )
