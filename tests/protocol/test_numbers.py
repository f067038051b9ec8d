from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.numbers import (
    DecimalSyntaxError,
    fmt_ratio,
    fmt_scaled,
    fmt_wire,
    significant_figures,
    split_decimal,
    to_scaled,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1670.10", (16701, 1)),
        ("2000", (2000, 0)),
        ("-0.5", (-5, 1)),
        ("0.0", (0, 0)),
        ("0.00000001", (1, 8)),
        ("007.50", (75, 1)),
    ],
)
def test_split_decimal(text, expected):
    assert split_decimal(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "1e-5", "1.", ".5", "1.2.3", " 1", "1 ", "+1", "--1", "1,5", "٣", "0x10"]
)
def test_split_decimal_rejects_what_is_not_a_plain_decimal(text):
    with pytest.raises(DecimalSyntaxError):
        split_decimal(text)


def test_split_decimal_rejects_non_strings_and_huge_texts():
    with pytest.raises(DecimalSyntaxError):
        split_decimal(12)  # type: ignore[arg-type]
    with pytest.raises(DecimalSyntaxError):
        split_decimal("1" * 61)


def test_to_scaled():
    assert to_scaled("60000", 1) == 600000
    assert to_scaled("0.0147", 4) == 147
    assert to_scaled("0.01470", 4) == 147
    with pytest.raises(ValueError, match="more than 4 decimals"):
        to_scaled("0.00001", 4)


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (297920, 1, "29792.0"),
        (16701, 1, "1670.1"),
        (0, 6, "0.0"),
        (-95059824, 6, "-95.059824"),
        (147, 4, "0.0147"),
        (5, 0, "5.0"),
        (100000, 5, "1.0"),
    ],
)
def test_fmt_scaled_is_the_venue_style(value, decimals, text):
    assert fmt_scaled(value, decimals) == text


def test_fmt_wire_drops_the_bare_decimal():
    assert fmt_wire(20000, 1) == "2000"
    assert fmt_wire(2, 1) == "0.2"


def test_fmt_ratio_rounds_half_away_from_zero():
    assert fmt_ratio(1, 3, 4) == "0.3333"
    assert fmt_ratio(2, 3, 4) == "0.6667"
    assert fmt_ratio(-2, 3, 4) == "-0.6667"
    assert fmt_ratio(1, 8, 2) == "0.13"
    assert fmt_ratio(5, -2, 1) == "-2.5"


def test_significant_figures():
    assert significant_figures(12345) == 5
    assert significant_figures(1234500) == 5
    assert significant_figures(0) == 0
    assert significant_figures(1001) == 4


@given(st.integers(-(10**15), 10**15), st.integers(0, 8))
def test_format_then_parse_round_trips(value, decimals):
    text = fmt_scaled(value, decimals)
    assert to_scaled(text, decimals) == value
    assert Decimal(text) == Decimal(value).scaleb(-decimals)
