"""Trigger orders (take profit and stop loss), fired by the mark price.

Direction, as the venue's docs give it: a sell take-profit and a buy stop-loss fire when the
mark rises to the trigger price ("Price above X"); a sell stop-loss and a buy take-profit
fire when it falls to it ("Price below X"). A fired limit trigger becomes a resting Gtc
order at its limit price; a fired market trigger becomes a market order with the venue's
10% slippage tolerance, taken from the mark. Orders that fire on the same mark change run in
order of placement (oid).

Groupings: `normalTpsl` children wait for their parent and become live triggers once it has
filled (status "waitingForFill"); `positionTpsl` triggers follow the position: they close
the whole position when they fire and are cancelled when it closes ("waitingForTrigger").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import discard
from sandbox.core.book import Order
from sandbox.core.matching import TRIGGER, WAITING


def fires_above(order: Order) -> bool:
    """True when the order fires as the mark rises to its trigger price."""
    return (order.tpsl == "tp") != order.is_buy


class TriggerBook:
    """Untriggered trigger orders of one asset, by trigger price."""

    __slots__ = ("above", "below")

    def __init__(self) -> None:
        self.above: list[tuple[int, int, Order]] = []  # fire when mark >= px
        self.below: list[tuple[int, int, Order]] = []  # fire when mark <= px

    def add(self, order: Order) -> None:
        insort(
            self.above if fires_above(order) else self.below, (order.trigger_px, order.oid, order)
        )

    def remove(self, order: Order) -> None:
        keys = self.above if fires_above(order) else self.below
        i = bisect_left(keys, (order.trigger_px, order.oid), key=lambda e: (e[0], e[1]))
        del keys[i]

    def due(self, mark: int) -> list[Order]:
        """Remove and return the orders a mark of `mark` fires, in order of placement."""
        fired = []
        above, below = self.above, self.below
        if above and above[0][0] <= mark:
            i = bisect_right(above, mark, key=lambda e: e[0])
            fired.extend(e[2] for e in above[:i])
            del above[:i]
        if below and below[-1][0] >= mark:
            j = bisect_left(below, mark, key=lambda e: e[0])
            fired.extend(e[2] for e in below[j:])
            del below[j:]
        fired.sort(key=lambda o: o.oid)
        return fired

    def __len__(self) -> int:
        return len(self.above) + len(self.below)

    def orders(self) -> list[Order]:
        return [e[2] for e in self.above] + [e[2] for e in self.below]


# Rejections of a fired trigger, as the status its order ends with.
_FIRE_STATUS = {
    errors.REDUCE_ONLY: ev.REDUCE_ONLY_CANCELED,
    errors.PERP_MARGIN: ev.MARGIN_CANCELED,
    errors.MARKET_NO_LIQUIDITY: "marketOrderNoLiquidityRejected",
    errors.PERP_MAX_POSITION: "perpMaxPositionRejected",
}


class TriggersMixin:
    """Part of `Exchange`: trigger orders waiting for the mark."""

    def _arm(self, order: Order) -> None:
        """Make a trigger order live: waiting in the trigger book for the mark."""
        acct = order.account
        order.where = TRIGGER
        self.triggers[order.asset].add(order)
        acct.orders[order.oid] = order
        if order.cloid is not None:
            acct.cloids[order.cloid] = order.oid
        if order.is_position_tpsl:
            tpsl = acct.position_tpsl.get(order.asset)
            if tpsl is None:
                tpsl = acct.position_tpsl[order.asset] = {}
            tpsl[order.oid] = order

    def _disarm(self, order: Order) -> None:
        """Take a trigger order out of the trigger book (cancelled or modified)."""
        self.triggers[order.asset].remove(order)
        self._forget_trigger(order)

    def _forget_trigger(self, order: Order) -> None:
        self._unindex(order)
        if order.is_position_tpsl:
            discard(order.account.position_tpsl, order.asset, order.oid)

    def _activate_children(self, parent: Order) -> None:
        """The parent of a normalTpsl group has filled: its children become live triggers."""
        children, parent.children = parent.children, None
        for child in children:
            child.parent = None
            del child.account.orders[child.oid]
            self._arm(child)
            self._update(child, ev.OPEN)

    def _check_triggers(self, asset: int) -> None:
        book = self.triggers[asset]
        if not len(book):
            return
        for order in book.due(self.marks[asset]):
            if order.oid in order.account.orders:  # still live (an earlier one may have gone)
                self._fire(order)

    def _fire(self, order: Order) -> None:
        acct = order.account
        asset = order.asset
        self._forget_trigger(order)
        self._update(order, ev.TRIGGERED)
        inst = self.instruments[asset]
        mark = self.marks[asset]
        if order.is_position_tpsl:
            size = acct.position_size(asset)
            order.sz = order.orig_sz = size if size > 0 else -size
            if not size:
                self._update(order, ev.REDUCE_ONLY_CANCELED)
                return
        if order.is_market:
            slip = self.config.trigger_market_slippage_pct
            factor = 100 + slip if order.is_buy else 100 - slip
            order.px = inst.units.round_px(mark * factor, 100, up=not order.is_buy)
            order.tif = "FrontendMarket"
        else:
            order.tif = "Gtc"
        try:
            order.sz = self._check_order(
                acct, inst, order.is_buy, order.px, order.sz, order.reduce_only
            )
        except errors.Rejected as rejection:
            self._update(order, _FIRE_STATUS.get(rejection.text, ev.REJECTED))
            return
        status = self._execute(order)
        if isinstance(status, ev.Error):
            text = status.text.rsplit(" asset=", 1)[0]
            self._update(order, _FIRE_STATUS.get(text, ev.REJECTED))

    def _cancel_waiting_child(self, child: Order) -> None:
        parent = child.parent
        parent.children.remove(child)
        if not parent.children:
            parent.children = None
        child.parent = None
        self._unindex(child)

    def _wait_for_parent(self, parent: Order, child: Order) -> None:
        child.where = WAITING
        child.parent = parent
        if parent.children is None:
            parent.children = []
        parent.children.append(child)
        acct = child.account
        acct.orders[child.oid] = child
        if child.cloid is not None:
            acct.cloids[child.cloid] = child.oid
