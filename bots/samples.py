"""Sample bots, each small enough to read in a minute and copy.

- `MarketMaker`: quotes `levels` bids and asks around the mid, shifting them against its
  inventory (long: lower, to sell; short: higher, to buy) by up to `skew_bps`.
- `Momentum`: a taker; when the mid has moved more than `threshold_bps` over `lookback`
  turns, it follows the move with an IOC, up to a position limit.
- `Whale`: builds a leveraged position in slices of IOC orders, then holds it.
- `AdlAware`: a `Whale` that watches for its own auto-deleveraging: when the venue closes
  part of its position by ADL, it stands down (cancels its orders, stops trading) or
  re-hedges (puts the size back on, once per ADL).
- `Noise`: a seeded random trader for load: small IOC and resting orders around the mid.
"""

from __future__ import annotations

import random
from collections import deque
from decimal import Decimal

from bots import events as ev
from bots.bot import Bot, round_price, round_size
from protocol.numbers import price, usd

SLIPPAGE = Decimal("0.01")  # how far past the mid an IOC may fill
BPS = Decimal(10_000)


def ladder(center: Decimal, sz_decimals: int, *, levels: int, spread_bps: Decimal | int,
           step_bps: Decimal | int, level_usdc: Decimal,
           growth_pct: Decimal | int = 0) -> list[tuple[bool, Decimal, Decimal]]:  # fmt: skip
    """A market maker's quotes around `center`: (is_buy, px, sz) for `levels` bids and asks,
    the first `spread_bps` away, then every `step_bps`; the first of about `level_usdc` of
    notional, each next `growth_pct` larger (books deepen away from the mid); valid prices
    and sizes for a coin of `sz_decimals`."""
    quotes = []
    spread, step = Decimal(spread_bps), Decimal(step_bps)
    growth = 1 + Decimal(growth_pct) / 100
    usdc = level_usdc
    for k in range(levels):
        off = (spread + k * step) / BPS
        for is_buy, px in ((True, center * (1 - off)), (False, center * (1 + off))):
            px = round_price(px, sz_decimals, up=not is_buy)
            sz = round_size(usdc / px, sz_decimals) if px > 0 else Decimal(0)
            if sz > 0:
                quotes.append((is_buy, px, sz))
        usdc *= growth
    return quotes


class MarketMaker(Bot):
    """Quotes levels a side around the mid, skewed against its inventory."""

    kind = "market_maker"

    def __init__(self, name: str, key, *, coin: str = "BTC", levels: int = 3,
                 spread_bps: int = 10, step_bps: int = 10, level_usdc: str = "20000",
                 max_position_usdc: str = "200000", skew_bps: int = 20) -> None:  # fmt: skip
        super().__init__(name, key)
        self.coin = coin
        self.levels, self.spread_bps, self.step_bps = levels, spread_bps, step_bps
        self.level_usdc, self.max_position = Decimal(level_usdc), Decimal(max_position_usdc)
        self.skew_bps = skew_bps
        self.quoted: tuple | None = None  # (mid, position) the live quotes are for

    def skew(self, position: Decimal, mid: Decimal) -> Decimal:
        """Basis points to move the quotes by: negative when long (sell more eagerly)."""
        ratio = max(Decimal(-1), min(Decimal(1), position * mid / self.max_position))
        return -ratio * self.skew_bps

    async def on_timer(self, now_ms: int) -> None:
        mid = await self.mark(self.coin)  # where the venue marks it: quotes center there
        if mid is None:
            return
        position = await self.position(self.coin)
        if self.quoted == (mid, position):
            return
        await self.cancel_all(self.coin)
        center = mid * (1 + self.skew(position, mid) / BPS)
        quotes = ladder(center, self.client.sz_decimals[self.coin], levels=self.levels,
                        spread_bps=self.spread_bps, step_bps=self.step_bps,
                        level_usdc=self.level_usdc)  # fmt: skip
        wires = [self.client.order_wire(self.coin, is_buy, sz, px, tif="Alo")
                 for is_buy, px, sz in quotes]  # fmt: skip
        if wires:
            await self.client.orders(wires)
        self.quoted = (mid, position)


class Momentum(Bot):
    """Follows a move of the mid over the last turns with IOC orders."""

    kind = "momentum"

    def __init__(self, name: str, key, *, coin: str = "BTC", lookback: int = 5,
                 threshold_bps: int = 30, order_usdc: str = "10000",
                 max_position_usdc: str = "50000") -> None:  # fmt: skip
        super().__init__(name, key)
        self.coin = coin
        self.mids: deque[Decimal] = deque(maxlen=lookback + 1)
        self.threshold = Decimal(threshold_bps) / BPS
        self.order_usdc, self.max_position = Decimal(order_usdc), Decimal(max_position_usdc)

    async def on_timer(self, now_ms: int) -> None:
        mid = await self.mid(self.coin)
        if mid is None:
            return
        self.mids.append(mid)
        if len(self.mids) < self.mids.maxlen:
            return
        move = mid / self.mids[0] - 1
        if abs(move) < self.threshold:
            return
        is_buy = move > 0
        position = await self.position(self.coin)
        if (
            (position * mid >= self.max_position)
            if is_buy
            else (-position * mid >= self.max_position)
        ):
            return
        filled = await self.ioc(self.coin, is_buy, self.order_usdc / mid, SLIPPAGE, mid)
        if filled:
            self.say(f"{'bought' if is_buy else 'sold'} {filled} {self.coin} on a "
                     f"{move * 100:+.2f}% move")  # fmt: skip
            self.mids.clear()  # a fresh window after each trade


class Whale(Bot):
    """Builds a leveraged position in slices, then holds it."""

    kind = "whale"

    def __init__(self, name: str, key, *, coin: str = "BTC", side: str = "long",
                 notional: str = "100000", leverage: int = 10, slices: int = 5) -> None:  # fmt: skip
        super().__init__(name, key)
        if side not in ("long", "short"):
            raise ValueError('side must be "long" or "short"')
        self.coin, self.is_buy = coin, side == "long"
        self.target = Decimal(notional)
        self.leverage, self.slices = leverage, max(1, slices)
        self.built = Decimal(0)  # notional bought (or sold) so far
        self.sent = 0  # orders sent to build it
        self.active = True

    async def on_start(self) -> None:
        await self.client.update_leverage(self.coin, self.leverage)

    @property
    def building(self) -> bool:
        """Until 99% of the target is on (sizes round down), in at most twice the slices."""
        return self.built < self.target * Decimal("0.99") and self.sent < 2 * self.slices

    async def on_timer(self, now_ms: int) -> None:
        if self.active and self.building:
            await self.build()

    async def build(self) -> None:
        """One slice: an IOC order up to 1% past the mid."""
        mid = await self.mid(self.coin)
        if mid is None:
            return
        notional = min(self.target / self.slices, self.target - self.built)
        filled = await self.ioc(self.coin, self.is_buy, notional / mid, SLIPPAGE, mid)
        self.sent += 1
        self.built += filled * mid
        if not self.building:
            side = "long" if self.is_buy else "short"
            self.say(f"holds {abs(await self.position(self.coin))} {self.coin} {side} at "
                     f"{self.leverage}x")  # fmt: skip

    async def on_liquidation(self, event: ev.LiquidationEvent) -> None:
        if self.active:
            self.say(f"was liquidated (account value {usd(event.liquidated_account_value)}); "
                     "stops trading")  # fmt: skip
        self.active = False

    async def on_fill(self, fill: ev.Fill) -> None:
        # A liquidation is recognized by the fill's `liquidation` object naming this
        # account, as the venue marks it; not by `dir`, which reads "Close Long" on a market
        # liquidation ("Liquidated ..." only on a backstop takeover).
        if fill.liquidated(self.client.address) and self.active:
            self.say(f"was liquidated: {fill.sz} {fill.coin} closed at {price(fill.px)}; "
                     "stops trading")  # fmt: skip
            self.active = False


class AdlAware(Whale):
    """A whale that notices its ADL and stands down or re-hedges."""

    kind = "adl_aware"

    def __init__(self, name: str, key, *, on_adl: str = "stand_down", **kw) -> None:
        super().__init__(name, key, **kw)
        if on_adl not in ("stand_down", "rehedge"):
            raise ValueError('on_adl must be "stand_down" or "rehedge"')
        self.reaction = on_adl
        self.rehedge = Decimal(0)  # size to put back on
        self.stood_down = False

    async def on_adl(self, fill: ev.Fill) -> None:
        self.say(f"noticed its ADL: {fill.sz} {fill.coin} closed at {price(fill.px)} "
                 f"(closed PnL {usd(fill.closedPnl)}); "
                 + ("stands down" if self.reaction == "stand_down" else "re-hedges"))  # fmt: skip
        if self.reaction == "stand_down":
            self.active = False
            self.stood_down = True
            await self.cancel_all()
        else:
            self.rehedge += Decimal(fill.sz)

    async def on_timer(self, now_ms: int) -> None:
        if self.rehedge > 0:
            sz, self.rehedge = self.rehedge, Decimal(0)
            filled = await self.ioc(self.coin, self.is_buy, sz, SLIPPAGE)
            self.say(f"re-hedged {filled} of {sz} {self.coin}")
            return
        await super().on_timer(now_ms)


class Noise(Bot):
    """Random small orders around the mid, seeded, for load."""

    kind = "noise"

    def __init__(self, name: str, key, *, coin: str = "BTC", seed: int = 0,
                 order_usdc: str = "2000", rate: float = 0.5,
                 max_position_usdc: str = "20000") -> None:  # fmt: skip
        super().__init__(name, key)
        self.coin, self.random = coin, random.Random(seed)
        self.order_usdc, self.rate = Decimal(order_usdc), rate
        self.max_position = Decimal(max_position_usdc)
        self.sent = 0

    async def on_timer(self, now_ms: int) -> None:
        if self.random.random() >= self.rate:
            return
        mid = await self.mid(self.coin)
        if mid is None:
            return
        position = await self.position(self.coin)
        is_buy = self.random.random() < 0.5
        if abs(position * mid) >= self.max_position:
            is_buy = position < 0  # back towards flat
        decimals = self.client.sz_decimals[self.coin]
        if self.random.random() < 0.5:
            await self.ioc(self.coin, is_buy, self.order_usdc / mid, SLIPPAGE, mid)
        else:
            away = Decimal(self.random.randint(5, 50)) / BPS
            px = round_price(mid * (1 - away if is_buy else 1 + away), decimals, up=not is_buy)
            sz = round_size(self.order_usdc / px, decimals)
            if sz > 0:
                await self.client.order(self.coin, is_buy, sz, px)
        self.sent += 1


KINDS: dict[str, type[Bot]] = {
    bot.kind: bot for bot in (MarketMaker, Momentum, Whale, AdlAware, Noise)
}
