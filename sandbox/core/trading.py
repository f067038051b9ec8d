"""User order actions: place, cancel, cancel by cloid, modify, schedule cancel (trigger
orders and TP/SL groups are placed in `triggers`). Each action checks an order completely
before it changes anything, so a rejected order leaves no trace; a batch reports one status
per item in request order.

Checks, in the venue's order (texts in `errors`): size, price validity (tick, 5 significant
figures), the 80% band around the mark, reduce-only (an order larger than the position is
cut to it; one that would grow it is refused), the $10 minimum (waived for an order that
closes the whole position), the open-order limit, margin (only what the order could add to
the position needs margin, valued at its limit price), and the margin-tier limit.
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account, reserved_margin
from sandbox.core.book import Order
from sandbox.core.instruments import Instrument
from sandbox.core.matching import FIRING, RESTING, TRIGGER
from sandbox.core.units import Units

# What a user may send: FrontendMarket is the venue's market order (it matches as Ioc and
# shows as orderType "Market"); LiquidationMarket is the system's own.
INPUT_TIFS = frozenset(("Gtc", "Ioc", "Alo", "FrontendMarket"))
MARKET_TIFS = frozenset(("FrontendMarket", "LiquidationMarket"))
OPEN_ORDER_BONUS_VOLUME = 5_000_000_000_000  # one more open order per $5M traded


def _bbo_px(units: Units, px: int | None) -> str:
    if px is None:
        return "0"
    text = units.fmt_px(px)
    return text[:-2] if text.endswith(".0") else text


class TradingMixin:
    """Part of `Exchange`: the order actions of users."""

    # -- checks ----------------------------------------------------------------------------

    def available_margin(self, acct: Account) -> int:
        """Cross account value less cross initial margin and margin reserved by orders."""
        if not acct.positions:
            return acct.raw - acct.order_margin_total
        marks = self.marks
        leverage = acct.leverage
        default = self._default_leverage
        value = acct.raw
        used = acct.order_margin_total
        for asset, pos in acct.positions.items():
            if not pos.isolated:
                size = pos.size
                mark = marks[asset]
                value += size * mark
                ntl = size * mark if size > 0 else -size * mark
                used += -(-ntl // (leverage.get(asset) or default[asset]))
        return value - used

    def _check_order(
        self,
        acct: Account,
        inst: Instrument,
        is_buy: bool,
        px: int,
        sz: int,
        reduce_only: bool,
        freed: Order | None = None,
        min_value: bool = True,
    ) -> int:
        """Check a new order; return its size (cut to the position when reduce-only).
        `freed` is an order the new one replaces (modify): its margin and slot count as free.
        `min_value` false waives the $10 minimum (a TWAP's suborders). Raises
        `errors.Rejected`."""
        self._checked_margin = None
        if self.halted and inst.asset in self.halted:
            raise errors.Rejected(
                errors.DELISTED if inst.asset in self.delisted else errors.TRADING_HALTED
            )
        if sz <= 0:
            raise errors.Rejected(errors.ZERO_SIZE if sz == 0 else errors.INVALID_SIZE)
        if px <= 0 or (px >= 100_000 and px % inst.units.px_one):  # maybe > 5 figures
            reason = inst.units.price_error(px)
            if reason is not None:
                raise errors.Rejected(reason)
        asset = inst.asset
        low, high = self._band[asset]
        if px < low or px > high:
            raise errors.Rejected(errors.PRICE_BAND.format(pct=self._price_band))
        positions = acct.positions
        pos = positions.get(asset)
        size = pos.size if pos is not None else 0
        held = size if size > 0 else -size
        reduces = size != 0 and (size > 0) != is_buy
        if reduce_only:
            if not reduces:
                raise errors.Rejected(errors.REDUCE_ONLY)
            if sz > held:
                sz = held
        if px * sz < self._min_order_value and not (reduces and sz >= held) and min_value:
            raise errors.Rejected(errors.MIN_TRADE_NTL)
        base = self._max_open_orders
        if len(acct.orders) - (freed is not None) >= base:
            self._check_open_orders(acct, reduce_only, freed)
        if reduce_only:
            return sz
        if self._capped and self.at_open_interest_cap(asset):
            if not reduces:
                raise errors.Rejected(errors.OI_CAP_INCREASE)
            if sz > held:
                raise errors.Rejected(errors.OI_CAP_FLIP)
        # Margin: what the order could add to the position, at its limit price.
        lev = acct.leverage.get(asset) or self._default_leverage[asset]
        totals = acct.order_totals.get(asset)
        if totals is not None:
            buy_ntl, buy_sz = totals.buy_ntl, totals.buy_sz
            sell_ntl, sell_sz = totals.sell_ntl, totals.sell_sz
        else:
            buy_ntl = buy_sz = sell_ntl = sell_sz = 0
        if freed is not None and not freed.reduce_only and freed.where == RESTING:
            if freed.is_buy:
                buy_ntl -= freed.px * freed.sz
                buy_sz -= freed.sz
            else:
                sell_ntl -= freed.px * freed.sz
                sell_sz -= freed.sz
        if is_buy:
            buy_ntl += px * sz
            buy_sz += sz
        else:
            sell_ntl += px * sz
            sell_sz += sz
        new = reserved_margin(buy_ntl, buy_sz, sell_ntl, sell_sz, size, lev)
        delta = new - acct.order_margin.get(asset, 0)
        if delta > 0:
            if not positions:
                available = acct.raw - acct.order_margin_total
            elif self._batch is acct:  # a batch's next order: its positions' part is known
                known = self._batch_free
                if known is None or known[0] != self.trade_seq:  # (unless it traded since)
                    known = self._batch_free = (
                        self.trade_seq, self.available_margin(acct) + acct.order_margin_total)
                available = known[1] - acct.order_margin_total
            else:
                available = self.available_margin(acct)
            if delta > available:
                raise errors.Rejected(errors.PERP_MARGIN)
        limit = inst.max_notional[lev]
        if limit is not None:
            worst = size + sz if is_buy else size - sz
            if (worst if worst > 0 else -worst) * px > limit and abs(worst) > abs(size):
                raise errors.Rejected(errors.PERP_MAX_POSITION)
        self._checked_margin = new
        return sz

    # -- placing ---------------------------------------------------------------------------

    def _new_order(self, acct: Account, spec: cmd.OrderSpec, sz: int, builder) -> Order:
        self.next_oid += 1
        trigger = spec.trigger
        tif = None if trigger is not None else spec.tif
        if trigger is None:
            return Order(
                self.next_oid, acct, spec.asset, spec.is_buy, spec.px, sz, sz, tif,
                spec.reduce_only, spec.cloid, self.ts, builder=builder,
            )  # fmt: skip
        return Order(
            self.next_oid, acct, spec.asset, spec.is_buy, spec.px, sz, sz, tif,
            spec.reduce_only, spec.cloid, self.ts, trigger.trigger_px, trigger.tpsl,
            trigger.is_market, builder=builder,
        )  # fmt: skip

    def _place_one(self, acct: Account, spec: cmd.OrderSpec, builder) -> ev.Status:
        asset = spec.asset
        if not 0 <= asset < self._n_assets:
            return ev.Error(errors.with_asset(errors.UNKNOWN_ASSET, asset))
        inst = self.instruments[asset]
        try:
            if spec.cloid is not None and spec.cloid in acct.cloids:
                raise errors.Rejected(errors.DUPLICATE_CLOID)
            if spec.trigger is not None:
                return self._place_trigger(acct, inst, spec, builder)
            if spec.tif not in INPUT_TIFS:
                raise errors.Rejected(errors.INVALID_TIF)
            sz = self._check_order(acct, inst, spec.is_buy, spec.px, spec.sz, spec.reduce_only)
            if spec.tif == "Alo":
                self._check_alo(inst, spec.is_buy, spec.px)
        except errors.Rejected as rejection:
            return self._rejected(acct, spec, rejection.text)
        self.next_oid += 1
        order = Order(
            self.next_oid, acct, asset, spec.is_buy, spec.px, sz, sz, spec.tif,
            spec.reduce_only, spec.cloid, self.ts, builder=builder,
        )  # fmt: skip
        return self._execute(order)

    def _rejected(self, acct: Account, spec: cmd.OrderSpec, text: str) -> ev.Error:
        """A refused order's status. One refused by a check of the account or the market
        gets an oid and a record with the venue's `...Rejected` status (see
        `errors.REJECTED_STATUS`); one refused for its form leaves none."""
        status = errors.rejected_status(text)
        if status is not None:
            self.next_oid += 1
            trigger = spec.trigger
            view = ev.OrderView(
                self.next_oid, acct.address, spec.asset, spec.is_buy, spec.px, spec.sz,
                spec.sz, self.ts, None if trigger is not None else spec.tif, spec.reduce_only,
                spec.cloid, trigger.trigger_px if trigger is not None else 0,
                trigger.tpsl if trigger is not None else None,
                trigger.is_market if trigger is not None else False,
            )  # fmt: skip
            self._events.append(ev.OrderUpdate(view, status, self.ts))
        return ev.Error(errors.per_order(text, spec.asset))

    def _check_alo(self, inst: Instrument, is_buy: bool, px: int) -> None:
        book = self.books[inst.asset]
        bid, ask = book.best_bid(), book.best_ask()
        if (ask is not None and px >= ask) if is_buy else (bid is not None and px <= bid):
            units = inst.units
            text = errors.BAD_ALO_PX.format(bid=_bbo_px(units, bid), ask=_bbo_px(units, ask))
            raise errors.Rejected(text)

    def _check_open_orders(self, acct: Account, restricted: bool, freed: Order | None) -> None:
        """The venue's open-order limit: 1000, plus one per $5M traded, at most 5000; from
        1000 open orders on, reduce-only and trigger orders are refused."""
        base = self._max_open_orders
        count = len(acct.orders) - (freed is not None)
        limit = base if restricted else min(5 * base, base + acct.volume // OPEN_ORDER_BONUS_VOLUME)
        if count >= limit:
            raise errors.Rejected(errors.TOO_MANY_ORDERS)

    def _execute(self, order: Order) -> ev.Status:
        """Match a checked order and rest, fill or cancel what is left, by its tif."""
        asset = order.asset
        book = self.books[asset]
        tif = order.tif
        if order.is_buy:
            keys = book.asks.keys  # best ask is -keys[-1]
            crosses = bool(keys) and -keys[-1] <= order.px
        else:
            keys = book.bids.keys
            crosses = bool(keys) and keys[-1] >= order.px
        filled = notional = 0
        if crosses:
            filled, notional = self._match(order, book)
        if not order.sz:
            self._update(order, ev.FILLED)
            if order.children:
                self._activate_children(order)
            return ev.Filled(filled, notional, order.oid, order.cloid)
        if tif == "Gtc" or tif == "Alo":
            self._rest(order, None if crosses else self._checked_margin)
            self._update(order, ev.OPEN)
            if order.reduce_only:
                self._fit_reduce_only(order.account, asset, order.account.reduce_only[asset])
            return ev.Resting(order.oid, order.cloid)
        if filled:
            self._update(order, ev.CANCELED)
            if order.children:
                self._activate_children(order)
            return ev.Filled(filled, notional, order.oid, order.cloid)
        if order.children:
            for child in list(order.children):
                self._cancel_waiting_child(child)
        text = errors.MARKET_NO_LIQUIDITY if tif in MARKET_TIFS else errors.IOC_CANCEL
        self._update(order, errors.REJECTED_STATUS[text])
        return ev.Error(errors.with_asset(text, asset))

    def _place_orders(self, c: cmd.PlaceOrders, acct: Account) -> ev.ActionResult:
        if not c.orders:
            return ev.ActionResult(acct.address, "err", error=errors.EMPTY_BATCH)
        builder = c.builder
        if builder is not None:
            builder = cmd.Builder(builder.address.lower(), builder.fee)
        grouping = c.grouping
        if grouping == "na":
            orders = c.orders
            if len(orders) == 1:
                statuses = (self._place_one(acct, orders[0], builder),)
            else:
                # Within a batch nothing but the account's own fills changes its cash and
                # positions (no mark moves, no timer runs): the part of its available margin
                # they make is worked out once, and again only after a fill.
                self._batch, self._batch_free = acct, None
                try:
                    statuses = tuple(self._place_one(acct, spec, builder) for spec in orders)
                finally:
                    self._batch = self._batch_free = None
        elif grouping == "normalTpsl":
            statuses = self._place_normal_tpsl(acct, c.orders, builder)
        elif grouping == "positionTpsl":
            statuses = self._place_position_tpsl(acct, c.orders, builder)
        else:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_GROUPING)
        return ev.ActionResult(acct.address, "order", statuses)

    # -- cancelling ------------------------------------------------------------------------

    def _cancel(self, order: Order, status: str) -> None:
        """Cancel an open order wherever it waits; its waiting children go with it."""
        where = order.where
        if where == RESTING:
            self._remove_resting(order, status)
        elif where == TRIGGER:
            self._disarm(order)
            self._update(order, status)
        elif where == FIRING:  # fired with others by one mark, not executed yet
            self._forget_trigger(order)
            self._update(order, status)
        else:
            self._cancel_waiting_child(order)
            self._update(order, status)
        if order.children:
            for child in list(order.children):
                self._cancel_waiting_child(child)
                self._update(child, status)

    def _cancel_orders(self, c: cmd.Cancel, acct: Account) -> ev.ActionResult:
        return self._cancel_each(acct, c.cancels, acct.orders.get)

    def _cancel_by_cloid(self, c: cmd.CancelByCloid, acct: Account) -> ev.ActionResult:
        orders, cloids = acct.orders, acct.cloids
        return self._cancel_each(acct, c.cancels, lambda cloid: orders.get(cloids.get(cloid, -1)))

    def _cancel_each(self, acct: Account, items, find) -> ev.ActionResult:
        """Cancel each (asset, id) of `items`, `find` turning an id into an open order, or
        report it missing; one status per item. Orders are looked up as the items come, so
        an item whose order an earlier one cancelled (with its parent) is missing."""
        statuses = []
        for asset, ident in items:
            order = find(ident)
            if order is None or order.asset != asset:
                statuses.append(ev.Error(errors.with_asset(errors.MISSING_ORDER, asset)))
            elif order.where == RESTING and not order.children:
                self._remove_resting(order, ev.CANCELED)
                statuses.append(ev.SUCCESS)
            else:
                self._cancel(order, ev.CANCELED)
                statuses.append(ev.SUCCESS)
        return ev.ActionResult(acct.address, "cancel", tuple(statuses))

    def cancel_all(self, acct: Account, status: str) -> list[tuple[int, int]]:
        """Cancel every open order of `acct` (oldest first); return their (asset, oid)."""
        cancelled = []
        for order in sorted(acct.orders.values(), key=lambda o: o.oid):
            if order.oid in acct.orders:
                cancelled.append((order.asset, order.oid))
                self._cancel(order, status)
        return cancelled

    # -- modifying -------------------------------------------------------------------------

    def _modify_orders(self, c: cmd.ModifyOrders, acct: Account) -> ev.ActionResult:
        statuses = []
        for modify in c.modifies:
            key = modify.oid
            oid = acct.cloids.get(key) if isinstance(key, str) else key
            old = acct.orders.get(oid) if oid is not None else None
            if old is None:
                if c.single:
                    return ev.ActionResult(acct.address, "err", error=errors.MODIFY_MISSING)
                statuses.append(ev.Error(errors.MODIFY_MISSING))
                continue
            statuses.append(self._modify_one(acct, old, modify.order))
        if c.single:
            status = statuses[0]
            if isinstance(status, ev.Error):
                return ev.ActionResult(acct.address, "err", error=status.text)
            return ev.ActionResult(acct.address, "default")
        return ev.ActionResult(acct.address, "order", tuple(statuses))

    def _modify_one(self, acct: Account, old: Order, spec: cmd.OrderSpec) -> ev.Status:
        """Replace `old` by a new order from `spec` (a new oid; the cloid carries over when
        the new order names none). The new order is checked first; if it is refused, `old`
        stays as it was."""
        asset = spec.asset
        if asset != old.asset or not 0 <= asset < len(self.instruments):
            return ev.Error(errors.with_asset(errors.MISSING_ORDER, asset))
        inst = self.instruments[asset]
        if spec.cloid is None and old.cloid is not None:
            spec = cmd.OrderSpec(
                spec.asset,
                spec.is_buy,
                spec.px,
                spec.sz,
                spec.reduce_only,
                spec.tif,
                spec.trigger,
                old.cloid,
            )
        try:
            if spec.cloid is not None and acct.cloids.get(spec.cloid, old.oid) != old.oid:
                raise errors.Rejected(errors.DUPLICATE_CLOID)
            if spec.trigger is not None:
                sz = self._check_trigger(acct, inst, spec, freed=old)
            else:
                if spec.tif not in INPUT_TIFS:
                    raise errors.Rejected(errors.INVALID_TIF)
                sz = self._check_order(
                    acct, inst, spec.is_buy, spec.px, spec.sz, spec.reduce_only, freed=old
                )
                if spec.tif == "Alo":
                    self._check_alo(inst, spec.is_buy, spec.px)
        except errors.Rejected as rejection:
            return ev.Error(errors.per_order(rejection.text, asset))
        self._cancel(old, ev.CANCELED)
        order = self._new_order(acct, spec, sz, old.builder)
        group = old.siblings
        if group is not None:  # the new order takes the old one's place in its TP/SL group
            group[group.index(old)] = order
            order.siblings, old.siblings = group, None
        if spec.trigger is not None:
            order.is_position_tpsl = old.is_position_tpsl
            self._arm(order)
            self._update(order, ev.OPEN)
            return ev.Resting(order.oid, order.cloid)
        return self._execute(order)

    # -- open-interest caps ----------------------------------------------------------------

    def at_open_interest_cap(self, asset: int) -> bool:
        cap = self.oi_caps[asset]
        return cap is not None and self.open_interest[asset] * self.marks[asset] >= cap

    def _set_open_interest_cap(self, c: cmd.SetOpenInterestCap) -> None:
        if not 0 <= c.asset < self._n_assets:
            raise errors.CoreError(f"no asset {c.asset}")
        self.oi_caps[c.asset] = c.notional
        self._capped = [a for a, cap in enumerate(self.oi_caps) if cap is not None]

    def _cancel_aggressive_at_cap(self) -> None:
        """While an asset is at its cap, resting orders that would grow their account's
        position and are priced through the oracle (bids above it, asks below) are
        cancelled (`openInterestCapCanceled`), as the venue's guard does."""
        for asset in self._capped:
            if not self.at_open_interest_cap(asset):
                continue
            oracle = self.oracles[asset]
            book = self.books[asset]
            doomed = []
            for side in (book.bids, book.asks):
                for level in side.iter_levels():
                    if (level.px <= oracle) if side.is_bid else (level.px >= oracle):
                        break
                    for order in level.orders.values():
                        size = order.account.position_size(asset)
                        if not order.reduce_only and (size == 0 or (size > 0) == order.is_buy):
                            doomed.append(order)
            by_user: dict[str, list[tuple[int, int]]] = {}
            for order in doomed:
                by_user.setdefault(order.account.address, []).append((asset, order.oid))
                self._system_cancel(order, ev.OPEN_INTEREST_CAP_CANCELED)
            for user, cancels in by_user.items():
                self._events.append(ev.NonUserCancel(user, tuple(cancels), self.ts))

    # -- dead man's switch -----------------------------------------------------------------

    def _schedule_cancel(self, c: cmd.ScheduleCancel, acct: Account) -> ev.ActionResult:
        config = self.config
        if acct.volume < config.schedule_cancel_min_volume and not acct.scheduled_cancel_waived:
            text = errors.SCHEDULE_CANCEL_VOLUME.format(
                required=config.schedule_cancel_min_volume // 1_000_000,
                traded=_dollars(acct.volume),
            )
            return ev.ActionResult(acct.address, "err", error=text)
        if c.time is None:
            self._unschedule(acct)
            return ev.ActionResult(acct.address, "default")
        if c.time < self.ts + config.schedule_cancel_min_delay_ms:
            return ev.ActionResult(acct.address, "err", error=errors.SCHEDULE_CANCEL_TOO_EARLY)
        day, count = acct.scheduled_cancel_count
        if day == c.time // 86_400_000 and count >= config.schedule_cancel_daily_limit:
            return ev.ActionResult(acct.address, "err", error=errors.SCHEDULE_CANCEL_DAILY)
        self._unschedule(acct)
        acct.scheduled_cancel = c.time
        self._schedule(c.time, acct)
        return ev.ActionResult(acct.address, "default")

    def _waive_schedule_cancel_gate(self, c: cmd.WaiveScheduleCancelGate, acct: Account):
        acct.scheduled_cancel_waived = c.waived
        return ev.ActionResult(acct.address, "default")

    def _fire_scheduled_cancel(self, acct: Account) -> None:
        acct.scheduled_cancel = None
        day = self.ts // 86_400_000
        last_day, count = acct.scheduled_cancel_count
        acct.scheduled_cancel_count = (day, count + 1 if last_day == day else 1)
        self.cancel_all(acct, ev.SCHEDULED_CANCEL)


def _dollars(micro: int) -> str:
    """Dollars with at most two decimals and no trailing zeros, as the venue prints them."""
    cents = micro // 10_000
    return f"{cents // 100}.{cents % 100:02d}".rstrip("0").rstrip(".")
