"""One number for money: amounts converted into a workspace's base currency were stored with
four decimals (99.90 USD at 0.92: 91.908 EUR); they are now rounded once, at conversion, to the
base currency's minor units, half-even (91.91). This rounds what was stored the same way and
brings everything summed from it along: customers' order and refund totals, their daily
roll-ups, and the roll-ups of metrics over the amount (rebuilt from the events, as a metric's
backfill builds them).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ISO 4217 minor units other than 2, as app.currencies has them when this was written.
_MINOR_UNITS = """
    (VALUES ('BIF', 0), ('CLP', 0), ('DJF', 0), ('GNF', 0), ('ISK', 0), ('JPY', 0), ('KMF', 0),
            ('KRW', 0), ('PYG', 0), ('RWF', 0), ('UGX', 0), ('UYI', 0), ('VND', 0), ('VUV', 0),
            ('XAF', 0), ('XOF', 0), ('XPF', 0), ('BHD', 3), ('IQD', 3), ('JOD', 3), ('KWD', 3),
            ('LYD', 3), ('OMR', 3), ('TND', 3), ('CLF', 4), ('UYW', 4)) AS u(currency, places)
"""

# Half-even, as Python's Decimal rounds at conversion (PostgreSQL's round() rounds half away
# from zero): s is the amount in minor units.
_HALF_EVEN = """
    (CASE WHEN abs(s - trunc(s)) = 0.5 AND mod(round(s), 2) <> 0 THEN round(s) - sign(s)
          ELSE round(s) END) / power(10::numeric, places)
"""

_ROUNDED = f"""
CREATE TEMPORARY TABLE rounded_amounts ON COMMIT DROP AS
SELECT workspace_id, customer_id, event_id, type, occurred_at, old, new, new - old AS delta
FROM (
    SELECT e.workspace_id, e.customer_id, e.event_id, e.type, e.occurred_at,
           e.amount_base AS old, {_HALF_EVEN} AS new
    FROM (
        SELECT e.*, e.amount_base * power(10::numeric, p.places) AS s, p.places
        FROM events e
        JOIN workspaces w ON w.id = e.workspace_id
        -- A join, not a correlated subquery: Citus runs it on a distributed database.
        CROSS JOIN LATERAL (
            SELECT COALESCE(max(u.places), 2) AS places
            FROM {_MINOR_UNITS} WHERE u.currency = w.base_currency
        ) p
        WHERE e.fx_rate IS NOT NULL AND e.amount_base IS NOT NULL
    ) e
) r
WHERE new <> old
"""  # noqa: S608 - built from constants only

_STATEMENTS = [
    """
    UPDATE events e SET amount_base = r.new
    FROM rounded_amounts r
    WHERE e.workspace_id = r.workspace_id AND e.customer_id = r.customer_id
      AND e.event_id = r.event_id
    """,
    """
    UPDATE customers c
    SET order_total = c.order_total + r.orders, refund_total = c.refund_total + r.refunds
    FROM (
        SELECT workspace_id, customer_id,
               COALESCE(sum(delta) FILTER (WHERE type = 'order'), 0) AS orders,
               COALESCE(sum(delta) FILTER (WHERE type = 'refund'), 0) AS refunds
        FROM rounded_amounts GROUP BY workspace_id, customer_id
    ) r
    WHERE c.workspace_id = r.workspace_id AND c.customer_id = r.customer_id
    """,
    """
    UPDATE customer_days d
    SET order_amount = d.order_amount + r.orders, refund_amount = d.refund_amount + r.refunds
    FROM (
        SELECT workspace_id, customer_id, CAST(occurred_at AT TIME ZONE 'UTC' AS date) AS day,
               COALESCE(sum(delta) FILTER (WHERE type = 'order'), 0) AS orders,
               COALESCE(sum(delta) FILTER (WHERE type = 'refund'), 0) AS refunds
        FROM rounded_amounts GROUP BY 1, 2, 3
    ) r
    WHERE d.workspace_id = r.workspace_id AND d.customer_id = r.customer_id AND d.day = r.day
    """,
]

# The roll-ups of metrics over the amount (property ''), for the customers and event types
# whose amounts moved: deleted, then rebuilt from the events as app.metrics.repository's
# recompute_source builds them.
_TOUCHED_SOURCES = """
CREATE TEMPORARY TABLE touched_sources ON COMMIT DROP AS
SELECT DISTINCT r.workspace_id, r.customer_id, r.type
FROM rounded_amounts r
JOIN metric_sources s
  ON s.workspace_id = r.workspace_id AND s.event_type = r.type AND s.property = ''
"""
_LATEST = 'ORDER BY occurred_at DESC, event_id COLLATE "C" DESC'


def _rebuild(table: str, day: bool) -> list[str]:
    day_column = "day, " if day else ""
    day_expr = "CAST(e.occurred_at AT TIME ZONE 'UTC' AS date) AS day, " if day else ""
    group = "workspace_id, customer_id, type, day" if day else "workspace_id, customer_id, type"
    return [
        f"""
        DELETE FROM {table} r USING touched_sources t
        WHERE r.workspace_id = t.workspace_id AND r.customer_id = t.customer_id
          AND r.event_type = t.type AND r.property = ''
        """,  # noqa: S608 - built from constants only
        f"""
        INSERT INTO {table} (
            workspace_id, customer_id, event_type, property, {day_column}
            events, n, total, low, high, last_at, last_event_id, last_value
        )
        SELECT workspace_id, customer_id, type, '', {day_column}
            count(*), count(v), COALESCE(sum(v), 0), min(v), max(v),
            (array_agg(occurred_at {_LATEST}) FILTER (WHERE v IS NOT NULL))[1],
            (array_agg(event_id {_LATEST}) FILTER (WHERE v IS NOT NULL))[1],
            (array_agg(v {_LATEST}) FILTER (WHERE v IS NOT NULL))[1]
        FROM (
            SELECT e.workspace_id, e.customer_id, e.type, {day_expr}e.occurred_at, e.event_id,
                   e.amount_base AS v
            FROM events e
            JOIN touched_sources t
              ON t.workspace_id = e.workspace_id AND t.customer_id = e.customer_id
             AND t.type = e.type
        ) AS e
        GROUP BY {group}
        """,  # noqa: S608 - built from constants only
    ]


def upgrade() -> None:
    op.execute(_ROUNDED)
    for statement in _STATEMENTS:
        op.execute(statement)
    op.execute(_TOUCHED_SOURCES)
    for table, day in (("customer_source_days", True), ("customer_source_totals", False)):
        for statement in _rebuild(table, day):
            op.execute(statement)


def downgrade() -> None:
    # The unrounded amounts are gone; rounded ones are valid amounts for the older code too.
    pass
