"""CLV predictions on the customer row, the workspace's model settings and active model.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)
PREDICTIONS = (
    "p_alive",
    "expected_orders_90d",
    "expected_orders_365d",
    "expected_order_value",
    "predicted_clv_365d",
)


def upgrade() -> None:
    for column in PREDICTIONS:
        op.add_column("customers", sa.Column(column, sa.Numeric(), nullable=True))
    op.add_column(
        "workspaces",
        sa.Column("clv_discount_rate", sa.Numeric(), server_default="0", nullable=False),
    )
    op.add_column(
        "workspaces",
        sa.Column("clv_refit_days", sa.Integer(), server_default="7", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_workspaces_clv_discount_rate"),
        "workspaces",
        "clv_discount_rate >= 0 AND clv_discount_rate < 1",
    )
    op.create_check_constraint(
        op.f("ck_workspaces_clv_refit_days"), "workspaces", "clv_refit_days >= 0"
    )
    op.create_table(
        "clv_models",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("fitted_at", TZ, nullable=False),
        sa.Column("calibration_end", sa.Date(), nullable=False),
        sa.Column("holdout_days", sa.Integer(), nullable=True),
        sa.Column("report", postgresql.JSONB(), nullable=False),
        sa.Column("fit_requested_at", TZ, nullable=False),
        sa.Column("scored_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_clv_models_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_clv_models")),
    )


def downgrade() -> None:
    op.drop_table("clv_models")
    op.drop_constraint("ck_workspaces_clv_refit_days", "workspaces")
    op.drop_constraint("ck_workspaces_clv_discount_rate", "workspaces")
    op.drop_column("workspaces", "clv_refit_days")
    op.drop_column("workspaces", "clv_discount_rate")
    for column in reversed(PREDICTIONS):
        op.drop_column("customers", column)
