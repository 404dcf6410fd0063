"""A per-workspace configuration version, bumped with every change to what the write path
caches (keys, settings, FX rates, metric definitions, schemes, segments, endpoints, the CLV
model): a process's cached configuration is current while the version it read is.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "workspaces",
        sa.Column("config_version", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("workspaces", "config_version")
