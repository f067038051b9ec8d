"""The order book of one instrument: price levels on integer ticks, FIFO within a level.

Each side keeps its prices in a sorted list of keys (`px` for bids, `-px` for asks) so that
the best level is always the last key, and a dict of levels by price. A level keeps its
orders in a dict by oid: insertion order is arrival order, which is time priority, and an
order leaves its level in O(1) when cancelled.

Invariants (`validate`): the book is not crossed; every key has a non-empty level and every
level a key; a level's total is the sum of its orders' remaining sizes; every order rests
at its own price on its own side with a positive size.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Any

import msgspec

from sandbox.core.errors import InvariantError


class Order(msgspec.Struct, eq=False, repr_omit_defaults=True):
    """A live order. `sz` is the remaining size, `orig_sz` the size when placed.

    Mutable: the engine updates `sz` as it fills, and `px`/`tif` when a trigger fires.
    Identity is the order itself (`eq=False`): two orders are never "equal"."""

    oid: int
    account: Any  # the owning accounts.Account
    asset: int
    is_buy: bool
    px: int
    sz: int
    orig_sz: int
    tif: str | None
    reduce_only: bool
    cloid: str | None
    ts: int
    trigger_px: int = 0
    tpsl: str | None = None  # "tp" | "sl" for trigger orders
    is_market: bool = False
    is_position_tpsl: bool = False
    parent: Any = None  # the parent order of a waiting normalTpsl child
    children: list | None = None  # normalTpsl children waiting for this order to fill
    siblings: list | None = None  # an activated normalTpsl group: the TP/SL children together
    builder: Any = None
    where: int = 0
    twap: int | None = None  # the TWAP this order is a suborder of  # resting, waiting for its trigger, or waiting for its parent

    @property
    def user(self) -> str:
        return self.account.address

    def __repr__(self) -> str:
        side = "B" if self.is_buy else "A"
        return f"Order({self.oid}, {side}, px={self.px}, sz={self.sz}/{self.orig_sz})"


class Level:
    __slots__ = ("orders", "px", "total")

    def __init__(self, px: int) -> None:
        self.px = px
        self.total = 0
        self.orders: dict[int, Order] = {}


class BookSide:
    __slots__ = ("is_bid", "keys", "levels")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.keys: list[int] = []  # ascending; the best level is keys[-1]
        self.levels: dict[int, Level] = {}

    def best(self) -> Level | None:
        keys = self.keys
        if not keys:
            return None
        return self.levels[keys[-1] if self.is_bid else -keys[-1]]

    def best_px(self) -> int | None:
        keys = self.keys
        if not keys:
            return None
        return keys[-1] if self.is_bid else -keys[-1]

    def add(self, order: Order) -> None:
        px = order.px
        level = self.levels.get(px)
        if level is None:
            level = self.levels[px] = Level(px)
            insort(self.keys, px if self.is_bid else -px)
        level.orders[order.oid] = order
        level.total += order.sz

    def remove(self, order: Order) -> None:
        level = self.levels[order.px]
        del level.orders[order.oid]
        level.total -= order.sz
        if not level.orders:
            self.drop_level(level)

    def drop_level(self, level: Level) -> None:
        px = level.px
        del self.levels[px]
        keys = self.keys
        key = px if self.is_bid else -px
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def iter_levels(self) -> Iterator[Level]:
        """Levels from the best price outwards."""
        levels = self.levels
        sign = 1 if self.is_bid else -1
        for key in reversed(self.keys):
            yield levels[sign * key]

    def depth(self, n: int) -> list[tuple[int, int, int]]:
        """The best `n` levels as (px, total size, number of orders)."""
        out = []
        for level in self.iter_levels():
            out.append((level.px, level.total, len(level.orders)))
            if len(out) == n:
                break
        return out

    def __len__(self) -> int:
        return len(self.keys)


class OrderBook:
    __slots__ = ("asks", "asset", "bids")

    def __init__(self, asset: int) -> None:
        self.asset = asset
        self.bids = BookSide(True)
        self.asks = BookSide(False)

    def side(self, is_buy: bool) -> BookSide:
        return self.bids if is_buy else self.asks

    def add(self, order: Order) -> None:
        (self.bids if order.is_buy else self.asks).add(order)

    def remove(self, order: Order) -> None:
        (self.bids if order.is_buy else self.asks).remove(order)

    def best_bid(self) -> int | None:
        return self.bids.best_px()

    def best_ask(self) -> int | None:
        return self.asks.best_px()

    def mid_x2(self) -> int | None:
        """Twice the mid price (an integer), or None when a side is empty."""
        bid, ask = self.bids.best_px(), self.asks.best_px()
        if bid is None or ask is None:
            return None
        return bid + ask

    def orders(self) -> Iterator[Order]:
        for side in (self.bids, self.asks):
            for level in side.iter_levels():
                yield from level.orders.values()

    def validate(self) -> None:
        for side in (self.bids, self.asks):
            keys = side.keys
            if keys != sorted(set(keys)):
                raise InvariantError(f"book {self.asset}: keys out of order or repeated")
            prices = {k if side.is_bid else -k for k in keys}
            if prices != set(side.levels):
                raise InvariantError(f"book {self.asset}: keys and levels disagree")
            for px, level in side.levels.items():
                if level.px != px or not level.orders:
                    raise InvariantError(f"book {self.asset}: empty or misplaced level {px}")
                total = 0
                for oid, order in level.orders.items():
                    if order.oid != oid or order.px != px or order.is_buy != side.is_bid:
                        raise InvariantError(f"book {self.asset}: order {oid} misplaced")
                    if order.sz <= 0:
                        raise InvariantError(f"book {self.asset}: order {oid} has no size")
                    total += order.sz
                if total != level.total:
                    raise InvariantError(f"book {self.asset}: level {px} total is wrong")
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None and bid >= ask:
            raise InvariantError(f"book {self.asset}: crossed at {bid}@{ask}")
