"""Checking a condition against what exists in the workspace."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.customers.catalog import BUILTIN_METRIC_KINDS, field_catalog
from app.customers.metrics import BUILTIN_METRICS
from app.metrics.aggregate import Definition
from app.rules.fields import (
    ConditionError,
    FieldCatalog,
    check,
    referenced_metrics,
    referenced_schemes,
)
from app.rules.schema import Condition

CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)

CATALOG = field_catalog(
    definitions=[
        Definition("tickets_90d", "support_ticket", "count", "", 90, ready=True),
        Definition("csat_avg", "survey", "avg", "score", None, ready=True),
        Definition("refunded_180d", "refund", "sum", "", 180, ready=False),
    ],
    scheme_tiers={"value": ["vip", "regular", "potential"], "lifecycle": ["new", "active"]},
)


def errors(raw: dict[str, Any], catalog: FieldCatalog = CATALOG) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in check(CONDITION.validate_python(raw), catalog)]


def cmp(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def test_every_builtin_metric_has_a_kind() -> None:
    assert set(BUILTIN_METRIC_KINDS) == BUILTIN_METRICS


def test_user_metric_kinds_follow_their_aggregation() -> None:
    assert CATALOG.metric_kind("tickets_90d") == "count"
    assert CATALOG.metric_kind("csat_avg") == "number"
    assert CATALOG.metric_kind("refunded_180d") == "money"


def test_known_fields_pass() -> None:
    raw = {
        "all": [
            cmp("metrics.spend_365d", "gte", "5000"),
            cmp("metrics.last_order_at", "within_days", 30),
            cmp("metrics.first_order_at", "lt", "2026-01-01T00:00:00Z"),
            cmp("metrics.csat_avg", "between", [4, 5]),
            cmp("metrics.support_ticket_count", "eq", 0),
            cmp("tiers.value", "in", ["vip", "regular"]),
            cmp("tiers.lifecycle", "exists", True),
            cmp("traits.anything.at.all", "gte", 1),
            cmp("customer.created_at", "older_than_days", 30),
        ]
    }
    assert errors(raw) == []


def test_every_event_type_has_a_count_metric() -> None:
    assert errors(cmp("metrics.webinar_attended_count", "gte", 1)) == []


def test_unknown_metric_is_named_with_a_suggestion() -> None:
    [problem] = check(CONDITION.validate_python(cmp("metrics.spend_356d", "gte", 1)), CATALOG)
    assert (problem.path, problem.code) == ("field", "unknown_metric")
    assert "spend_365d" in problem.message


def test_unknown_scheme_and_tier_are_named() -> None:
    raw = {
        "any": [
            cmp("tiers.valeu", "eq", "vip"),
            cmp("tiers.value", "in", ["vip", "gold"]),
            cmp("tiers.value", "ne", "platinum"),
        ]
    }
    assert errors(raw) == [
        ("any.0.field", "unknown_scheme"),
        ("any.1.value.1", "unknown_tier"),
        ("any.2.value", "unknown_tier"),
    ]


def test_number_compared_with_a_timestamp_metric_is_a_mismatch() -> None:
    assert errors(cmp("metrics.last_order_at", "gte", 5)) == [("value", "type_mismatch")]
    assert errors(cmp("metrics.last_order_at", "between", [1, 2])) == [
        ("value.0", "type_mismatch"),
        ("value.1", "type_mismatch"),
    ]


def test_timestamp_compared_with_a_number_metric_is_a_mismatch() -> None:
    raw = cmp("metrics.spend_365d", "lt", "2026-01-01T00:00:00Z")
    assert errors(raw) == [("value", "type_mismatch")]


def test_days_operators_on_a_number_metric_are_a_mismatch() -> None:
    assert errors(cmp("metrics.spend_365d", "within_days", 30)) == [("op", "type_mismatch")]
    assert errors({"not": cmp("metrics.tickets_90d", "older_than_days", 3)}) == [
        ("not.op", "type_mismatch")
    ]


def test_exists_applies_to_every_metric_kind() -> None:
    assert errors(cmp("metrics.last_order_at", "exists", False)) == []
    assert errors(cmp("metrics.avg_order_value", "exists", True)) == []


def test_errors_become_api_field_errors_under_a_prefix() -> None:
    problem = ConditionError("all.1.value", "bad", "type_mismatch")
    assert problem.field_error("tiers.0.condition") == {
        "field": "tiers.0.condition.all.1.value",
        "message": "bad",
        "code": "type_mismatch",
    }
    assert ConditionError("", "too big", "too_large").field_error("condition")["field"] == (
        "condition"
    )


def test_references_are_listed_for_dependency_checks() -> None:
    parsed = CONDITION.validate_python(
        {
            "all": [
                cmp("tiers.value", "eq", "vip"),
                {"not": cmp("tiers.lifecycle", "eq", "new")},
                cmp("metrics.spend_365d", "gte", 1),
            ]
        }
    )
    assert referenced_schemes(parsed) == {"value", "lifecycle"}
    assert referenced_metrics(parsed) == {"spend_365d"}
