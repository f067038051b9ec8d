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

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account, discard
from sandbox.core.book import Order
from sandbox.core.errors import InvariantError
from sandbox.core.instruments import Instrument
from sandbox.core.matching import FIRING, TRIGGER, WAITING


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
        if i == len(keys) or keys[i][2] is not order:
            raise InvariantError(f"trigger order {order.oid} is not in the trigger book")
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


# Rejections of a fired trigger, as the status its order ends with (a cancel where the
# venue names one, else the rejection's own status).
_FIRE_STATUS = {
    errors.REDUCE_ONLY: ev.REDUCE_ONLY_CANCELED,
    errors.PERP_MARGIN: ev.MARGIN_CANCELED,
}


class TriggersMixin:
    """Part of `Exchange`: trigger orders, from placement (alone or in TP/SL groups) to the
    mark that fires them."""

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
        """The parent of a normalTpsl group has filled: its children become live triggers,
        siblings of one another (the first to fill cancels the others)."""
        children, parent.children = parent.children, None
        group = children if len(children) > 1 else None
        for child in children:
            child.parent = None
            child.siblings = group
            del child.account.orders[child.oid]
            self._arm(child)
            self._update(child, ev.OPEN)

    def _sibling_filled(self, order: Order) -> None:
        """`order`, a TP/SL child, has filled (some or all of it): its siblings still open
        are cancelled with the venue's `siblingFilledCanceled`. For a normalTpsl child they
        are the other children of its group; for a positionTpsl order, the position's other
        TP/SL orders still waiting for their trigger."""
        acct = order.account
        if order.siblings is not None:
            siblings, order.siblings = order.siblings, None
            others = [o for o in siblings if o is not order and o.oid in acct.orders]
            for other in others:
                other.siblings = None
        else:
            tpsl = acct.position_tpsl.get(order.asset)
            others = [o for o in tpsl.values() if o is not order] if tpsl else []
        for other in sorted(others, key=lambda o: o.oid):
            self._cancel(other, ev.SIBLING_FILLED_CANCELED)

    def _check_triggers(self, asset: int) -> None:
        book = self.triggers[asset]
        if not len(book) or asset in self.halted:  # paused: they fire when it resumes
            return
        fired = book.due(self.marks[asset])
        for order in fired:  # out of the trigger book: a sibling's fill may cancel them first
            order.where = FIRING
        for order in fired:
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
            text = rejection.text
            self._update(order, _FIRE_STATUS.get(text) or errors.rejected_status(text)
                         or ev.REJECTED)  # fmt: skip
            return
        self._execute(order)  # a market trigger the book cannot take ends rejected there

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

    # -- placing trigger orders and TP/SL groups -------------------------------------------

    def _check_trigger(
        self, acct: Account, inst: Instrument, spec: cmd.OrderSpec, freed: Order | None = None
    ) -> int:
        trigger = spec.trigger
        units = inst.units
        if self.halted and inst.asset in self.halted:
            raise errors.Rejected(
                errors.DELISTED if inst.asset in self.delisted else errors.TRADING_HALTED
            )
        if trigger.tpsl not in ("tp", "sl"):
            raise errors.Rejected(errors.BAD_TRIGGER_PX)
        if units.price_error(trigger.trigger_px) or units.price_error(spec.px):
            raise errors.Rejected(errors.BAD_TRIGGER_PX)
        if spec.sz <= 0:
            raise errors.Rejected(errors.ZERO_SIZE if spec.sz == 0 else errors.INVALID_SIZE)
        size = acct.position_size(inst.asset)
        reduces = size != 0 and (size > 0) != spec.is_buy
        held = size if size > 0 else -size
        if spec.px * spec.sz < self._min_order_value and not (reduces and spec.sz >= held):
            raise errors.Rejected(errors.MIN_TRADE_NTL)
        self._check_open_orders(acct, True, freed)
        return spec.sz

    def _place_trigger(self, acct: Account, inst: Instrument, spec: cmd.OrderSpec, builder):
        sz = self._check_trigger(acct, inst, spec)
        order = self._new_order(acct, spec, sz, builder)
        self._arm(order)
        self._update(order, ev.OPEN)
        return ev.Resting(order.oid, order.cloid)

    def _tpsl_children_ok(self, specs) -> bool:
        return all(s.trigger is not None and s.reduce_only for s in specs)

    def _place_normal_tpsl(self, acct, specs, builder) -> tuple[ev.Status, ...]:
        parent_spec, children = specs[0], specs[1:]
        if parent_spec.trigger is not None or not self._tpsl_children_ok(children):
            return self._reject_all(specs, errors.TRIGGER_NOT_REDUCE_ONLY)
        asset = parent_spec.asset
        if any(s.asset != asset or s.is_buy == parent_spec.is_buy for s in children):
            return self._reject_all(specs, errors.TPSL_MISMATCH)
        if not 0 <= asset < len(self.instruments):
            return self._reject_all(specs, errors.with_asset(errors.UNKNOWN_ASSET, asset))
        inst = self.instruments[asset]
        try:
            if parent_spec.cloid is not None and parent_spec.cloid in acct.cloids:
                raise errors.Rejected(errors.DUPLICATE_CLOID)
            sz = self._check_order(
                acct,
                inst,
                parent_spec.is_buy,
                parent_spec.px,
                parent_spec.sz,
                parent_spec.reduce_only,
            )
            if parent_spec.tif == "Alo":
                self._check_alo(inst, parent_spec.is_buy, parent_spec.px)
            for spec in children:
                units = inst.units
                if units.price_error(spec.trigger.trigger_px) or units.price_error(spec.px):
                    raise errors.Rejected(errors.BAD_TRIGGER_PX)
        except errors.Rejected as rejection:
            error = self._rejected(acct, parent_spec, rejection.text)
            return tuple(error for _ in specs)
        parent = self._new_order(acct, parent_spec, sz, builder)
        child_orders = []
        for spec in children:
            child = self._new_order(acct, spec, spec.sz, builder)
            child_orders.append(child)
            self._wait_for_parent(parent, child)
        status = self._execute(parent)
        if isinstance(status, ev.Filled) and parent.sz == 0:
            return (status, *(ev.WAITING_FOR_TRIGGER for _ in child_orders))
        if isinstance(status, ev.Error):
            return (status, *(status for _ in child_orders))
        return (status, *(ev.WAITING_FOR_FILL for _ in child_orders))

    def _place_position_tpsl(self, acct, specs, builder) -> tuple[ev.Status, ...]:
        if not self._tpsl_children_ok(specs):
            return self._reject_all(specs, errors.TRIGGER_NOT_REDUCE_ONLY)
        statuses = []
        for spec in specs:
            asset = spec.asset
            if not 0 <= asset < len(self.instruments):
                statuses.append(ev.Error(errors.with_asset(errors.UNKNOWN_ASSET, asset)))
                continue
            inst = self.instruments[asset]
            size = acct.position_size(asset)
            if size == 0 or (size > 0) == spec.is_buy:
                statuses.append(self._rejected(acct, spec, errors.REDUCE_ONLY))
                continue
            held = size if size > 0 else -size
            if spec.sz == 0:  # size 0 means "the whole position"
                spec = cmd.OrderSpec(
                    spec.asset, spec.is_buy, spec.px, held, True, spec.tif, spec.trigger, spec.cloid
                )
            try:
                self._check_trigger(acct, inst, spec)
            except errors.Rejected as rejection:
                statuses.append(self._rejected(acct, spec, rejection.text))
                continue
            order = self._new_order(acct, spec, spec.sz, builder)
            order.is_position_tpsl = True
            self._arm(order)
            self._update(order, ev.OPEN)
            statuses.append(ev.WAITING_FOR_TRIGGER)
        return tuple(statuses)

    @staticmethod
    def _reject_all(specs, text: str) -> tuple[ev.Status, ...]:
        return tuple(ev.Error(text) for _ in specs)
