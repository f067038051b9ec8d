"""Margin arithmetic (adl-mechanics.md §1.2-1.3), as pure functions of an account and marks.

- Initial margin of a position: `|size| * mark / leverage`, rounded up.
- Maintenance margin: from the instrument's margin table, rounded up.
- Cross account value: the cross pool plus `size * mark` of every cross position.
- Isolated position value: its pool plus `size * mark`.
- Available to trade: cross account value - cross initial margin - margin reserved by
  resting orders (isolated orders reserve from the cross pool too).
- Withdrawable: cross account value - max(cross initial margin, 10% of cross notional)
  - order margin, floored at 0 (the venue's transfer rule).
- Liquidation price: the venue's formula, `price - side * margin_available / |size| /
  (1 - l * side)`, exact as a Fraction of ticks.
"""

from __future__ import annotations

from fractions import Fraction

import msgspec

from sandbox.core.accounts import Account, Position
from sandbox.core.instruments import Instrument


class CrossSummary(msgspec.Struct, frozen=True, gc=False):
    account_value: int
    notional: int
    margin_used: int  # initial margin of cross positions
    maintenance: int


def isolated_value(pos: Position, mark: int) -> int:
    return pos.iso_raw + pos.size * mark


def cross_summary(
    acct: Account, instruments: tuple[Instrument, ...], marks: list[int], leverage: dict[int, int]
) -> CrossSummary:
    """`leverage` maps each asset to the account's leverage for it."""
    value = acct.raw
    notional = used = maintenance = 0
    for pos in acct.positions.values():
        if pos.isolated:
            continue
        asset = pos.asset
        mark = marks[asset]
        value += pos.size * mark
        ntl = abs(pos.size) * mark
        notional += ntl
        used += -(-ntl // leverage[asset])
        maintenance += instruments[asset].maintenance_margin(ntl)
    return CrossSummary(value, notional, used, maintenance)


def withdrawable(summary: CrossSummary, order_margin_total: int) -> int:
    required = max(summary.margin_used, -(-summary.notional // 10))
    return max(0, summary.account_value - required - order_margin_total)


def return_on_equity(pos: Position, mark: int, leverage: int) -> Fraction:
    """Unrealized PnL over the initial margin at entry (the venue's `returnOnEquity`)."""
    if not pos.entry_ntl:
        return Fraction(0)
    return Fraction(pos.unrealized_pnl(mark) * leverage, pos.entry_ntl)


def liquidation_price(
    pos: Position, inst: Instrument, mark: int, margin_available: int
) -> Fraction | None:
    """The mark at which this position's pool reaches maintenance margin, holding every other
    position of the pool at its mark; None when no positive price liquidates it.

    `margin_available` is the pool's value minus its maintenance margin (cross: the whole
    cross pool's, isolated: the position's)."""
    size = pos.size
    if not size:
        return None
    side = 1 if size > 0 else -1
    num, den = inst.margin_table.maintenance_rate(abs(size) * mark)
    # l = num/den; price - side * avail / |size| / (1 - side * l)
    px = Fraction(mark) - Fraction(side * margin_available * den, abs(size) * (den - side * num))
    return px if px > 0 else None
