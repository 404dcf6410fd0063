"""Saved segments, their members and membership history; tiers of erased customers; a GIN
index on traits for segment queries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_index(
        op.f("ix_customers_traits"),
        "customers",
        ["traits"],
        postgresql_using="gin",
        postgresql_ops={"traits": "jsonb_path_ops"},
    )
    op.create_table(
        "tier_departures",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("scheme_key", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("departed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "seq", name=op.f("pk_tier_departures")),
    )
    op.create_index(
        op.f("ix_tier_departures_workspace_id_scheme_key_departed_at"),
        "tier_departures",
        ["workspace_id", "scheme_key", "departed_at"],
    )
    op.create_table(
        "segments",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("condition", postgresql.JSONB(), nullable=False),
        sa.Column("saved_by", sa.UUID(), nullable=True),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("archived_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_segments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "key", name=op.f("pk_segments")),
    )
    op.create_table(
        "segment_members",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("segment_key", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("since", TZ, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "segment_key", "customer_id", name=op.f("pk_segment_members")
        ),
    )
    op.create_index(
        op.f("ix_segment_members_workspace_id_customer_id"),
        "segment_members",
        ["workspace_id", "customer_id"],
    )
    op.create_table(
        "segment_history",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("segment_key", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause", postgresql.JSONB(), nullable=False),
        sa.CheckConstraint(
            "change IN ('entered', 'exited')", name=op.f("ck_segment_history_change")
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "seq", name=op.f("pk_segment_history")
        ),
    )
    op.create_index(
        op.f("ix_segment_history_workspace_id_segment_key_changed_at"),
        "segment_history",
        ["workspace_id", "segment_key", "changed_at"],
    )


def downgrade() -> None:
    op.drop_table("segment_history")
    op.drop_table("segment_members")
    op.drop_table("segments")
    op.drop_table("tier_departures")
    op.drop_index(op.f("ix_customers_traits"), table_name="customers")
