"""Parsing conditions: shapes, values, limits, and errors that name the path inside the tree."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.errors import field_errors
from app.rules.schema import (
    MAX_DEPTH,
    MAX_NODES,
    OPS,
    AllCondition,
    Condition,
    MembershipComparison,
    NotCondition,
    OrderComparison,
)

CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)


class Body(BaseModel):
    condition: Condition


def problems(raw: Any) -> list[dict[str, str]]:
    """The ``errors`` a 422 would carry for a body ``{"condition": raw}``."""
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"condition": raw})
    return field_errors(caught.value.errors())


def cmp(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


VALID = [
    cmp("metrics.spend_365d", "gte", 5000),
    cmp("metrics.spend_365d", "gte", "5000.00"),
    cmp("metrics.last_order_at", "lt", "2026-01-01T00:00:00Z"),
    cmp("metrics.last_order_at", "within_days", 30),
    cmp("metrics.support_ticket_count", "between", [1, 3]),
    cmp("traits.industry", "eq", "machinery"),
    cmp("traits.address.country", "in", ["DE", "AT"]),
    cmp("traits.vip", "eq", True),
    cmp("traits.tags", "contains", "wholesale"),
    cmp("traits.employees", "gt", 250),
    cmp("tiers.value", "not_in", ["vip", "regular"]),
    cmp("tiers.value", "exists", False),
    cmp("customer.created_at", "older_than_days", 365),
    {"all": []},
    {"any": [cmp("traits.a", "exists", True), {"not": cmp("tiers.rfm", "eq", "lost")}]},
]


@pytest.mark.parametrize("raw", VALID)
def test_valid_condition_round_trips_unchanged(raw: dict[str, Any]) -> None:
    parsed = CONDITION.validate_python(raw)
    assert CONDITION.dump_python(parsed, mode="json") == raw
    assert Body.model_validate({"condition": raw}).model_dump(mode="json") == {"condition": raw}


def test_numbers_are_exact_decimals_whether_json_numbers_or_strings() -> None:
    as_float = CONDITION.validate_python(cmp("metrics.spend_365d", "gte", 0.1))
    as_string = CONDITION.validate_python(cmp("metrics.spend_365d", "gte", "12345678901234.5678"))
    assert isinstance(as_float, OrderComparison) and as_float.operand == Decimal("0.1")
    assert isinstance(as_string, OrderComparison)
    assert as_string.operand == Decimal("12345678901234.5678")


def test_trait_values_keep_their_json_type() -> None:
    parsed = CONDITION.validate_python(cmp("traits.size", "in", ["10", 10, True, 2.5]))
    assert isinstance(parsed, MembershipComparison)
    assert parsed.operands == ("10", Decimal(10), True, Decimal("2.5"))


def test_timestamps_are_read_with_their_offset_as_utc() -> None:
    parsed = CONDITION.validate_python(
        cmp("customer.created_at", "gte", "2026-01-01T01:00:00+02:00")
    )
    assert isinstance(parsed, OrderComparison)
    assert parsed.operand == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


def test_parsed_nodes_are_typed() -> None:
    parsed = CONDITION.validate_python({"all": [{"not": cmp("traits.a", "exists", True)}]})
    assert isinstance(parsed, AllCondition)
    assert isinstance(parsed.all[0], NotCondition)


BAD = [
    # (condition, field of the error, code)
    (cmp("nonsense.x", "eq", 1), "condition.field", "unknown_field"),
    (cmp("metrics.Spend", "eq", 1), "condition.field", "unknown_field"),
    (cmp("metrics.spend_365d", "approx", 1), "condition.op", "unknown_operator"),
    ({"field": "metrics.spend_365d", "value": 1}, "condition.op", "missing"),
    ({"field": "metrics.spend_365d", "op": "eq"}, "condition.value", "missing"),
    ({"foo": 1}, "condition", "condition_type"),
    ([cmp("traits.a", "eq", 1)], "condition", "condition_type"),
    ({**cmp("traits.a", "eq", 1), "extra": 1}, "condition.extra", "extra_forbidden"),
    ({"all": [cmp("traits.a", "eq", 1)], "any": []}, "condition.any", "extra_forbidden"),
    ({"all": {"field": "traits.a"}}, "condition.all", "list_type"),
    # ordering a string trait: the "gte on a string trait"
    (cmp("traits.size", "gte", "large"), "condition.value", "type_mismatch"),
    (cmp("traits.size", "gte", "10"), "condition.value", "type_mismatch"),
    (cmp("traits.size", "gt", True), "condition.value", "orderable_type"),
    (cmp("traits.since", "within_days", 3), "condition.op", "operator_not_applicable"),
    (cmp("tiers.value", "gte", "vip"), "condition.op", "operator_not_applicable"),
    (cmp("tiers.value", "eq", 1), "condition.value", "type_mismatch"),
    (cmp("metrics.spend_365d", "contains", "1"), "condition.op", "operator_not_applicable"),
    (cmp("metrics.spend_365d", "gte", "lots"), "condition.value", "type_mismatch"),
    (cmp("metrics.spend_365d", "gte", "1e5"), "condition.value", "type_mismatch"),
    (cmp("metrics.spend_365d", "eq", True), "condition.value", "type_mismatch"),
    (cmp("metrics.spend_365d", "eq", None), "condition.value", "scalar_type"),
    (cmp("metrics.spend_365d", "eq", [1]), "condition.value", "scalar_type"),
    (cmp("customer.created_at", "gte", "2026-01-01"), "condition.value", "type_mismatch"),
    (cmp("customer.created_at", "gte", 5), "condition.value", "type_mismatch"),
    (cmp("metrics.orders_90d", "between", [5, 1]), "condition.value", "invalid_range"),
    (cmp("metrics.orders_90d", "between", [1]), "condition.value.1", "missing"),
    (
        cmp("metrics.last_order_at", "between", [1, "2026-01-01T00:00:00Z"]),
        "condition.value",
        "type_mismatch",
    ),
    (cmp("traits.a", "in", []), "condition.value", "too_short"),
    (cmp("traits.a", "in", list(range(1001))), "condition.value", "too_long"),
    (cmp("traits.a", "in", ["x", None]), "condition.value.1", "scalar_type"),
    (cmp("metrics.spend_365d", "in", [1, "x"]), "condition.value.1", "type_mismatch"),
    (cmp("traits.a", "exists", "yes"), "condition.value", "bool_type"),
    (cmp("traits.a", "contains", ""), "condition.value", "string_too_short"),
    (cmp("traits.a", "eq", "a\x00b"), "condition.value", "invalid_string"),
    (cmp("traits.a", "eq", "\ud800"), "condition.value", "invalid_string"),
    # A lone surrogate in a trait's path reached PostgreSQL (a 500).
    (cmp("traits.a\ud800", "eq", "x"), "condition.field", "invalid_string"),
    (cmp("traits.a", "eq", "x" * 1001), "condition.value", "string_too_long"),
    (cmp("traits.a", "eq", float("nan")), "condition.value", "invalid_number"),
    (cmp("metrics.last_order_at", "within_days", -1), "condition.value", "greater_than_equal"),
    (cmp("metrics.last_order_at", "within_days", 1.5), "condition.value", "int_type"),
    (cmp("metrics.last_order_at", "older_than_days", 36501), "condition.value", "less_than_equal"),
]


@pytest.mark.parametrize(("raw", "where", "code"), BAD)
def test_bad_condition_is_refused_naming_the_path(raw: Any, where: str, code: str) -> None:
    assert [(e["field"], e["code"]) for e in problems(raw)] == [(where, code)]


def test_error_deep_in_the_tree_names_its_path() -> None:
    raw = {
        "all": [
            cmp("metrics.spend_365d", "gte", 5000),
            cmp("traits.size", "gte", "large"),
            {"not": {"any": [cmp("tiers.value", "lt", "vip")]}},
        ]
    }
    found = problems(raw)
    assert [(e["field"], e["code"]) for e in found] == [
        ("condition.all.1.value", "type_mismatch"),
        ("condition.all.2.not.any.0.op", "operator_not_applicable"),
    ]
    assert "JSON numbers" in found[0]["message"]


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = cmp("traits.a", "exists", True)
    for _ in range(depth - 1):
        node = {"not": node}
    return node


def test_depth_up_to_the_limit_is_accepted() -> None:
    CONDITION.validate_python(_nested(MAX_DEPTH))


def test_too_deep_is_refused_at_the_node_past_the_limit() -> None:
    [error] = problems(_nested(MAX_DEPTH + 1))
    assert error["code"] == "too_deep"
    assert error["field"] == "condition" + ".not" * MAX_DEPTH


def test_size_up_to_the_limit_is_accepted() -> None:
    CONDITION.validate_python({"any": [cmp("traits.a", "exists", True)] * (MAX_NODES - 1)})


def test_too_large_is_refused() -> None:
    [error] = problems({"any": [cmp("traits.a", "exists", True)] * MAX_NODES})
    assert (error["field"], error["code"]) == ("condition", "too_large")


def test_hostile_depth_is_refused_without_recursing() -> None:
    node: Any = cmp("traits.a", "exists", True)
    for _ in range(100_000):
        node = {"all": [node]}
    [error] = problems(node)
    assert error["code"] == "too_deep"


def test_json_schema_documents_every_node_kind_and_operator() -> None:
    schema = CONDITION.json_schema()
    defs = schema["$defs"]
    kinds = schema["oneOf"]
    assert {"$ref": "#/$defs/AllCondition"} in kinds
    assert {"$ref": "#/$defs/NotCondition"} in kinds
    [comparisons] = [kind for kind in kinds if "discriminator" in kind]
    assert comparisons["discriminator"]["propertyName"] == "op"
    assert set(comparisons["discriminator"]["mapping"]) == set(OPS)
    for ref in comparisons["discriminator"]["mapping"].values():
        model = defs[ref.rsplit("/", 1)[1]]
        assert model["description"] and model["examples"]
        assert "pattern" in model["properties"]["field"]
    assert defs["BetweenComparison"]["properties"]["value"]["maxItems"] == 2
    assert defs["AgeComparison"]["properties"]["value"]["minimum"] == 0
    assert defs["MembershipComparison"]["properties"]["value"]["maxItems"] == 1000


def test_openapi_document_includes_the_condition_schema() -> None:
    app = FastAPI()

    @app.post("/segments")
    def save(body: Body) -> Body:
        return body

    schemas = app.openapi()["components"]["schemas"]
    assert {"AllCondition", "EqualityComparison", "AgeComparison"} <= {
        name.removesuffix("-Input").removesuffix("-Output") for name in schemas
    }
