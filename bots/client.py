"""An async client of Hyperliquid's API: one websocket (websockets) for subscriptions and for
signed actions and info requests sent as `post` messages, and HTTP (aiohttp) for `/info`
and `/exchange` when wanted. It speaks to the sandbox and, by URL, to the venue.

    client = await Client("http://127.0.0.1:3001", key).connect()
    await client.subscribe({"type": "userEvents", "user": client.address})
    statuses = await client.order("BTC", True, "0.01", "59000")
    events = client.take()          # typed events (bots.events) received so far

Messages the server pushes are decoded into typed events and handed to `on_event` (by
default, queued for `take()`). If the socket drops, the client connects again (backing off
up to 2 s), renews its subscriptions and reports `Reconnected`; requests in flight when it
dropped fail with `ConnectionError`. `sync()` is a barrier: when it returns, every message
the server sent before answering it has been received and decoded, in order.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import websockets

from bots.events import Event, Reconnected, decode
from protocol import signing

log = logging.getLogger("bots.client")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
PARSE_ERROR = "Error parsing JSON into valid websocket request: "
MAINNET_URL = "https://api.hyperliquid.xyz"
TESTNET_URL = "https://api.hyperliquid-testnet.xyz"


class ClientError(Exception):
    """The server refused a request; the text is the venue's."""


def wire_number(value: str | float | Decimal) -> str:
    """A price or size as the SDK writes it: a plain decimal without trailing zeros."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


class Client:
    def __init__(self, url: str, key: bytes | str, *, mainnet: bool | None = None,
                 on_event: Callable[[Event], None] | None = None,
                 reconnect: bool = True) -> None:  # fmt: skip
        """`mainnet`: which chain's signatures to make (default: mainnet only for the
        venue's mainnet URL)."""
        if isinstance(key, str):
            key = bytes.fromhex(key.removeprefix("0x"))
        self.key = key
        self.address = signing.address_of(key)
        self.url = url.rstrip("/")
        self.ws_url = self.url.replace("http://", "ws://").replace("https://", "wss://") + "/ws"
        self.mainnet = self.url == MAINNET_URL if mainnet is None else mainnet
        self.events: list[Event] = []
        self.on_event = on_event if on_event is not None else self.events.append
        self.reconnect = reconnect
        self.reconnects = 0
        self.sz_decimals: dict[str, int] = {}
        self._assets: dict[str, int] = {}
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._closing = False
        self._subscriptions: list[dict] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._pongs: list[asyncio.Future] = []
        self._last_nonce = 0
        self._http: aiohttp.ClientSession | None = None

    # -- the connection ----------------------------------------------------------------------

    async def _open(self):
        return await websockets.connect(self.ws_url, max_size=2**24, compression=None)

    async def connect(self) -> Client:
        self._ws = await self._open()
        self._reader = asyncio.create_task(self._read())
        meta = await self.info({"type": "meta"})
        self._assets = {u["name"]: i for i, u in enumerate(meta["universe"])}
        self.sz_decimals = {u["name"]: u["szDecimals"] for u in meta["universe"]}
        return self

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def __aenter__(self) -> Client:
        return await self.connect()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _read(self) -> None:
        while True:
            try:
                async for raw in self._ws:
                    self._receive(raw)
            except websockets.ConnectionClosed:
                pass
            self._fail_waiting()
            if self._closing or not self.reconnect:
                return
            await self._reconnect()

    def _receive(self, raw: str | bytes) -> None:
        if raw == "Websocket connection established.":  # older servers greet; the venue not
            return
        message = _decode(raw)
        channel = message.get("channel")
        if channel == "post":
            future = self._waiting.pop(message["data"]["id"], None)
            if future is not None and not future.done():
                future.set_result(message["data"]["response"])
        elif channel == "error" and self._refused_post(message.get("data")):
            pass
        elif channel == "pong":
            if self._pongs:
                future = self._pongs.pop(0)
                if not future.done():
                    future.set_result(None)
        elif channel != "subscriptionResponse":
            for event in decode(message):
                self.on_event(event)

    def _refused_post(self, text: object) -> bool:
        """The venue answers a post it cannot parse on the bare `error` channel, without the
        post's id, echoing the request: find the id in the echo and fail that request."""
        if not isinstance(text, str) or not text.startswith(PARSE_ERROR):
            return False
        try:
            request = _decode(text[len(PARSE_ERROR):])
        except ValueError:
            return False
        request_id = request.get("id") if isinstance(request, dict) else None
        future = self._waiting.pop(request_id, None) if isinstance(request_id, int) else None
        if future is None:
            return False
        if not future.done():
            future.set_exception(ClientError(text))
        return True

    def _fail_waiting(self) -> None:
        for future in [*self._waiting.values(), *self._pongs]:
            if not future.done():
                future.set_exception(ConnectionError("the websocket closed"))
        self._waiting.clear()
        self._pongs.clear()

    async def _reconnect(self) -> None:
        delay, attempts = 0.05, 0
        while not self._closing:
            attempts += 1
            try:
                self._ws = await self._open()
                for subscription in self._subscriptions:
                    await self._ws.send(_encode({"method": "subscribe",
                                                 "subscription": subscription}))  # fmt: skip
            except (OSError, websockets.WebSocketException) as exc:
                log.info("reconnect attempt %d failed: %s", attempts, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.reconnects += 1
            self.on_event(Reconnected(attempts))
            return

    async def sync(self) -> None:
        """Wait until everything the server sent before now has been received."""
        future = asyncio.get_running_loop().create_future()
        self._pongs.append(future)
        await self._ws.send('{"method":"ping"}')
        await future

    async def subscribe(self, subscription: dict) -> None:
        """Subscribe (and again after a reconnect)."""
        self._subscriptions.append(subscription)
        await self._ws.send(_encode({"method": "subscribe", "subscription": subscription}))

    async def unsubscribe(self, subscription: dict) -> None:
        self._subscriptions = [s for s in self._subscriptions if s != subscription]
        await self._ws.send(_encode({"method": "unsubscribe", "subscription": subscription}))

    def take(self) -> list[Event]:
        """The events received since the last `take()` (with the default `on_event`)."""
        events, self.events[:] = list(self.events), []
        return events

    # -- requests ----------------------------------------------------------------------------

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
        """An `/info` request, over the websocket."""
        return (await self._post("info", request))["data"]

    async def http_info(self, request: dict) -> Any:
        """An `/info` request, over HTTP."""
        return await self._http_post("/info", request)

    async def _http_post(self, path: str, body: dict) -> Any:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        async with self._http.post(self.url + path, data=_encode(body),
                                   headers={"Content-Type": "application/json"}) as r:  # fmt: skip
            text = await r.read()
            if r.status != 200:
                raise ClientError(text.decode(errors="replace"))
            return _decode(text)

    def _nonce(self) -> int:
        nonce = max(int(time.time() * 1000), self._last_nonce + 1)
        self._last_nonce = nonce
        return nonce

    def signed(self, action: dict) -> dict:
        """`action` (an L1 action, as the SDK builds it) signed: the body `/exchange` takes."""
        nonce = self._nonce()
        signature = signing.sign_l1_action(self.key, action, None, nonce, None, self.mainnet)
        return {"action": action, "nonce": nonce, "signature": signature}

    async def action(self, action: dict, *, http: bool = False) -> dict:
        """Sign and send `action`; the venue's `{"status": "ok" | "err", "response"}`."""
        body = self.signed(action)
        if http:
            return await self._http_post("/exchange", body)
        return await self._post("action", body)

    async def _ok(self, action: dict) -> Any:
        answer = await self.action(action)
        if answer["status"] != "ok":
            raise ClientError(answer["response"])
        return answer["response"]

    # -- trading -----------------------------------------------------------------------------

    def asset(self, coin: str) -> int:
        return self._assets[coin]

    def order_wire(self, coin: str, is_buy: bool, sz, px, *, tif: str = "Gtc",
                   reduce_only: bool = False, cloid: str | None = None) -> dict:  # fmt: skip
        wire = {"a": self.asset(coin), "b": is_buy, "p": wire_number(px), "s": wire_number(sz),
                "r": reduce_only, "t": {"limit": {"tif": tif}}}  # fmt: skip
        if cloid is not None:
            wire["c"] = cloid
        return wire

    async def orders(self, wires: list[dict]) -> list[dict]:
        """Place a batch of orders (from `order_wire`); their statuses, in order."""
        response = await self._ok({"type": "order", "orders": wires, "grouping": "na"})
        return response["data"]["statuses"]

    async def order(self, coin: str, is_buy: bool, sz, px, **kw) -> dict:
        """Place one limit order; its status (`resting`, `filled` or `error`)."""
        (status,) = await self.orders([self.order_wire(coin, is_buy, sz, px, **kw)])
        return status

    async def cancel_many(self, cancels: list[tuple[str, int]]) -> list:
        if not cancels:
            return []
        wires = [{"a": self.asset(coin), "o": oid} for coin, oid in cancels]
        return (await self._ok({"type": "cancel", "cancels": wires}))["data"]["statuses"]

    async def cancel(self, coin: str, oid: int) -> Any:
        return (await self.cancel_many([(coin, oid)]))[0]

    async def update_leverage(self, coin: str, leverage: int, is_cross: bool = True) -> None:
        await self._ok({"type": "updateLeverage", "asset": self.asset(coin),
                        "isCross": is_cross, "leverage": leverage})  # fmt: skip

    # -- reading -----------------------------------------------------------------------------

    async def user_state(self, user: str | None = None) -> dict:
        return await self.info({"type": "clearinghouseState", "user": user or self.address})

    async def open_orders(self, user: str | None = None) -> list[dict]:
        return await self.info({"type": "openOrders", "user": user or self.address})

    async def mids(self) -> dict[str, str]:
        return await self.info({"type": "allMids"})
