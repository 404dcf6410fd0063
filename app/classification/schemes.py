"""Changes to the rules that tiers and segments must agree on: a scheme saved, archived or
installed from a template (with its segments), a user-defined metric deleted. Segments read
tiers, so these checks span both and live above them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record
from app.metrics import service as user_metrics
from app.rules.schema import Node
from app.segments import repository as segment_store
from app.segments import service as segments
from app.segments.schemas import SegmentIn
from app.tiers import preview, templates
from app.tiers import repository as tier_store
from app.tiers import service as tiers
from app.tiers.schemas import SchemeIn, TemplateIn


async def put_scheme(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    body: SchemeIn,
    saved_by: UUID | None,
    now: datetime,
) -> tuple[Record, bool]:
    """Saves a new version of the scheme, checked against the schemes and segments that
    read its tiers, and queues its application to every customer."""
    await tier_store.lock_schemes(conn, workspace_id)
    readers = await _segments_reading(conn, workspace_id, key)
    return await tiers.put(conn, workspace_id, key, body, saved_by, now, readers)


async def preview_scheme(
    conn: AsyncConnection, workspace_id: UUID, key: str, body: SchemeIn, now: datetime
) -> preview.Preview:
    """What saving the version would do now, changing nothing."""
    readers = await _segments_reading(conn, workspace_id, key)
    return await preview.preview(conn, workspace_id, key, body, now, readers)


async def _segments_reading(conn: AsyncConnection, workspace_id: UUID, key: str) -> dict[str, Node]:
    """The conditions of the segments that read the scheme's tiers, by segment key."""
    return {
        s.key: s.condition
        for s in await segment_store.active_segments(conn, workspace_id)
        if key in s.reads_schemes
    }


async def archive_scheme(
    conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime
) -> None:
    """Archives the scheme unless another scheme or a segment reads its tiers."""
    await tier_store.lock_schemes(conn, workspace_id)
    readers = await _segments_reading(conn, workspace_id, key)
    await tiers.archive(conn, workspace_id, key, now, list(readers))


async def install_template(
    conn: AsyncConnection,
    workspace_id: UUID,
    name: str,
    body: TemplateIn,
    saved_by: UUID | None,
    now: datetime,
) -> tuple[Record, bool]:
    """Saves the template, with ``body.thresholds`` in place of its defaults, as a version
    of the scheme ``body.key`` (default: the template's name), and its segments, if any, as
    versions of theirs."""
    scheme = tiers.template_scheme(name, body)
    saved = await put_scheme(conn, workspace_id, body.key or name, scheme, saved_by, now)
    for key, segment in templates.get(name).segment_definitions(body.thresholds).items():
        await segments.put(
            conn, workspace_id, key, SegmentIn.model_validate(segment), saved_by, now
        )
    return saved


async def delete_metric(conn: AsyncConnection, workspace_id: UUID, name: str) -> None:
    """Deletes a user-defined metric unless a scheme or a segment reads it."""
    await tier_store.lock_schemes(conn, workspace_id)  # no scheme or segment starts reading it
    schemes = [
        s.key
        for s in await tier_store.active_schemes(conn, workspace_id)
        if name in s.reads_metrics
    ]
    readers = [
        s.key
        for s in await segment_store.active_segments(conn, workspace_id)
        if name in s.reads_metrics
    ]
    await user_metrics.delete(conn, workspace_id, name, schemes=schemes, segments=readers)
