"""The Python engine: the truth rules, whole-UTC-day time comparisons, and the next flip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from app.clock import midnight, utc_day
from app.customers.metrics import days_since
from app.rules.evaluate import evaluate, next_flip
from app.rules.schema import Condition
from tests.rules.strategies import TODAY, Person, conditions, nows, people

CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def cmp(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def customer(
    metrics: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
    tiers: dict[str, str] | None = None,
    created_at: datetime = datetime(2025, 1, 1, tzinfo=UTC),
) -> dict[str, Any]:
    return {
        "metrics": {"order_count": 0, "spend_365d": "0.00", **(metrics or {})},
        "traits": traits or {},
        "tiers": tiers or {},
        "created_at": created_at,
    }


def holds(raw: dict[str, Any], person: dict[str, Any], now: datetime = NOW) -> bool:
    return evaluate(CONDITION.validate_python(raw), person, now)


TRUTH = [
    # missing trait: positive comparisons are false, their negations true
    (cmp("traits.region", "eq", "EU"), {}, False),
    (cmp("traits.region", "ne", "EU"), {}, True),
    (cmp("traits.region", "in", ["EU"]), {}, False),
    (cmp("traits.region", "not_in", ["EU"]), {}, True),
    (cmp("traits.region", "exists", True), {}, False),
    (cmp("traits.region", "exists", False), {}, True),
    (cmp("traits.size", "gte", 0), {}, False),
    (cmp("traits.size", "lt", 0), {}, False),
    (cmp("traits.tags", "contains", "a"), {}, False),
    # JSON null reads as missing
    (cmp("traits.region", "eq", "EU"), {"region": None}, False),
    (cmp("traits.region", "ne", "EU"), {"region": None}, True),
    (cmp("traits.region", "exists", True), {"region": None}, False),
    # a path through something that is not an object is missing
    (cmp("traits.region.code", "exists", True), {"region": "EU"}, False),
    (cmp("traits.address.city", "eq", "Graz"), {"address": {"city": "Graz"}}, True),
    # JSON types count
    (cmp("traits.size", "eq", 10), {"size": "10"}, False),
    (cmp("traits.size", "ne", 10), {"size": "10"}, True),
    (cmp("traits.size", "eq", "10"), {"size": "10"}, True),
    (cmp("traits.size", "eq", 10), {"size": 10.0}, True),
    (cmp("traits.vip", "eq", 1), {"vip": True}, False),
    (cmp("traits.vip", "eq", True), {"vip": True}, True),
    (cmp("traits.size", "gt", 5), {"size": "10"}, False),
    (cmp("traits.size", "gt", 5), {"size": 10}, True),
    (cmp("traits.size", "between", [1, 10]), {"size": 10}, True),
    (cmp("traits.size", "eq", 10), {"size": [10]}, False),
    (cmp("traits.size", "in", [10, "EU"]), {"size": {"a": 10}}, False),
    (cmp("traits.size", "gte", 0.1), {"size": 0.1}, True),
    (cmp("traits.big", "eq", 2**60 + 1), {"big": 2**60 + 1}, True),
    (cmp("traits.big", "eq", 2**60), {"big": 2**60 + 1}, False),
    # contains: substring of a string, element of an array (same JSON type)
    (cmp("traits.email", "contains", "@example."), {"email": "ann@example.com"}, True),
    (cmp("traits.email", "contains", "EXAMPLE"), {"email": "ann@example.com"}, False),
    (cmp("traits.tags", "contains", "vip"), {"tags": ["new", "vip"]}, True),
    (cmp("traits.tags", "contains", 10), {"tags": ["10", 10.0]}, True),
    (cmp("traits.tags", "contains", 10), {"tags": ["10", [10]]}, False),
    (cmp("traits.tags", "contains", "vi"), {"tags": ["vip"]}, False),
    (cmp("traits.size", "contains", 1), {"size": 10}, False),
]


@pytest.mark.parametrize(("raw", "traits", "expected"), TRUTH)
def test_trait_truth_rules(raw: dict[str, Any], traits: dict[str, Any], expected: bool) -> None:
    assert holds(raw, customer(traits=traits)) is expected


def test_money_compares_exactly_whatever_the_notation() -> None:
    person = customer(metrics={"spend_365d": "5000.00", "avg_order_value": "0.10"})
    assert holds(cmp("metrics.spend_365d", "gte", 5000), person)
    assert holds(cmp("metrics.spend_365d", "eq", "5000"), person)
    assert not holds(cmp("metrics.spend_365d", "gt", "4999.999999999999999999999"), customer())
    assert holds(cmp("metrics.spend_365d", "gt", "4999.999999999999999999999"), person)
    assert holds(cmp("metrics.avg_order_value", "eq", 0.1), person)
    assert holds(cmp("metrics.spend_365d", "lt", "5000.000000000000000000001"), person)
    assert not holds(cmp("metrics.spend_365d", "lt", "5000"), person)


def test_metric_without_value_is_false_and_its_negation_true() -> None:
    person = customer(metrics={"avg_order_value": None})
    assert not holds(cmp("metrics.avg_order_value", "gte", 0), person)
    assert not holds(cmp("metrics.avg_order_value", "lt", 0), person)
    assert holds(cmp("metrics.avg_order_value", "ne", 0), person)
    assert holds(cmp("metrics.avg_order_value", "exists", False), person)
    assert not holds(cmp("metrics.never_defined", "exists", True), person)


def test_event_count_of_a_type_never_seen_is_zero() -> None:
    assert holds(cmp("metrics.support_ticket_count", "eq", 0), customer())
    assert holds(cmp("metrics.support_ticket_count", "exists", True), customer())
    person = customer(metrics={"support_ticket_count": 3})
    assert holds(cmp("metrics.support_ticket_count", "between", [1, 3]), person)


def test_tiers_compare_by_key() -> None:
    person = customer(tiers={"value": "vip"})
    assert holds(cmp("tiers.value", "eq", "vip"), person)
    assert holds(cmp("tiers.value", "in", ["regular", "vip"]), person)
    assert not holds(cmp("tiers.rfm", "eq", "lost"), person)
    assert holds(cmp("tiers.rfm", "ne", "lost"), person)
    assert holds(cmp("tiers.rfm", "exists", False), person)


def test_groups() -> None:
    person = customer(traits={"a": 1})
    yes, no = cmp("traits.a", "eq", 1), cmp("traits.a", "eq", 2)
    assert holds({"all": []}, person)
    assert not holds({"any": []}, person)
    assert holds({"all": [yes, {"not": no}]}, person)
    assert not holds({"all": [yes, no]}, person)
    assert holds({"any": [no, yes]}, person)
    assert holds({"not": {"any": [no]}}, person)


def test_timestamps_compare_by_instant() -> None:
    person = customer(metrics={"last_order_at": datetime(2026, 1, 1, 0, 0, tzinfo=UTC)})
    assert holds(cmp("metrics.last_order_at", "eq", "2026-01-01T01:00:00+01:00"), person)
    assert holds(
        cmp("metrics.last_order_at", "between", ["2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z"]),
        person,
    )
    assert not holds(cmp("metrics.last_order_at", "gt", "2026-01-01T00:00:00Z"), person)
    assert holds(cmp("customer.created_at", "lt", "2025-01-02T00:00:00Z"), person)


# A 30-day window on 2026-11-20 is 2026-10-22 .. 2026-11-20, as spend_30d counts it.
WINDOW_START = datetime(2026, 10, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 23, 59, 59, 999_999, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize(
    ("moment", "within"),
    [
        (WINDOW_START, True),
        (WINDOW_START - timedelta(microseconds=1), False),
        (WINDOW_START + timedelta(hours=23, minutes=59, seconds=59), True),
        (datetime(2026, 10, 21, 0, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC), True),
        (datetime(2026, 11, 21, 0, 3, tzinfo=UTC), True),
    ],
)
def test_within_days_is_the_metric_window_and_older_than_days_its_complement(
    now: datetime, moment: datetime, within: bool
) -> None:
    person = customer(metrics={"last_order_at": moment})
    assert holds(cmp("metrics.last_order_at", "within_days", 30), person, now) is within
    assert holds(cmp("metrics.last_order_at", "older_than_days", 30), person, now) is not within


def test_missing_timestamp_is_neither_within_nor_older() -> None:
    person = customer(metrics={"last_order_at": None})
    assert not holds(cmp("metrics.last_order_at", "within_days", 30), person)
    assert not holds(cmp("metrics.last_order_at", "older_than_days", 30), person)


def test_zero_days() -> None:
    today = customer(metrics={"last_order_at": NOW})
    assert not holds(cmp("metrics.last_order_at", "within_days", 0), today)
    assert holds(cmp("metrics.last_order_at", "older_than_days", 0), today)
    assert holds(cmp("metrics.last_order_at", "within_days", 1), today)


@given(
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 21), timezones=st.just(UTC)
    ),
    days=st.integers(0, 800),
    now=nows,
)
def test_older_than_days_means_days_since_at_least(
    moment: datetime, days: int, now: datetime
) -> None:
    person = customer(metrics={"last_order_at": moment})
    older = holds(cmp("metrics.last_order_at", "older_than_days", days), person, now)
    since = days_since(moment, utc_day(now))
    assert since is not None
    assert older is (since >= days and moment < midnight(utc_day(now) + timedelta(days=1)))


def flip(raw: dict[str, Any], person: dict[str, Any], now: datetime = NOW) -> datetime | None:
    return next_flip(CONDITION.validate_python(raw), person, now)


def test_within_days_flips_at_the_midnight_the_day_leaves_the_window() -> None:
    person = customer(metrics={"last_order_at": datetime(2026, 10, 22, 23, 59, 59, tzinfo=UTC)})
    raw = cmp("metrics.last_order_at", "within_days", 30)
    moment = flip(raw, person)
    assert moment == datetime(2026, 11, 21, tzinfo=UTC)
    assert holds(raw, person, moment - timedelta(microseconds=1))
    assert not holds(raw, person, moment)


def test_older_than_days_flips_at_the_same_midnight() -> None:
    person = customer(metrics={"last_order_at": datetime(2026, 11, 1, tzinfo=UTC)})
    raw = cmp("metrics.last_order_at", "older_than_days", 30)
    moment = flip(raw, person)
    assert moment == datetime(2026, 12, 1, tzinfo=UTC)
    assert not holds(raw, person, moment - timedelta(microseconds=1))
    assert holds(raw, person, moment)


def test_nothing_flips_without_a_time_comparison_or_a_timestamp() -> None:
    assert flip(cmp("metrics.spend_365d", "gte", 1), customer()) is None
    assert flip(cmp("metrics.last_order_at", "within_days", 30), customer()) is None
    old = customer(metrics={"last_order_at": datetime(2020, 1, 1, tzinfo=UTC)})
    assert flip(cmp("metrics.last_order_at", "within_days", 30), old) is None
    assert flip(cmp("metrics.last_order_at", "older_than_days", 30), old) is None


def test_flip_at_exactly_midnight_is_the_next_one() -> None:
    person = customer(created_at=datetime(2026, 11, 19, 12, tzinfo=UTC))
    raw = cmp("customer.created_at", "within_days", 1)
    at_midnight = datetime(2026, 11, 20, tzinfo=UTC)
    assert flip(raw, person, at_midnight - timedelta(microseconds=1)) == at_midnight
    assert flip(raw, person, at_midnight) is None


def test_days_since_last_order_flips_when_it_reaches_the_threshold() -> None:
    person = customer(metrics={"days_since_last_order": 85})
    assert flip(cmp("metrics.days_since_last_order", "gte", 90), person) == datetime(
        2026, 11, 25, tzinfo=UTC
    )
    assert flip(cmp("metrics.days_since_last_order", "gt", 89.5), person) == datetime(
        2026, 11, 25, tzinfo=UTC
    )
    assert flip(cmp("metrics.days_since_last_order", "eq", 85), person) == datetime(
        2026, 11, 21, tzinfo=UTC
    )
    assert flip(cmp("metrics.days_since_last_order", "lt", 30), person) is None
    assert flip(cmp("metrics.days_since_last_order", "in", [80, 86]), person) == datetime(
        2026, 11, 21, tzinfo=UTC
    )
    assert flip(cmp("metrics.days_since_last_order", "gte", 90), customer()) is None


def test_next_flip_is_the_earliest_of_the_conditions_comparisons() -> None:
    person = customer(
        metrics={"last_order_at": datetime(2026, 11, 10, tzinfo=UTC), "days_since_last_order": 10},
        created_at=datetime(2026, 11, 1, 8, tzinfo=UTC),
    )
    raw = {
        "any": [
            cmp("metrics.last_order_at", "within_days", 30),  # 2026-12-10
            {"not": cmp("customer.created_at", "older_than_days", 25)},  # 2026-11-26
            cmp("metrics.days_since_last_order", "gte", 20),  # 2026-11-30
        ]
    }
    assert flip(raw, person) == datetime(2026, 11, 26, tzinfo=UTC)


def aged(person: Person, days: int) -> dict[str, Any]:
    """The customer ``days`` midnights later with no new event (windowed sums aside)."""
    view = person.view()
    since = view["metrics"]["days_since_last_order"]
    if since is not None:
        view["metrics"]["days_since_last_order"] = since + days
    return view


@given(raw=conditions, person=people, now=nows)
def test_nothing_changes_before_the_next_flip(
    raw: dict[str, Any], person: Person, now: datetime
) -> None:
    condition = CONDITION.validate_python(raw)
    start = evaluate(condition, person.view(), now)
    moment = next_flip(condition, person.view(), now)
    horizon = 400 if moment is None else (utc_day(moment) - TODAY).days
    assert moment is None or (moment > now and moment == midnight(utc_day(moment)))
    for days in range(1, horizon):
        later = midnight(TODAY + timedelta(days=days))
        assert evaluate(condition, aged(person, days), later) is start, days
