"""Settling one fill into an account: position, cost basis, pools, realized PnL.

Pure functions on an account; the matching engine calls `settle` once per side of a
fill. Raw-USD accounting (see `accounts`): a buy of `q` at `px` takes `px * q` out of the
pool that holds the position, a sell puts it in; the fill's fee comes out of the same pool.

Isolated pools: opening or growing an isolated position moves its initial margin,
`ceil(px * q / leverage)`, from the cross pool into the position's pool. Reducing it
releases the pool's value pro rata to the size closed (valued at the fill price, rounded
down), and closing it releases the rest. That release rule is not published by the venue
(its docs state it only for strict-isolated assets); it is the natural one and keeps an
isolated position's leverage steady as it shrinks.
"""

from __future__ import annotations

from typing import Protocol

from sandbox.core.accounts import Account, Position


class Settings(Protocol):
    """Where `settle` finds an account's margin settings, when a fill opens a position."""

    def is_isolated(self, acct: Account, asset: int) -> bool: ...

    def leverage_of(self, acct: Account, asset: int) -> int: ...


def settle(
    acct: Account, asset: int, is_buy: bool, px: int, q: int, fee: int, settings: Settings
) -> tuple[int, int]:
    """Apply a fill of `q` lots at `px` to `acct`, with its `fee` (paid from the pool that
    holds the position); return (start position, closed PnL)."""
    positions = acct.positions
    pos = positions.get(asset)
    if pos is None:
        pos = positions[asset] = Position(asset, settings.is_isolated(acct, asset))
    start = pos.size
    ntl = px * q
    if pos.isolated:
        pos.iso_raw += (-ntl if is_buy else ntl) - fee
    else:
        acct.raw += (-ntl if is_buy else ntl) - fee

    if start == 0 or (start > 0) == is_buy:  # opening or growing
        pos.entry_ntl += ntl
        pos.size = start + q if is_buy else start - q
        if pos.isolated:
            margin = -(-ntl // settings.leverage_of(acct, asset))
            acct.raw -= margin
            pos.iso_raw += margin
        pos.funding_change = 0
        return start, 0

    held = start if start > 0 else -start
    close_q = q if q < held else held
    removed = pos.entry_ntl if close_q == held else pos.entry_ntl * close_q // held
    close_ntl = px * close_q
    closed_pnl = close_ntl - removed if start > 0 else removed - close_ntl
    pos.entry_ntl -= removed
    size = start + q if is_buy else start - q
    pos.size = size
    pos.funding_change = 0
    if pos.isolated:
        _release_isolated(acct, pos, px, close_q, held)
    if size == 0:
        del positions[asset]
    elif close_q < q:  # flipped through zero: the rest opens the other way
        open_ntl = px * (q - close_q)
        pos.entry_ntl = open_ntl
        pos.funding_open = 0
        if pos.isolated:
            margin = -(-open_ntl // settings.leverage_of(acct, asset))
            acct.raw -= margin
            pos.iso_raw += margin
    return start, closed_pnl


def _release_isolated(acct: Account, pos: Position, px: int, close_q: int, held: int) -> None:
    """Return the closed share of an isolated pool to cross. Called after the fill moved the
    pool and the size; the pool's value at the fill price is what it was before the fill."""
    value = pos.iso_raw + pos.size * px
    if close_q == held:
        # Closed (or flipped): all of the value goes back. A negative value here is bad debt;
        # the loss waterfall closes bankrupt positions before it comes to this.
        release = value
    else:
        release = value * close_q // held if value > 0 else 0
    pos.iso_raw -= release
    acct.raw += release
