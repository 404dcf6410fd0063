"""Classification schemes (versioned), customers' current tiers and their history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schemes",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("archived_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_schemes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "key", name=op.f("pk_schemes")),
    )
    op.create_table(
        "scheme_versions",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("scheme_key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        sa.Column("saved_by", sa.UUID(), nullable=True),
        sa.Column("saved_at", TZ, nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id", "scheme_key"],
            ["schemes.workspace_id", "schemes.key"],
            name=op.f("fk_scheme_versions_workspace_id_schemes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "scheme_key", "version", name=op.f("pk_scheme_versions")
        ),
    )
    op.create_table(
        "customer_tiers",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("scheme_key", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("since", TZ, nullable=False),
        sa.Column("downgrade_to", sa.Text(), nullable=True),
        sa.Column("downgrade_since", TZ, nullable=True),
        sa.Column("downgrade_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "scheme_key", name=op.f("pk_customer_tiers")
        ),
    )
    op.create_index(
        op.f("ix_customer_tiers_workspace_id_scheme_key_tier"),
        "customer_tiers",
        ["workspace_id", "scheme_key", "tier"],
    )
    op.create_table(
        "tier_history",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("scheme_key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_tier", sa.Text(), nullable=True),
        sa.Column("to_tier", sa.Text(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "customer_id", "seq", name=op.f("pk_tier_history")),
    )
    op.create_index(
        op.f("ix_tier_history_workspace_id_scheme_key_changed_at"),
        "tier_history",
        ["workspace_id", "scheme_key", "changed_at"],
    )


def downgrade() -> None:
    op.drop_table("tier_history")
    op.drop_table("customer_tiers")
    op.drop_table("scheme_versions")
    op.drop_table("schemes")
