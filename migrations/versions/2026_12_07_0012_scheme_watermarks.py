"""How far each scheme version has been applied: the reclassification job's cursor
(``applied_through``, a customer id) and when it finished (``applied_at``). The job rewrites
only the assignments whose tier moves, so a customer's version is the newest one applied past
it, else the one its assignment row stores.

Versions whose job succeeded (or that had none) count as applied when their job finished; an
unfinished job's cursor is its watermark: the assignments before it were rewritten.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scheme_versions", sa.Column("applied_through", sa.Text(), nullable=True))
    op.add_column(
        "scheme_versions",
        sa.Column("applied_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
    )
    op.execute(
        """
        UPDATE scheme_versions v
        SET applied_at = CASE WHEN j.id IS NULL OR j.status = 'succeeded'
                              THEN COALESCE(j.finished_at, v.saved_at) END,
            applied_through = j.cursor
        FROM scheme_versions s
        LEFT JOIN jobs j ON j.workspace_id = s.workspace_id AND j.id = s.job_id
        WHERE s.workspace_id = v.workspace_id AND s.scheme_key = v.scheme_key
          AND s.version = v.version
        """
    )


def downgrade() -> None:
    op.drop_column("scheme_versions", "applied_at")
    op.drop_column("scheme_versions", "applied_through")
