"""Units of the core: every number is an integer, exactly as Hyperliquid's precision allows.

For a perp with `szDecimals = d`:
- a size is a number of lots of 10^-d coins;
- a price is a number of ticks of 10^-(6-d) USDC (perps allow at most 6-d decimals);
- so `price * size` is the notional in micro-USDC (10^-6), exactly.
USDC amounts are micro-USDC. Rates (fees, funding, premiums) are integers of 10^-8
(`RATE_SCALE`): the taker fee 0.045% is 45_000, the neutral hourly funding 0.00125% is 1_250.

Wire strings are converted here, once, at the edge; the venue's validity rules are applied
to the integers: a price has at most 5 significant figures unless it is a whole number, and
a size is a whole number of lots (both enforced by the conversion to integers).
"""

from __future__ import annotations

from protocol.numbers import (
    DecimalSyntaxError,
    fmt_ratio,
    fmt_scaled,
    significant_figures,
    to_scaled,
)
from sandbox.core import errors

PERP_MAX_DECIMALS = 6
USDC_DECIMALS = 6
USDC = 10**USDC_DECIMALS
RATE_DECIMALS = 8
RATE_SCALE = 10**RATE_DECIMALS
MAX_SIG_FIGS = 5
_FIVE_FIGURES = 10**MAX_SIG_FIGS  # the smallest number of six figures
AVG_PX_DECIMALS = 8


class Units:
    """Conversions and price rules for one instrument (`szDecimals = sz_decimals`)."""

    __slots__ = ("px_decimals", "px_one", "sz_decimals", "sz_one")

    def __init__(self, sz_decimals: int) -> None:
        if not 0 <= sz_decimals <= PERP_MAX_DECIMALS:
            raise ValueError(f"szDecimals must be within 0..{PERP_MAX_DECIMALS}")
        self.sz_decimals = sz_decimals
        self.px_decimals = PERP_MAX_DECIMALS - sz_decimals
        self.sz_one = 10**sz_decimals
        self.px_one = 10**self.px_decimals

    # wire -> int -------------------------------------------------------------------------

    def parse_px(self, text: str) -> int:
        """A wire price as ticks. Raises `errors.Rejected` with the venue's text."""
        try:
            px = to_scaled(text, self.px_decimals)
        except DecimalSyntaxError:
            raise errors.Rejected(errors.INVALID_PRICE) from None
        except ValueError:
            raise errors.Rejected(errors.TICK) from None
        reason = self.price_error(px)
        if reason is not None:
            raise errors.Rejected(reason)
        return px

    def parse_sz(self, text: str) -> int:
        """A wire size as lots. Raises `errors.Rejected` with the venue's text."""
        try:
            sz = to_scaled(text, self.sz_decimals)
        except ValueError:
            raise errors.Rejected(errors.INVALID_SIZE) from None
        if sz < 0:
            raise errors.Rejected(errors.INVALID_SIZE)
        return sz

    def price_error(self, px: int) -> str | None:
        """The venue's rejection text for a price in ticks, or None when it is valid."""
        if px <= 0:
            return errors.INVALID_PRICE
        if px % self.px_one and significant_figures(px) > MAX_SIG_FIGS:
            return errors.TICK
        return None

    # int -> wire -------------------------------------------------------------------------

    def fmt_px(self, px: int) -> str:
        return fmt_scaled(px, self.px_decimals)

    def fmt_sz(self, sz: int) -> str:
        return fmt_scaled(sz, self.sz_decimals)

    def fmt_avg_px(self, notional: int, size: int) -> str:
        """An average price (notional / size), as the venue prints it."""
        return fmt_ratio(notional, size * self.px_one, AVG_PX_DECIMALS) if size else "0.0"

    def round_px(self, numerator: int, denominator: int, up: bool) -> int:
        """The valid price (5 significant figures, tick decimals) nearest numerator/denominator
        ticks, rounded up or down. Used for slippage prices of market orders."""
        px = -(-numerator // denominator) if up else numerator // denominator
        if px <= 0:
            return 1
        excess = len(str(px)) - MAX_SIG_FIGS
        if excess > 0 and px % self.px_one:
            step = 10 ** min(excess, self.px_decimals)
            px = -(-px // step) * step if up else (px // step) * step
        return px

    def nearest_px(self, px: int) -> int:
        """The valid price nearest `px` ticks (5 significant figures unless whole)."""
        if px <= 0:
            return 1
        if px < _FIVE_FIGURES or not px % self.px_one:  # 5 figures at most, or whole
            return px
        excess = len(str(px)) - MAX_SIG_FIGS
        step = 10 ** min(excess, self.px_decimals)
        return (px + step // 2) // step * step


def fmt_usdc(amount: int) -> str:
    return fmt_scaled(amount, USDC_DECIMALS)


def parse_usdc(text: str) -> int:
    """A wire USDC amount as micro-USDC. Raises ValueError when it is not one."""
    return to_scaled(text, USDC_DECIMALS)


def fmt_rate(rate: int) -> str:
    return fmt_scaled(rate, RATE_DECIMALS)
