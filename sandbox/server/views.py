"""The core's state and events as the venue shows them: coins, strings, field names.

Every number leaves here formatted by the instrument's units (`"29792.0"`, `"0.0147"`) or
as USDC with six decimals at most (`"2.968244"`). Nothing here changes state.
"""

from __future__ import annotations

from fractions import Fraction

from protocol import wire
from protocol.numbers import fmt_ratio, fmt_scaled, fmt_wire
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.book import Order
from sandbox.core.exchange import Exchange
from sandbox.core.ids import ZERO_HASH, tx_hash
from sandbox.core.margin import liquidation_price, return_on_equity
from sandbox.core.triggers import fires_above
from sandbox.core.units import USDC, fmt_rate, fmt_usdc

MARKET_TIFS = ("FrontendMarket", "LiquidationMarket")
ROE_DECIMALS = 10
LIQ_PX_DECIMALS = 8


def _plain(number: str) -> str:
    """A venue number string without its trailing ".0" ("7262.0" -> "7262")."""
    return number[:-2] if number.endswith(".0") else number


def side(is_buy: bool) -> str:
    return "B" if is_buy else "A"


def order_type(view) -> str:
    tpsl = view.tpsl
    if tpsl is None:
        return "Market" if view.tif in MARKET_TIFS else "Limit"
    kind = "Take Profit" if tpsl == "tp" else "Stop"
    return f"{kind} {'Market' if view.is_market else 'Limit'}"


def book_precision_ok(n_sig_figs: object, mantissa: object) -> bool:
    """Whether an l2Book's `nSigFigs` (2-5 or null) and `mantissa` (1, 2 or 5, only with
    `nSigFigs` 5) are valid; integers only, not 5.0 nor true."""
    if n_sig_figs is not None and (type(n_sig_figs) is not int or not 2 <= n_sig_figs <= 5):
        return False
    if mantissa is None:
        return True
    return type(mantissa) is int and mantissa in (1, 2, 5) and n_sig_figs == 5


class Views:
    def __init__(self, exchange: Exchange) -> None:
        self.ex = exchange
        self.coins = [inst.name for inst in exchange.instruments]
        self.units = [inst.units for inst in exchange.instruments]

    # -- small pieces ----------------------------------------------------------------------

    def px(self, asset: int, px: int) -> str:
        return self.units[asset].fmt_px(px)

    def sz(self, asset: int, sz: int) -> str:
        return self.units[asset].fmt_sz(sz)

    def level(self, asset: int, px: int, total: int, n: int) -> wire.Level:
        units = self.units[asset]
        return wire.Level(units.fmt_px(px), units.fmt_sz(total), n)

    # -- fills, trades, orders -------------------------------------------------------------

    def fill(self, fill: ev.Fill) -> wire.WsFill:
        asset = fill.asset
        units = self.units[asset]
        liquidation = None
        if fill.liquidation is not None:
            liq = fill.liquidation
            liquidation = wire.WsLiquidation(
                liq.liquidated_user, units.fmt_px(liq.mark_px), liq.method
            )
        # a TWAP suborder has no transaction of its own: its fills' hash is all zeros
        twap = fill.twap_id
        return wire.WsFill(
            self.coins[asset], units.fmt_px(fill.px), units.fmt_sz(fill.sz), side(fill.is_buy),
            fill.ts, units.fmt_sz(fill.start_position), fill.dir, fmt_usdc(fill.closed_pnl),
            tx_hash(fill.action) if twap is None else ZERO_HASH, fill.oid, fill.crossed,
            fmt_usdc(fill.fee), fill.tid, "USDC", twap, fill.cloid, liquidation,
            fmt_usdc(fill.builder_fee) if fill.builder_fee else None,
        )  # fmt: skip

    def resting_fill_notice(self, trade: ev.Trade) -> str:
        """The venue's notification to the maker of a fill: `Resting order filled: Bought
        1017.6 ARB at $0.20138` (sizes and prices without trailing zeros)."""
        units = self.units[trade.asset]
        verb = "Sold" if trade.taker_is_buy else "Bought"
        sz, px = _plain(units.fmt_sz(trade.sz)), _plain(units.fmt_px(trade.px))
        return f"Resting order filled: {verb} {sz} {self.coins[trade.asset]} at ${px}"

    def twap_slice_fill(self, fill: ev.Fill) -> dict:
        """A TWAP suborder's fill as `userTwapSliceFills` shows it: the fill (its `twapId`
        null, as in the venue's captures) and the TWAP's id beside it."""
        wire_fill = self.fill(fill)
        wire_fill.twapId = None
        return {"fill": wire_fill, "twapId": fill.twap_id}

    def twap_state(self, twap: ev.TwapView) -> dict:
        """The venue's TwapState, in its key order."""
        units = self.units[twap.asset]
        return {
            "coin": self.coins[twap.asset], "user": twap.user, "side": side(twap.is_buy),
            "sz": units.fmt_sz(twap.sz), "executedSz": units.fmt_sz(twap.executed_sz),
            "executedNtl": fmt_usdc(twap.executed_ntl), "minutes": twap.minutes,
            "reduceOnly": twap.reduce_only, "randomize": twap.randomize,
            "timestamp": twap.start, "trigger": None, "stopPx": None,
        }  # fmt: skip

    def twap_record(self, status: ev.TwapStatus) -> dict:
        """A `twapHistory` record: `time` in seconds, as the venue sends it."""
        body = {"status": status.status}
        if status.status == "error":
            body["description"] = status.description
        return {"time": status.ts // 1000, "state": self.twap_state(status.twap),
                "status": body, "twapId": status.twap.twap_id}  # fmt: skip

    def twap_states(self, user: str) -> list:
        """`[[twapId, TwapState]]` of the user's running TWAPs."""
        return [
            [t.id, self.twap_state(t.view())]
            for _, t in sorted(self.ex.twaps.items())
            if t.account.address == user
        ]

    def trade(self, trade: ev.Trade) -> wire.WsTrade:
        asset = trade.asset
        units = self.units[asset]
        return wire.WsTrade(
            self.coins[asset], side(trade.taker_is_buy), units.fmt_px(trade.px),
            units.fmt_sz(trade.sz), trade.ts, tx_hash(trade.action), trade.tid,
            (trade.buyer, trade.seller),
        )  # fmt: skip

    def ws_order(self, update: ev.OrderUpdate) -> wire.WsOrder:
        view = update.order
        asset = view.asset
        units = self.units[asset]
        basic = wire.WsBasicOrder(
            self.coins[asset], side(view.is_buy), units.fmt_px(view.limit_px), units.fmt_sz(view.sz),
            view.oid, view.ts, units.fmt_sz(view.orig_sz), view.cloid, view.reduce_only,
        )  # fmt: skip
        return wire.WsOrder(basic, update.status, update.ts)

    def frontend_order(self, view: ev.OrderView) -> wire.FrontendOrder:
        asset = view.asset
        units = self.units[asset]
        trigger = view.tpsl is not None and view.tif is None  # waiting for its trigger
        if view.tpsl is not None:
            above = (view.tpsl == "tp") != view.is_buy
            condition = f"Price {'above' if above else 'below'} {fmt_wire(view.trigger_px, units.px_decimals)}"
            trigger_px = units.fmt_px(view.trigger_px)
        else:
            condition, trigger_px = "N/A", "0.0"
        return wire.FrontendOrder(
            self.coins[asset], side(view.is_buy), units.fmt_px(view.limit_px), units.fmt_sz(view.sz),
            view.oid, view.ts, condition, trigger, trigger_px,
            [self.frontend_order(child) for child in view.children], view.is_position_tpsl,
            view.reduce_only, order_type(view), units.fmt_sz(view.orig_sz), view.tif, view.cloid,
        )  # fmt: skip

    def live_view(self, order: Order) -> ev.OrderView:
        return self.ex.view(order)

    def open_order(self, order: Order) -> wire.OpenOrder:
        asset = order.asset
        units = self.units[asset]
        return wire.OpenOrder(
            self.coins[asset], side(order.is_buy), units.fmt_px(order.px), units.fmt_sz(order.sz),
            order.oid, order.ts, units.fmt_sz(order.orig_sz), order.cloid, order.reduce_only,
        )  # fmt: skip

    # -- books -----------------------------------------------------------------------------

    def l2_book(self, asset: int, n_sig_figs: int | None = None, mantissa: int | None = None,
                depth: int = 20) -> wire.L2Book:  # fmt: skip
        book = self.ex.books[asset]
        sides = []
        for book_side in (book.bids, book.asks):
            if n_sig_figs is None:
                levels = [
                    self.level(asset, px, total, n) for px, total, n in book_side.depth(depth)
                ]
            else:
                levels = self._aggregated(asset, book_side, n_sig_figs, mantissa, depth)
            sides.append(levels)
        return wire.L2Book(self.coins[asset], self.ex.ts, (sides[0], sides[1]))

    def _aggregated(self, asset, book_side, n_sig_figs, mantissa, depth) -> list[wire.Level]:
        """Levels merged to `n_sig_figs` significant figures (times `mantissa`): bids round
        down, asks up, as the venue's aggregated books do."""
        out: list[list[int]] = []
        for level in book_side.iter_levels():
            px = level.px
            digits = len(str(px))
            step = 10 ** max(0, digits - n_sig_figs) * (mantissa or 1)
            if book_side.is_bid:
                bucket = px // step * step
            else:
                bucket = -(-px // step) * step
            if out and out[-1][0] == bucket:
                out[-1][1] += level.total
                out[-1][2] += len(level.orders)
            elif len(out) == depth:
                break
            else:
                out.append([bucket, level.total, len(level.orders)])
        return [self.level(asset, px, total, n) for px, total, n in out]

    def bbo(self, asset: int) -> wire.Bbo:
        book = self.ex.books[asset]
        best = []
        for book_side in (book.bids, book.asks):
            level = book_side.best()
            best.append(
                self.level(asset, level.px, level.total, len(level.orders)) if level else None
            )
        return wire.Bbo(self.coins[asset], self.ex.ts, (best[0], best[1]))

    def mid(self, asset: int) -> str | None:
        mid_x2 = self.ex.books[asset].mid_x2()
        if mid_x2 is None:
            return None
        units = self.units[asset]
        return fmt_scaled(mid_x2 * 5, units.px_decimals + 1)

    def mids(self) -> dict[str, str]:
        """Every coin's mid, or its last trade or mark when a side of the book is empty."""
        out = {}
        ex = self.ex
        for asset, coin in enumerate(self.coins):
            mid = self.mid(asset)
            if mid is None:
                px = ex.last_trade_px[asset] or ex.marks[asset]
                if not px:
                    continue
                mid = self.px(asset, px)
            out[coin] = mid
        return out

    # -- contexts --------------------------------------------------------------------------

    def open_interest(self, asset: int) -> int:
        """Total long size, as the core keeps it (`validate()` checks it against the
        positions)."""
        return self.ex.open_interest[asset]

    def asset_ctx(self, asset: int, stats) -> wire.PerpAssetCtx:
        ex = self.ex
        units = self.units[asset]
        inst = ex.instruments[asset]
        book = ex.books[asset]
        oracle = ex.oracles[asset]
        impact = None
        if oracle:
            from sandbox.core.prices import impact_price

            bid = impact_price(book.bids, inst.impact_notional)
            ask = impact_price(book.asks, inst.impact_notional)
            if bid is not None and ask is not None:
                impact = [self._fraction_px(asset, bid), self._fraction_px(asset, ask)]
        day_ntl, day_base, prev_day = stats.day(asset, ex.ts)
        return wire.PerpAssetCtx(
            fmt_rate(ex.predicted_funding_rate(asset)),
            units.fmt_sz(self.open_interest(asset)),
            units.fmt_px(prev_day or ex.marks[asset]),
            fmt_usdc(day_ntl),
            fmt_rate(ex.current_premium(asset)) if oracle else None,
            units.fmt_px(oracle),
            units.fmt_px(ex.marks[asset]),
            self.mid(asset),
            impact,
            units.fmt_sz(day_base),
        )

    def _fraction_px(self, asset: int, px: Fraction) -> str:
        units = self.units[asset]
        return fmt_ratio(px.numerator, px.denominator * units.px_one, units.px_decimals)

    # -- accounts --------------------------------------------------------------------------

    def clearinghouse(self, acct: Account | None) -> wire.ClearinghouseState:
        ex = self.ex
        zero = wire.MarginSummary("0.0", "0.0", "0.0", "0.0")
        if acct is None:
            return wire.ClearinghouseState(zero, zero, "0.0", "0.0", [], ex.ts)
        marks = ex.marks
        summary = ex.cross_summary(acct)
        cross_available = summary.account_value - summary.maintenance
        positions = []
        total_value = summary.account_value
        total_ntl = summary.notional
        total_raw = acct.raw
        total_used = summary.margin_used
        for asset in sorted(acct.positions):
            pos = acct.positions[asset]
            inst = ex.instruments[asset]
            units = self.units[asset]
            mark = marks[asset]
            lev = ex.leverage_of(acct, asset)
            held = abs(pos.size)
            ntl = held * mark
            if pos.isolated:
                value = pos.iso_raw + pos.size * mark
                used = value
                available = value - inst.maintenance_margin(ntl)
                leverage = wire.Leverage("isolated", lev, fmt_usdc(pos.iso_raw))
                total_value += value
                total_ntl += ntl
                total_raw += pos.iso_raw
                total_used += value
            else:
                used = -(-ntl // lev)
                available = cross_available
                leverage = wire.Leverage("cross", lev)
            liq = liquidation_price(pos, inst, mark, available)
            roe = return_on_equity(pos, mark, lev)
            paid_all = acct.funding_all.get(asset, 0)
            positions.append(
                wire.AssetPosition(
                    "oneWay",
                    wire.Position(
                        inst.name,
                        units.fmt_sz(pos.size),
                        leverage,
                        units.fmt_avg_px(pos.entry_ntl, held),
                        fmt_usdc(ntl),
                        fmt_usdc(pos.unrealized_pnl(mark)),
                        fmt_ratio(roe.numerator, roe.denominator, ROE_DECIMALS),
                        None
                        if liq is None
                        else fmt_ratio(
                            liq.numerator, liq.denominator * units.px_one, LIQ_PX_DECIMALS
                        ),
                        fmt_usdc(used),
                        inst.max_leverage,
                        wire.CumFunding(
                            fmt_usdc(paid_all),
                            fmt_usdc(pos.funding_open),
                            fmt_usdc(pos.funding_change),
                        ),
                    ),
                )
            )
        return wire.ClearinghouseState(
            wire.MarginSummary(fmt_usdc(total_value), fmt_usdc(total_ntl), fmt_usdc(total_raw), fmt_usdc(total_used)),
            wire.MarginSummary(
                fmt_usdc(summary.account_value), fmt_usdc(summary.notional), fmt_usdc(acct.raw),
                fmt_usdc(summary.margin_used),
            ),
            fmt_usdc(summary.maintenance),
            fmt_usdc(ex.withdrawable(acct)),
            positions,
            ex.ts,
        )  # fmt: skip

    def active_asset_data(self, acct: Account | None, user: str, asset: int) -> dict:
        """What `user` may still trade in `asset`, `[buy, sell]`: `availableToTrade` is
        margin in USD and `maxTradeSzs = availableToTrade * leverage / markPx`, the relation
        the venue's own examples hold (APT 37019438.03 * 3 / 4.4716 = 24836370.44). The
        side that reduces a held position may first close it, which frees its margin (cross:
        its initial margin; isolated: its pool) for the other way: it can trade the
        position's size plus what the available and freed margin open."""
        ex = self.ex
        units = self.units[asset]
        mark = ex.marks[asset]
        if acct is None:
            lev = ex._default_leverage[asset]
            leverage = {"type": "cross", "value": lev}
            available = [0, 0]
        else:
            lev = ex.leverage_of(acct, asset)
            pos = acct.positions.get(asset)
            if ex.is_isolated(acct, asset):
                raw = pos.iso_raw if pos is not None else 0
                leverage = {"type": "isolated", "value": lev, "rawUsd": fmt_usdc(raw)}
            else:
                leverage = {"type": "cross", "value": lev}
            free = max(0, ex.available_margin(acct))
            available = [free, free]
            if pos is not None and mark:
                held = abs(pos.size)
                freed = pos.iso_raw + pos.size * mark if pos.isolated else -(-held * mark // lev)
                # the reducing side: close `held` (worth held * mark / lev of margin in this
                # relation), then open with what is free
                closing = -(-held * mark // lev) + max(0, freed)
                available[0 if pos.size < 0 else 1] = free + closing
        sizes = [a * lev // mark if mark else 0 for a in available]
        return {
            "user": user,
            "coin": self.coins[asset],
            "leverage": leverage,
            "maxTradeSzs": [units.fmt_sz(sizes[0]), units.fmt_sz(sizes[1])],
            "availableToTrade": [fmt_usdc(available[0]), fmt_usdc(available[1])],
            "markPx": units.fmt_px(mark),
        }

    # -- reference data --------------------------------------------------------------------

    def meta(self) -> dict:
        universe = []
        tables = {}
        for inst in self.ex.instruments:
            entry = {
                "szDecimals": inst.sz_decimals,
                "name": inst.name,
                "maxLeverage": inst.max_leverage,
                "marginTableId": inst.margin_table.id,
            }
            if inst.only_isolated:
                entry["onlyIsolated"] = True
            if inst.asset in self.ex.delisted:
                entry["isDelisted"] = True
            universe.append(entry)
            if inst.margin_table.id >= 50:
                tables[inst.margin_table.id] = inst.margin_table
        margin_tables = [
            [table_id, {"description": table.description, "marginTiers": [
                {"lowerBound": fmt_usdc(tier.lower_bound), "maxLeverage": tier.max_leverage}
                for tier in table.tiers
            ]}]
            for table_id, table in sorted(tables.items())
        ]  # fmt: skip
        return {"universe": universe, "marginTables": margin_tables, "collateralToken": 0}


SPOT_META = {
    "universe": [],
    "tokens": [
        {
            "name": "USDC",
            "szDecimals": 8,
            "weiDecimals": 8,
            "index": 0,
            "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
            "isCanonical": True,
            "evmContract": None,
            "fullName": None,
            "deployerTradingFeeShare": "0.0",
        }
    ],
}
USDC_TOKEN = "USDC:0x6d1e7cde53ba9467b783cb7c530ce054"
__all__ = ["SPOT_META", "USDC", "USDC_TOKEN", "Views", "fires_above"]
