"""Domain events: everything the core decided, for the shell to publish.

Events are frozen msgspec Structs holding integers in the core's units (see `units`); the
server formats them into Hyperliquid's wire messages. One command yields a list of events in
the order things happened. A user action always ends with exactly one `ActionResult`.
"""

from __future__ import annotations

import msgspec

# Order statuses (hyperliquid-api.md §3.3).
OPEN = "open"
FILLED = "filled"
CANCELED = "canceled"
TRIGGERED = "triggered"
REJECTED = "rejected"
MARGIN_CANCELED = "marginCanceled"
SELF_TRADE_CANCELED = "selfTradeCanceled"
REDUCE_ONLY_CANCELED = "reduceOnlyCanceled"
SIBLING_FILLED_CANCELED = "siblingFilledCanceled"
LIQUIDATED_CANCELED = "liquidatedCanceled"
SCHEDULED_CANCEL = "scheduledCancel"


class OrderView(msgspec.Struct, frozen=True, gc=False):
    """An order as it stood when an event was emitted."""

    oid: int
    user: str
    asset: int
    is_buy: bool
    limit_px: int
    sz: int  # remaining
    orig_sz: int
    ts: int
    tif: str | None  # "Gtc" | "Ioc" | "Alo" | "FrontendMarket" | "LiquidationMarket" | None
    reduce_only: bool
    cloid: str | None
    trigger_px: int = 0  # 0 for non-trigger orders
    tpsl: str | None = None  # "tp" | "sl" for trigger orders
    is_market: bool = False
    is_position_tpsl: bool = False
    children: tuple[OrderView, ...] = ()

    @property
    def is_trigger(self) -> bool:
        return self.tpsl is not None


class OrderUpdate(msgspec.Struct, frozen=True, gc=False):
    order: OrderView
    status: str
    ts: int


class Liquidation(msgspec.Struct, frozen=True, gc=False):
    """The `liquidation` object of a fill touched by a liquidation or an ADL."""

    liquidated_user: str | None
    mark_px: int
    method: str  # "market" | "backstop"


class Fill(msgspec.Struct, frozen=True, gc=False):
    """One side of a trade, as its user sees it."""

    user: str
    asset: int
    px: int
    sz: int
    is_buy: bool
    ts: int
    start_position: int
    dir: str
    closed_pnl: int
    oid: int
    crossed: bool
    fee: int  # including builder_fee; negative is a rebate
    tid: int
    action: int  # the action's sequence number; its hash is ids.tx_hash(action)
    cloid: str | None = None
    builder_fee: int = 0
    liquidation: Liquidation | None = None


class Trade(msgspec.Struct, frozen=True, gc=False):
    """A public trade print; `is_buy` is the aggressor's side."""

    asset: int
    is_buy: bool
    px: int
    sz: int
    ts: int
    tid: int
    buyer: str
    seller: str
    action: int


class Resting(msgspec.Struct, frozen=True, gc=False):
    oid: int
    cloid: str | None = None


class Filled(msgspec.Struct, frozen=True, gc=False):
    total_sz: int
    notional: int  # micro-USDC; avgPx = notional / total_sz
    oid: int
    cloid: str | None = None


class Error(msgspec.Struct, frozen=True, gc=False):
    text: str


WAITING_FOR_FILL = "waitingForFill"
WAITING_FOR_TRIGGER = "waitingForTrigger"
SUCCESS = "success"

Status = Resting | Filled | Error | str


class ActionResult(msgspec.Struct, frozen=True, gc=False):
    """The response to a user action.

    `kind` is the venue's response type: "order" and "cancel" carry `statuses`, one per
    request item; "default" carries none; "err" rejects the whole request with `error`.
    """

    user: str
    kind: str
    statuses: tuple[Status, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind != "err"


class Funding(msgspec.Struct, frozen=True, gc=False):
    """A funding payment; `usdc` is signed from the user's side (negative: paid)."""

    user: str
    asset: int
    usdc: int
    szi: int
    rate: int  # RATE_SCALE
    ts: int


class FundingRate(msgspec.Struct, frozen=True, gc=False):
    """The hourly rate applied at `ts`, for fundingHistory."""

    asset: int
    rate: int
    premium: int
    ts: int


class Ledger(msgspec.Struct, frozen=True, gc=False):
    """A non-funding ledger update; `kind` is the venue's delta type."""

    user: str
    kind: str  # "deposit" | "withdraw" | "internalTransfer" | "accountClassTransfer" | ...
    usdc: int
    ts: int
    action: int
    sender: str | None = None  # internalTransfer: who sent it
    destination: str | None = None
    to_perp: bool | None = None
    fee: int = 0


class Prices(msgspec.Struct, frozen=True, gc=False):
    """New oracle and mark prices, per asset (None where unchanged)."""

    oracle: tuple[int | None, ...]
    mark: tuple[int | None, ...]
    ts: int


class NonUserCancel(msgspec.Struct, frozen=True, gc=False):
    """Orders the system cancelled for `user`, as (asset, oid) pairs."""

    user: str
    cancels: tuple[tuple[int, int], ...]
    ts: int


class LeverageChanged(msgspec.Struct, frozen=True, gc=False):
    user: str
    asset: int
    is_cross: bool
    leverage: int
    ts: int


Event = (
    OrderUpdate
    | Fill
    | Trade
    | ActionResult
    | Funding
    | FundingRate
    | Ledger
    | Prices
    | NonUserCancel
    | LeverageChanged
)
