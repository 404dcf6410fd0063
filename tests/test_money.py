"""Money as the API writes it: the base currency's minor units, and no digit of the number
stored and compared ever hidden."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.money import average_places, format_money


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("12.3", "EUR", "12.30"),
        ("91.91", "EUR", "91.91"),
        ("0", "EUR", "0.00"),
        ("0.0000", "EUR", "0.00"),
        ("-5", "USD", "-5.00"),
        ("1578", "JPY", "1578"),
        ("1578.0000", "JPY", "1578"),
        ("1E+3", "JPY", "1000"),
        ("12.345", "KWD", "12.345"),
        ("12.3", "KWD", "12.300"),
        ("0", "KWD", "0.000"),
    ],
)
def test_money_has_the_minor_units_of_its_currency(value: str, currency: str, shown: str) -> None:
    assert format_money(Decimal(value), currency) == shown


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("333.3333", "EUR", "333.3333"),
        ("129.9000", "EUR", "129.90"),
        ("1000.5000", "JPY", "1000.5"),
        ("1578.3300", "JPY", "1578.33"),
        ("12.3456", "KWD", "12.3456"),
    ],
)
def test_more_decimals_than_the_minor_units_are_shown_never_hidden(
    value: str, currency: str, shown: str
) -> None:
    """An average, or an amount sent in the base currency with more decimals than its minor
    units: shown as the number rules compare, without trailing zeros beyond the units."""
    assert format_money(Decimal(value), currency) == shown


def test_an_average_to_cents_keeps_the_minor_units_of_a_currency_that_has_more() -> None:
    assert (average_places("EUR"), average_places("JPY"), average_places("KWD")) == (2, 2, 3)
