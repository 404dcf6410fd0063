"""A delivery a worker has leased as the next one for a slot that is still sending: it is
``reserved`` until the slot's current delivery is recorded, and does not count toward the
endpoint's and the workspace's bounds on deliveries in flight until then.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_deliveries",
        sa.Column("reserved", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "reserved")
