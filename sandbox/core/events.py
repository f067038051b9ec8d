"""Domain events: everything the core decided, for the shell to publish.

Events are frozen msgspec Structs holding integers in the core's units (see `units`); the
server formats them into Hyperliquid's wire messages. A trade is one `Trade` event carrying
both sides; `Trade.fills()` gives each side's `Fill` as its user sees it. One command yields a list of events in
the order things happened. A user action always ends with exactly one `ActionResult`.
"""

from __future__ import annotations

import msgspec

OPEN_LONG = "Open Long"
OPEN_SHORT = "Open Short"
CLOSE_LONG = "Close Long"
CLOSE_SHORT = "Close Short"
LONG_TO_SHORT = "Long > Short"
SHORT_TO_LONG = "Short > Long"
AUTO_DELEVERAGING = "Auto-Deleveraging"


def liquidated_dir(isolated: bool, was_long: bool) -> str:
    """The `dir` of a liquidation fill: "Liquidated Cross Long", "Liquidated Isolated Short"."""
    return f"Liquidated {'Isolated' if isolated else 'Cross'} {'Long' if was_long else 'Short'}"


def fill_dir(start: int, is_buy: bool, q: int) -> str:
    """The venue's `dir` label of a fill of `q` lots from position `start`."""
    if is_buy:
        if start >= 0:
            return OPEN_LONG
        return CLOSE_SHORT if start + q <= 0 else SHORT_TO_LONG
    if start <= 0:
        return OPEN_SHORT
    return CLOSE_LONG if start - q >= 0 else LONG_TO_SHORT


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
OPEN_INTEREST_CAP_CANCELED = "openInterestCapCanceled"
DELISTED_CANCELED = "delistedCanceled"


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
    """One side of a trade, as its user sees it (derived from a `Trade`)."""

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
    twap_id: int | None = None  # the TWAP whose suborder this fill is


class Trade(msgspec.Struct, frozen=True, gc=False):
    """One trade: the public print and both sides' fills, in one event.

    `taker_is_buy` is the aggressor's side. `kind` says how it came about: "match" (the
    book), "market" (a market liquidation order, the taker, hit the book), "backstop" (the
    liquidator vault, the maker, took the taker's position over at mark) or "adl" (the
    taker, a bankrupt account or the vault, closed against the maker, a ranked
    counterparty). Each side's `dir` is derived from its start position unless set."""

    asset: int
    px: int
    sz: int
    ts: int
    tid: int
    action: int
    taker_is_buy: bool
    taker: str
    taker_oid: int
    taker_start: int
    taker_pnl: int
    taker_fee: int
    maker: str
    maker_oid: int
    maker_start: int
    maker_pnl: int
    maker_fee: int
    taker_cloid: str | None = None
    maker_cloid: str | None = None
    taker_builder_fee: int = 0
    maker_builder_fee: int = 0
    liquidation: Liquidation | None = None
    taker_dir: str | None = None
    maker_dir: str | None = None
    kind: str = "match"
    taker_twap: int | None = None  # the taker was a suborder of this TWAP

    @property
    def buyer(self) -> str:
        return self.taker if self.taker_is_buy else self.maker

    @property
    def seller(self) -> str:
        return self.maker if self.taker_is_buy else self.taker

    def taker_fill(self) -> Fill:
        is_buy = self.taker_is_buy
        return Fill(
            self.taker, self.asset, self.px, self.sz, is_buy, self.ts, self.taker_start,
            self.taker_dir or fill_dir(self.taker_start, is_buy, self.sz), self.taker_pnl,
            self.taker_oid, True, self.taker_fee, self.tid, self.action, self.taker_cloid,
            self.taker_builder_fee, self.liquidation, self.taker_twap,
        )  # fmt: skip

    def maker_fill(self) -> Fill:
        is_buy = not self.taker_is_buy
        return Fill(
            self.maker, self.asset, self.px, self.sz, is_buy, self.ts, self.maker_start,
            self.maker_dir or fill_dir(self.maker_start, is_buy, self.sz), self.maker_pnl,
            self.maker_oid, self.kind in FORCED, self.maker_fee, self.tid, self.action,
            self.maker_cloid, self.maker_builder_fee, self.liquidation,
        )  # fmt: skip

    def fills(self) -> tuple[Fill, Fill]:
        return self.taker_fill(), self.maker_fill()


FORCED = frozenset(("backstop", "adl"))  # trades where both sides "crossed"


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


class TwapRunning(msgspec.Struct, frozen=True, gc=False):
    """A TWAP order accepted: `{"running": {"twapId": ...}}`."""

    twap_id: int


WAITING_FOR_FILL = "waitingForFill"
WAITING_FOR_TRIGGER = "waitingForTrigger"
SUCCESS = "success"

Status = Resting | Filled | Error | TwapRunning | str


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
    kind: str  # "deposit" | "withdraw" | "internalTransfer" | "subAccountTransfer" | ...
    usdc: int
    ts: int
    action: int
    sender: str | None = None  # internalTransfer: who sent it
    destination: str | None = None
    to_perp: bool | None = None
    fee: int = 0
    nonce: int = 0  # withdraw, spotTransfer: the request's nonce


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


class Liquidated(msgspec.Struct, frozen=True, gc=False):
    """An account (cross) or one isolated position was liquidated: the `liquidation` user
    event and the ledger update of type liquidation come from this."""

    user: str
    lid: int
    liquidator: str
    method: str  # "market" | "backstop" | "adl"
    isolated: bool
    notional: int  # of the positions liquidated, at mark, micro-USDC
    account_value: int  # the account's (or isolated position's) value before, micro-USDC
    # (asset, signed size liquidated): the part of the position it held that was liquidated,
    # positive for a long, as the venue's ledger `liquidatedPositions[].szi` reads
    positions: tuple[tuple[int, int], ...]
    ts: int


class Notification(msgspec.Struct, frozen=True, gc=False):
    """A human-readable message for the `notification` channel."""

    user: str
    text: str
    ts: int


class RankEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One position in an ADL ranking snapshot: its score under the policy (higher is
    closed first), its size, unrealized PnL and account value when ranked."""

    user: str
    score: int
    size: int
    upnl: int
    account_value: int


class WaterfallStep(msgspec.Struct, frozen=True, gc=False):
    """The audit record of one stage of the loss waterfall.

    `stage`: "market" | "backstop" | "adl". `user` is the account liquidated (for ADL: the
    bankrupt account, possibly the vault). `size` is the signed size it had in `asset`,
    `closed` how much of it this stage closed, at `price` (an average for market
    liquidations). `shortfall` is the negative equity this stage had to cover. `ranking` is
    the snapshot an ADL used, best-ranked first; `counterparties` what it closed of each."""

    stage: str
    user: str
    asset: int
    size: int
    closed: int
    price: int
    shortfall: int
    vault_before: int
    vault_after: int
    ts: int
    lid: int
    policy: str | None = None
    ranking: tuple[RankEntry, ...] = ()
    counterparties: tuple[tuple[str, int], ...] = ()
    reason: str = ""


class Settled(msgspec.Struct, frozen=True, gc=False):
    """A delisted asset's positions settled at `px`: one one-sided fill per position."""

    asset: int
    px: int
    fills: tuple[Fill, ...]
    ts: int


class TwapView(msgspec.Struct, frozen=True, gc=False):
    """A TWAP as it stood when an event was emitted (the venue's TwapState)."""

    twap_id: int
    user: str
    asset: int
    is_buy: bool
    sz: int
    executed_sz: int
    executed_ntl: int  # micro-USDC
    minutes: int
    reduce_only: bool
    randomize: bool
    start: int  # ms


class TwapStatus(msgspec.Struct, frozen=True, gc=False):
    """A TWAP's status changed: "activated", "finished", "terminated" or "error" (with
    `description`)."""

    twap: TwapView
    status: str
    description: str
    ts: int


class LeverageChanged(msgspec.Struct, frozen=True, gc=False):
    user: str
    asset: int
    is_cross: bool
    leverage: int
    ts: int


Event = (
    OrderUpdate
    | Trade
    | ActionResult
    | Funding
    | FundingRate
    | Ledger
    | Prices
    | NonUserCancel
    | LeverageChanged
    | Liquidated
    | Notification
    | WaterfallStep
    | TwapStatus
    | Settled
)
