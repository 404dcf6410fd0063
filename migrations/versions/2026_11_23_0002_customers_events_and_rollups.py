"""Customers, events, daily roll-ups and FX rates: the write path's tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "fx_rates",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_fx_rates_positive")),
        _workspace_fk("fx_rates"),
        sa.PrimaryKeyConstraint("workspace_id", "currency", name=op.f("pk_fx_rates")),
    )
    op.create_table(
        "customers",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("traits", JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("order_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("order_total", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("refund_total", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("first_order_at", TZ, nullable=True),
        sa.Column("last_order_at", TZ, nullable=True),
        sa.Column("last_event_at", TZ, nullable=True),
        sa.Column("event_counts", JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("next_review_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        _workspace_fk("customers"),
        sa.PrimaryKeyConstraint("workspace_id", "customer_id", name=op.f("pk_customers")),
    )
    op.create_index(
        "ix_customers_workspace_id_next_review_at",
        "customers",
        ["workspace_id", "next_review_at"],
        postgresql_where=sa.text("next_review_at IS NOT NULL"),
    )
    op.create_table(
        "events",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=True),
        sa.Column("amount_base", sa.Numeric(), nullable=True),
        sa.Column("fx_rate", sa.Numeric(), nullable=True),
        sa.Column("properties", JSONB, nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "event_id", name=op.f("pk_events")),
    )
    op.create_index(
        "ix_events_workspace_id_customer_id_occurred_at_seq",
        "events",
        ["workspace_id", "customer_id", "occurred_at", "seq"],
    )
    op.create_table(
        "customer_days",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("order_amount", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("refund_amount", sa.Numeric(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "day", name=op.f("pk_customer_days")
        ),
    )


def downgrade() -> None:
    op.drop_table("customer_days")
    op.drop_table("events")
    op.drop_table("customers")
    op.drop_table("fx_rates")
