"""Exact money: Decimal in, strings out."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
STORED_PLACES = Decimal("0.0001")


def format_money(value: Decimal) -> str:
    """At least two decimals, never fewer than the value needs: ``139.9`` → ``"139.90"``."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return str(value.quantize(CENT))
    stripped = value.normalize()
    stripped_exponent = stripped.as_tuple().exponent
    if isinstance(stripped_exponent, int) and stripped_exponent > -2:
        return str(value.quantize(CENT))
    return f"{stripped:f}"


def format_decimal(value: Decimal) -> str:
    """A plain number with no exponent and no trailing zeros: ``0.2500`` → ``"0.25"``."""
    return f"{value.normalize():f}" if value else "0"


def convert(amount: Decimal, rate: Decimal, places: int) -> Decimal:
    """The amount in the base currency, rounded once, half-even, to ``places``, the base
    currency's minor units (``app.currencies.minor_units``): what is stored, compared,
    explained and shown is that one number."""
    return (amount * rate).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
