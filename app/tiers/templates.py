"""Scheme templates: proven classifications installed in one call as ordinary schemes.

Each template has named thresholds with defaults; installing it builds a scheme definition from
them (overridden or not) and saves it like any version (``service.put``), so the workspace can
edit it afterwards like any other scheme. A template may come with segments too, saved beside
the scheme like any segment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, TypeAdapter, ValidationError

from app.errors import InvalidInput, NotFound

Kind = Literal["money", "count", "days", "keys", "probability"]

_KINDS: Mapping[Kind, TypeAdapter[Any]] = {
    "money": TypeAdapter(Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]),
    "count": TypeAdapter(Annotated[StrictInt, Field(ge=0)]),
    "days": TypeAdapter(Annotated[StrictInt, Field(ge=1, le=3650)]),
    "keys": TypeAdapter(Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]),
    "probability": TypeAdapter(Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]),
}
_EXPECTED: Mapping[Kind, str] = {
    "money": "an amount (a number or a decimal string) of 0 or more",
    "count": "a whole number of 0 or more",
    "days": "a whole number of days from 1 to 3650",
    "keys": "a non-empty list of strings",
    "probability": "a probability from 0 to 1 (a number or a decimal string)",
}


class TemplateNotFound(NotFound):
    pass


@dataclass(frozen=True, slots=True)
class Threshold:
    kind: Kind
    default: Any
    description: str


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    thresholds: Mapping[str, Threshold]
    build: Callable[[Mapping[str, Any]], dict[str, Any]]
    """The scheme definition (a ``SchemeIn`` body) for the given thresholds."""
    segments: Callable[[Mapping[str, Any]], dict[str, dict[str, Any]]] = lambda _: {}
    """The segments (``SegmentIn`` bodies by key) it saves beside the scheme."""

    def definition(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The scheme's definition with ``overrides`` in place of the defaults."""
        return self.build(self.values(overrides))

    def segment_definitions(self, overrides: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        return self.segments(self.values(overrides))

    def values(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The thresholds with ``overrides`` in place of the defaults; ``InvalidInput``
        names every unknown or ill-typed one."""
        errors = []
        values = {name: t.default for name, t in self.thresholds.items()}
        for name, value in overrides.items():
            threshold = self.thresholds.get(name)
            if threshold is None:
                known = ", ".join(self.thresholds) or "none"
                errors.append(
                    {
                        "field": f"thresholds.{name}",
                        "message": f"template '{self.name}' has no threshold '{name}' "
                        f"(it has: {known})",
                        "code": "unknown_threshold",
                    }
                )
                continue
            try:
                values[name] = _KINDS[threshold.kind].validate_python(value)
            except ValidationError:
                errors.append(
                    {
                        "field": f"thresholds.{name}",
                        "message": f"must be {_EXPECTED[threshold.kind]}",
                        "code": "invalid_threshold",
                    }
                )
        if errors:
            raise InvalidInput(errors)
        return values


def _cmp(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": str(value) if isinstance(value, Decimal) else value}


def _tier(key: str, name: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "name": name, "condition": condition}


def _value(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "Customer value",
        "description": "VIP, regular and potential customers by spend and orders over the "
        "last 365 days.",
        "tiers": [
            _tier(
                "vip",
                "VIP",
                {
                    "all": [
                        _cmp("metrics.spend_365d", "gte", t["vip_spend"]),
                        _cmp("metrics.orders_365d", "gte", t["vip_orders"]),
                    ]
                },
            ),
            _tier(
                "regular",
                "Regular",
                {
                    "any": [
                        _cmp("metrics.spend_365d", "gte", t["regular_spend"]),
                        _cmp("metrics.orders_365d", "gte", t["regular_orders"]),
                    ]
                },
            ),
        ],
        "default_tier": "potential",
        "downgrade_grace_days": t["grace_days"],
    }


def _lifecycle(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "Lifecycle",
        "description": "New, active, at-risk and churned customers by first order and "
        "recency; prospects have not ordered yet.",
        "tiers": [
            _tier("new", "New", _cmp("metrics.first_order_at", "within_days", t["new_days"])),
            _tier(
                "active", "Active", _cmp("metrics.days_since_last_order", "lt", t["active_days"])
            ),
            _tier(
                "at_risk",
                "At risk",
                _cmp("metrics.days_since_last_order", "lt", t["churned_days"]),
            ),
            _tier("churned", "Churned", _cmp("metrics.order_count", "gte", 1)),
        ],
        "default_tier": "prospect",
    }


def _industrial(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "Account class",
        "description": "Strategic partners, key accounts and general accounts of industrial "
        "buyers by spend, order frequency, industry and company size.",
        "tiers": [
            _tier(
                "strategic",
                "Strategic partner",
                {
                    "all": [
                        _cmp("metrics.spend_365d", "gte", t["strategic_spend"]),
                        _cmp("metrics.orders_365d", "gte", t["strategic_orders"]),
                        _cmp("traits.size", "in", t["strategic_sizes"]),
                    ]
                },
            ),
            _tier(
                "key",
                "Key account",
                {
                    "all": [
                        _cmp("metrics.spend_365d", "gte", t["key_spend"]),
                        _cmp("metrics.orders_365d", "gte", t["key_orders"]),
                        {
                            "any": [
                                _cmp("traits.industry", "in", t["key_industries"]),
                                _cmp("traits.size", "in", t["key_sizes"]),
                            ]
                        },
                    ]
                },
            ),
        ],
        "default_tier": "general",
        "downgrade_grace_days": t["grace_days"],
    }


def _grid(r: tuple[int, int], fm: tuple[int, int]) -> dict[str, Any]:
    return {
        "all": [
            _cmp("metrics.rfm_r", "between", list(r)),
            _cmp("metrics.rfm_fm", "between", list(fm)),
        ]
    }


RFM_GROUPS: list[tuple[str, str, tuple[int, int], tuple[int, int]]] = [
    ("champions", "Champions", (4, 5), (4, 5)),
    ("loyal", "Loyal", (3, 5), (3, 5)),
    ("potential_loyalist", "Potential Loyalist", (3, 5), (2, 2)),
    ("new", "New", (5, 5), (1, 1)),
    ("promising", "Promising", (4, 4), (1, 1)),
    ("need_attention", "Need Attention", (3, 3), (1, 1)),
    ("cant_lose", "Can't Lose Them", (1, 2), (5, 5)),
    ("at_risk", "At Risk", (1, 2), (3, 4)),
    ("about_to_sleep", "About to Sleep", (2, 2), (1, 2)),
    ("hibernating", "Hibernating", (1, 1), (2, 2)),
    ("lost", "Lost", (1, 1), (1, 1)),
]
"""The RFM groups, first match wins, over ``rfm_r`` and ``rfm_fm`` (the rounded mean of
``rfm_f`` and ``rfm_m``): every one of the 25 (R, FM) cells falls in exactly one group."""


def _rfm(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "RFM groups",
        "description": "The usual RFM groups over the recency score and the rounded mean of "
        "the frequency and monetary scores (1-5, refreshed daily); customers without an order "
        "or not scored yet are unscored.",
        "tiers": [_tier(key, name, _grid(r, fm)) for key, name, r, fm in RFM_GROUPS],
        "default_tier": "unscored",
    }


_GRACE = Threshold("count", 30, "Days a customer keeps a higher tier after no longer qualifying.")


def _clv(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "Predicted customer value",
        "description": "Top, high, medium and low value by the CLV model's predicted value "
        "over the next 365 days.",
        "tiers": [
            _tier("top", "Top", _cmp("metrics.predicted_clv_365d", "gte", t["top_clv"])),
            _tier("high", "High", _cmp("metrics.predicted_clv_365d", "gte", t["high_clv"])),
            _tier("medium", "Medium", _cmp("metrics.predicted_clv_365d", "gte", t["medium_clv"])),
        ],
        "default_tier": "low",
        "downgrade_grace_days": t["grace_days"],
    }


def _churn_risk(t: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "churn-risk": {
            "name": "Valuable and probably lapsing",
            "description": "Customers who spent at least `churn_min_spend` and whom the CLV "
            "model gives less than `churn_max_p_alive` chance of still being active.",
            "condition": {
                "all": [
                    _cmp("metrics.lifetime_spend", "gte", t["churn_min_spend"]),
                    _cmp("metrics.p_alive", "lt", t["churn_max_p_alive"]),
                ]
            },
        }
    }


TEMPLATES: Mapping[str, Template] = {
    t.name: t
    for t in (
        Template(
            "value",
            "VIP / regular / potential",
            "VIP: spent `vip_spend` and placed `vip_orders` orders in the last 365 days; "
            "regular: spent `regular_spend` or placed `regular_orders` orders; else potential.",
            {
                "vip_spend": Threshold("money", Decimal(5000), "VIP: spend in 365 days."),
                "vip_orders": Threshold("count", 5, "VIP: orders in 365 days."),
                "regular_spend": Threshold("money", Decimal(500), "Regular: spend in 365 days."),
                "regular_orders": Threshold("count", 2, "Regular: orders in 365 days."),
                "grace_days": _GRACE,
            },
            _value,
        ),
        Template(
            "rfm",
            "RFM groups",
            "Champions, Loyal, Potential Loyalist, New, Promising, Need Attention, About to "
            "Sleep, At Risk, Can't Lose Them, Hibernating and Lost, over the RFM scores.",
            {},
            _rfm,
        ),
        Template(
            "lifecycle",
            "New / active / at risk / churned",
            "New: first order within `new_days`; active: last order less than `active_days` "
            "ago; at risk: less than `churned_days` ago; churned: longer; prospect: no order.",
            {
                "new_days": Threshold("days", 30, "New: first order within this many days."),
                "active_days": Threshold("days", 90, "Active: last order fewer days ago."),
                "churned_days": Threshold("days", 180, "Churned: last order this long ago."),
            },
            _lifecycle,
        ),
        Template(
            "industrial",
            "Strategic / key / general account",
            "Strategic partner: `strategic_spend` and `strategic_orders` in 365 days and a size "
            "in `strategic_sizes`; key account: `key_spend` and `key_orders` and an industry "
            "in `key_industries` or a size in `key_sizes`; else general.",
            {
                "strategic_spend": Threshold("money", Decimal(100000), "Strategic: spend."),
                "strategic_orders": Threshold("count", 12, "Strategic: orders in 365 days."),
                "strategic_sizes": Threshold(
                    "keys", ["large", "enterprise"], "Strategic: `traits.size` values."
                ),
                "key_spend": Threshold("money", Decimal(20000), "Key account: spend."),
                "key_orders": Threshold("count", 4, "Key account: orders in 365 days."),
                "key_industries": Threshold(
                    "keys",
                    ["machinery", "chemicals", "automotive"],
                    "Key account: `traits.industry` values.",
                ),
                "key_sizes": Threshold(
                    "keys", ["medium", "large", "enterprise"], "Key account: `traits.size`."
                ),
                "grace_days": _GRACE,
            },
            _industrial,
        ),
        Template(
            "clv",
            "Predicted value tiers and a churn-risk segment",
            "Tiers by `predicted_clv_365d` (top, high, medium, low) and the segment "
            "`churn-risk`: customers who spent at least `churn_min_spend` with `p_alive` "
            "below `churn_max_p_alive`. The predictions come from the workspace's CLV model "
            "(POST /v1/models/clv/fit); until one is fitted every customer is `low`.",
            {
                "top_clv": Threshold("money", Decimal(2000), "Top: predicted 365-day value."),
                "high_clv": Threshold("money", Decimal(500), "High: predicted 365-day value."),
                "medium_clv": Threshold("money", Decimal(100), "Medium: predicted value."),
                "grace_days": _GRACE,
                "churn_min_spend": Threshold(
                    "money", Decimal(1000), "Churn risk: lifetime spend at least this."
                ),
                "churn_max_p_alive": Threshold(
                    "probability", Decimal("0.3"), "Churn risk: `p_alive` below this."
                ),
            },
            _clv,
            _churn_risk,
        ),
    )
}


def get(name: str) -> Template:
    template = TEMPLATES.get(name)
    if template is None:
        raise TemplateNotFound(
            f"No template '{name}'; there are: {', '.join(TEMPLATES)} (GET /v1/schemes/templates)."
        )
    return template
