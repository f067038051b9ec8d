"""Sample bots.

- `Whale`: builds a leveraged position in slices (market-style IOC orders), then holds it.
- `AdlAware`: a `Whale` that watches for its own auto-deleveraging: when the venue closes
  part of its position by ADL, it either stands down (cancels its orders and stops trading)
  or re-hedges (buys or sells back what was taken, once).
"""

from __future__ import annotations

from decimal import Decimal

from bots.bot import Bot, round_price, round_size

SLIPPAGE = Decimal("0.01")  # how far past the mid a slice may fill


class Whale(Bot):
    kind = "whale"

    def __init__(self, name: str, key: bytes, *, coin: str = "BTC", side: str = "long",
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

    async def on_timer(self, now_ms: int) -> None:
        if self.active and self.building:
            await self.build()

    @property
    def building(self) -> bool:
        return self.built < self.target and self.sent < 2 * self.slices

    async def build(self) -> None:
        """One slice: an IOC order up to 1% past the mid."""
        mid = await self.mid(self.coin)
        if mid is None:
            return
        decimals = self.client.sz_decimals[self.coin]
        notional = min(self.target / self.slices, self.target - self.built)
        sz = round_size(notional / mid, decimals)
        if sz <= 0:
            self.built = self.target
        else:
            px = round_price(mid * (1 + SLIPPAGE if self.is_buy else 1 - SLIPPAGE), decimals)
            (status,) = await self.client.order(self.coin, self.is_buy, sz, px, tif="Ioc")
            self.sent += 1
            if "filled" in status:
                filled = status["filled"]
                self.built += Decimal(filled["totalSz"]) * Decimal(filled["avgPx"])
        if not self.building:
            side = "long" if self.is_buy else "short"
            self.say(f"holds {abs(await self.position(self.coin))} {self.coin} {side} at "
                     f"{self.leverage}x")  # fmt: skip

    async def on_liquidation(self, event: dict) -> None:
        if self.active:
            self.say(f"was liquidated (account value ${event['liquidated_account_value']}); "
                     "stops trading")  # fmt: skip
        self.active = False


class AdlAware(Whale):
    kind = "adl_aware"

    def __init__(self, name: str, key: bytes, *, on_adl: str = "stand_down", **kw) -> None:
        super().__init__(name, key, **kw)
        if on_adl not in ("stand_down", "rehedge"):
            raise ValueError('on_adl must be "stand_down" or "rehedge"')
        self.reaction = on_adl
        self.rehedge = Decimal(0)  # size to put back on

    async def on_adl(self, fill: dict) -> None:
        sz = Decimal(fill["sz"])
        self.say(f"noticed its ADL: {fill['sz']} {fill['coin']} closed at {fill['px']} "
                 f"(closedPnl {fill['closedPnl']}); "
                 + ("stands down" if self.reaction == "stand_down" else "re-hedges"))  # fmt: skip
        if self.reaction == "stand_down":
            self.active = False
            state = await self.client.info({"type": "openOrders", "user": self.address})
            for order in state:
                await self.client.cancel(order["coin"], order["oid"])
        else:
            self.rehedge += sz

    async def on_timer(self, now_ms: int) -> None:
        if self.rehedge > 0:
            sz, self.rehedge = self.rehedge, Decimal(0)
            mid = await self.mid(self.coin)
            decimals = self.client.sz_decimals[self.coin]
            px = round_price(mid * (1 + SLIPPAGE if self.is_buy else 1 - SLIPPAGE), decimals)
            (status,) = await self.client.order(self.coin, self.is_buy, sz, px, tif="Ioc")
            self.say(f"re-hedged {sz} {self.coin}: {next(iter(status))}")
            return
        await super().on_timer(now_ms)


KINDS: dict[str, type[Bot]] = {"whale": Whale, "adl_aware": AdlAware}
