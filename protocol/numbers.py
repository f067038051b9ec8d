"""Hyperliquid's decimal strings and the scaled integers behind them.

On the wire every price, size and USDC amount is a JSON string holding a plain decimal
(`"29792.0"`, `"0.0147"`, `"-95.059824"`). Inside the sandbox each one is an integer in
units of 10^-decimals. This module converts between the two, exactly, and formats numbers
back the way the venue prints them: no exponent, no trailing zeros, at least one decimal
(`"0.0"`, `"1670.1"`, `"26951.0"`).
"""

from __future__ import annotations

_POW10 = tuple(10**i for i in range(40))


class DecimalSyntaxError(ValueError):
    """The text is not a plain decimal number."""


def split_decimal(text: str) -> tuple[int, int]:
    """Parse a plain decimal string into `(digits, decimals)`, trailing zeros removed.

    `"1670.10"` gives `(16701, 1)`, `"2000"` gives `(2000, 0)`, `"-0.5"` gives `(-5, 1)`.
    Accepts an optional leading minus, digits, and an optional fraction after one dot.
    Raises DecimalSyntaxError for anything else (exponents, spaces, empty parts).
    """
    if type(text) is not str or not text or len(text) > 60:
        raise DecimalSyntaxError(text)
    body = text[1:] if text[0] == "-" else text
    whole, dot, frac = body.partition(".")
    if (
        not whole.isdigit()
        or not whole.isascii()
        or (dot and not (frac.isdigit() and frac.isascii()))
    ):
        raise DecimalSyntaxError(text)
    frac = frac.rstrip("0")
    digits = int(whole + frac) if frac else int(whole)
    return (-digits if text[0] == "-" else digits), len(frac)


def to_scaled(text: str, decimals: int) -> int:
    """Parse `text` as an integer number of 10^-decimals units.

    Raises DecimalSyntaxError when the text is not a decimal, and ValueError when it has
    more significant decimals than `decimals` (it is not a whole number of units).
    """
    digits, places = split_decimal(text)
    if places > decimals:
        raise ValueError(f"{text!r} has more than {decimals} decimals")
    return digits * _POW10[decimals - places]


def fmt_scaled(value: int, decimals: int) -> str:
    """Format `value` units of 10^-decimals in the venue's style: `"29792.0"`, `"0.0147"`."""
    if decimals == 0:
        return f"{value}.0"
    sign = ""
    if value < 0:
        sign, value = "-", -value
    whole, frac = divmod(value, _POW10[decimals])
    if not frac:
        return f"{sign}{whole}.0"
    return f"{sign}{whole}.{frac:0{decimals}d}".rstrip("0")


def fmt_wire(value: int, decimals: int) -> str:
    """Format like the SDK's `float_to_wire`: no trailing zeros and no bare `.0` (`"2000"`)."""
    text = fmt_scaled(value, decimals)
    return text[:-2] if text.endswith(".0") else text


def fmt_ratio(numerator: int, denominator: int, decimals: int) -> str:
    """Format numerator/denominator rounded half away from zero to `decimals` places."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    scaled = numerator * _POW10[decimals]
    quotient, remainder = divmod(abs(scaled), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return fmt_scaled(-quotient if scaled < 0 else quotient, decimals)


def significant_figures(value: int) -> int:
    """Number of significant digits of a non-negative integer once trailing zeros go."""
    if value == 0:
        return 0
    text = str(value)
    return len(text.rstrip("0"))


# -- for people: how every line of text shows money and prices ---------------------------------


def usd(amount) -> str:
    """A USDC amount for reading: `$58,735.90`, `-$12.50` (cents, thousands separated)."""
    from decimal import ROUND_HALF_EVEN, Decimal

    value = Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def price(px) -> str:
    """A price for reading, with the decimals it has on the venue: `58,735.9`, `0.006095`."""
    from decimal import Decimal

    value = Decimal(str(px))
    text = f"{value:,f}"
    return text
