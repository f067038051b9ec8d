"""Matching: crossing an incoming order with the book, settling fills, keeping each
account's order indexes and reserved margin current.

Price-time priority: the best level first, and within a level the oldest order first.
Self-trade prevention is the venue's "expire maker": a resting order of the taker's own
account is cancelled (`selfTradeCanceled`), with no fill, fee or print, and the taker goes
on matching behind it. Every fill settles both sides (see `settlement`), charges fees to the
fee sink (takers pay `taker_fee`, makers `maker_fee`, builders their own fee on top) and
emits one `Trade` event carrying both sides.
"""

from __future__ import annotations

from sandbox.core import events as ev
from sandbox.core.accounts import Account, OrderTotals, discard, reserved_margin
from sandbox.core.book import Order, OrderBook
from sandbox.core.ids import trade_id
from sandbox.core.settlement import settle
from sandbox.core.units import RATE_SCALE

BUILDER_FEE_SCALE = 100_000  # builder fees are in tenths of a basis point

RESTING = 0
TRIGGER = 1
WAITING = 2  # a normalTpsl child waiting for its parent to fill
FIRING = 3  # a trigger order its mark has fired, out of the trigger book, about to execute


class MatchingMixin:
    """Part of `Exchange`: the matching engine and the order indexes it maintains."""

    # -- views -----------------------------------------------------------------------------

    def view(self, order: Order) -> ev.OrderView:
        """An immutable snapshot of `order`, with its waiting children."""
        children = order.children
        return ev.OrderView(
            order.oid,
            order.account.address,
            order.asset,
            order.is_buy,
            order.px,
            order.sz,
            order.orig_sz,
            order.ts,
            order.tif,
            order.reduce_only,
            order.cloid,
            order.trigger_px,
            order.tpsl,
            order.is_market,
            order.is_position_tpsl,
            tuple(self.view(c) for c in children) if children else (),
        )

    def _update(self, order: Order, status: str) -> None:
        """Report `order` with its new `status`."""
        if order.children:
            view = self.view(order)
        else:  # the common case, built inline: this runs for nearly every command
            view = ev.OrderView(
                order.oid, order.account.address, order.asset, order.is_buy, order.px,
                order.sz, order.orig_sz, order.ts, order.tif, order.reduce_only, order.cloid,
                order.trigger_px, order.tpsl, order.is_market, order.is_position_tpsl,
            )  # fmt: skip
        self._events.append(ev.OrderUpdate(view, status, self.ts))

    # -- leverage settings -----------------------------------------------------------------

    def leverage_of(self, acct: Account, asset: int) -> int:
        lev = acct.leverage.get(asset)
        return lev if lev is not None else self._default_leverage[asset]

    def is_isolated(self, acct: Account, asset: int) -> bool:
        cross = acct.is_cross.get(asset)
        return self.instruments[asset].only_isolated if cross is None else not cross

    # -- resting orders --------------------------------------------------------------------

    def _rest(self, order: Order, margin: int | None = None) -> None:
        """Put an order on the book. `margin`, when known, is the account's order margin for
        the asset with this order resting (computed by the order's margin check)."""
        acct = order.account
        asset = order.asset
        book = self.books[asset]
        (book.bids if order.is_buy else book.asks).add(order)
        order.where = RESTING
        acct.orders[order.oid] = order
        if order.cloid is not None:
            acct.cloids[order.cloid] = order.oid
        if order.reduce_only:
            ro = acct.reduce_only.get(asset)
            if ro is None:
                ro = acct.reduce_only[asset] = {}
            ro[order.oid] = order
        else:
            totals = acct.order_totals.get(asset)
            if totals is None:
                totals = acct.order_totals[asset] = OrderTotals()
            if order.is_buy:
                totals.buy_sz += order.sz
                totals.buy_ntl += order.px * order.sz
            else:
                totals.sell_sz += order.sz
                totals.sell_ntl += order.px * order.sz
            if margin is None:
                self._refresh_order_margin(acct, asset)
            else:
                acct.order_margin_total += margin - acct.order_margin.get(asset, 0)
                if margin:
                    acct.order_margin[asset] = margin
                else:
                    acct.order_margin.pop(asset, None)

    def _unindex(self, order: Order) -> None:
        """Forget an order that leaves the account's open orders."""
        acct = order.account
        del acct.orders[order.oid]
        if order.cloid is not None and acct.cloids.get(order.cloid) == order.oid:
            del acct.cloids[order.cloid]
        if order.reduce_only and order.where == RESTING:
            discard(acct.reduce_only, order.asset, order.oid)

    def _remove_resting(self, order: Order, status: str) -> None:
        """Take a resting order off the book, unfilled part cancelled with `status`."""
        acct = order.account
        asset = order.asset
        book = self.books[asset]
        (book.bids if order.is_buy else book.asks).remove(order)
        self._unindex(order)
        if not order.reduce_only:
            totals = acct.order_totals[asset]
            if order.is_buy:
                totals.buy_sz -= order.sz
                totals.buy_ntl -= order.px * order.sz
            else:
                totals.sell_sz -= order.sz
                totals.sell_ntl -= order.px * order.sz
            self._refresh_order_margin(acct, asset)
        self._update(order, status)

    def _refresh_order_margin(self, acct: Account, asset: int) -> None:
        totals = acct.order_totals.get(asset)
        if totals is None or not (totals.buy_sz or totals.sell_sz):
            new = 0
            if totals is not None:
                del acct.order_totals[asset]
        else:
            pos = acct.positions.get(asset)
            new = reserved_margin(
                totals.buy_ntl, totals.buy_sz, totals.sell_ntl, totals.sell_sz,
                pos.size if pos is not None else 0,
                acct.leverage.get(asset) or self._default_leverage[asset],
            )  # fmt: skip
        old = acct.order_margin.get(asset, 0)
        if new != old:
            acct.order_margin_total += new - old
            if new:
                acct.order_margin[asset] = new
            else:
                del acct.order_margin[asset]

    # -- matching --------------------------------------------------------------------------

    def _match(self, order: Order, book: OrderBook, liquidation=None) -> tuple[int, int]:
        """Cross `order` with the opposite side up to its limit; return (size, notional).

        The consequences of the new positions for each account's other orders (reserved
        margin, reduce-only sizes, position TP/SL) are settled once the order is done,
        except a maker's resting reduce-only orders, which must shrink before the taker
        can reach them."""
        is_buy = order.is_buy
        side = book.asks if is_buy else book.bids
        limit = order.px
        acct = order.account
        asset = order.asset
        filled = notional = 0
        makers: dict[str, Account] = {}  # accounts whose position changed, in order
        while order.sz:
            level = side.best()
            if level is None:
                break
            px = level.px
            if (px > limit) if is_buy else (px < limit):
                break
            orders = level.orders
            while order.sz and orders:
                maker = next(iter(orders.values()))
                macct = maker.account
                if macct is acct:
                    self._system_cancel(maker, ev.SELF_TRADE_CANCELED)
                    continue
                q = order.sz if order.sz < maker.sz else maker.sz
                if not maker.reduce_only and self._unbacked(macct, maker, q):
                    self._system_cancel(maker, ev.MARGIN_CANCELED)
                    self._events.append(ev.NonUserCancel(macct.address, ((asset, maker.oid),),
                                                         self.ts))  # fmt: skip
                    continue
                self._fill(order, maker, px, q, level, liquidation)
                filled += q
                notional += px * q
                makers[macct.address] = macct
                if maker.siblings is not None or maker.is_position_tpsl:
                    self._sibling_filled(maker)
                ro = macct.reduce_only.get(asset)
                if ro:
                    self._fit_reduce_only(macct, asset, ro)
        if filled and (order.siblings is not None or order.is_position_tpsl):
            self._sibling_filled(order)
        for macct in makers.values():
            self._position_changed(macct, asset)
        if filled:
            self._position_changed(acct, asset)
        return filled, notional

    def _unbacked(self, acct: Account, maker: Order, q: int) -> bool:
        """Would filling `q` of this resting order grow a position its account can no
        longer back? Its margin was reserved when it was placed, but losses since may have
        eaten into it: with the account's available margin below zero, the venue cancels
        the order when it would fill (`marginCanceled`) rather than fill it."""
        positions = acct.positions
        if not positions:  # only its own orders could exhaust the margin
            return acct.raw < acct.order_margin_total
        pos = positions.get(maker.asset)
        if pos is not None:
            size = pos.size
            if (size > 0) != maker.is_buy and q <= (size if size > 0 else -size):
                return False  # it only reduces the position
        return self.available_margin(acct) < 0

    def _system_cancel(self, order: Order, status: str) -> None:
        """The venue cancels a resting order (a self-trade, margin, an open-interest cap):
        its waiting TP/SL children are placed if it had partly filled (there is a position
        to protect, as the venue's TP/SL docs say of a parent "partially filled and then
        canceled due to insufficient margin"), cancelled with it otherwise."""
        if not order.children:
            self._remove_resting(order, status)
        elif order.sz < order.orig_sz:
            self._remove_resting(order, status)
            self._activate_children(order)
        else:
            self._cancel(order, status)

    def _fill(self, taker: Order, maker: Order, px: int, q: int, level, liquidation) -> None:
        asset = taker.asset
        ts = self.ts
        tacct = taker.account
        macct = maker.account
        self.trade_seq += 1
        tid = trade_id(self.trade_seq)
        ntl = px * q
        t_buy = taker.is_buy
        # Fees: takers and makers at their rates, builders on top, rounded up (rebates down).
        if liquidation is not None:  # market liquidation orders pay no fee
            t_fee = t_builder = 0
            m_fee, m_builder = self._fee(ntl, self._maker_fee, maker.builder)
        elif taker.builder is None and maker.builder is None and self._fees_plain:
            t_fee = -(-ntl * self._taker_fee // RATE_SCALE)
            m_fee = -(-ntl * self._maker_fee // RATE_SCALE)
            t_builder = m_builder = 0
        else:
            t_fee, t_builder = self._fee(ntl, self._taker_fee, taker.builder)
            m_fee, m_builder = self._fee(ntl, self._maker_fee, maker.builder)
        t_start, t_pnl = settle(tacct, asset, t_buy, px, q, t_fee, self)
        m_start, m_pnl = settle(macct, asset, not t_buy, px, q, m_fee, self)
        self._open_interest_moved(asset, t_buy, q, t_start, m_start)
        self.fee_sink.raw += t_fee - t_builder + m_fee - m_builder
        tacct.volume += ntl
        macct.volume += ntl
        self.last_trade_px[asset] = px
        if t_start == 0 or asset not in tacct.positions:
            self._track_holder(tacct, asset, t_start)
        if m_start == 0 or asset not in macct.positions:
            self._track_holder(macct, asset, m_start)

        taker.sz -= q
        maker.sz -= q
        level.total -= q
        if not maker.reduce_only:
            totals = macct.order_totals[asset]
            if maker.is_buy:
                totals.buy_sz -= q
                totals.buy_ntl -= px * q
            else:
                totals.sell_sz -= q
                totals.sell_ntl -= px * q

        self._events.append(
            ev.Trade(
                asset, px, q, ts, tid, self.action_seq, t_buy, tacct.address, taker.oid,
                t_start, t_pnl, t_fee, macct.address, maker.oid, m_start, m_pnl, m_fee,
                taker.cloid, maker.cloid, t_builder, m_builder, liquidation, None,
                None, "match" if liquidation is None else "market", taker.twap,
            )
        )  # fmt: skip

        if not maker.sz:
            del level.orders[maker.oid]
            if not level.orders:
                self.books[asset].side(maker.is_buy).drop_level(level)
            self._unindex(maker)
            self._update(maker, ev.FILLED)
            if maker.children:
                self._activate_children(maker)

    def _open_interest_moved(self, asset: int, taker_buys: bool, q: int, t_start: int,
                             m_start: int) -> None:  # fmt: skip
        """Keep the open interest (the total long size) of `asset` current after a trade of
        `q` between positions that were `t_start` and `m_start`."""
        t_end, m_end = (t_start + q, m_start - q) if taker_buys else (t_start - q, m_start + q)
        self.open_interest[asset] += (
            (t_end if t_end > 0 else 0) - (t_start if t_start > 0 else 0)
            + (m_end if m_end > 0 else 0) - (m_start if m_start > 0 else 0)
        )

    def _fee(self, ntl: int, rate: int, builder) -> tuple[int, int]:
        """A fill's fee at `rate` plus its builder's fee, which is paid to the builder here;
        return (total fee, builder fee)."""
        fee = -(-ntl * rate // RATE_SCALE) if rate >= 0 else -(ntl * -rate // RATE_SCALE)
        if builder is None:
            return fee, 0
        builder_fee = -(-ntl * builder.fee // BUILDER_FEE_SCALE)
        self.account(builder.address).raw += builder_fee
        return fee + builder_fee, builder_fee

    def _track_holder(self, acct: Account, asset: int, start: int) -> None:
        holders = self.holders[asset]
        if start == 0:
            holders[acct.address] = acct
        elif asset not in acct.positions:
            del holders[acct.address]

    # -- after a position changes ----------------------------------------------------------

    def _position_changed(self, acct: Account, asset: int) -> None:
        """Bring the account's other orders in line with its new position in `asset`, and
        have its margin looked at before the command ends."""
        self._dirty[acct.address] = acct
        if asset in acct.order_totals or asset in acct.order_margin:
            self._refresh_order_margin(acct, asset)
        ro = acct.reduce_only.get(asset)
        if ro:
            self._fit_reduce_only(acct, asset, ro)
        tpsl = acct.position_tpsl.get(asset)
        if tpsl and asset not in acct.positions:
            for order in list(tpsl.values()):
                self._cancel(order, ev.CANCELED)

    def _fit_reduce_only(self, acct: Account, asset: int, ro: dict[int, Order]) -> None:
        """Keep resting reduce-only orders within the position: newest first, each shrinks to
        what is left of the position; those left with nothing are cancelled."""
        size = acct.position_size(asset)
        capacity = size if size > 0 else -size
        for order in list(reversed(ro.values())):
            if capacity == 0 or order.is_buy == (size > 0):
                self._remove_resting(order, ev.REDUCE_ONLY_CANCELED)
                continue
            if order.sz > capacity:
                self.books[asset].side(order.is_buy).levels[order.px].total -= order.sz - capacity
                order.sz = capacity
                self._update(order, ev.OPEN)
            capacity -= order.sz
