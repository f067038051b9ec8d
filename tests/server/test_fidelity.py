"""Stories of what a bot meets on the venue, over real sockets, with the official SDK and a
raw websocket: how much it may still trade when it holds a position, its take-profit
cancelled when its stop fills, a TWAP sliced on the clock, and the venue's rate limits (a
429, the address budget, the websocket caps)."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import eth_account
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from sandbox.server.limits import RateLimitConfig
from sandbox.testing import Sandbox


class Feed:
    """A raw websocket to the sandbox that keeps every JSON frame it receives."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.frames: list[dict] = []
        self._lock = threading.Lock()
        self._ws = connect(sandbox.url.replace("http://", "ws://") + "/ws").__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._ws:
                with self._lock:
                    self.frames.append(json.loads(raw))
        except ConnectionClosed:
            pass

    def send(self, message: dict) -> None:
        self._ws.send(json.dumps(message))

    def subscribe(self, subscription: dict) -> None:
        self.send({"method": "subscribe", "subscription": subscription})

    def sync(self, sandbox: Sandbox) -> None:
        """Wait until every frame the server sent before now has been read: a ping's pong
        comes after them."""
        pongs = len(self.on("pong"))
        self.send({"method": "ping"})
        sandbox.wait_for(lambda: len(self.on("pong")) > pongs, advance_ms=0)

    def on(self, channel: str) -> list[Any]:
        with self._lock:
            return [f.get("data") for f in self.frames if f.get("channel") == channel]

    def close(self) -> None:
        self._ws.close()
        self._thread.join(timeout=5)


def wallet_exchange(sandbox: Sandbox, usdc: str = "10000") -> tuple[str, Exchange]:
    wallet = sandbox.wallet(usdc)
    return wallet.address, Exchange(wallet.account(), sandbox.url)


def info(sandbox: Sandbox, body: dict) -> Any:
    return Info(sandbox.url, skip_ws=True).post("/info", body)


# -- what a bot may still trade ---------------------------------------------------------------


def test_active_asset_data_says_how_much_each_side_may_still_trade():
    """Alice has $10,000 at 20x and buys 0.5 BTC at 60,000, paying $13.50 of taker fee.
    She has $8,486.50 of margin free: that buys 2.82883 BTC more. To sell, she may first
    close her 0.5, which frees its $1,500 of margin, and then go short with all of it:
    3.82883 BTC. `availableToTrade` is margin in USD, `maxTradeSzs = availableToTrade * 20 /
    mark`, as the venue's examples relate them; the websocket feed says the same."""
    with Sandbox(makers=False) as sb:
        alice, exchange = wallet_exchange(sb)
        _, maker = wallet_exchange(sb, "1000000")
        maker.order("BTC", False, 0.5, 60000, {"limit": {"tif": "Gtc"}})
        filled = exchange.order("BTC", True, 0.5, 60000, {"limit": {"tif": "Ioc"}})
        assert "filled" in filled["response"]["data"]["statuses"][0]
        data = info(sb, {"type": "activeAssetData", "user": alice, "coin": "BTC"})
        # value 10,000 - 13.5 of fees = 9,986.5; initial margin 30,000 / 20 = 1,500
        assert data["availableToTrade"] == ["8486.5", "11486.5"]
        assert data["maxTradeSzs"] == ["2.82883", "3.82883"]
        buy, sell = (Decimal(x) for x in data["maxTradeSzs"])
        assert sell - buy == Decimal("1.0")  # the 0.5 it closes, and the 0.5 its margin opens
        for side in (0, 1):
            ratio = Decimal(data["availableToTrade"][side]) * 20 / Decimal(data["markPx"])
            assert abs(ratio - Decimal(data["maxTradeSzs"][side])) < Decimal("0.00001")
        feed = Feed(sb)
        try:
            feed.subscribe({"type": "activeAssetData", "user": alice, "coin": "BTC"})
            pushed = sb.wait_for(lambda: feed.on("activeAssetData"), advance_ms=0)
            assert pushed[0] == data
        finally:
            feed.close()


# -- TP/SL groups -------------------------------------------------------------------------------


def test_a_filled_stop_loss_cancels_its_take_profit():
    """Alice buys 1 ETH at 3,000 with a take-profit at 3,300 and a stop at 2,800 attached
    (normalTpsl). ETH falls to 2,790: the stop fires and sells into Bob's bid. The venue
    cancels the take-profit, `siblingFilledCanceled`, and it is gone from her open orders:
    no orphan order is left to fire later against a position she no longer holds."""
    with Sandbox(makers=False) as sb:
        alice, exchange = wallet_exchange(sb)
        _, bob_exchange = wallet_exchange(sb, "1000000")
        bob_exchange.order("ETH", False, 1.0, 3000, {"limit": {"tif": "Gtc"}})
        feed = Feed(sb)
        try:
            feed.subscribe({"type": "orderUpdates", "user": alice})
            sb.wait_subscribed(alice, "orderUpdates")
            placed = exchange.bulk_orders([
                {"coin": "ETH", "is_buy": True, "sz": 1.0, "limit_px": 3000,
                 "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
                {"coin": "ETH", "is_buy": False, "sz": 1.0, "limit_px": 3300,
                 "order_type": {"trigger": {"triggerPx": 3300, "isMarket": False, "tpsl": "tp"}},
                 "reduce_only": True},
                {"coin": "ETH", "is_buy": False, "sz": 1.0, "limit_px": 2700,
                 "order_type": {"trigger": {"triggerPx": 2800, "isMarket": True, "tpsl": "sl"}},
                 "reduce_only": True},
            ], grouping="normalTpsl")  # fmt: skip
            statuses = placed["response"]["data"]["statuses"]
            assert "filled" in statuses[0] and statuses[1:] == ["waitingForTrigger"] * 2
            tp, sl = sorted(o["oid"] for o in Info(sb.url, skip_ws=True).open_orders(alice))
            bob_exchange.order("ETH", True, 1.0, 2780, {"limit": {"tif": "Gtc"}})
            sb.set_price("ETH", "2790")

            def status_of(oid: int) -> list[str]:
                return [u["status"] for batch in feed.on("orderUpdates") for u in batch
                        if u["order"]["oid"] == oid]  # fmt: skip

            sb.wait_for(lambda: "siblingFilledCanceled" in status_of(tp))
            assert status_of(sl) == ["open", "triggered", "filled"]  # live when the parent filled
            assert Info(sb.url, skip_ws=True).frontend_open_orders(alice) == []
            historical = info(sb, {"type": "historicalOrders", "user": alice})
            assert {"oid": tp, "status": "siblingFilledCanceled"} in [
                {"oid": h["order"]["oid"], "status": h["status"]} for h in historical
            ]
        finally:
            feed.close()


# -- TWAP -----------------------------------------------------------------------------------------


def post_action(sandbox: Sandbox, key: str, action: dict) -> dict:
    """Sign an L1 action as the official SDK signs it (testnet source) and post it."""
    wallet = eth_account.Account.from_key(key)
    nonce = get_timestamp_ms()
    signature = sign_l1_action(wallet, action, None, nonce, None, False)
    exchange = Exchange(wallet, sandbox.url)
    return exchange._post_action(action, signature, nonce)


def test_a_twap_buys_in_slices_every_30_seconds_and_reports_each():
    """Alice asks for 1 ETH over 5 minutes (`twapOrder`, as the venue's docs write it).
    The venue answers a running TWAP with its id; a slice of 0.1 ETH goes at once and one
    every 30 s, each a taker fill against the market maker carrying the TWAP's id; her
    `twapStates` show the executed size grow, `userTwapSliceFills` and `userTwapHistory`
    stream each slice and the end, and the info types agree."""
    with Sandbox() as sb:
        wallet = sb.wallet("100000")
        feed = Feed(sb)
        try:
            for kind in ("twapStates", "userTwapSliceFills", "userTwapHistory"):
                feed.subscribe({"type": kind, "user": wallet.address})
            sb.wait_for(lambda: feed.on("userTwapHistory"), advance_ms=0)
            action = {"type": "twapOrder",
                      "twap": {"a": 1, "b": True, "s": "1", "r": False, "m": 5, "t": False}}
            answer = post_action(sb, wallet.key, action)
            twap_id = answer["response"]["data"]["status"]["running"]["twapId"]
            assert answer == {"status": "ok", "response": {"type": "twapOrder", "data": {
                "status": {"running": {"twapId": twap_id}}}}}  # fmt: skip
            sb.advance(5 * 60_000)

            def slice_fills() -> list[dict]:
                return [s for m in feed.on("userTwapSliceFills") for s in m["twapSliceFills"]]

            slices = sb.wait_for(lambda: len(slice_fills()) == 10 and slice_fills(), advance_ms=0)
            assert {s["twapId"] for s in slices} == {twap_id}
            assert {s["fill"]["sz"] for s in slices} == {"0.1"}
            assert all(s["fill"]["crossed"] and s["fill"]["hash"] == "0x" + "0" * 64
                       for s in slices)  # fmt: skip
            history = [r for m in feed.on("userTwapHistory") for r in m["history"]]
            assert [r["status"]["status"] for r in history] == ["activated", "finished"]
            assert history[-1]["state"]["executedSz"] == "1.0"
            running = [m["states"] for m in feed.on("twapStates") if m["states"]]
            assert running and running[0][0][0] == twap_id
            assert feed.on("twapStates")[-1]["states"] == []
            fills = info(sb, {"type": "userFills", "user": wallet.address})
            assert [f["twapId"] for f in fills] == [twap_id] * 10
            assert info(sb, {"type": "twapHistory", "user": wallet.address})[-1]["status"] == {
                "status": "finished"
            }
            assert len(info(sb, {"type": "userTwapSliceFills", "user": wallet.address})) == 10
            cancel = post_action(sb, wallet.key, {"type": "twapCancel", "a": 1, "t": twap_id})
            assert cancel["response"]["data"]["status"] == {
                "error": "TWAP was never placed, already canceled, or filled."
            }
        finally:
            feed.close()


# -- rate limits ----------------------------------------------------------------------------------


def test_past_1200_weight_a_minute_the_venue_answers_429_with_null():
    """`meta` and `spotMeta` weigh 20: the SDK's Info asks for both when it starts, then
    58 more `meta` spend the IP's 1,200 a minute, and the next is refused as the venue
    refuses it, HTTP 429 with body `null` (the SDK raises its ClientError). Three seconds
    later 60 weight has come back; waived, the IP is free."""
    with Sandbox(rate_limits=True, makers=False) as sb:
        client = Info(sb.url, skip_ws=True)
        for _ in range(58):
            client.meta()
        with pytest.raises(ClientError) as refused:
            client.meta()
        assert (refused.value.status_code, refused.value.error_message) == (429, "null")
        sb.advance(3_000)
        client.meta()
        sb.control("POST", "waive", {"ip": "127.0.0.1", "rateLimits": True})
        for _ in range(100):
            client.meta()


def test_an_address_past_its_budget_gets_one_request_every_10_seconds():
    """With a budget of 20 requests (plus 1 per USDC traded), Alice's 21st order is refused
    with the venue's text, and so is every request until 10 s after her last one; then one
    passes. `userRateLimit` reports what she used; waived, she is free."""
    config = RateLimitConfig(address_initial_requests=20)
    with Sandbox(rate_limits=config, makers=False) as sb:
        alice, exchange = wallet_exchange(sb)
        for _ in range(20):
            exchange.order("BTC", True, 0.001, 50000, {"limit": {"tif": "Gtc"}})
        refused = exchange.order("BTC", True, 0.001, 50000, {"limit": {"tif": "Gtc"}})
        assert refused == {"status": "err", "response": "Too many cumulative requests sent "
                           "(21 > 19) for cumulative volume traded $0. Place taker orders to "
                           "free up 1 request per USDC traded."}  # fmt: skip
        usage = info(sb, {"type": "userRateLimit", "user": alice})
        assert usage == {"cumVlm": "0.0", "nRequestsUsed": 20, "nRequestsCap": 20,
                         "nRequestsSurplus": 0}  # fmt: skip
        sb.advance(9_000)
        assert exchange.order("BTC", True, 0.001, 50000, {"limit": {"tif": "Gtc"}})["status"] == "err"
        sb.advance(1_000)
        assert exchange.order("BTC", True, 0.001, 50000, {"limit": {"tif": "Gtc"}})["status"] == "ok"
        sb.waive(alice, rate_limits=True)
        assert exchange.order("BTC", True, 0.001, 50000, {"limit": {"tif": "Gtc"}})["status"] == "ok"


def test_websocket_limits_refuse_with_the_venues_frames():
    """Ten users at most across an IP's subscriptions: the eleventh gets the venue's error
    frame; past ten connections, the upgrade itself is refused."""
    with Sandbox(rate_limits=True, makers=False) as sb:
        feed = Feed(sb)
        try:
            users = [sb.wallet("10").address for _ in range(11)]
            for user in users:
                feed.subscribe({"type": "userFills", "user": user})
            errors = sb.wait_for(lambda: feed.on("error"), advance_ms=0)
            assert errors == ["Cannot track more than 10 total users."]
            others = [Feed(sb) for _ in range(9)]
            try:
                with pytest.raises(Exception, match="429"):
                    connect(sb.url.replace("http://", "ws://") + "/ws", open_timeout=5)
            finally:
                for other in others:
                    other.close()
        finally:
            feed.close()


# -- cadences -------------------------------------------------------------------------------------


def test_a_book_held_back_by_its_cadence_pushes_nothing_else_again():
    """A book goes out at most every 0.5 s: in virtual time the clock stands still between
    blocks, so a change right after a push waits for the clock. Meanwhile the coin's other
    feeds (activeAssetCtx) are not pushed again and again for it; when half a second has
    passed, the held book goes out."""
    with Sandbox(makers=False) as sb:
        _, exchange = wallet_exchange(sb)
        feed = Feed(sb)
        try:
            feed.subscribe({"type": "l2Book", "coin": "ETH"})
            feed.subscribe({"type": "activeAssetCtx", "coin": "ETH"})
            sb.wait_for(lambda: feed.on("l2Book") and feed.on("activeAssetCtx"), advance_ms=0)
            exchange.order("ETH", True, 1.0, 2900, {"limit": {"tif": "Gtc"}})
            sb.advance(100)  # a block: the book goes out (its first change)
            sb.wait_for(lambda: len(feed.on("l2Book")) == 2, advance_ms=0)
            exchange.order("ETH", True, 1.0, 2800, {"limit": {"tif": "Gtc"}})
            contexts = len(feed.on("activeAssetCtx"))
            for _ in range(5):  # blocks at the same virtual instant
                sb.thread.flush()
            feed.sync(sb)
            assert len(feed.on("l2Book")) == 2
            assert len(feed.on("activeAssetCtx")) <= contexts + 1
            sb.advance(500)
            book = sb.wait_for(lambda: len(feed.on("l2Book")) > 2 and feed.on("l2Book")[-1],
                               advance_ms=0)  # fmt: skip
            assert [level["px"] for level in book["levels"][0]] == ["2900.0", "2800.0"]
        finally:
            feed.close()
