"""Auto-deleveraging policies: who is closed against a bankrupt position, and at what price.

Each policy ranks the positions on the opposite side of the bankrupt one from a snapshot
taken before any ADL fill; profitable positions come first, then the others, each group by
the policy's score (highest first), ties broken by address. All scores are integers
(`SCORE_SCALE` = 10^18 per unit of the formula), so the ranking is exact and deterministic.

- `hyperliquid`: `(mark / entry) * (notional / account value)` (adl-mechanics.md §1.5). Read
  literally this favours closing losing shorts, so by default shorts use `entry / mark`
  (`hyperliquid_short_index = "mirrored"`, a documented choice; "literal" is available).
  Price: the previous mark, bounded by the bankrupt account's bankruptcy price.
- `binance`: `max(0, uPnL) / max(1, wallet balance) * MM / (wallet balance + uPnL)`.
  Price: the bankruptcy price.
- `bitmex`: `PnL% * effective leverage` when in profit, `PnL% / effective leverage`
  otherwise, with effective leverage `notional / account value`. Price: the bankruptcy price.
- `pro_rata`: no queue: every profitable opposite position is cut by the same fraction
  (then, if that is not enough, every other one), lots apportioned by largest remainder.
  Price: the bankruptcy price. Its displayed rank orders by PnL%.

The bankruptcy price of a position is where closing it leaves its account (or isolated
position) at zero value, the other positions held at mark; an account's shortfall is shared
by its positions pro rata to notional, rounded so the account never ends below zero.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.core.events import RankEntry
from sandbox.core.units import USDC

SCORE_SCALE = 10**18
TOP = 1 << 120  # the score of a position whose account has no positive value


class Candidate(NamedTuple):
    """A position that could be closed by ADL, as it stood in the snapshot."""

    user: str
    size: int  # signed, lots
    entry_ntl: int  # cost basis, micro-USDC
    mark: int
    upnl: int
    account_value: int  # the account's (isolated: the position's) value at mark
    wallet: int  # account value less unrealized PnL
    maintenance: int  # the position's maintenance margin


def score(policy: str, c: Candidate, short_index: str = "mirrored") -> int:
    held = c.size if c.size > 0 else -c.size
    ntl = held * c.mark
    av = c.account_value
    if policy == "hyperliquid":
        if av <= 0:
            return TOP
        if c.size < 0 and short_index == "mirrored":
            return c.entry_ntl * SCORE_SCALE // av  # (entry / mark) * (notional / value)
        return c.mark * held * ntl * SCORE_SCALE // (c.entry_ntl * av)
    if policy == "binance":
        if c.upnl <= 0 or c.wallet + c.upnl <= 0:
            return 0
        return c.upnl * c.maintenance * SCORE_SCALE // (max(USDC, c.wallet) * (c.wallet + c.upnl))
    if policy == "bitmex":
        if av <= 0:
            return TOP if c.upnl > 0 else -TOP
        if c.upnl > 0:
            return c.upnl * ntl * SCORE_SCALE // (c.entry_ntl * av)
        return c.upnl * av * SCORE_SCALE // (c.entry_ntl * ntl)
    return c.upnl * SCORE_SCALE // c.entry_ntl  # pro_rata: PnL%, for display


def rank(
    policy: str, candidates: list[Candidate], short_index: str = "mirrored"
) -> list[RankEntry]:
    """The snapshot, first to be closed first."""
    scored = [(c, score(policy, c, short_index)) for c in candidates]
    scored.sort(key=lambda e: (e[0].upnl <= 0, -e[1], e[0].user))
    return [RankEntry(c.user, s, c.size, c.upnl, c.account_value) for c, s in scored]


def quantiles(ranking: list[RankEntry]) -> dict[str, int]:
    """Binance-style queue indicator: 4 for the first fifth to be closed, 0 for the last."""
    n = len(ranking)
    return {entry.user: 4 - (i * 5 // n) for i, entry in enumerate(ranking)}


def plan(policy: str, ranking: list[RankEntry], needed: int) -> list[tuple[str, int]]:
    """How much (lots) each ranked position gives up so that `needed` lots are closed, in
    the order they are used. Queue policies take the ranking top down; pro rata cuts every
    profitable position by the same fraction, then the others if that is not enough."""
    if policy != "pro_rata":
        out = []
        for entry in ranking:
            if needed <= 0:
                break
            held = entry.size if entry.size > 0 else -entry.size
            take = held if held < needed else needed
            out.append((entry.user, take))
            needed -= take
        return out
    profitable = [e for e in ranking if e.upnl > 0]
    others = [e for e in ranking if e.upnl <= 0]
    out = []
    for group in (profitable, others):
        if needed <= 0:
            break
        shares = _pro_rata(group, needed)
        out.extend(shares)
        needed -= sum(x for _, x in shares)
    return out


def _pro_rata(group: list[RankEntry], needed: int) -> list[tuple[str, int]]:
    sizes = [abs(e.size) for e in group]
    total = sum(sizes)
    if total <= needed:
        return [(e.user, s) for e, s in zip(group, sizes, strict=True) if s]
    base = [s * needed // total for s in sizes]
    remainder = needed - sum(base)
    # largest fractional part first; ties in ranking order
    order = sorted(range(len(group)), key=lambda i: (-(sizes[i] * needed % total), i))
    for i in order[:remainder]:
        base[i] += 1
    return [(e.user, x) for e, x in zip(group, base, strict=True) if x]


def bankruptcy_prices(value: int, positions: list[tuple[int, int]]) -> list[int]:
    """For an account (or isolated position) of `value` holding (signed size, mark)
    positions: the price closing each leaves it at zero, rounded in its favour (ticks)."""
    notionals = [abs(size) * mark for size, mark in positions]
    total = sum(notionals)
    prices = []
    for (size, mark), ntl in zip(positions, notionals, strict=True):
        share = value * ntl // total if total else value
        held = size if size > 0 else -size
        if size > 0:  # sells: at least mark - share / size
            prices.append(mark - share // held)
        else:  # buys: at most mark + share / size
            prices.append(max(1, mark + share // held))
    return prices


ADL_PRICES = ("policy", "previous_mark", "bankruptcy")


def adl_price(
    policy: str, is_long: bool, bankruptcy: int, previous_mark: int, mark: int, solvent: bool,
    rule: str = "policy",
) -> int:
    """The price a bankrupt (or over-threshold vault) position is closed at.

    `rule` "policy" takes the policy's own: Hyperliquid's previous mark, the others' the
    bankruptcy price; "previous_mark" and "bankruptcy" impose one for every policy.
    `solvent` marks a vault closed because its loss passed its threshold: its positions are
    not bankrupt, so the bankruptcy rule closes them at the mark. Never worse for the closed
    account than its bankruptcy price."""
    if rule == "policy":
        rule = "previous_mark" if policy == "hyperliquid" else "bankruptcy"
    if rule == "previous_mark":
        base = previous_mark or mark
    else:
        base = mark if solvent else bankruptcy
    return max(base, bankruptcy) if is_long else min(base, bankruptcy)
