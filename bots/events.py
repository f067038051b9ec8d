"""Typed events: what the venue pushes, decoded (msgspec) into structs.

`decode(message)` turns one websocket message into a list of events: a `Fill` for each fill
(an ADL's has `is_adl`; one of your own liquidation says so in `liquidated(you)`), a
`LiquidationEvent`, `NonUserCancel`s, a `Funding`, `OrderUpdate`s,
a `Book`, `Trade`s, `Mids`, a `Notification`; anything else is kept as a `Raw`. Unknown
fields are ignored, so the venue adding one breaks nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from protocol.wire import L2Book as Book
from protocol.wire import WsBasicOrder as BasicOrder
from protocol.wire import WsLiquidation as FillLiquidation
from protocol.wire import WsOrder as OrderUpdate
from protocol.wire import WsTrade as Trade

ADL_DIR = "Auto-Deleveraging"


class Fill(msgspec.Struct, frozen=True):
    coin: str
    px: str
    sz: str
    side: str  # "B" | "A"
    time: int
    startPosition: str
    dir: str
    closedPnl: str
    hash: str
    oid: int
    crossed: bool
    fee: str
    tid: int
    feeToken: str = "USDC"
    cloid: str | None = None
    liquidation: FillLiquidation | None = None
    builderFee: str | None = None
    snapshot: bool = False  # part of a subscription's first message, not news

    @property
    def is_adl(self) -> bool:
        """The venue closed this position by auto-deleveraging."""
        return self.dir == ADL_DIR

    def liquidated(self, user: str) -> bool:
        """Is this the fill of `user`'s own liquidation? Read it from the `liquidation`
        object, as the venue marks it: `liquidatedUser` is the user. Not from `dir`: the
        venue tags a market liquidation's fills as ordinary closes ("Close Long") and keeps
        the "Liquidated ..." dirs for its rarer backstop takeovers; a maker that absorbed
        someone else's liquidation gets the object too, naming the other account; an ADL'd
        fill names the bankrupt account."""
        liquidation = self.liquidation
        return (
            liquidation is not None
            and liquidation.liquidatedUser.lower() == user.lower()
            and not self.is_adl
        )


class LiquidationEvent(msgspec.Struct, frozen=True):
    """`userEvents`' `liquidation`: the account (or isolated position) was liquidated."""

    lid: int
    liquidator: str
    liquidated_user: str
    liquidated_ntl_pos: str
    liquidated_account_value: str


class NonUserCancel(msgspec.Struct, frozen=True):
    """An order the venue cancelled (a liquidation, a scheduled cancel)."""

    coin: str
    oid: int


class Funding(msgspec.Struct, frozen=True):
    coin: str
    usdc: str
    szi: str
    fundingRate: str
    time: int = 0
    nSamples: int | None = None


class Mids(msgspec.Struct, frozen=True):
    mids: dict[str, str]


class Notification(msgspec.Struct, frozen=True):
    notification: str


class Raw(msgspec.Struct, frozen=True):
    """A message of a channel without a type here (subscription answers, state feeds)."""

    channel: str
    data: Any


class Reconnected(msgspec.Struct, frozen=True):
    """The client lost its websocket and connected again, subscriptions renewed: what
    happened in between was not seen; read the state again."""

    attempts: int


Event = (
    Fill | LiquidationEvent | NonUserCancel | Funding | OrderUpdate | Book | Trade | Mids
    | Notification | Raw | Reconnected
)  # fmt: skip


def _as(data: Any, kind: type) -> Any:
    return msgspec.convert(data, kind, strict=False)


def decode(message: dict) -> list[Event]:
    """The events in one websocket message."""
    channel, data = message.get("channel"), message.get("data")
    try:
        if channel == "user":
            out: list[Event] = [_as(f, Fill) for f in data.get("fills", ())]
            if "liquidation" in data:
                out.append(_as(data["liquidation"], LiquidationEvent))
            out.extend(_as(c, NonUserCancel) for c in data.get("nonUserCancel", ()))
            if "funding" in data:
                out.append(_as(data["funding"], Funding))
            return out
        if channel == "userFills":
            snapshot = bool(data.get("isSnapshot"))
            fills = [_as(f, Fill) for f in data.get("fills", ())]
            return [msgspec.structs.replace(f, snapshot=True) for f in fills] if snapshot else fills
        if channel == "orderUpdates":
            return [_as(update, OrderUpdate) for update in data]
        if channel == "l2Book":
            return [_as(data, Book)]
        if channel == "trades":
            return [_as(trade, Trade) for trade in data]
        if channel == "allMids":
            return [_as(data, Mids)]
        if channel == "notification":
            return [_as(data, Notification)]
    except (msgspec.ValidationError, AttributeError, TypeError):
        pass  # not the shape expected: handed over as it came
    return [Raw(str(channel), data)]


__all__ = [
    "ADL_DIR", "BasicOrder", "Book", "Event", "Fill", "FillLiquidation", "Funding",
    "LiquidationEvent", "Mids", "NonUserCancel", "Notification", "OrderUpdate", "Raw",
    "Reconnected", "Trade", "decode",
]  # fmt: skip
