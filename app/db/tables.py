"""Table definitions. Alembic migrations own the real schema; a test holds the two equal.

Every table leads with ``workspace_id`` so the schema can be distributed by workspace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    CHAR,
    JSON,
    BigInteger,
    Boolean,
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
    SmallInteger,
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
    # CLV model settings (app.clv): an annual rate discounting predicted_clv_365d, and the
    # days between scheduled refits of an active model (0: refit only on request).
    Column("clv_discount_rate", Numeric, nullable=False, server_default="0"),
    Column("clv_refit_days", Integer, nullable=False, server_default="7"),
    # Bumped with every change to what a process caches of the workspace
    # (app.classification.config).
    Column("config_version", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("clv_discount_rate >= 0 AND clv_discount_rate < 1", name="clv_discount_rate"),
    CheckConstraint("clv_refit_days >= 0", name="clv_refit_days"),
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
    # RFM scores 1-5 as of the workspace's last refresh (app.rfm); NULL without orders.
    Column("rfm_r", SmallInteger),
    Column("rfm_f", SmallInteger),
    Column("rfm_m", SmallInteger),
    Column("rfm_fm", SmallInteger),
    # CLV predictions of the workspace's active model (app.predictions); NULL without a
    # purchase or a model. Rounded: probabilities and order counts to 4 places, the expected
    # order value to cents, predicted_clv_365d to the base currency's minor units.
    Column("p_alive", Numeric),
    Column("expected_orders_90d", Numeric),
    Column("expected_orders_365d", Numeric),
    Column("expected_order_value", Numeric),
    Column("predicted_clv_365d", Numeric),
    PrimaryKeyConstraint("workspace_id", "customer_id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    Index(
        "ix_customers_workspace_id_next_review_at",
        "workspace_id",
        "next_review_at",
        postgresql_where=text("next_review_at IS NOT NULL"),
    ),
    # Segment queries compare traits by containment (``@>``), which this index answers.
    Index(
        "ix_customers_traits",
        "traits",
        postgresql_using="gin",
        postgresql_ops={"traits": "jsonb_path_ops"},
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

# The last RFM refresh of each workspace: when, how many customers it scored, and per
# dimension and score the range of the underlying values (the cut points).
rfm_refreshes = Table(
    "rfm_refreshes",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("refreshed_at", TZ, nullable=False),
    Column("customers", Integer, nullable=False),
    Column("cut_points", JSONB, nullable=False),
    PrimaryKeyConstraint("workspace_id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

# Each workspace's active CLV model: the fit's report (parameters, likelihoods, tracking
# curve), when a refit was last asked for and when predictions were last computed for all.
clv_models = Table(
    "clv_models",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("job_id", UUID(as_uuid=True), nullable=False),
    Column("fitted_at", TZ, nullable=False),
    Column("calibration_end", Date, nullable=False),
    Column("holdout_days", Integer),
    Column("report", JSONB, nullable=False),
    Column("fit_requested_at", TZ, nullable=False),
    Column("scored_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
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

# Customers ``tierline import`` stored events for and has not classified yet: the import
# classifies each once, at its end; a re-run finishes what a crash left. ``notify``: the
# classification sends webhooks for the customer's net change.
pending_classifications = Table(
    "pending_classifications",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("notify", Boolean, nullable=False),
    PrimaryKeyConstraint("workspace_id", "customer_id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

# A metric source is what user-defined metrics aggregate: one event type, and the event's base
# amount (property '') or one numeric property. Several definitions may share a source.
metric_sources = Table(
    "metric_sources",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("property", Text, nullable=False),
    Column("ready", Boolean, nullable=False),
    Column("job_id", UUID(as_uuid=True)),
    PrimaryKeyConstraint("workspace_id", "event_type", "property"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

metric_definitions = Table(
    "metric_definitions",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("aggregation", Text, nullable=False),
    Column("property", Text, nullable=False),
    Column("window_days", Integer),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "name"),
    ForeignKeyConstraint(
        ["workspace_id", "event_type", "property"],
        ["metric_sources.workspace_id", "metric_sources.event_type", "metric_sources.property"],
        name="fk_metric_definitions_source",
    ),
)


def _source_rollup_columns() -> list[Column[Any]]:
    return [
        Column("events", BigInteger, nullable=False),
        Column("n", BigInteger, nullable=False),
        Column("total", Numeric, nullable=False),
        Column("low", Numeric),
        Column("high", Numeric),
        Column("last_at", TZ),
        Column("last_event_id", Text),
        Column("last_value", Numeric),
    ]


customer_source_days = Table(
    "customer_source_days",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("property", Text, nullable=False),
    Column("day", Date, nullable=False),
    *_source_rollup_columns(),
    PrimaryKeyConstraint("workspace_id", "customer_id", "event_type", "property", "day"),
)

customer_source_totals = Table(
    "customer_source_totals",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("property", Text, nullable=False),
    *_source_rollup_columns(),
    PrimaryKeyConstraint("workspace_id", "customer_id", "event_type", "property"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("params", JSONB, nullable=False),
    Column("cursor", Text),
    Column("done", BigInteger, nullable=False, server_default="0"),
    Column("total", BigInteger),
    Column("error", Text),
    Column("created_at", TZ, nullable=False),
    Column("started_at", TZ),
    Column("finished_at", TZ),
    # Creation order: timestamps tie under a frozen clock and within one transaction.
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    # What the job works on ("segment:vip", "scheme:value", "clv_model"): a newer job for the
    # same target supersedes it, and only the oldest unfinished one runs.
    Column("target", Text),
    Column("superseded_by", UUID(as_uuid=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),  # transient failures in a row
    Column("not_before", TZ),  # a retry waits until then
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    CheckConstraint(
        "status IN ('queued', 'running', 'succeeded', 'failed', 'superseded', 'cancelled')",
        name="known_status",
    ),
    Index(
        "ix_jobs_workspace_id_status_created_at",
        "workspace_id",
        "status",
        "created_at",
        postgresql_where=text("status IN ('queued', 'running')"),
    ),
)

# A scheme is one way of classifying customers; each save is a new version, kept readable.
schemes = Table(
    "schemes",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("archived_at", TZ),
    PrimaryKeyConstraint("workspace_id", "key"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

scheme_versions = Table(
    "scheme_versions",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("scheme_key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("saved_by", UUID(as_uuid=True)),
    Column("saved_at", TZ, nullable=False),
    Column("job_id", UUID(as_uuid=True)),
    # The reclassification job's cursor (a customer id) and end: the version applies to the
    # customers up to the cursor, and to everyone once it has ended (app.tiers.repository).
    Column("applied_through", Text),
    Column("applied_at", TZ),
    PrimaryKeyConstraint("workspace_id", "scheme_key", "version"),
    ForeignKeyConstraint(
        ["workspace_id", "scheme_key"],
        ["schemes.workspace_id", "schemes.key"],
        ondelete="CASCADE",
    ),
)

# A customer's current tier in each active scheme, and a downgrade that grace holds back.
customer_tiers = Table(
    "customer_tiers",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("scheme_key", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("since", TZ, nullable=False),
    Column("downgrade_to", Text),
    Column("downgrade_since", TZ),
    Column("downgrade_at", TZ),
    # A tier pinned by hand until it expires (or, with no expiry, until removed).
    Column("override_tier", Text),
    Column("override_reason", Text),
    Column("override_set_at", TZ),
    Column("override_expires_at", TZ),
    PrimaryKeyConstraint("workspace_id", "customer_id", "scheme_key"),
    Index("ix_customer_tiers_workspace_id_scheme_key_tier", "workspace_id", "scheme_key", "tier"),
)

tier_history = Table(
    "tier_history",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("scheme_key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_tier", Text),
    Column("to_tier", Text, nullable=False),
    Column("changed_at", TZ, nullable=False),
    Column("reason", Text, nullable=False),
    Column("cause", JSONB, nullable=False),
    PrimaryKeyConstraint("workspace_id", "customer_id", "seq"),
    Index(
        "ix_tier_history_workspace_id_scheme_key_changed_at",
        "workspace_id",
        "scheme_key",
        "changed_at",
    ),
)

# A customer's tiers at the moment it was erased, without the customer's id: analytics count
# the customers that left the workspace from it.
tier_departures = Table(
    "tier_departures",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("scheme_key", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("departed_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "seq"),
    Index(
        "ix_tier_departures_workspace_id_scheme_key_departed_at",
        "workspace_id",
        "scheme_key",
        "departed_at",
    ),
)

# A saved condition; its members are kept up to date like tiers, and archived like schemes.
segments = Table(
    "segments",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("condition", JSONB, nullable=False),
    Column("saved_by", UUID(as_uuid=True)),
    Column("job_id", UUID(as_uuid=True)),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("archived_at", TZ),
    PrimaryKeyConstraint("workspace_id", "key"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("segment_key", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("since", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "segment_key", "customer_id"),
    Index("ix_segment_members_workspace_id_customer_id", "workspace_id", "customer_id"),
)

segment_history = Table(
    "segment_history",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("segment_key", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("change", Text, nullable=False),
    Column("changed_at", TZ, nullable=False),
    Column("reason", Text, nullable=False),
    Column("cause", JSONB, nullable=False),
    PrimaryKeyConstraint("workspace_id", "customer_id", "seq"),
    CheckConstraint("change IN ('entered', 'exited')", name="change"),
    Index(
        "ix_segment_history_workspace_id_segment_key_changed_at",
        "workspace_id",
        "segment_key",
        "changed_at",
    ),
)

# Webhooks: subscribers, the transactional outbox (one message per change) and each
# subscriber's delivery of it with every attempt.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text),
    # Null: every type, including types added later.
    Column("event_types", ARRAY(Text)),
    Column("filter", JSONB),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("disabled_at", TZ),
    # The signing secrets must be readable to sign with; the previous one signs beside the
    # current one until previous_secret_expires_at after a rotation.
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_expires_at", TZ),
    Column("failing_since", TZ),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "id"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
)

webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    # Increases with every message; as a customer's messages are written under its row lock,
    # it orders each customer's changes (the payload's "sequence").
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("customer_id", Text),
    Column("data", JSONB, nullable=False),
    Column("created_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "id"),
    Index("ix_webhook_messages_workspace_id_seq", "workspace_id", "seq"),
    Index("ix_webhook_messages_workspace_id_customer_id", "workspace_id", "customer_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("message_id", UUID(as_uuid=True), nullable=False),
    Column("endpoint_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    # Attempts since the delivery was (re-)queued: the position in the retry schedule.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TZ, nullable=False),
    # Set while a worker holds the delivery; a claim that outlives it is free to take again.
    Column("leased_until", TZ),
    # Leased as a sending slot's next delivery, not sent yet: outside the bounds on
    # deliveries in flight until the slot's current one is recorded (app.webhooks.queue).
    Column("reserved", Boolean, nullable=False, server_default=text("false")),
    Column("last_attempt_at", TZ),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", TZ),
    Column("created_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "message_id", "endpoint_id"),
    ForeignKeyConstraint(
        ["workspace_id", "message_id"],
        ["webhook_messages.workspace_id", "webhook_messages.id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["workspace_id", "endpoint_id"],
        ["webhook_endpoints.workspace_id", "webhook_endpoints.id"],
        ondelete="CASCADE",
    ),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="known_status"),
    Index(
        "ix_webhook_deliveries_endpoint_id_next_attempt_at",
        "endpoint_id",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index(
        "ix_webhook_deliveries_workspace_id_endpoint_id_status",
        "workspace_id",
        "endpoint_id",
        "status",
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("message_id", UUID(as_uuid=True), nullable=False),
    Column("endpoint_id", UUID(as_uuid=True), nullable=False),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("attempted_at", TZ, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Numeric(12, 3), nullable=False),
    Column("response_excerpt", Text),
    Column("error", Text),
    PrimaryKeyConstraint("workspace_id", "message_id", "endpoint_id", "seq"),
    ForeignKeyConstraint(
        ["workspace_id", "message_id", "endpoint_id"],
        [
            "webhook_deliveries.workspace_id",
            "webhook_deliveries.message_id",
            "webhook_deliveries.endpoint_id",
        ],
        ondelete="CASCADE",
    ),
)

# The first answer to a request that creates something, sent with an ``Idempotency-Key``,
# kept 24 hours to answer its retries (``app.idempotency``). Written in the request's own
# transaction: inserted when the request starts, the answer stored as it ends; ``status_code``
# and ``response`` stay null only inside that transaction. ``response`` is the body as JSON
# text, keys in the order they were sent, with every secret replaced by null.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("workspace_id", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    # SHA-256 of the method, path, query and body: a retry must send the same request.
    Column("fingerprint", LargeBinary, nullable=False),
    Column("status_code", SmallInteger),
    Column("response", JSON),
    Column("created_at", TZ, nullable=False),
    PrimaryKeyConstraint("workspace_id", "key"),
    ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)
