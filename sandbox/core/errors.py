"""Rejections and broken invariants.

A rejection is an ordinary outcome: the venue's exact text travels back to the client as
data (an order status `{"error": ...}` or a whole-request `{"status": "err"}`). The core
raises `Rejected` internally to unwind a half-checked command before anything is applied
and turns it into data at the command boundary.

A broken invariant is a bug. `InvariantError` is never caught by the core.

The texts are Hyperliquid's (shared/reference/hyperliquid-api.md §5.5); where the venue's
text is not known, the message is written in the same style and marked below.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base of the core's exceptions."""


class Rejected(CoreError):
    """A command (or one order of a batch) is refused; `text` is what the client sees."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class InvariantError(CoreError):
    """The state broke one of the invariants of DESIGN.md. Always a bug."""


# Per-order statuses (the venue appends " asset=<id>" unless noted).
TICK = "Price must be divisible by tick size."
INVALID_PRICE = "Order has invalid price."
INVALID_SIZE = "Order has invalid size."
ZERO_SIZE = "Order has zero size."
MIN_TRADE_NTL = "Order must have minimum value of $10."
PERP_MARGIN = "Insufficient margin to place order."
REDUCE_ONLY = "Reduce only order would increase position."
BAD_ALO_PX = "Post only order would have immediately matched, bbo was {bid}@{ask}."
IOC_CANCEL = "Order could not immediately match against any resting orders."
BAD_TRIGGER_PX = "Invalid TP/SL price."
MARKET_NO_LIQUIDITY = "No liquidity available for market order."
PERP_MAX_POSITION = "Order would cause position to exceed margin tier limit at current leverage"
PRICE_BAND = "Order price cannot be more than {pct}% away from the reference price"  # no asset=
MISSING_ORDER = "Order was never placed, already canceled, or filled."
TOO_MANY_ORDERS = "Too many open orders."  # from the node binary; punctuation as its siblings
UNKNOWN_ASSET = "Unknown asset."  # not published
CROSS_NOT_ALLOWED = "Cross margin is not allowed for this asset."
TRIGGER_NOT_REDUCE_ONLY = "Trigger order is not reduce only."
TPSL_MISMATCH = "Trigger order has unexpected side."
DUPLICATE_CLOID = "Order has a cloid already used by an open order."  # not published
INVALID_TIF = "Order has invalid tif."  # not published
TRADING_HALTED = "Trading is halted."  # not published
DELISTED = "Asset is delisted."  # not published
OI_CAP_INCREASE = "Cannot increase position when open interest is at cap."
OI_CAP_FLIP = "Cannot flip position when open interest is at cap."

# Whole-request errors ({"status": "err", "response": text}).
USER_MISSING = "User or API Wallet {user} does not exist."
EMPTY_BATCH = "Order batch is empty."  # not published
INVALID_GROUPING = "Invalid order grouping."  # not published
UNKNOWN_ASSET_ACTION = "Unknown asset."  # not published
ISOLATED_MARGIN_ADD = "Insufficient margin available to add to isolated position."  # not published
INVALID_AMOUNT = "Invalid amount."  # not published
INVALID_PRICE_UPDATE = "Oracle price must be positive."
INSUFFICIENT_WITHDRAW = "Insufficient balance for withdrawal"
INSUFFICIENT_TRANSFER = "Insufficient balance for token transfer"
# not published: a transfer that cannot pay the activation fee of the account it creates
INSUFFICIENT_ACTIVATION = "Insufficient amount to activate a new account: the first transfer to an address pays a 1 USDC activation fee"
MODIFY_MISSING = "Cannot modify canceled or filled order"
LEVERAGE_INVALID = "Invalid leverage value."  # not published
LEVERAGE_TOO_HIGH = "Leverage is higher than the maximum allowed for this asset."  # not published
LEVERAGE_TYPE_SWITCH = "Cannot switch leverage type with open position."
CROSS_LEVERAGE_DECREASE = (
    "Cross position does not have sufficient margin available to decrease leverage."
)
ISOLATED_LEVERAGE_DECREASE = (
    "Isolated position does not have sufficient margin available to decrease leverage. "
    "To decrease leverage, add margin to the position."
)
NOT_ISOLATED = "Position does not use isolated margin."
ISOLATED_MARGIN_REMOVE = "Insufficient margin available to remove from isolated position."  # ditto
SCHEDULE_CANCEL_TOO_EARLY = (
    "Scheduled cancel time must be at least 5 seconds in the future."  # ditto
)
SCHEDULE_CANCEL_DAILY = "Too many scheduled cancels triggered for the day. Limit is 10."
SCHEDULE_CANCEL_VOLUME = (
    "Cannot set scheduled cancel time until enough volume traded. Required: ${required}. "
    "Traded: ${traded}."
)


# An order refused by a check of the account or the market gets an oid and a record
# (orderUpdates, historicalOrders, orderStatus) with the venue's status for it, as on the
# venue (captured orderUpdates and historicalOrders carry minTradeNtlRejected,
# perpMarginRejected, badAloPxRejected...); one refused for the form of the request (zero
# size, a halted market, a duplicate cloid, the price band, too many open orders) gets
# neither, as the venue's pre-validation.
REJECTED_STATUS = {
    TICK: "tickRejected",
    INVALID_PRICE: "tickRejected",
    MIN_TRADE_NTL: "minTradeNtlRejected",
    PERP_MARGIN: "perpMarginRejected",
    REDUCE_ONLY: "reduceOnlyRejected",
    IOC_CANCEL: "iocCancelRejected",
    BAD_TRIGGER_PX: "badTriggerPxRejected",
    MARKET_NO_LIQUIDITY: "marketOrderNoLiquidityRejected",
    PERP_MAX_POSITION: "perpMaxPositionRejected",
    OI_CAP_INCREASE: "positionIncreaseAtOpenInterestCapRejected",
    OI_CAP_FLIP: "positionFlipAtOpenInterestCapRejected",
}


def rejected_status(text: str) -> str | None:
    """The status a refused order's record carries, or None when it leaves no record."""
    status = REJECTED_STATUS.get(text)
    if status is None and text.startswith(_ALO_HEAD):
        return "badAloPxRejected"
    return status


_ALO_HEAD = BAD_ALO_PX.split("{", 1)[0]


def with_asset(text: str, asset: int) -> str:
    """The per-order form of a rejection text, as the venue sends it."""
    return f"{text} asset={asset}"


def per_order(text: str, asset: int) -> str:
    """`with_asset`, except for the texts the venue sends without the suffix."""
    return text if text.startswith(_PRICE_BAND_HEAD) else with_asset(text, asset)


_PRICE_BAND_HEAD = PRICE_BAND.split("{", 1)[0]


# Control-plane commands (not the venue's: it has no such thing).
NO_POSITION_TO_ADL = "No position to auto-deleverage."
INVALID_SIZE_TO_ADL = "The size to auto-deleverage must be positive."
NO_POSITION_TO_LIQUIDATE = "No position to liquidate."
NO_PRICE_TO_SETTLE = "The asset has no mark price to settle its positions at."
INVALID_LIQUIDATION_STAGE = 'The liquidation stage must be "market" or "backstop".'
VAULT_CANNOT_ABSORB = (
    "The liquidator vault cannot take this position over: it would fall below its own "
    "maintenance margin."
)
