"""Fan-out under a client that stops reading; sub-accounts and builder fees; the control
plane's token."""

from __future__ import annotations

import base64
import json
import os
import socket

import eth_account
import requests
from hyperliquid.exchange import Exchange
from websockets.sync.client import connect

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.core.errors import InvariantError
from sandbox.server.config import ServerConfig
from sandbox.server.thread import ServerThread
from tests.server.conftest import PRICES, set_prices, wait_for


def stalled_client(url: str, subscription: dict) -> socket.socket:
    """A websocket client that subscribes and then never reads again: a raw socket with a
    tiny receive buffer, after a hand-made handshake."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101")
    payload = json.dumps({"method": "subscribe", "subscription": subscription}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes((0x81, 0x80 | len(payload))) + mask + masked)
    return sock


def test_a_client_that_stops_reading_is_cut_off_and_nobody_waits():
    """Two clients follow BTC's book. One stops reading: once the kernel's buffers and its
    queue are full it is disconnected; the other goes on receiving every book."""
    config = ServerConfig(  # no cadence: every block's book goes out
        port=0, ws_buffer_limit=65_536, block_ms=10_000, cadence=(),
        exchange=ExchangeConfig(mark_rule="oracle"),
    )  # fmt: skip
    sandbox = ServerThread(config, setup=lambda v: set_prices(v, PRICES)).start()
    venue = sandbox.venue
    address, _ = sandbox.create_account("100000000")
    btc = venue.exchange.by_name["BTC"]
    # a deep book, so that every l2Book message is large (20 levels a side)
    for i in range(40):
        for is_buy, base in ((True, 50_000), (False, 70_000)):
            px = btc.units.parse_px(str(base + (i if not is_buy else -i) * 10))
            sandbox.apply(cmd.PlaceOrders(address, (cmd.OrderSpec(0, is_buy, px, 100),)))

    def churn(n: int) -> None:
        """n blocks, each with a changed book: n l2Book messages per subscriber."""
        for i in range(n):
            px = btc.units.parse_px(str(55_000 + (i % 50) * 10))
            venue.apply(cmd.PlaceOrders(address, (cmd.OrderSpec(0, True, px, 100),)))
            venue.apply(cmd.Cancel(address, ((0, venue.exchange.next_oid),)))
            venue.flush()

    subscription = {"type": "l2Book", "coin": "BTC"}
    try:
        slow = stalled_client(sandbox.url, subscription)
        with connect(sandbox.url.replace("http", "ws") + "/ws") as fast:
            fast.send(json.dumps({"method": "subscribe", "subscription": subscription}))
            key = ("l2Book", "BTC", None, None, False)
            wait_for(lambda: len(venue.hub.subscribers.get(key, ())) == 2)
            received = 0
            for _ in range(2_000):
                sandbox.call(churn, 10)
                while True:
                    try:
                        fast.recv(timeout=0.002)
                        received += 1
                    except TimeoutError:
                        break
                if len(venue.hub.sessions) == 1:
                    break
            assert len(venue.hub.sessions) == 1  # the stalled one was dropped
            sandbox.call(churn, 1)
            assert json.loads(fast.recv(timeout=5))["channel"] == "l2Book"  # still served
            assert received > 100
        slow.close()
    finally:
        sandbox.stop()


def test_control_plane_needs_its_token(sandbox):
    url = sandbox.url + "/sandbox/accounts"
    assert requests.post(url, json={"usdc": "1"}, timeout=10).status_code == 401
    assert (
        requests.post(
            url, json={"usdc": "1"}, headers={"Authorization": "Bearer wrong"}, timeout=10
        ).status_code
        == 401
    )
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    bad = requests.post(url, data=b"{nope", headers=headers, timeout=10)
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    assert requests.post(url, json={"usdc": "lots"}, headers=headers, timeout=10).status_code == 400
    assert requests.post(url, json={"usdc": "-5"}, headers=headers, timeout=10).status_code == 400
    created = requests.post(url, json={"usdc": "250.5"}, headers=headers, timeout=10).json()
    assert eth_account.Account.from_key(created["privateKey"]).address.lower() == created["address"]
    state = requests.post(
        sandbox.url + "/info",
        json={"type": "clearinghouseState", "user": created["address"]},
        timeout=10,
    ).json()
    assert state["marginSummary"]["accountValue"] == "250.5"


def test_sub_account_through_vault_address(sandbox, trader, info):
    alice = trader()
    response = alice.exchange.create_sub_account("desk")
    assert response["status"] == "ok" and response["response"]["type"] == "createSubAccount"
    sub = response["response"]["data"]
    assert alice.exchange.sub_account_transfer(sub, True, 1_000_000_000)["status"] == "ok"
    as_sub = Exchange(alice.wallet, sandbox.url, vault_address=sub)
    placed = as_sub.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}})
    assert "resting" in placed["response"]["data"]["statuses"][0]
    assert info.open_orders(sub)[0]["limitPx"] == "2900.0" and info.open_orders(alice.address) == []
    assert info.query_sub_accounts(alice.address)[0]["subAccountUser"] == sub
    stranger = trader()
    refused = Exchange(stranger.wallet, sandbox.url, vault_address=sub).order(
        "ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}}
    )
    assert refused["status"] == "err" and "not authorized" in refused["response"]


def test_builder_fees_need_approval_and_are_charged(sandbox, trader, info):
    alice, bob, builder = trader(), trader(), trader()
    order = {
        "coin": "ETH",
        "is_buy": False,
        "sz": 1.0,
        "limit_px": 3000.0,
        "order_type": {"limit": {"tif": "Ioc"}},
        "reduce_only": False,
    }
    bob.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    refused = alice.exchange.bulk_orders([order], builder={"b": builder.address, "f": 10})
    assert refused == {"status": "err", "response": "Builder fee has not been approved."}
    assert alice.exchange.approve_builder_fee(builder.address, "0.01%")["status"] == "ok"
    assert (
        info.post(
            "/info", {"type": "maxBuilderFee", "user": alice.address, "builder": builder.address}
        )
        == 10
    )
    filled = alice.exchange.bulk_orders([order], builder={"b": builder.address, "f": 10})
    assert "filled" in filled["response"]["data"]["statuses"][0]
    (fill,) = info.user_fills(alice.address)
    assert fill["builderFee"] == "0.3" and fill["fee"] == "1.65"  # 0.045% + 0.01% of 3,000
    assert info.user_state(builder.address)["marginSummary"]["accountValue"] == "100000.3"


def test_chain_setting_recovers_only_that_source():
    config = ServerConfig(port=0, chain="mainnet", exchange=ExchangeConfig(mark_rule="oracle"))
    with ServerThread(config, setup=lambda v: set_prices(v, PRICES)) as sandbox:
        address, key = sandbox.create_account("1000")
        testnet_signed = Exchange(eth_account.Account.from_key(key), sandbox.url)  # signs "b"
        response = testnet_signed.order("ETH", True, 0.01, 2900.0, {"limit": {"tif": "Gtc"}})
        assert response["status"] == "err" and address not in response["response"]


def test_a_broken_invariant_is_caught_after_the_command_that_breaks_it(sandbox, trader):
    """The suite's servers check every invariant after every command; the check can fail."""
    alice = trader("1000")
    venue = sandbox.venue

    def corrupt_then_apply() -> str:  # on the server's loop: no other command in between
        account = venue.exchange.accounts[alice.address]
        account.raw += 1  # a micro-USDC from nowhere
        try:
            venue.apply(cmd.Tick())
        except InvariantError as caught:
            return str(caught)
        finally:
            account.raw -= 1
        return "not caught"

    caught = sandbox.call(corrupt_then_apply)
    assert caught != "not caught"
    assert len(venue.invariant_failures) == 1 and "Tick" in venue.invariant_failures[0]
    venue.invariant_failures.clear()  # repaired, so that the fixture's own check passes


def test_a_dropped_session_holds_no_subscription_nor_limit():
    """A client cut off (too slow) may still have messages buffered: they are ignored, so
    it is subscribed to nothing and holds nothing of its IP's websocket limits."""
    from sandbox.server.actions import ExchangeApi
    from sandbox.server.hub import Session
    from sandbox.server.venue import Venue
    from sandbox.server.ws import WsEndpoint

    venue = Venue(ServerConfig(port=0))
    endpoint = WsEndpoint(venue, ExchangeApi(venue))
    assert venue.limits.ws_connect("10.1.2.3") is None
    session = Session(None, None, venue.hub, 1 << 20, "10.1.2.3")
    venue.hub.add(session)
    session.drop()
    endpoint.receive(session, json.dumps({"method": "subscribe",
                                          "subscription": {"type": "trades", "coin": "ETH"}}))  # fmt: skip
    assert venue.hub.subscribers == {} and session.subscriptions == {}
    assert venue.limits.ws_usage("10.1.2.3") == {
        "connections": 0, "subscriptions": 0, "users": 0, "pendingPosts": 0,
    }  # fmt: skip
