"""An event's fingerprint is compared with those stored, maybe years ago: its bytes never change."""

from __future__ import annotations

from app.events.parsed import fingerprint
from app.events.schemas import EventIn


def test_the_fingerprint_of_an_event_is_the_one_stored_events_carry() -> None:
    event = EventIn.model_validate(
        {
            "event_id": "ord-1",
            "customer_id": "crm-42",
            "type": "order",
            "occurred_at": "2026-11-01T10:00:00.250+01:00",
            "amount": "129.900",
            "currency": "EUR",
            "properties": {"channel": "store", "é": 1.5},
            "traits": {"b": None, "a": [1, "x"]},
        }
    )
    # The digest of json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # of its canonical form, as computed when the first events were stored.
    assert fingerprint(event).hex() == (
        "eb4ec420ff631c1abac4b921eece8343de2c4951d7411044bca35b8f3197bc7c"
    )


def test_formatting_does_not_change_the_fingerprint() -> None:
    one = {"event_id": "e", "customer_id": "c", "type": "order", "amount": "10.50"}
    same = EventIn.model_validate(one | {"occurred_at": "2026-11-01T10:00:00Z"})
    reformatted = EventIn.model_validate(
        one | {"occurred_at": "2026-11-01T11:00:00+01:00", "amount": "10.5"}
    )
    assert fingerprint(same) == fingerprint(reformatted)
