"""An endpoint's ``event_types`` may be null: it receives every type, including types added
later.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = postgresql.ARRAY(sa.Text())


def upgrade() -> None:
    op.alter_column("webhook_endpoints", "event_types", existing_type=TEXTS, nullable=True)


def downgrade() -> None:
    # Every type there was when this revision was written.
    op.execute(
        "UPDATE webhook_endpoints SET event_types = ARRAY['customer.tier_changed', "
        "'customer.segment_entered', 'customer.segment_exited', 'customer.deleted', 'ping'] "
        "WHERE event_types IS NULL"
    )
    op.alter_column("webhook_endpoints", "event_types", existing_type=TEXTS, nullable=False)
