"""Jobs that supersede, retry and are cancelled: a job names its target (a newer job for the
same target supersedes it), keeps its creation order (``seq``), counts the transient failures
in a row (``attempts``) and waits until ``not_before`` before it is claimed again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("jobs", sa.Column("seq", sa.BigInteger(), sa.Identity(always=True)))
    op.alter_column("jobs", "seq", nullable=False)
    op.add_column("jobs", sa.Column("target", sa.Text(), nullable=True))
    op.add_column("jobs", sa.Column("superseded_by", sa.UUID(), nullable=True))
    op.add_column("jobs", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("jobs", sa.Column("not_before", TZ, nullable=True))
    op.drop_constraint(op.f("ck_jobs_known_status"), "jobs", type_="check")
    op.create_check_constraint(
        op.f("ck_jobs_known_status"),
        "jobs",
        "status IN ('queued', 'running', 'succeeded', 'failed', 'superseded', 'cancelled')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE status IN ('superseded', 'cancelled')")
    op.drop_constraint(op.f("ck_jobs_known_status"), "jobs", type_="check")
    op.create_check_constraint(
        op.f("ck_jobs_known_status"),
        "jobs",
        "status IN ('queued', 'running', 'succeeded', 'failed')",
    )
    for column in ("not_before", "attempts", "superseded_by", "target", "seq"):
        op.drop_column("jobs", column)
