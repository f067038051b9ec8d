"""Every websocket channel of the venue that has a published example is subscribed to on a real
sandbox over a real socket (plus the protocol's own frames: the subscription ack, pong, post
answers and the error frame), the sandbox is made to publish on it (a trade, an order, an hour
of funding, a liquidation), and each frame received is compared field by field with the
venue's example of the same kind (one test per channel; the `user` channel's fills, funding,
liquidation and nonUserCancel events each against their own example).

The test of a channel fails when a frame differs from the venue's shape, or when the sandbox
publishes nothing within the wait. It passes when every frame has the venue's shape; or, for
the channels of features the sandbox does not model (spot, HIP-3 dexes, outcomes:
NOT_MODELLED), when the subscription is refused with the venue's error frame; or, for the
TWAP channels (PLACEHOLDERS), when their snapshot is empty and otherwise in shape.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hyperliquid.utils.types import Cloid
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conformance.venue_examples import EXAMPLES, items
from tests.conformance.verdict import Answers, acceptable, judge
from tests.conformance.world import GTC, Outcome, RawExchange, Trader, World, statuses

NOT_MODELLED = frozenset({
    "activeSpotAssetCtx", "spotState", "allDexsClearinghouseState", "allDexsAssetCtxs",
    "outcomeMetaUpdates", "fastAssetCtxs",
})  # fmt: skip
PLACEHOLDERS: frozenset[str] = frozenset()
# How the venue refuses a subscription: a parse error, an invalid subscription, or, for a
# coin it does not list, dropping the connection (measured on the live venue, 2026-09).
REFUSALS = (
    "Error parsing JSON into valid websocket request", "Invalid subscription",
    "the server closed the socket",
)  # fmt: skip
WAIT_S = 10.0


class Socket:
    """A websocket to the sandbox that keeps every JSON frame it receives."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.frames: list[dict] = []
        self.closed: str | None = None  # why the server closed the socket, once it has
        self._lock = threading.Lock()
        self._ws = connect(world.url.replace("http://", "ws://") + "/ws").__enter__()
        self._reader = threading.Thread(target=self._read, daemon=True, name="conformance-ws")
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self._ws:
                if isinstance(raw, str) and raw.startswith("{"):
                    with self._lock:
                        self.frames.append(json.loads(raw))
        except ConnectionClosed as closed:
            self.closed = f"the server closed the socket ({closed})"

    def send(self, message: dict | str) -> None:
        self._ws.send(message if isinstance(message, str) else json.dumps(message))

    def of(self, channel: str, where: Callable[[Any], bool] = lambda data: True) -> list[dict]:
        with self._lock:
            return [f for f in self.frames if f.get("channel") == channel and where(f.get("data"))]

    def wait(self, channel: str, where: Callable[[Any], bool] = lambda data: True,
             count: int = 1) -> list[dict]:  # fmt: skip
        """The frames on `channel` (at least `count`), letting virtual time pass so that the
        sandbox publishes its blocks; [] after WAIT_S seconds."""
        try:
            return self.world.sandbox.wait_for(
                lambda: (found if len(found := self.of(channel, where)) >= count else None),
                WAIT_S, advance_ms=100, what=f"{count} frame(s) on {channel}",
            )  # fmt: skip
        except TimeoutError:
            return self.of(channel, where)

    def subscribe(self, subscription: dict) -> str | None:
        """Subscribe; the error text if the sandbox refused the subscription, else None."""
        with self._lock:
            seen = len(self.frames)
        self.send({"method": "subscribe", "subscription": subscription})

        def answer() -> dict | None:
            if self.closed is not None:
                return {"channel": "closed"}
            with self._lock:
                for frame in self.frames[seen:]:
                    data = frame.get("data")
                    if frame.get("channel") == "error" or (
                        frame.get("channel") == "subscriptionResponse"
                        and data.get("subscription", {}).get("type") == subscription["type"]
                    ):
                        return frame
            return None

        try:
            frame = self.world.sandbox.wait_for(answer, WAIT_S, advance_ms=0,
                                                what="the subscription's answer")  # fmt: skip
        except TimeoutError:
            return self.closed or "no subscriptionResponse and no error frame"
        if frame["channel"] == "closed":
            return self.closed
        return str(frame["data"]) if frame["channel"] == "error" else None

    def close(self) -> None:
        self._ws.close()
        self._reader.join(timeout=5)


class _PayloadOnly(RawExchange):
    """The SDK's Exchange that returns the signed /exchange payload instead of posting it."""

    def post(self, url_path: str, payload: Any = None) -> Any:
        return payload


# -- the scenarios: what to subscribe to, what to make happen, which frames to compare ------

Scenario = Callable[[World, Socket, Answers], None]


def _frames(answers: Answers, variant: str, frames: list[dict], what: str) -> None:
    if not frames:
        answers.failures.append(f"[{variant or what}] no {what} frame within {WAIT_S:.0f} s")
    for i, frame in enumerate(frames):
        answers.add(variant, frame, f"frame {i}")


def _subscribed(channel: str, subscription: Callable[[World], dict], *, count: int = 1,
                then: Callable[[World], Any] | None = None) -> Scenario:  # fmt: skip
    """Subscribe, optionally make something happen, compare the frames on `channel`."""

    def run(world: World, sock: Socket, answers: Answers) -> None:
        refusal = sock.subscribe(subscription(world))
        if refusal is not None:
            answers.refusal = refusal
            answers.refusal_is_clear = refusal.startswith(REFUSALS)
            return
        if then is not None:
            then(world)
        _frames(answers, "", sock.wait(channel, count=count), channel)

    return run


def _ack(world: World, sock: Socket, answers: Answers) -> None:
    """The acknowledgements of a trades and of an l2Book subscription."""
    for subscription in ({"type": "trades", "coin": "SOL"}, {"type": "l2Book", "coin": "BTC"}):
        sock.send({"method": "subscribe", "subscription": subscription})
        kind = subscription["type"]
        frames = sock.wait("subscriptionResponse", lambda d, k=kind: d["subscription"]["type"] == k)
        _frames(answers, kind, frames, f"subscriptionResponse to {kind}")


def _pong(world: World, sock: Socket, answers: Answers) -> None:
    sock.send({"method": "ping"})
    _frames(answers, "", sock.wait("pong"), "pong")


def _post(world: World, sock: Socket, answers: Answers) -> None:
    trader = world.trader()
    signer = _PayloadOnly(trader.exchange.wallet, world.url)
    payload = signer.order("ETH", True, 0.5, 2000.0, GTC)
    sock.send({"method": "post", "id": 256, "request": {"type": "action", "payload": payload}})
    sock.send({"method": "post", "id": 123, "request": {"type": "info", "payload": {
        "type": "l2Book", "coin": "ETH", "nSigFigs": 5, "mantissa": None}}})  # fmt: skip
    _frames(answers, "action", sock.wait("post", lambda d: d.get("id") == 256), "post action")
    _frames(answers, "info", sock.wait("post", lambda d: d.get("id") == 123), "post info")


def _error(world: World, sock: Socket, answers: Answers) -> None:
    sock.send('{ "type": "allMids" }')
    _frames(answers, "", sock.wait("error"), "error")


def _trade(world: World) -> None:
    statuses(world.trader().exchange.market_open("BTC", True, 0.01), "a BTC trade")


def _resting_with_cloid(trader: Trader) -> Callable[[World], None]:
    def run(world: World) -> None:
        statuses(trader.exchange.order("ETH", True, 0.5, 2000.0, GTC, cloid=Cloid.from_int(7)),
                 "a resting bid")  # fmt: skip

    return run


def _user_events(world: World, sock: Socket, answers: Answers) -> None:
    """A fill, an hour of funding, then a liquidation with a resting order to cancel."""
    trader = world.trader("3000")
    if (refusal := sock.subscribe({"type": "userEvents", "user": trader.address})) is not None:
        answers.refusal = refusal
        return
    statuses(trader.exchange.market_open("BTC", True, 0.4), "the trader buys BTC")
    sock.wait("user", lambda d: "fills" in d)
    world.sandbox.advance(3_600_000)
    statuses(trader.exchange.order("BTC", True, 0.01, 50000.0, GTC), "a resting bid")
    world.sandbox.liquidate(trader.address, "BTC")
    for key in ("fills", "funding", "liquidation", "nonUserCancel"):
        _frames(answers, key, sock.wait("user", lambda d, k=key: k in d), f"user {key}")


def _user_fills(world: World, sock: Socket, answers: Answers) -> None:
    """A fill before the subscription (the snapshot) and one after (an update)."""
    trader = world.trader()
    statuses(trader.exchange.market_open("BTC", True, 0.01), "a first fill")
    refusal = sock.subscribe({"type": "userFills", "user": trader.address})
    if refusal is not None:
        answers.refusal = refusal
        return
    statuses(trader.exchange.market_close("BTC"), "a second fill")
    _frames(answers, "", sock.wait("userFills", count=2), "userFills")


def _notification(world: World, sock: Socket, answers: Answers) -> None:
    trader = world.trader("3000")
    if refusal := sock.subscribe({"type": "notification", "user": trader.address}):
        answers.refusal = refusal
        return
    statuses(trader.exchange.market_open("BTC", True, 0.4), "the trader buys BTC")
    world.sandbox.liquidate(trader.address, "BTC")
    _frames(answers, "", sock.wait("notification"), "notification")


def _order_updates(world: World, sock: Socket, answers: Answers) -> None:
    trader = world.trader()
    _subscribed("orderUpdates", lambda w: {"type": "orderUpdates", "user": trader.address},
                then=_resting_with_cloid(trader))(world, sock, answers)  # fmt: skip


def _user(kind: str, user: str = "alice", **more) -> Callable[[World], dict]:
    return lambda world: {"type": kind, "user": getattr(world, user).address, **more}


def _coin(kind: str, coin: str = "BTC", **more) -> Callable[[World], dict]:
    return lambda world: {"type": kind, "coin": coin, **more}


def _both(*scenarios: Scenario) -> Scenario:
    """Each scenario on a socket of its own, into the same answers."""

    def run(world: World, sock: Socket, answers: Answers) -> None:
        scenarios[0](world, sock, answers)
        for scenario in scenarios[1:]:
            other = Socket(world)
            try:
                scenario(world, other, answers)
            finally:
                other.close()

    return run


CHANNELS: dict[str, tuple[str, Scenario]] = {  # name -> (channel, scenario)
    "subscriptionResponse": ("subscriptionResponse", _ack),
    "pong": ("pong", _pong),
    "post": ("post", _post),
    "error": ("error", _error),
    "allMids": ("allMids", _subscribed("allMids", lambda w: {"type": "allMids"})),
    "l2Book": ("l2Book", _subscribed("l2Book", _coin("l2Book"))),
    "trades": ("trades", _subscribed("trades", _coin("trades"), then=_trade)),
    "bbo": ("bbo", _subscribed("bbo", _coin("bbo"))),
    "candle": ("candle", _subscribed("candle", _coin("candle", interval="1m"), then=_trade)),
    "activeAssetCtx": ("activeAssetCtx", _subscribed("activeAssetCtx", _coin("activeAssetCtx"))),
    "activeSpotAssetCtx": (
        "activeSpotAssetCtx",
        _subscribed("activeSpotAssetCtx", _coin("activeAssetCtx", "@107")),
    ),
    "orderUpdates": ("orderUpdates", _order_updates),
    "userEvents": ("user", _user_events),
    "userFills": ("userFills", _user_fills),
    "userFundings": ("userFundings", _subscribed("userFundings", _user("userFundings"))),
    "userNonFundingLedgerUpdates": (
        "userNonFundingLedgerUpdates",
        _subscribed("userNonFundingLedgerUpdates", _user("userNonFundingLedgerUpdates", "carol")),
    ),
    "notification": ("notification", _notification),
    "clearinghouseState": (
        "clearinghouseState",
        _both(
            _subscribed("clearinghouseState", _user("clearinghouseState")),
            _subscribed("clearinghouseState", _user("clearinghouseState", "dave")),
        ),
    ),
    "openOrders": ("openOrders", _subscribed("openOrders", _user("openOrders"))),
    "activeAssetData": (
        "activeAssetData",
        _both(
            _subscribed("activeAssetData", _user("activeAssetData", coin="ETH")),
            _subscribed("activeAssetData", _user("activeAssetData", "dave", coin="ETH")),
        ),
    ),
    "webData3": ("webData3", _subscribed("webData3", _user("webData3"))),
    "twapStates": ("twapStates", _subscribed("twapStates", _user("twapStates", "bob"))),
    "userTwapSliceFills": (
        "userTwapSliceFills",
        _subscribed("userTwapSliceFills", _user("userTwapSliceFills", "bob")),
    ),
    "userTwapHistory": (
        "userTwapHistory",
        _subscribed("userTwapHistory", _user("userTwapHistory", "bob")),
    ),
    "spotState": ("spotState", _subscribed("spotState", _user("spotState"))),
    "allDexsClearinghouseState": (
        "allDexsClearinghouseState",
        _subscribed("allDexsClearinghouseState", _user("allDexsClearinghouseState")),
    ),
    "allDexsAssetCtxs": (
        "allDexsAssetCtxs",
        _subscribed("allDexsAssetCtxs", lambda w: {"type": "allDexsAssetCtxs"}),
    ),
    "outcomeMetaUpdates": (
        "outcomeMetaUpdates",
        _subscribed("outcomeMetaUpdates", lambda w: {"type": "outcomeMetaUpdates"}),
    ),
    "fastAssetCtxs": (
        "fastAssetCtxs",
        _subscribed("fastAssetCtxs", lambda w: {"type": "fastAssetCtxs"}),
    ),
}


def _data_only(channel: str, answers: Answers) -> None:
    """For examples that are a frame's `data`: check the channel, keep the data."""
    for variant, got in answers.by_variant.items():
        unwrapped = []
        for label, frame in got:
            if frame.get("channel") != channel:
                answers.failures.append(f"[{label}] channel {frame.get('channel')!r} where the "
                                        f"venue sends {channel!r}")  # fmt: skip
            unwrapped.append((label, frame.get("data")))
        answers.by_variant[variant] = unwrapped


def check(world: World, name: str) -> Outcome:
    """Run channel `name`'s scenario on a new socket and judge the frames."""
    channel, scenario = CHANNELS[name]
    answers = Answers()
    sock = Socket(world)
    try:
        scenario(world, sock, answers)
    finally:
        sock.close()
    if any(e.data_only for e in EXAMPLES["ws"][name]):
        _data_only(channel, answers)
    return judge("ws", name, answers, placeholder=name in PLACEHOLDERS)


def test_every_channel_with_an_example_has_a_scenario():
    assert set(items("ws")) == set(CHANNELS)


@pytest.mark.parametrize("name", items("ws"))
def test_ws(world, name):
    outcome = check(world, name)
    passed = acceptable(outcome, refusable=name in NOT_MODELLED)
    assert passed, outcome.report()
