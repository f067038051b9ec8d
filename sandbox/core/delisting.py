"""Delisting an asset, as the venue does it (docs, delisting): every open order in it is
cancelled (`delistedCanceled`), every position is settled at one price (the venue settles
at a 1-hour oracle TWAP before the vote; the sandbox at the mark, the price the waterfall
kept every account solvent at, so that no account is left owing), with a fill whose `dir` is
"Settlement", and no order is taken after. The asset stays in `meta`, flagged `isDelisted`,
so that asset ids never shift.

Settlement is zero-sum: every long and every short of the asset closes at the same price,
and longs equal shorts, so what the longs receive the shorts pay, exactly.
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.ids import trade_id
from sandbox.core.settlement import settle
from sandbox.core.twap import TERMINATED

SETTLEMENT = "Settlement"


class DelistingMixin:
    """Part of `Exchange`: delisting an asset on the control plane's command."""

    def _delist(self, c: cmd.Delist) -> ev.ActionResult | None:
        asset = c.asset
        if not 0 <= asset < self._n_assets:
            return ev.ActionResult("", "err", error=errors.UNKNOWN_ASSET_ACTION)
        if asset in self.delisted:
            return ev.ActionResult("", "err", error=errors.DELISTED)
        if not self.marks[asset]:
            return ev.ActionResult("", "err", error=errors.NO_PRICE_TO_SETTLE)
        self.delisted.add(asset)
        self.halted.add(asset)  # nothing matches in it again
        self._cancel_delisted_orders(asset)
        for twap in sorted((t for t in self.twaps.values() if t.asset == asset),
                           key=lambda t: t.id):  # fmt: skip
            self._end_twap(twap, TERMINATED)
        self._settle_positions(asset, self.marks[asset])
        return None

    def _cancel_delisted_orders(self, asset: int) -> None:
        by_user: dict[str, list[tuple[int, int]]] = {}
        orders = [o for acct in self.accounts.values() for o in acct.orders.values()
                  if o.asset == asset and o.parent is None]  # fmt: skip
        for order in sorted(orders, key=lambda o: o.oid):
            if order.oid in order.account.orders:
                by_user.setdefault(order.account.address, []).append((asset, order.oid))
                self._cancel(order, ev.DELISTED_CANCELED)
        for user, cancels in sorted(by_user.items()):
            self._events.append(ev.NonUserCancel(user, tuple(cancels), self.ts))

    def _settle_positions(self, asset: int, px: int) -> None:
        """Close every position in `asset` at `px`, one-sided fills of dir "Settlement"."""
        fills = []
        for address in sorted(self.holders[asset]):
            acct = self.accounts[address]
            size = acct.positions[asset].size
            is_buy = size < 0
            start, pnl = settle(acct, asset, is_buy, px, abs(size), 0, self)
            self._track_holder(acct, asset, start)
            self.trade_seq += 1
            self.next_oid += 1
            fills.append(ev.Fill(
                address, asset, px, abs(size), is_buy, self.ts, start, SETTLEMENT, pnl,
                self.next_oid, False, 0, trade_id(self.trade_seq), self.action_seq,
            ))  # fmt: skip
            self._position_changed(acct, asset)
        self.open_interest[asset] = 0
        if fills:
            self._events.append(ev.Settled(asset, px, tuple(fills), self.ts))
