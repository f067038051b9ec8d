"""Background takers: a crowd of small traders whose market orders make the trades, the
volume, the candles and the open interest of a live market.

A `TakerFlow` is `traders` ordinary accounts (addresses derived from the flow's name),
funded at start, each at `leverage` on every coin of the flow. Traders keep to their own
coins, as most do: the coins are dealt out among them in turn (with more traders than
coins, each coin has several traders and each trader one coin). Orders arrive at random
(a Poisson process of `trades_per_minute` per coin, seeded): on a coin picked at random,
one of its traders picked at random sends an immediate-or-cancel order, as a market order
does, of about `order_usdc` (an exponential draw, at least the venue's minimum). A trader who holds the
coin closes part of it half of the time and always once its position passes half of what
its margin allows; otherwise it buys or sells with even odds. So open interest builds and
decays around a level, and the flow's own positions are real risk: a crash liquidates the
over-extended. Driven in-process on the venue's timeline, like the market makers, so that
virtual time stays deterministic.
"""

from __future__ import annotations

import random

from sandbox.core import commands as cmd
from sandbox.core.units import USDC

SLIPPAGE_PCT = 1  # how far through the book a market order may go
MIN_ORDER_USDC = 11  # above the venue's $10 minimum, after rounding the size down


def trader_address(flow: str, i: int) -> str:
    from protocol.signing import keccak

    return "0x" + keccak(f"adl-sandbox taker flow {flow} {i}".encode())[12:].hex()


class TakerFlow:
    def __init__(self, venue, name: str = "flow", coins: tuple[str, ...] | None = None, *,
                 trades_per_minute: float = 6.0, order_usdc: int = 2_000, traders: int = 20,
                 leverage: int = 5, usdc: int = 50_000, seed: int | str = 0) -> None:  # fmt: skip
        if trades_per_minute < 0 or order_usdc <= 0 or traders < 1 or leverage < 1 or usdc <= 0:
            raise ValueError("a taker flow needs trades_per_minute >= 0, and order_usdc, "
                             "traders, leverage and usdc > 0")  # fmt: skip
        self.venue = venue
        self.name = name
        ex = venue.exchange
        self.coins = tuple(coins) if coins is not None else tuple(ex.by_name)
        for coin in self.coins:
            if coin not in ex.by_name:
                raise ValueError(f"unknown coin {coin!r}")
        self.rate_per_ms = trades_per_minute * len(self.coins) / 60_000
        self.order_usdc, self.leverage, self.usdc = order_usdc, leverage, usdc
        self.addresses = tuple(trader_address(name, i) for i in range(1, traders + 1))
        n = len(self.coins)
        # each coin's traders: with as many traders as coins or more, coin j has traders
        # j, j + n, j + 2n, ...; with fewer, coin j has trader j mod traders alone
        self.dealt = tuple(
            self.addresses[j::n] if traders >= n else (self.addresses[j % traders],)
            for j in range(n)
        )
        self.rng = random.Random(f"{seed}:flow:{name}")
        self.handle = None
        self.funded = False
        self.sent = 0  # orders sent

    @property
    def active(self) -> bool:
        return self.handle is not None

    def fund(self) -> None:
        """Deposit each trader's USDC and set its leverage on the flow's coins (once)."""
        if self.funded:
            return
        venue, ex = self.venue, self.venue.exchange
        for address in self.addresses:
            venue.apply(cmd.Deposit(address, self.usdc * USDC))
            for coin in self.coins:
                inst = ex.by_name[coin]
                leverage = min(self.leverage, inst.max_leverage)
                venue.apply(cmd.UpdateLeverage(address, inst.asset, True, leverage))
        self.funded = True

    def start(self) -> None:
        if self.active or not self.rate_per_ms:
            return
        self.fund()
        self._schedule()

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _schedule(self) -> None:
        wait = max(1, round(self.rng.expovariate(self.rate_per_ms)))
        self.handle = self.venue.timeline.after(wait, self._arrive)

    def _arrive(self) -> None:
        self._schedule()
        self.trade()

    def trade(self) -> None:
        """One trader's market order now."""
        rng = self.rng
        j = rng.randrange(len(self.coins))
        coin, traders = self.coins[j], self.dealt[j]
        address = traders[rng.randrange(len(traders))]
        usdc = max(MIN_ORDER_USDC, min(20 * self.order_usdc,
                                       self.order_usdc * rng.expovariate(1.0)))  # fmt: skip
        close_some = rng.random() < 0.5
        is_buy = rng.random() < 0.5
        ex = self.venue.exchange
        inst = ex.by_name[coin]
        asset = inst.asset
        oracle = ex.oracles[asset]
        acct = ex.accounts.get(address)
        if not oracle or acct is None:
            return
        units = inst.units
        ref = ex.marks[asset] or oracle  # ticks
        size = acct.position_size(asset)
        reduce = False
        if size:
            # ticks times lots is micro-USDC: the position's notional, against half of what
            # the trader's margin allows (on its account value: `raw` alone is its cash less
            # what its longs cost, which would hold longs to a fraction of what shorts get)
            value = ex.cross_summary(acct).account_value
            capacity = min(value * inst.max_leverage, self.usdc * USDC * self.leverage)
            if close_some or 2 * abs(size) * ref > capacity:
                is_buy, reduce = size < 0, True  # buy back a short, sell a long
        # a market order: an IOC SLIPPAGE past the price, at a valid price
        px = units.round_px(ref * (100 + SLIPPAGE_PCT if is_buy else 100 - SLIPPAGE_PCT), 100,
                            up=is_buy)  # fmt: skip
        sz = int(usdc * USDC) // px  # lots: micro-USDC over ticks
        if reduce:
            sz = min(sz, abs(size))
        if sz <= 0:
            return
        spec = cmd.OrderSpec(asset, is_buy, px, sz, reduce_only=reduce, tif="Ioc")
        self.sent += 1
        self.venue.apply(cmd.PlaceOrders(address, (spec,)))
