"""An async client of Hyperliquid's API over one websocket: subscriptions, and signed actions
and info requests sent as `post` messages, as the venue's own websocket API takes them.

    client = Client("http://127.0.0.1:3001", key)
    await client.connect()
    await client.subscribe({"type": "userEvents", "user": client.address})
    statuses = await client.order("BTC", True, "0.01", "59000")

Messages the server pushes are handed to `on_message` (by default they are kept in `inbox`).
`sync()` is a barrier: when it returns, every message the server sent before it answered
the ping has been received, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import websockets

from protocol import signing

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class ClientError(Exception):
    """The server answered a request with an error."""


def wire_number(value: str | float | Decimal) -> str:
    """A price or size as the SDK writes it: a plain decimal without trailing zeros."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


class Client:
    def __init__(self, url: str, key: bytes | str, *, mainnet: bool = False,
                 on_message: Callable[[dict], None] | None = None) -> None:  # fmt: skip
        if isinstance(key, str):
            key = bytes.fromhex(key.removeprefix("0x"))
        self.key = key
        self.address = signing.address_of(key)
        self.ws_url = url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
        self.ws_url += "/ws"
        self.mainnet = mainnet
        self.inbox: list[dict] = []
        self.on_message = on_message if on_message is not None else self.inbox.append
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._pongs: asyncio.Queue[None] = asyncio.Queue()
        self._last_nonce = 0
        self._assets: dict[str, int] = {}
        self.sz_decimals: dict[str, int] = {}

    # -- the connection ----------------------------------------------------------------------

    async def connect(self) -> Client:
        self._ws = await websockets.connect(self.ws_url, max_size=2**24, compression=None)
        self._reader = asyncio.create_task(self._read())
        meta = await self.info({"type": "meta"})
        self._assets = {u["name"]: i for i, u in enumerate(meta["universe"])}
        self.sz_decimals = {u["name"]: u["szDecimals"] for u in meta["universe"]}
        return self

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                if raw == "Websocket connection established.":
                    continue
                message = _decode(raw)
                channel = message.get("channel")
                if channel == "post":
                    future = self._waiting.pop(message["data"]["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message["data"]["response"])
                elif channel == "pong":
                    self._pongs.put_nowait(None)
                else:
                    self.on_message(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("the websocket closed"))
            self._waiting.clear()

    async def sync(self) -> None:
        """Wait until everything the server sent before now has been received."""
        await self._ws.send('{"method":"ping"}')
        await self._pongs.get()

    async def subscribe(self, subscription: dict) -> None:
        await self._ws.send(_encode({"method": "subscribe", "subscription": subscription}))

    async def _post(self, kind: str, payload: dict) -> Any:
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        message = {"method": "post", "id": request_id,
                   "request": {"type": kind, "payload": payload}}  # fmt: skip
        await self._ws.send(_encode(message))
        response = await future
        if response.get("type") == "error":
            raise ClientError(response["payload"])
        return response["payload"]

    async def info(self, request: dict) -> Any:
        return (await self._post("info", request))["data"]

    # -- signed actions ----------------------------------------------------------------------

    def _nonce(self) -> int:
        nonce = max(int(time.time() * 1000), self._last_nonce + 1)
        self._last_nonce = nonce
        return nonce

    async def action(self, action: dict) -> dict:
        """Sign `action` (an L1 action, as the SDK builds it) and send it; the answer is the
        venue's `{"status": "ok" | "err", "response": ...}`."""
        nonce = self._nonce()
        signature = signing.sign_l1_action(self.key, action, None, nonce, None, self.mainnet)
        return await self._post(
            "action", {"action": action, "nonce": nonce, "signature": signature}
        )

    def asset(self, coin: str) -> int:
        return self._assets[coin]

    async def order(self, coin: str, is_buy: bool, sz, px, *, tif: str = "Gtc",
                    reduce_only: bool = False, cloid: str | None = None) -> list[dict]:  # fmt: skip
        """Place one limit order; returns its statuses (`resting`, `filled` or `error`)."""
        wire = {"a": self.asset(coin), "b": is_buy, "p": wire_number(px), "s": wire_number(sz),
                "r": reduce_only, "t": {"limit": {"tif": tif}}}  # fmt: skip
        if cloid is not None:
            wire["c"] = cloid
        answer = await self.action({"type": "order", "orders": [wire], "grouping": "na"})
        if answer["status"] != "ok":
            raise ClientError(answer["response"])
        return answer["response"]["data"]["statuses"]

    async def cancel(self, coin: str, oid: int) -> list:
        answer = await self.action(
            {"type": "cancel", "cancels": [{"a": self.asset(coin), "o": oid}]}
        )
        if answer["status"] != "ok":
            raise ClientError(answer["response"])
        return answer["response"]["data"]["statuses"]

    async def update_leverage(self, coin: str, leverage: int, is_cross: bool = True) -> None:
        answer = await self.action({"type": "updateLeverage", "asset": self.asset(coin),
                                    "isCross": is_cross, "leverage": leverage})  # fmt: skip
        if answer["status"] != "ok":
            raise ClientError(answer["response"])

    # -- reading -----------------------------------------------------------------------------

    async def user_state(self, user: str | None = None) -> dict:
        return await self.info({"type": "clearinghouseState", "user": user or self.address})

    async def mids(self) -> dict[str, str]:
        return await self.info({"type": "allMids"})
