"""Table definitions. Alembic migrations own the real schema; a test holds the two equal.

Every table leads with ``workspace_id`` so the schema can be distributed by workspace.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    CHAR,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP, UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = TIMESTAMP(timezone=True)
NOW = text("now()")

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("slug", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("base_currency", CHAR(3), nullable=False, server_default="EUR"),
    Column("created_at", TZ, nullable=False, server_default=NOW),
    Column("deleted_at", TZ),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", LargeBinary, nullable=False, unique=True),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", TZ, nullable=False, server_default=NOW),
    Column("revoked_at", TZ),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("rate", Numeric, nullable=False),
    Column("updated_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "currency"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    CheckConstraint("rate > 0", name="positive"),
)

customers = Table(
    "customers",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("traits", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("order_count", Integer, nullable=False, server_default="0"),
    Column("order_total", Numeric, nullable=False, server_default="0"),
    Column("refund_total", Numeric, nullable=False, server_default="0"),
    Column("first_order_at", TZ),
    Column("last_order_at", TZ),
    Column("last_event_at", TZ),
    Column("event_counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("next_review_at", TZ),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "customer_id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    Index(
        "ix_customers_workspace_id_next_review_at",
        "workspace_id",
        "next_review_at",
        postgresql_where=text("next_review_at IS NOT NULL"),
    ),
)

events = Table(
    "events",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("amount", Numeric),
    Column("currency", CHAR(3)),
    Column("amount_base", Numeric),
    Column("fx_rate", Numeric),
    Column("properties", JSONB, nullable=False),
    Column("fingerprint", LargeBinary, nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("received_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "event_id"),
    Index(
        "ix_events_workspace_id_customer_id_occurred_at_seq",
        "workspace_id",
        "customer_id",
        "occurred_at",
        "seq",
    ),
)

customer_days = Table(
    "customer_days",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("orders", Integer, nullable=False, server_default="0"),
    Column("order_amount", Numeric, nullable=False, server_default="0"),
    Column("refund_amount", Numeric, nullable=False, server_default="0"),
    PrimaryKeyConstraint("workspace_id", "customer_id", "day"),
)
