"""The Bot base class: a client, its own user channels, and hooks.

A bot's messages are queued as they arrive and handed to its hooks in its `turn()`, which
a driver calls (every `step` of a scenario, in a fixed order among bots), so that a run in
virtual time is the same run every time. `turn()` first waits (`Client.sync`) until every
message the server sent before the turn has arrived.

Hooks, each optional: `on_start()`, `on_fill(fill)`, `on_adl(fill)` (a fill the venue
marks "Auto-Deleveraging"), `on_liquidation(event)` (the `liquidation` user event),
`on_order_update(update)`, `on_non_user_cancel(cancels)`, `on_timer(now_ms)` (last, every
turn). `say(text)` leaves a line for whoever narrates the run.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from bots.client import Client

ADL_DIR = "Auto-Deleveraging"


class Bot:
    kind = "bot"

    def __init__(self, name: str, key: bytes) -> None:
        self.name = name
        self.key = key
        self.client: Client | None = None
        self.said: list[str] = []
        self.started = False
        self.adl_fills: list[dict] = []
        self.liquidations: list[dict] = []

    @property
    def address(self) -> str:
        from protocol.signing import address_of

        return address_of(self.key)

    async def connect(self, url: str) -> None:
        self.client = client = await Client(url, self.key).connect()
        for channel in ("userEvents", "orderUpdates"):
            await client.subscribe({"type": channel, "user": client.address})
        await client.sync()
        client.inbox.clear()  # subscription answers

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def say(self, text: str) -> None:
        self.said.append(f"{self.name}: {text}")

    async def turn(self, now_ms: int) -> None:
        client = self.client
        await client.sync()
        messages, client.inbox[:] = list(client.inbox), []
        if not self.started:
            self.started = True
            await self.on_start()
        for message in messages:
            await self._dispatch(message)
        await self.on_timer(now_ms)

    async def _dispatch(self, message: dict) -> None:
        channel, data = message.get("channel"), message.get("data")
        if channel == "orderUpdates":
            for update in data:
                await self.on_order_update(update)
        elif channel == "user":
            for fill in data.get("fills", ()):
                if fill.get("dir") == ADL_DIR:
                    self.adl_fills.append(fill)
                    await self.on_adl(fill)
                else:
                    await self.on_fill(fill)
            if "liquidation" in data:
                self.liquidations.append(data["liquidation"])
                await self.on_liquidation(data["liquidation"])
            if "nonUserCancel" in data:
                await self.on_non_user_cancel(data["nonUserCancel"])

    # -- hooks -------------------------------------------------------------------------------

    async def on_start(self) -> None: ...

    async def on_fill(self, fill: dict) -> None: ...

    async def on_adl(self, fill: dict) -> None: ...

    async def on_liquidation(self, event: dict) -> None: ...

    async def on_order_update(self, update: dict) -> None: ...

    async def on_non_user_cancel(self, cancels: list) -> None: ...

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


def round_size(sz: Decimal, sz_decimals: int) -> Decimal:
    return sz.quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_DOWN)


def round_price(px: Decimal, sz_decimals: int) -> Decimal:
    """A valid perp price: at most 5 significant figures and 6 - szDecimals decimals."""
    if px >= 100_000:
        return px.quantize(Decimal(1), rounding=ROUND_DOWN)
    digits = px.adjusted() + 1  # digits before the point
    decimals = min(max(5 - digits, 0), 6 - sz_decimals)
    return px.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)
