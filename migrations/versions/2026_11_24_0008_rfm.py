"""RFM scores on the customer row, and each workspace's last RFM refresh.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)
SCORES = ("rfm_r", "rfm_f", "rfm_m", "rfm_fm")


def upgrade() -> None:
    for column in SCORES:
        op.add_column("customers", sa.Column(column, sa.SmallInteger(), nullable=True))
    op.create_table(
        "rfm_refreshes",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("refreshed_at", TZ, nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("cut_points", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_rfm_refreshes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_rfm_refreshes")),
    )


def downgrade() -> None:
    op.drop_table("rfm_refreshes")
    for column in reversed(SCORES):
        op.drop_column("customers", column)
