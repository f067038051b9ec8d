"""The Bot base class: a client, its user channels (and the books it watches), and hooks.

A bot's events are queued as they arrive and handed to its hooks in its `turn()`; then
`on_timer` runs. Something calls `turn()`: a scenario's player, every step of virtual time
and in a fixed order among bots, so that a run is the same every time; or `run()`, every
`interval` of real time, for a live bot (`python -m bots run`). A turn first waits
(`Client.sync`) until every message the server sent before it has arrived.

Hooks, each optional (events are `bots.events` structs):
`on_start()` (the first turn), `on_book(book)`, `on_trades(trades)`, `on_fill(fill)`,
`on_adl(fill)` (a fill the venue marks Auto-Deleveraging), `on_liquidation(event)` (the
`liquidation` user event; the liquidation's own fills, marked by their `liquidation`
object naming this bot, are kept in `liquidation_fills` and go to `on_fill`),
`on_order_update(update)`, `on_non_user_cancel(cancels)`, `on_funding(funding)`,
`on_reconnect()`, `on_timer(now_ms)` (last, every turn). `say(text)` leaves a line for
whoever narrates the run.
"""

from __future__ import annotations

import asyncio
import time
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from bots import events as ev
from bots.client import Client


class Bot:
    kind = "bot"
    coins: tuple[str, ...] = ()  # books to watch (on_book)

    def __init__(self, name: str, key: bytes | str) -> None:
        self.name = name
        self.key = bytes.fromhex(key.removeprefix("0x")) if isinstance(key, str) else key
        self.client: Client | None = None
        self.said: list[str] = []
        self.started = False
        self.adl_fills: list[ev.Fill] = []
        self.liquidations: list[ev.LiquidationEvent] = []
        self.liquidation_fills: list[ev.Fill] = []
        self.books: dict[str, ev.Book] = {}

    @property
    def address(self) -> str:
        from protocol.signing import address_of

        return address_of(self.key)

    async def connect(self, url: str) -> None:
        self.client = client = await Client(url, self.key).connect()
        for channel in ("userEvents", "orderUpdates"):
            await client.subscribe({"type": channel, "user": client.address})
        for coin in self.coins:
            await client.subscribe({"type": "l2Book", "coin": coin})
        await client.sync()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def say(self, text: str) -> None:
        self.said.append(f"{self.name}: {text}")

    async def turn(self, now_ms: int) -> None:
        await self.client.sync()
        events = self.client.take()
        if not self.started:
            self.started = True
            await self.on_start()
        nonuser: list[ev.NonUserCancel] = []
        trades: list[ev.Trade] = []
        for event in events:
            kind = type(event)
            if kind is ev.Fill:
                if event.snapshot:
                    continue
                if event.is_adl:
                    self.adl_fills.append(event)
                    await self.on_adl(event)
                else:
                    if event.liquidated(self.client.address):
                        self.liquidation_fills.append(event)
                    await self.on_fill(event)
            elif kind is ev.OrderUpdate:
                await self.on_order_update(event)
            elif kind is ev.LiquidationEvent:
                self.liquidations.append(event)
                await self.on_liquidation(event)
            elif kind is ev.NonUserCancel:
                nonuser.append(event)
            elif kind is ev.Book:
                self.books[event.coin] = event
                await self.on_book(event)
            elif kind is ev.Trade:
                trades.append(event)
            elif kind is ev.Funding:
                await self.on_funding(event)
            elif kind is ev.Reconnected:
                await self.on_reconnect()
        if nonuser:
            await self.on_non_user_cancel(nonuser)
        if trades:
            await self.on_trades(trades)
        await self.on_timer(now_ms)

    async def run(self, url: str, interval: float = 1.0, turns: int | None = None) -> None:
        """Live: connect and take a turn every `interval` seconds (`turns` of them, or until
        cancelled)."""
        await self.connect(url)
        try:
            done = 0
            while turns is None or done < turns:
                await self.turn(int(time.time() * 1000))
                for line in self.said:
                    print(line, flush=True)
                self.said.clear()
                done += 1
                await asyncio.sleep(interval)
        finally:
            await self.close()

    # -- hooks -------------------------------------------------------------------------------

    async def on_start(self) -> None: ...

    async def on_book(self, book: ev.Book) -> None: ...

    async def on_trades(self, trades: list[ev.Trade]) -> None: ...

    async def on_fill(self, fill: ev.Fill) -> None: ...

    async def on_adl(self, fill: ev.Fill) -> None: ...

    async def on_liquidation(self, event: ev.LiquidationEvent) -> None: ...

    async def on_order_update(self, update: ev.OrderUpdate) -> None: ...

    async def on_non_user_cancel(self, cancels: list[ev.NonUserCancel]) -> None: ...

    async def on_funding(self, funding: ev.Funding) -> None: ...

    async def on_reconnect(self) -> None: ...

    async def on_timer(self, now_ms: int) -> None: ...

    # -- helpers -----------------------------------------------------------------------------

    async def position(self, coin: str) -> Decimal:
        state = await self.client.user_state()
        for entry in state["assetPositions"]:
            if entry["position"]["coin"] == coin:
                return Decimal(entry["position"]["szi"])
        return Decimal(0)

    async def mid(self, coin: str) -> Decimal | None:
        mid = (await self.client.mids()).get(coin)
        return Decimal(mid) if mid is not None else None

    async def mark(self, coin: str) -> Decimal | None:
        """The venue's mark price of `coin`."""
        meta, ctxs = await self.client.info({"type": "metaAndAssetCtxs"})
        for asset, ctx in zip(meta["universe"], ctxs, strict=False):
            if asset["name"] == coin:
                return Decimal(ctx["markPx"]) if ctx.get("markPx") else None
        return None

    async def cancel_all(self, coin: str | None = None) -> None:
        orders = await self.client.open_orders()
        await self.client.cancel_many(
            [(o["coin"], o["oid"]) for o in orders if coin is None or o["coin"] == coin]
        )

    async def ioc(self, coin: str, is_buy: bool, sz: Decimal, slippage: Decimal,
                  mid: Decimal | None = None) -> Decimal:  # fmt: skip
        """A market-style IOC up to `slippage` past the mid (`mid`, when the caller has just
        read it); the size filled."""
        if mid is None:
            mid = await self.mid(coin)
        decimals = self.client.sz_decimals[coin]
        sz = round_size(sz, decimals)
        if mid is None or sz <= 0:
            return Decimal(0)
        px = round_price(mid * (1 + slippage if is_buy else 1 - slippage), decimals, up=is_buy)
        status = await self.client.order(coin, is_buy, sz, px, tif="Ioc")
        return Decimal(status["filled"]["totalSz"]) if "filled" in status else Decimal(0)


def round_size(sz: Decimal, sz_decimals: int) -> Decimal:
    return sz.quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_DOWN)


def round_price(px: Decimal, sz_decimals: int, up: bool = False) -> Decimal:
    """A valid perp price: at most 5 significant figures and 6 - szDecimals decimals."""
    rounding = ROUND_UP if up else ROUND_DOWN
    if px >= 100_000:
        return px.quantize(Decimal(1), rounding=rounding)
    digits = px.adjusted() + 1  # digits before the point
    decimals = min(max(5 - digits, 0), 6 - sz_decimals)
    return px.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)
