"""User-defined metrics (sources, definitions, per-day and lifetime roll-ups) and jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = postgresql.TIMESTAMP(timezone=True)


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _rollup_columns() -> list[sa.Column]:
    return [
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(), nullable=False),
        sa.Column("low", sa.Numeric(), nullable=True),
        sa.Column("high", sa.Numeric(), nullable=True),
        sa.Column("last_at", TZ, nullable=True),
        sa.Column("last_event_id", sa.Text(), nullable=True),
        sa.Column("last_value", sa.Numeric(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "metric_sources",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("property", sa.Text(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=True),
        _workspace_fk("metric_sources"),
        sa.PrimaryKeyConstraint(
            "workspace_id", "event_type", "property", name=op.f("pk_metric_sources")
        ),
    )
    op.create_table(
        "metric_definitions",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("aggregation", sa.Text(), nullable=False),
        sa.Column("property", sa.Text(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "event_type", "property"],
            [
                "metric_sources.workspace_id",
                "metric_sources.event_type",
                "metric_sources.property",
            ],
            name="fk_metric_definitions_source",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "name", name=op.f("pk_metric_definitions")),
    )
    op.create_table(
        "customer_source_days",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("property", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_rollup_columns(),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "customer_id",
            "event_type",
            "property",
            "day",
            name=op.f("pk_customer_source_days"),
        ),
    )
    op.create_table(
        "customer_source_totals",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("property", sa.Text(), nullable=False),
        *_rollup_columns(),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "customer_id",
            "event_type",
            "property",
            name=op.f("pk_customer_source_totals"),
        ),
    )
    op.create_table(
        "jobs",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_jobs_known_status"),
        ),
        _workspace_fk("jobs"),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_jobs")),
    )
    op.create_index(
        "ix_jobs_workspace_id_status_created_at",
        "jobs",
        ["workspace_id", "status", "created_at"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("customer_source_totals")
    op.drop_table("customer_source_days")
    op.drop_table("metric_definitions")
    op.drop_table("metric_sources")
