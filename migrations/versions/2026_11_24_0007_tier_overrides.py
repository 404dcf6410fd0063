"""A tier pinned by hand: the override on a customer's tier in a scheme.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.add_column("customer_tiers", sa.Column("override_tier", sa.Text(), nullable=True))
    op.add_column("customer_tiers", sa.Column("override_reason", sa.Text(), nullable=True))
    op.add_column("customer_tiers", sa.Column("override_set_at", TZ, nullable=True))
    op.add_column("customer_tiers", sa.Column("override_expires_at", TZ, nullable=True))


def downgrade() -> None:
    for column in ("override_expires_at", "override_set_at", "override_reason", "override_tier"):
        op.drop_column("customer_tiers", column)
