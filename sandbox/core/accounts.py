"""Accounts, positions and the money they hold.

Money follows Hyperliquid's "raw USD" model. Every pool of collateral holds a signed
integer of micro-USDC, `raw`: a buy of `q` lots at `px` ticks moves `px * q` out of the
buyer's pool into the seller's. A pool's value at mark is `raw + size * mark` over its
positions. An account has one cross pool (`Account.raw`, shared by all cross positions),
one pool per isolated position (`Position.iso_raw`) and a spot USDC balance (`spot`).

So cash conservation is exact and simple: the sum of every pool of every account (users,
system accounts) equals deposits minus withdrawals. Entry prices and realized PnL are
bookkeeping on top (`entry_ntl` is the cost basis of the open size, in micro-USDC).

Each account also keeps its open orders, the per-asset totals of its resting orders that
reserve margin (`OrderTotals`) and the margin those reserve.
"""

from __future__ import annotations

from sandbox.core.book import Order


class Position:
    """An open position in one asset. `size` is signed: positive long, negative short."""

    __slots__ = (
        "asset",
        "entry_ntl",
        "funding_change",
        "funding_open",
        "iso_raw",
        "isolated",
        "size",
    )

    def __init__(self, asset: int, isolated: bool) -> None:
        self.asset = asset
        self.size = 0
        self.entry_ntl = 0  # cost basis of |size|, micro-USDC, always >= 0
        self.isolated = isolated
        self.iso_raw = 0  # the isolated pool; unused for cross positions
        self.funding_open = 0  # funding paid since the position opened (negative: received)
        self.funding_change = 0  # ... since its size last changed

    def unrealized_pnl(self, mark: int) -> int:
        size = self.size
        return size * mark - self.entry_ntl if size > 0 else size * mark + self.entry_ntl

    def __repr__(self) -> str:
        mode = "isolated" if self.isolated else "cross"
        return f"Position({self.asset}, size={self.size}, entry_ntl={self.entry_ntl}, {mode})"


class OrderTotals:
    """Resting orders of one account in one asset that may open a position."""

    __slots__ = ("buy_ntl", "buy_sz", "sell_ntl", "sell_sz")

    def __init__(self) -> None:
        self.buy_ntl = 0
        self.buy_sz = 0
        self.sell_ntl = 0
        self.sell_sz = 0

    def add(self, is_buy: bool, px: int, sz: int) -> None:
        if is_buy:
            self.buy_sz += sz
            self.buy_ntl += px * sz
        else:
            self.sell_sz += sz
            self.sell_ntl += px * sz


def reserved_margin(
    buy_ntl: int, buy_sz: int, sell_ntl: int, sell_sz: int, size: int, leverage: int
) -> int:
    """Initial margin reserved by resting orders: that of the side that would grow the
    position more if filled, valued at the orders' limit prices. Orders that would only
    reduce the current position `size` reserve nothing; rounded up."""
    if size >= 0:
        worst = buy_ntl
        excess = sell_sz - size
        if excess > 0:
            sell_inc = -(-sell_ntl * excess // sell_sz)
            if sell_inc > worst:
                worst = sell_inc
    else:
        worst = sell_ntl
        excess = buy_sz + size
        if excess > 0:
            buy_inc = -(-buy_ntl * excess // buy_sz)
            if buy_inc > worst:
                worst = buy_inc
    return -(-worst // leverage)


def order_margin(totals: OrderTotals, size: int, leverage: int) -> int:
    return reserved_margin(
        totals.buy_ntl, totals.buy_sz, totals.sell_ntl, totals.sell_sz, size, leverage
    )


def discard(index: dict[int, dict[int, Order]], asset: int, oid: int) -> None:
    """Remove order `oid` from a per-asset index of orders, dropping the asset when empty."""
    orders = index[asset]
    del orders[oid]
    if not orders:
        del index[asset]


class Account:
    __slots__ = (
        "address",
        "cloids",
        "funding_all",
        "is_cross",
        "leverage",
        "liq_cooldown_until",
        "liq_isolated",
        "order_margin",
        "order_margin_total",
        "order_totals",
        "orders",
        "position_tpsl",
        "positions",
        "raw",
        "reduce_only",
        "scheduled_cancel",
        "scheduled_cancel_count",
        "scheduled_cancel_waived",
        "spot",
        "volume",
    )

    def __init__(self, address: str) -> None:
        self.address = address
        self.raw = 0  # the cross pool, micro-USDC
        self.spot = 0  # spot USDC, micro-USDC
        self.positions: dict[int, Position] = {}
        self.leverage: dict[int, int] = {}  # asset -> leverage, when set by the user
        self.is_cross: dict[int, bool] = {}  # asset -> margin mode, when set by the user
        self.orders: dict[int, Order] = {}  # every open order, resting or waiting on a trigger
        self.cloids: dict[str, int] = {}  # cloid -> oid of open orders
        self.order_totals: dict[int, OrderTotals] = {}
        self.order_margin: dict[int, int] = {}  # asset -> margin reserved by resting orders
        self.order_margin_total = 0
        self.reduce_only: dict[int, dict[int, Order]] = {}  # asset -> resting reduce-only orders
        self.position_tpsl: dict[int, dict[int, Order]] = {}  # asset -> positionTpsl triggers
        self.funding_all: dict[int, int] = {}  # asset -> funding paid, all time
        self.scheduled_cancel: int | None = None
        self.scheduled_cancel_count: tuple[int, int] = (0, 0)  # (day, triggers that day)
        self.scheduled_cancel_waived = False  # no volume needed (a control-plane waiver)
        self.volume = 0  # traded notional, micro-USDC
        self.liq_cooldown_until = 0  # market liquidation targets whole positions until then
        self.liq_isolated: tuple[int, ...] = ()  # isolated positions in the liquidation index

    def position_size(self, asset: int) -> int:
        pos = self.positions.get(asset)
        return pos.size if pos is not None else 0

    def __repr__(self) -> str:
        return f"Account({self.address}, raw={self.raw}, positions={list(self.positions.values())})"
