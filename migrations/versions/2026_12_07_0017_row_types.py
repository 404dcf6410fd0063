"""Named row types for the arrays of rows the event path reads in its one read statement
(a customer's tier assignments, metric roll-ups and purchase summary).

Citus returns a worker's result to the coordinator as text, and PostgreSQL cannot read an
anonymous record back from text ("input of anonymous composite types is not implemented"); a
row cast to a named type reads back on one PostgreSQL and on Citus alike.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = {
    "tier_assignment_row": """
        scheme_key text, tier text, version integer, since timestamptz,
        downgrade_to text, downgrade_since timestamptz, downgrade_at timestamptz,
        override_tier text, override_reason text, override_set_at timestamptz,
        override_expires_at timestamptz
    """,
    "rollup_row": """
        name text, event_type text, property text, events numeric, n numeric,
        total numeric, low numeric, high numeric, last_at timestamptz, last_event_id text,
        last_value numeric, first_event_day date, first_value_day date
    """,
    "purchase_summary_row": """
        customer_id text, frequency bigint, recency integer, age integer, monetary float8
    """,
}


def upgrade() -> None:
    for name, columns in TYPES.items():
        op.execute(f"CREATE TYPE {name} AS ({columns})")


def downgrade() -> None:
    for name in TYPES:
        op.execute(f"DROP TYPE {name}")
