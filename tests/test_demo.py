"""The demo's made-up history: the same for the same day, every customer with an order, and
nothing in the future (the command itself runs in tests/console, which browse its result)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.demo import history

TODAY = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_the_demo_history_is_deterministic_and_in_the_past() -> None:
    events = history(50, TODAY)
    assert [e.body for e in events] == [e.body for e in history(50, TODAY)]
    assert all(e.at < TODAY for e in events)
    orders = {e.body["customer_id"] for e in events if e.body["type"] == "order"}
    assert len(orders) == 50
    assert {e.body["type"] for e in events} >= {"order", "visit", "refund", "survey"}
    assert len({e.body["event_id"] for e in events}) == len(events)
