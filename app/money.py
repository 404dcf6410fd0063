"""Exact money: Decimal in, strings out, and the schemas of those strings in the API."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import GetPydanticSchema
from pydantic_core import core_schema

from app.currencies import minor_units

STORED_PLACES = Decimal("0.0001")
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def format_money(value: Decimal, currency: str) -> str:
    """``value`` in ``currency`` as the API shows it: with the currency's minor units, and
    more decimals only where the value has them, so that no digit of the number stored and
    compared is hidden: ``91.9`` EUR → ``"91.90"``, ``1578.0000`` JPY → ``"1578"``,
    ``12.3456`` EUR (an average) → ``"12.3456"``."""
    places = minor_units(currency)
    stripped = value.normalize()
    exponent = stripped.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return f"{stripped:f}"


def format_decimal(value: Decimal) -> str:
    """A plain number with no exponent and no trailing zeros: ``0.2500`` → ``"0.25"``."""
    return f"{value.normalize():f}" if value else "0"


def convert(amount: Decimal, rate: Decimal, places: int) -> Decimal:
    """The amount in the base currency, rounded once, half-even, to ``places``, the base
    currency's minor units (``app.currencies.minor_units``): what is stored, compared,
    explained and shown is that one number."""
    return (amount * rate).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def average_places(currency: str) -> int:
    """The places of an average that is documented "to cents": 2, or the currency's minor
    units where it has more (3 for KWD)."""
    return max(2, minor_units(currency))


def _decimal_string(name: str, description: str) -> GetPydanticSchema:
    """A string holding an exact decimal, under its own name in the OpenAPI document's
    ``components/schemas`` (a ``$ref`` wherever it is used)."""
    shown = {"title": name, "description": description, "format": "decimal"}
    return GetPydanticSchema(
        lambda _source, _handler: core_schema.str_schema(
            pattern=DECIMAL_PATTERN, ref=name, metadata={"pydantic_js_updates": shown}
        )
    )


Money = Annotated[
    str,
    _decimal_string(
        "Money",
        "An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as "
        'an exact decimal string with the currency\'s minor units: `"91.91"` in EUR or USD, '
        '`"1578"` in JPY, `"12.345"` in KWD. An amount in another currency is converted on '
        "arrival at the workspace's rate and rounded then, once, half-even, to those units; "
        "totals and windows are sums of such amounts. It is the one number that is stored, "
        'compared by tier rules and segments (a threshold of `"91.91"` holds for it), shown '
        "in explanations, webhooks and exports. Only an amount sent in the base currency with "
        "more decimals than its minor units keeps them, and so does what is summed from it.",
    ),
]
"""An amount, or a sum of amounts, in the workspace's base currency (``format_money``)."""

MoneyAverage = Annotated[
    str,
    _decimal_string(
        "MoneyAverage",
        "An average of amounts in the workspace's base currency as an exact decimal string, "
        "rounded half-even to the places its field states (4 for the metrics "
        "`avg_order_value` and a user-defined `avg` of `amount`; 2, or the currency's minor "
        "units where it has more, for `expected_order_value` and the analytics' "
        "`average_order_value`), and written as `Money` is: with at least the currency's "
        'minor units, without trailing zeros beyond them: `"129.90"` or `"333.3333"` in '
        'EUR, `"1578"` or `"1000.5"` in JPY. It is the number rules compare.',
    ),
]
"""An average of amounts in the workspace's base currency (``format_money``)."""

CurrencyAmount = Annotated[
    str,
    _decimal_string(
        "CurrencyAmount",
        "An amount in the currency named beside it (`currency`), as it was sent, as an exact "
        'decimal string with at least that currency\'s minor units: `"99.90"` USD, '
        '`"1578"` JPY.',
    ),
]
"""An amount in a currency of its own, such as an event's original amount."""
