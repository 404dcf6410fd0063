"""The condition tree as Pydantic models: what a tier rule or a segment definition looks like.

A condition is ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` or a comparison
``{"field": ..., "op": ..., "value": ...}``. Parsing checks everything that needs no knowledge
of the workspace: the shape, the field's syntax, which operators apply to which namespace, and
each operator's value. ``app.rules.fields.check`` then checks the tree against the workspace
(unknown metrics, schemes and tiers, numbers against timestamps).

Errors carry the path inside the tree (``all.1.value``), never a union tag: the node kind is
chosen here by its keys and the comparison model by its ``op``, rather than by a Pydantic
tagged union, whose error locations would name the tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

MAX_DEPTH = 32
MAX_NODES = 1000
MAX_ITEMS = 1000
MAX_DAYS = 36_500
MAX_STRING = 1000

Namespace = Literal["metrics", "traits", "tiers", "customer"]
Operand = Decimal | datetime | str | bool
"""A comparison's value once parsed: numbers are exact Decimals, timestamps aware UTC datetimes."""

Loc = tuple[str | int, ...]

_METRIC = r"metrics\.[a-z0-9_]{1,80}"
_TRAIT = r"traits(\.[^.\x00-\x1f]{1,64}){1,8}"
_TIER = r"tiers\.[A-Za-z0-9_-]{1,64}"
_CUSTOMER = r"customer\.created_at"
FIELD_PATTERN = rf"^({_METRIC}|{_TRAIT}|{_TIER}|{_CUSTOMER})$"
_DECIMAL = re.compile(r"-?\d{1,40}(\.\d{1,40})?")

_OPS_BY_NAMESPACE: dict[str, frozenset[str]] = {
    "metrics": frozenset(
        {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "exists"}
        | {"within_days", "older_than_days"}
    ),
    "traits": frozenset(
        {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "exists", "contains"}
    ),
    "tiers": frozenset({"eq", "ne", "in", "not_in", "exists"}),
    "customer": frozenset(
        {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "exists"}
        | {"within_days", "older_than_days"}
    ),
}


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A parsed ``field``: ``metrics.spend_365d`` → ``("metrics", ("spend_365d",))``;
    ``traits.address.country`` → ``("traits", ("address", "country"))``."""

    namespace: Namespace
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path[0]

    def __str__(self) -> str:
        return ".".join((self.namespace, *self.path))


def parse_field(text: str) -> FieldRef:
    if not re.fullmatch(FIELD_PATTERN, text):
        raise PydanticCustomError(
            "unknown_field",
            "must be metrics.<name>, traits.<key>[.<key>...], tiers.<scheme> or "
            "customer.created_at",
        )
    if not _is_unicode(text):
        # A lone surrogate ("\ud800") parses from JSON but cannot reach PostgreSQL.
        raise PydanticCustomError("invalid_string", "must be valid Unicode")
    namespace, *path = text.split(".")
    assert namespace in _OPS_BY_NAMESPACE
    return FieldRef(namespace, tuple(path))  # type: ignore[arg-type]


class _Invalid(Exception):
    def __init__(self, loc: Loc, code: str, message: str) -> None:
        super().__init__(message)
        self.loc, self.code, self.message = loc, code, message


class _Problems(Exception):
    def __init__(self, items: list[_Invalid]) -> None:
        super().__init__(items[0].message)
        self.items = items


def _raise(problems: list[_Invalid], raw: Any) -> None:
    if problems:
        raise ValidationError.from_exception_data(
            "Condition",
            [
                InitErrorDetails(type=PydanticCustomError(p.code, p.message), loc=p.loc, input=raw)
                for p in problems
            ],
        )


def _is_unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _string(value: str, loc: Loc) -> str:
    if len(value) > MAX_STRING:
        raise _Invalid(loc, "string_too_long", f"must be at most {MAX_STRING} characters")
    if "\x00" in value:
        raise _Invalid(loc, "invalid_string", "must not contain the character U+0000")
    if not _is_unicode(value):
        raise _Invalid(loc, "invalid_string", "must be valid Unicode")
    return value


def _number(value: int | float, loc: Loc) -> Decimal:
    if isinstance(value, int):
        return Decimal(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise _Invalid(loc, "invalid_number", "must be a finite number")
    return Decimal(repr(value))


def _timestamp(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


_NUMBER_OR_TIMESTAMP = (
    'must be a number (a JSON number or a decimal string such as "5000.00") or a date-time '
    'with a timezone (such as "2026-01-01T00:00:00Z")'
)


def _operand(raw: Any, ref: FieldRef, loc: Loc, *, ordered: bool = False) -> Operand:
    """A raw JSON scalar as the operand it means for this field.

    Traits keep their JSON type (``"10"`` is a string, ``10`` a number); every other field
    reads a string as a decimal number or a timestamp.
    """
    if ref.namespace == "traits":
        if isinstance(raw, bool):
            if ordered:
                raise _Invalid(loc, "type_mismatch", "ordering compares numbers, not booleans")
            return raw
        if isinstance(raw, int | float):
            return _number(raw, loc)
        if ordered:
            raise _Invalid(
                loc,
                "type_mismatch",
                'ordering a trait compares JSON numbers; a string (even "10") is not one',
            )
        return _string(raw, loc)
    if ref.namespace == "tiers":
        if not isinstance(raw, str):
            raise _Invalid(loc, "type_mismatch", "must be a tier key (a string)")
        return _string(raw, loc)
    if ref.namespace == "customer":
        moment = _timestamp(raw) if isinstance(raw, str) else None
        if moment is None:
            raise _Invalid(
                loc,
                "type_mismatch",
                'must be a date-time with a timezone, such as "2026-01-01T00:00:00Z"',
            )
        return moment
    if isinstance(raw, bool):
        raise _Invalid(loc, "type_mismatch", _NUMBER_OR_TIMESTAMP)
    if isinstance(raw, int | float):
        return _number(raw, loc)
    if _DECIMAL.fullmatch(raw):
        return Decimal(raw)
    moment = _timestamp(raw)
    if moment is None:
        raise _Invalid(loc, "type_mismatch", _NUMBER_OR_TIMESTAMP)
    return moment


def _scalar(value: Any) -> bool | int | float | str:
    if isinstance(value, bool | int | float | str):
        return value
    raise PydanticCustomError("scalar_type", "must be a JSON number, string or boolean")


def _orderable(value: Any) -> int | float | str:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("orderable_type", "must be a number or a string")


Scalar = Annotated[
    bool | int | float | str,
    PlainValidator(_scalar),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}],
            "description": "A JSON number, string or boolean. For `traits.*` the JSON type "
            'counts (`10` and `"10"` differ); for metrics a string is a decimal number or a '
            "date-time.",
        }
    ),
]
Orderable = Annotated[
    int | float | str,
    PlainValidator(_orderable),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string"}],
            "description": "A number (JSON number, or decimal string for metrics), or a "
            "date-time with a timezone for timestamp fields. Traits order JSON numbers only.",
        }
    ),
]


def _valid_field(text: str) -> str:
    parse_field(text)
    return text


FieldText = Annotated[
    str,
    AfterValidator(_valid_field),
    Field(
        description="What to compare: `metrics.<name>` (built-in or user-defined metric), "
        "`traits.<key>[.<key>...]` (a path into the customer's traits), `tiers.<scheme>` "
        "(the customer's tier key in that scheme) or `customer.created_at`.",
        examples=["metrics.spend_365d", "traits.industry", "tiers.value"],
        json_schema_extra={"pattern": FIELD_PATTERN},
    ),
]


class _Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    field: FieldText
    _ref: FieldRef = PrivateAttr()

    @property
    def ref(self) -> FieldRef:
        return self._private("_ref")  # type: ignore[no-any-return]

    def _private(self, name: str) -> Any:
        # Read straight from pydantic's store: ``self._ref`` goes through
        # ``BaseModel.__getattr__``, a few microseconds a time, and the classification of
        # every event reads these many times.
        assert self.__pydantic_private__ is not None
        return self.__pydantic_private__[name]

    def _resolve(self, ref: FieldRef) -> None:
        raise NotImplementedError

    @model_validator(mode="after")
    def _check_value(self) -> _Comparison:
        ref = self._ref = parse_field(self.field)
        op = getattr(self, "op", "")
        if op not in _OPS_BY_NAMESPACE[ref.namespace]:
            allowed = ", ".join(sorted(_OPS_BY_NAMESPACE[ref.namespace]))
            _raise(
                [
                    _Invalid(
                        ("op",),
                        "operator_not_applicable",
                        f"'{op}' does not apply to {ref.namespace} fields; use one of {allowed}",
                    )
                ],
                op,
            )
        try:
            self._resolve(ref)
        except _Invalid as problem:
            _raise([problem], getattr(self, "value", None))
        except _Problems as problems:
            _raise(problems.items, getattr(self, "value", None))
        return self


class EqualityComparison(_Comparison):
    """`eq` holds when the field's value equals `value` (same type, numbers compared exactly);
    `ne` is its exact negation, so it holds for a missing or null value too."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field": "traits.industry", "op": "eq", "value": "machinery"},
                {"field": "tiers.value", "op": "ne", "value": "vip"},
            ]
        }
    )

    op: Literal["eq", "ne"]
    value: Scalar
    _operand: Operand = PrivateAttr()

    def _resolve(self, ref: FieldRef) -> None:
        self._operand = _operand(self.value, ref, ("value",))

    @property
    def operand(self) -> Operand:
        return self._private("_operand")  # type: ignore[no-any-return]


class OrderComparison(_Comparison):
    """`gt`, `gte`, `lt`, `lte`: numbers compare exactly (money included), timestamps by
    instant. A value that is missing, null or not of the compared type makes it false."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field": "metrics.spend_365d", "op": "gte", "value": "5000.00"},
                {"field": "metrics.first_order_at", "op": "lt", "value": "2025-01-01T00:00:00Z"},
            ]
        }
    )

    op: Literal["gt", "gte", "lt", "lte"]
    value: Orderable
    _operand: Operand = PrivateAttr()

    def _resolve(self, ref: FieldRef) -> None:
        self._operand = _operand(self.value, ref, ("value",), ordered=True)

    @property
    def operand(self) -> Operand:
        return self._private("_operand")  # type: ignore[no-any-return]


class BetweenComparison(_Comparison):
    """Holds when `low <= value <= high` (both ends included)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"field": "metrics.orders_90d", "op": "between", "value": [2, 5]}]
        }
    )

    op: Literal["between"]
    value: tuple[Orderable, Orderable] = Field(description="`[low, high]`, with low ≤ high.")
    _bounds: tuple[Operand, Operand] = PrivateAttr()

    def _resolve(self, ref: FieldRef) -> None:
        low = _operand(self.value[0], ref, ("value", 0), ordered=True)
        high = _operand(self.value[1], ref, ("value", 1), ordered=True)
        if isinstance(low, datetime) != isinstance(high, datetime):
            raise _Invalid(("value",), "type_mismatch", "low and high must be of one type")
        if low > high:  # type: ignore[operator]
            raise _Invalid(("value",), "invalid_range", "low must not be greater than high")
        self._bounds = (low, high)

    @property
    def low(self) -> Operand:
        return self._private("_bounds")[0]  # type: ignore[no-any-return]

    @property
    def high(self) -> Operand:
        return self._private("_bounds")[1]  # type: ignore[no-any-return]


class MembershipComparison(_Comparison):
    """`in` holds when the field's value equals one of the listed values; `not_in` is its
    exact negation, so it holds for a missing or null value too."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field": "traits.region", "op": "in", "value": ["DE", "AT", "CH"]},
                {"field": "tiers.lifecycle", "op": "not_in", "value": ["churned"]},
            ]
        }
    )

    op: Literal["in", "not_in"]
    value: list[Scalar] = Field(min_length=1, max_length=MAX_ITEMS)
    _operands: tuple[Operand, ...] = PrivateAttr()

    def _resolve(self, ref: FieldRef) -> None:
        operands: list[Operand] = []
        problems: list[_Invalid] = []
        for index, item in enumerate(self.value):
            try:
                operands.append(_operand(item, ref, ("value", index)))
            except _Invalid as problem:
                problems.append(problem)
        if problems:
            raise _Problems(problems)
        self._operands = tuple(operands)

    @property
    def operands(self) -> tuple[Operand, ...]:
        return self._private("_operands")  # type: ignore[no-any-return]


class ContainsComparison(_Comparison):
    """For traits only: a string trait containing `value` as a substring (case-sensitive), or
    an array trait with an element equal to `value` (same JSON type)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field": "traits.tags", "op": "contains", "value": "wholesale"},
                {"field": "traits.email", "op": "contains", "value": "@example.com"},
            ]
        }
    )

    op: Literal["contains"]
    value: Scalar
    _operand: Operand = PrivateAttr()

    def _resolve(self, ref: FieldRef) -> None:
        operand = _operand(self.value, ref, ("value",))
        if operand == "":
            raise _Invalid(("value",), "string_too_short", "must not be empty")
        self._operand = operand

    @property
    def operand(self) -> Operand:
        return self._private("_operand")  # type: ignore[no-any-return]


class ExistsComparison(_Comparison):
    """`true` holds when the field has a value that is not null; `false` is its negation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"field": "traits.account_manager", "op": "exists", "value": True}]
        }
    )

    op: Literal["exists"]
    value: StrictBool

    def _resolve(self, ref: FieldRef) -> None:
        return None


class AgeComparison(_Comparison):
    """For timestamps, in whole UTC days like the metric windows. `within_days: N` holds when
    the timestamp's UTC date is today or one of the N-1 days before (or later); `older_than_days:
    N` holds when it is N or more days before today. For a timestamp that exists, exactly one
    of the two holds; for a missing one, neither."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
                {"field": "customer.created_at", "op": "older_than_days", "value": 365},
            ]
        }
    )

    op: Literal["within_days", "older_than_days"]
    value: StrictInt = Field(ge=0, le=MAX_DAYS, description="Whole days, 0 to 36,500.")

    def _resolve(self, ref: FieldRef) -> None:
        return None


Comparison = (
    EqualityComparison
    | OrderComparison
    | BetweenComparison
    | MembershipComparison
    | ContainsComparison
    | ExistsComparison
    | AgeComparison
)
_BY_OP: dict[str, type[_Comparison]] = {
    "eq": EqualityComparison,
    "ne": EqualityComparison,
    "gt": OrderComparison,
    "gte": OrderComparison,
    "lt": OrderComparison,
    "lte": OrderComparison,
    "in": MembershipComparison,
    "not_in": MembershipComparison,
    "exists": ExistsComparison,
    "contains": ContainsComparison,
    "between": BetweenComparison,
    "within_days": AgeComparison,
    "older_than_days": AgeComparison,
}
OPS = tuple(_BY_OP)


class _NodeSchema:
    """Validates one node by its keys (see the module docstring); documents it as the
    precise union, so rule editors see every node kind and every operator's value."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        documented = handler.generate_schema(_DocumentedNode)
        return core_schema.no_info_plain_validator_function(
            _parse_node,
            json_schema_input_schema=documented,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _same, return_schema=documented
            ),
        )


class AllCondition(BaseModel):
    """Holds when every condition in the list holds (an empty list always holds)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={
            "examples": [
                {
                    "all": [
                        {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
                        {"field": "metrics.last_order_at", "op": "within_days", "value": 90},
                    ]
                }
            ]
        },
    )

    all: list[Node] = Field(max_length=MAX_NODES)


class AnyCondition(BaseModel):
    """Holds when at least one condition in the list holds (an empty list never holds)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={
            "examples": [
                {
                    "any": [
                        {"field": "traits.segment", "op": "eq", "value": "enterprise"},
                        {"field": "metrics.lifetime_spend", "op": "gte", "value": "100000"},
                    ]
                }
            ]
        },
    )

    any: list[Node] = Field(max_length=MAX_NODES)


class NotCondition(BaseModel):
    """Holds when the inner condition does not."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [{"not": {"field": "tiers.lifecycle", "op": "eq", "value": "churned"}}]
        },
    )

    not_: Node = Field(alias="not")


Node = Annotated[AllCondition | AnyCondition | NotCondition | Comparison, _NodeSchema]


def _same(node: Node) -> Node:
    return node


def _node_kind(value: Any) -> str:
    if isinstance(value, dict):
        return next((key for key in ("all", "any", "not") if key in value), "comparison")
    if isinstance(value, AllCondition):
        return "all"
    if isinstance(value, AnyCondition):
        return "any"
    return "not" if isinstance(value, NotCondition) else "comparison"


_DocumentedNode = Annotated[
    Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[Annotated[Comparison, Field(discriminator="op")], Tag("comparison")],
    Discriminator(_node_kind),
]


def _parse_node(raw: Any) -> Node:
    if isinstance(raw, AllCondition | AnyCondition | NotCondition | _Comparison):
        return raw  # type: ignore[return-value]
    if not isinstance(raw, dict):
        raise PydanticCustomError(
            "condition_type",
            "must be an object: a comparison with field, op and value, or all, any or not",
        )
    if "all" in raw:
        return AllCondition.model_validate(raw)
    if "any" in raw:
        return AnyCondition.model_validate(raw)
    if "not" in raw:
        return NotCondition.model_validate(raw)
    if "field" not in raw and "op" not in raw:
        raise PydanticCustomError(
            "condition_type",
            "must be a comparison with field, op and value, or one of all, any and not",
        )
    op = raw.get("op")
    model = _BY_OP.get(op) if isinstance(op, str) else None
    if model is None:
        _raise(
            [
                _Invalid(
                    ("op",),
                    "unknown_operator" if "op" in raw else "missing",
                    f"must be one of {', '.join(OPS)}",
                )
            ],
            op,
        )
    assert model is not None
    return model.model_validate(raw)  # type: ignore[return-value]


def _children(node: Any, loc: Loc) -> list[tuple[Any, Loc]]:
    if isinstance(node, dict):
        for key in ("all", "any"):
            if key in node:
                items = node[key] if isinstance(node[key], list) else []
                # Past MAX_NODES the count fails anyway: a hostile list costs no more.
                return [(item, (*loc, key, i)) for i, item in enumerate(items[: MAX_NODES + 1])]
        return [(node["not"], (*loc, "not"))] if "not" in node else []
    if isinstance(node, AllCondition):
        return [(item, (*loc, "all", i)) for i, item in enumerate(node.all)]
    if isinstance(node, AnyCondition):
        return [(item, (*loc, "any", i)) for i, item in enumerate(node.any)]
    if isinstance(node, NotCondition):
        return [(node.not_, (*loc, "not"))]
    return []


def _within_limits(raw: Any) -> Any:
    """Refuses trees deeper than MAX_DEPTH or larger than MAX_NODES before parsing them, so a
    hostile tree costs no more than the limits allow."""
    stack: list[tuple[Any, Loc, int]] = [(raw, (), 1)]
    nodes = 0
    while stack:
        node, loc, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            _raise(
                [_Invalid(loc, "too_deep", f"the condition is nested deeper than {MAX_DEPTH}")],
                raw,
            )
        if nodes > MAX_NODES:
            _raise(
                [_Invalid((), "too_large", f"the condition has more than {MAX_NODES} nodes")],
                raw,
            )
        stack.extend((child, child_loc, depth + 1) for child, child_loc in _children(node, loc))
    return raw


Condition = Annotated[Node, BeforeValidator(_within_limits)]
"""A whole condition tree: a node, at most 32 levels deep and 1,000 nodes large."""


def walk(condition: Node, loc: Loc = ()) -> Iterator[tuple[Loc, Comparison]]:
    """Every comparison in the tree, with its path."""
    stack: list[tuple[Any, Loc]] = [(condition, loc)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, AllCondition | AnyCondition | NotCondition):
            stack.extend(reversed(_children(node, at)))
        else:
            yield at, node


def dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


_CONDITION_ADAPTER: TypeAdapter[Node] = TypeAdapter(Condition)


def parse_condition(raw: Any) -> Node:
    """A stored or requested condition (JSON data), parsed and checked for shape and limits."""
    return _CONDITION_ADAPTER.validate_python(raw)


def condition_json(condition: Node) -> Any:
    """The condition back as JSON data, as a client wrote it (``not`` by its alias)."""
    return _CONDITION_ADAPTER.dump_python(condition, mode="json", by_alias=True)
