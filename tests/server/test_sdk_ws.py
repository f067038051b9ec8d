"""The official SDK's WebsocketManager against the sandbox: every channel, and a liquidation
and an ADL reaching the users they hit, in the venue's formats."""

from __future__ import annotations

import json

import pytest
from hyperliquid.info import Info
from websockets.sync.client import connect

from sandbox.core import commands as cmd
from tests.server.conftest import Trader, finish, oracle, start, wait_for


class Inbox:
    """Callbacks that collect what the SDK delivers, by channel."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def __call__(self, message: dict) -> None:
        self.messages.append(message)

    def on(self, channel: str) -> list[dict]:
        return [m["data"] for m in self.messages if m["channel"] == channel]


@pytest.fixture
def ws_info(sandbox):
    info = Info(sandbox.url, skip_ws=False)
    yield info
    info.disconnect_websocket()


def test_every_channel_reaches_the_sdk(ws_info, trader, sandbox):
    alice, bob = trader(), trader()
    inbox = Inbox()
    for subscription in (
        {"type": "allMids"},
        {"type": "l2Book", "coin": "ETH"},
        {"type": "trades", "coin": "ETH"},
        {"type": "bbo", "coin": "ETH"},
        {"type": "candle", "coin": "ETH", "interval": "1m"},
        {"type": "orderUpdates", "user": alice.address},
        {"type": "userEvents", "user": alice.address},
        {"type": "userFills", "user": alice.address},
        {"type": "userFundings", "user": alice.address},
        {"type": "userNonFundingLedgerUpdates", "user": alice.address},
        {"type": "activeAssetCtx", "coin": "ETH"},
        {"type": "activeAssetData", "user": alice.address, "coin": "ETH"},
    ):
        ws_info.subscribe(subscription, inbox)
    wait_for(lambda: inbox.on("activeAssetData"), what="snapshots")
    alice.exchange.order("ETH", True, 1.0, 2990.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 0.4, 2990.0, {"limit": {"tif": "Ioc"}})
    wait_for(
        lambda: inbox.on("trades") and inbox.on("candle") and inbox.on("bbo"), what="market data"
    )

    (trade,) = inbox.on("trades")[0]
    assert (trade["coin"], trade["side"], trade["px"], trade["sz"]) == ("ETH", "A", "2990.0", "0.4")
    assert trade["users"] == [alice.address, bob.address]
    # the book goes out at most every 0.5 s, as the venue's docs say: the fill shows soon
    wait_for(lambda: inbox.on("l2Book")[-1]["levels"][0] == [{"px": "2990.0", "sz": "0.6", "n": 1}])
    assert inbox.on("bbo")[-1]["bbo"][0] == {"px": "2990.0", "sz": "0.6", "n": 1}
    assert inbox.on("candle")[-1]["s"] == "ETH" and inbox.on("candle")[-1]["i"] == "1m"
    assert wait_for(lambda: any("ETH" in m["mids"] for m in inbox.on("allMids")))
    updates = [u for batch in inbox.on("orderUpdates") for u in batch]
    assert [u["status"] for u in updates] == ["open"]
    assert updates[0]["order"]["origSz"] == "1.0"
    fills = inbox.on("userFills")
    assert fills[0]["isSnapshot"] is True and fills[0]["fills"] == []
    assert fills[1]["fills"][0]["dir"] == "Open Long"
    user_events = wait_for(lambda: inbox.on("user"), what="user events")
    assert user_events[0]["fills"][0]["sz"] == "0.4"
    assert inbox.on("userFundings")[0] == {
        "isSnapshot": True,
        "user": alice.address,
        "fundings": [],
    }
    ledger = inbox.on("userNonFundingLedgerUpdates")[0]
    assert (
        ledger["isSnapshot"] and ledger["nonFundingLedgerUpdates"][0]["delta"]["type"] == "deposit"
    )
    assert inbox.on("activeAssetCtx")[0]["coin"] == "ETH"
    assert inbox.on("activeAssetData")[0]["leverage"] == {"type": "cross", "value": 20}


def test_funding_reaches_user_events_and_user_fundings(ws_info, trader, sandbox):
    alice, bob = trader(), trader()
    alice.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 1.0, 3000.0, {"limit": {"tif": "Ioc"}})
    inbox = Inbox()
    ws_info.subscribe({"type": "userEvents", "user": alice.address}, inbox)
    ws_info.subscribe({"type": "userFundings", "user": alice.address}, inbox)
    wait_for(lambda: inbox.on("userFundings"), what="the snapshot")
    hour = (sandbox.venue.exchange.ts // 3_600_000 + 1) * 3_600_000
    sandbox.call(sandbox.venue.apply, cmd.Tick(), hour)
    funding = wait_for(lambda: inbox.on("user"), what="funding")[0]["funding"]
    assert (funding["coin"], funding["usdc"], funding["szi"], funding["fundingRate"]) == (
        "ETH",
        "-0.0375",
        "1.0",
        "0.0000125",
    )
    assert wait_for(lambda: inbox.on("userFundings")[1:])[0]["fundings"][0] == funding


def test_a_liquidation_and_an_adl_reach_each_user():
    """Alice ($2,000, 20x) is long 0.5 BTC from 60,000; Bob is short 0.5 from 60,000 and in
    profit when BTC gaps to 56,000. The vault has no capital: Alice's position is closed
    by ADL against Bob at the previous mark. Alice hears of her liquidation, Bob of his ADL,
    each on their own connection, through the SDK."""
    sandbox = start(vault_capital=0)
    try:
        alice, bob = Trader(sandbox, "2000"), Trader(sandbox, "100000")
        alice.exchange.order("BTC", True, 0.5, 60000.0, {"limit": {"tif": "Gtc"}})
        bob.exchange.order("BTC", False, 0.5, 60000.0, {"limit": {"tif": "Ioc"}})
        infos = [Info(sandbox.url, skip_ws=False) for _ in range(2)]
        inboxes = [Inbox(), Inbox()]
        for info, inbox, who in zip(infos, inboxes, (alice, bob), strict=True):
            info.subscribe({"type": "userEvents", "user": who.address}, inbox)
            info.subscribe({"type": "userFills", "user": who.address}, inbox)
        wait_for(lambda: all(i.on("userFills") for i in inboxes), what="snapshots")
        oracle(sandbox, BTC="56000")
        a_events = wait_for(
            lambda: [e for e in inboxes[0].on("user") if "fills" in e], what="Alice's fills"
        )
        b_events = wait_for(
            lambda: [e for e in inboxes[1].on("user") if "fills" in e], what="Bob's fills"
        )
        (a_fill,) = a_events[-1]["fills"]
        (b_fill,) = b_events[-1]["fills"]
        assert (a_fill["dir"], a_fill["side"], a_fill["px"], a_fill["sz"], a_fill["fee"]) == (
            "Liquidated Cross Long", "A", "60000.0", "0.5", "0.0",
        )  # fmt: skip
        assert (b_fill["dir"], b_fill["side"], b_fill["px"], b_fill["closedPnl"], b_fill["crossed"]) == (
            "Auto-Deleveraging", "B", "60000.0", "0.0", True,
        )  # fmt: skip
        liquidation = {"liquidatedUser": alice.address, "markPx": "56000.0", "method": "backstop"}
        assert a_fill["liquidation"] == b_fill["liquidation"] == liquidation
        event = wait_for(lambda: [e for e in inboxes[0].on("user") if "liquidation" in e])[0][
            "liquidation"
        ]
        assert (event["liquidated_user"], event["liquidated_ntl_pos"], event["liquidated_account_value"]) == (
            alice.address, "28000.0", "-4.5",  # 2,000 - the 4.5 maker fee - 0.5 * 4,000
        )  # fmt: skip
        assert wait_for(lambda: [f for f in inboxes[1].on("userFills") if not f.get("isSnapshot")])
    finally:
        for info in infos:
            info.disconnect_websocket()
        finish(sandbox)


def test_a_market_liquidation_reaches_the_liquidated_user_and_the_maker():
    """Alice ($1,000, 20x) is long 0.3 BTC; Bob bids 57,300. At 57,380 the book takes her
    position: her fill reads as an ordinary "Close Long", as the venue tags market
    liquidations, Bob's says "Open Long", and both carry the liquidation object with method
    "market" naming her; her resting order is cancelled as the venue reports it
    (liquidatedCanceled, nonUserCancel)."""
    sandbox = start(maker_fee=0, taker_fee=0)
    try:
        alice, bob, carol = Trader(sandbox, "1000"), Trader(sandbox), Trader(sandbox)
        carol.exchange.order("BTC", False, 0.3, 60000.0, {"limit": {"tif": "Gtc"}})
        alice.exchange.order("BTC", True, 0.3, 60000.0, {"limit": {"tif": "Ioc"}})
        alice.exchange.order("BTC", False, 0.01, 65000.0, {"limit": {"tif": "Gtc"}})
        bob.exchange.order("BTC", True, 1.0, 57300.0, {"limit": {"tif": "Gtc"}})
        info = Info(sandbox.url, skip_ws=False)
        alice_box, bob_box = Inbox(), Inbox()
        info.subscribe({"type": "userEvents", "user": alice.address}, alice_box)
        info.subscribe({"type": "orderUpdates", "user": alice.address}, alice_box)
        info.subscribe({"type": "userFills", "user": bob.address}, bob_box)
        wait_for(lambda: bob_box.on("userFills"), what="the snapshot")
        oracle(sandbox, BTC="57380")
        fills = wait_for(lambda: [e for e in alice_box.on("user") if "fills" in e])[0]["fills"]
        assert [(f["dir"], f["px"], f["closedPnl"]) for f in fills] == [
            ("Close Long", "57300.0", "-810.0")
        ]
        assert fills[0]["liquidation"] == {
            "liquidatedUser": alice.address, "markPx": "57380.0", "method": "market"
        }
        cancels = wait_for(lambda: [e for e in alice_box.on("user") if "nonUserCancel" in e])
        assert cancels[0]["nonUserCancel"][0]["coin"] == "BTC"
        statuses = [u["status"] for batch in alice_box.on("orderUpdates") for u in batch]
        assert "liquidatedCanceled" in statuses
        bob_fill = wait_for(lambda: [f for m in bob_box.on("userFills")[1:] for f in m["fills"]])[0]
        assert (bob_fill["dir"], bob_fill["crossed"], bob_fill["liquidation"]["liquidatedUser"]) == (
            "Open Long", False, alice.address,
        )  # fmt: skip
        info.disconnect_websocket()
    finally:
        finish(sandbox)


def raw_socket(sandbox):
    return connect(sandbox.url.replace("http", "ws") + "/ws")


def frames(ws, n: int) -> list:
    out = []
    while len(out) < n:
        text = ws.recv(timeout=5)
        out.append(json.loads(text) if text.startswith("{") else text)
    return out


def test_notification_and_clearinghouse_state_channels(trader, sandbox):
    """Channels the SDK cannot route, through a plain websocket client."""
    alice = trader()
    with raw_socket(sandbox) as ws:
        ws.send(
            json.dumps(
                {
                    "method": "subscribe",
                    "subscription": {
                        "type": "clearinghouseState",
                        "user": alice.address.upper().replace("0X", "0x"),
                    },
                }
            )
        )
        ack, state = frames(ws, 2)
        assert ack == {
            "channel": "subscriptionResponse",
            "data": {
                "method": "subscribe",
                "subscription": {"type": "clearinghouseState", "user": alice.address, "dex": ""},
            },
        }
        assert state["channel"] == "clearinghouseState" and state["data"]["user"] == alice.address
        assert state["data"]["clearinghouseState"]["marginSummary"]["accountValue"] == "100000.0"
        ws.send(
            json.dumps(
                {
                    "method": "subscribe",
                    "subscription": {"type": "notification", "user": alice.address},
                }
            )
        )
        (ack,) = frames(ws, 1)
        assert ack["data"]["subscription"]["type"] == "notification"


def test_ping_post_and_errors(sandbox, trader):
    alice = trader()
    with raw_socket(sandbox) as ws:
        ws.send('{"method": "ping"}')
        assert frames(ws, 1) == [{"channel": "pong"}]
        ws.send(
            json.dumps(
                {
                    "method": "post",
                    "id": 7,
                    "request": {
                        "type": "info",
                        "payload": {"type": "clearinghouseState", "user": alice.address},
                    },
                }
            )
        )
        (post,) = frames(ws, 1)
        assert post["channel"] == "post" and post["data"]["id"] == 7
        assert post["data"]["response"]["payload"]["type"] == "clearinghouseState"
        ws.send(
            json.dumps(
                {
                    "method": "post",
                    "id": 8,
                    "request": {
                        "type": "action",
                        "payload": {
                            "action": {"type": "noop"},
                            "nonce": 1,
                            "signature": {"r": "0x1", "s": "0x1", "v": 27},
                        },
                    },
                }
            )
        )
        (post,) = frames(ws, 1)
        assert post["data"]["response"]["type"] == "action"
        assert post["data"]["response"]["payload"]["status"] == "err"
        bad = '{"method": "subscribe", "subscription": {"type": "liquidations"}}'
        ws.send(bad)
        assert frames(ws, 1) == [
            {"channel": "error", "data": f"Error parsing JSON into valid websocket request: {bad}"}
        ]
        for sub in ('{"type": "l2Book", "coin": "kPEPE", "nSigFigs": 5.0}',
                    '{"type": "clearinghouseState", "user": "0x12"}'):  # fmt: skip
            ws.send(f'{{"method": "subscribe", "subscription": {sub}}}')
            (invalid,) = frames(ws, 1)
            assert invalid["data"].startswith("Invalid subscription")
        sub = '{"method": "subscribe", "subscription": {"type": "trades", "coin": "ETH"}}'
        ws.send(sub)
        frames(ws, 1)
        ws.send(sub)
        assert frames(ws, 1)[0]["data"].startswith("Already subscribed")
        ws.send(sub.replace("subscribe", "unsubscribe", 1))
        assert frames(ws, 1)[0]["data"]["method"] == "unsubscribe"
        ws.send(sub.replace("subscribe", "unsubscribe", 1))
        assert frames(ws, 1)[0]["data"].startswith("Already unsubscribed")
        deep = "[" * 3_000 + "]" * 3_000
        for request_type, payload in (
            ("action", '{"action": {"type": "noop"}, "nonce": 1, "signature": ' + deep + "}"),
            ("info", '{"type": "meta", "x": ' + deep + "}"),
        ):  # too deep to read: the venue's parse error, and the socket stays open
            ws.send(f'{{"method": "post", "id": 9, "request": {{"type": "{request_type}", '
                    f'"payload": {payload}}}}}')  # fmt: skip
            (error,) = frames(ws, 1)
            assert error["channel"] == "error"
            assert error["data"].startswith("Error parsing JSON into valid websocket request")
        # a post the venue cannot parse is answered on the bare error channel, without its id
        for payload in ('{"action": {"type": "selfDestruct"}, "nonce": 1, "signature": {}}',
                        '{"type": "bogusInfoType"}'):  # fmt: skip
            kind = "action" if "action" in payload else "info"
            text = f'{{"method": "post", "id": 10, "request": {{"type": "{kind}", "payload": {payload}}}}}'
            ws.send(text)
            assert frames(ws, 1) == [
                {"channel": "error", "data": f"Error parsing JSON into valid websocket request: {text}"}
            ]
        ws.send("not json at all")
        assert (
            frames(ws, 1)[0]["data"]
            == "Error parsing JSON into valid websocket request: not json at all"
        )
        ws.send('{"method": "ping"}')
        assert frames(ws, 1) == [{"channel": "pong"}]
