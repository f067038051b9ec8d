"""The control plane: every route, its token check and bad input, against a real server."""

from __future__ import annotations

import pytest
import requests
from hyperliquid.info import Info

from sandbox.core.config import ExchangeConfig
from sandbox.server.config import ServerConfig
from sandbox.server.thread import ServerThread
from tests.server.conftest import PRICES, Trader, finish, start, wait_for

ROUTES = [
    ("GET", "/sandbox/"),
    ("GET", "/sandbox"),
    ("POST", "/sandbox/accounts"),
    ("POST", "/sandbox/deposit"),
    ("POST", "/sandbox/withdraw"),
    ("POST", "/sandbox/oracle"),
    ("POST", "/sandbox/oracle/shock"),
    ("GET", "/sandbox/clock"),
    ("POST", "/sandbox/clock/advance"),
    ("GET", "/sandbox/liquidity"),
    ("POST", "/sandbox/liquidity/pull"),
    ("POST", "/sandbox/liquidity/restore"),
    ("GET", "/sandbox/invariants"),
    ("GET", "/sandbox/vault"),
    ("GET", "/sandbox/adl"),
    ("GET", "/sandbox/audit"),
    ("POST", "/sandbox/adl/force"),
    ("POST", "/sandbox/liquidate"),
    ("POST", "/sandbox/pause"),
    ("POST", "/sandbox/resume"),
    ("POST", "/sandbox/snapshot"),
    ("GET", "/sandbox/snapshots"),
    ("POST", "/sandbox/restore"),
    ("POST", "/sandbox/reset"),
    ("POST", "/sandbox/waive"),
    ("GET", "/sandbox/rate-limits"),
    ("POST", "/sandbox/rate-limits"),
    ("POST", "/sandbox/oi-cap"),
    ("POST", "/sandbox/delist"),
]


def virtual(**exchange) -> ServerThread:
    """A server in virtual time, opened at PRICES through its oracle."""
    exchange.setdefault("mark_rule", "oracle")
    config = ServerConfig(port=0, time="virtual", start_ms=1_800_000_000_000, block_ms=100,
                          validate_each_command=True, exchange=ExchangeConfig(**exchange))  # fmt: skip

    def setup(venue):
        for coin, px in PRICES.items():
            venue.oracle.set_price(coin, float(px), venue.now())

    return ServerThread(config, setup=setup).start()


@pytest.fixture
def vsandbox():
    server = virtual()
    yield server
    finish(server)


def call(sandbox, method: str, path: str, body: dict | None = None, token: str | None = ...):
    token = sandbox.admin_token if token is ... else token
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return requests.get(sandbox.url + path, params=body, headers=headers, timeout=10)
    return requests.post(sandbox.url + path, json=body or {}, headers=headers, timeout=10)


def ok(sandbox, method: str, path: str, body: dict | None = None) -> dict:
    response = call(sandbox, method, path, body)
    assert response.status_code == 200, response.text
    return response.json()


def refused(sandbox, method: str, path: str, body, expected: str) -> None:
    response = call(sandbox, method, path, body)
    assert response.status_code == 400
    assert expected in response.json()["error"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_the_token(vsandbox, method, path):
    for token in (None, "wrong", ""):
        response = call(vsandbox, method, path, {}, token=token)
        assert response.status_code == 401
        assert "admin token" in response.json()["error"]
    response = requests.post(vsandbox.url + path, headers={"Authorization": "Basic x"}, timeout=10)
    assert response.status_code in (401, 405)


def test_the_index_lists_every_route_served_and_never_the_token(vsandbox):
    """`GET /sandbox/` answers the table the routes are served from: each route it lists
    answers (200 or 400 for an empty request, never 404 or 405), and it lists them all."""
    index = ok(vsandbox, "GET", "/sandbox/")
    assert ok(vsandbox, "GET", "/sandbox") == index
    listed = [(r["method"], r["path"]) for r in index["routes"]]
    assert sorted(listed) == sorted(ROUTES)  # this file's own list of the routes
    assert all(r["answers"] for r in index["routes"])
    shock = next(r for r in index["routes"] if r["path"] == "/sandbox/oracle/shock")
    assert "target" in shock["answers"] and "pct" in shock["takes"]
    assert vsandbox.admin_token not in call(vsandbox, "GET", "/sandbox/").text
    for method, path in listed:
        if path not in ("/sandbox/reset", "/sandbox/restore", "/sandbox/delist"):
            assert call(vsandbox, method, path, {}).status_code in (200, 400), (method, path)
    assert call(vsandbox, "GET", "/sandbox/nothing").status_code == 404


def test_accounts_deposit_and_withdraw(vsandbox):
    info = Info(vsandbox.url, skip_ws=True)
    created = ok(vsandbox, "POST", "/sandbox/accounts", {"usdc": "1500.5"})
    user = created["address"]
    assert created["privateKey"].startswith("0x") and len(created["privateKey"]) == 66
    assert info.user_state(user)["marginSummary"]["accountValue"] == "1500.5"
    assert ok(vsandbox, "POST", "/sandbox/deposit", {"user": user, "usdc": "99.5"}) == {
        "user": user, "accountValue": "1600.0"
    }  # fmt: skip
    assert ok(vsandbox, "POST", "/sandbox/withdraw", {"user": user, "usdc": 600}) == {
        "user": user, "accountValue": "1000.0"
    }  # fmt: skip
    ledger = [u["delta"]["type"] for u in info.user_non_funding_ledger_updates(user, 0)]
    assert ledger == ["deposit", "deposit", "withdraw"]
    refused(vsandbox, "POST", "/sandbox/withdraw", {"user": user, "usdc": "5000"}, "Insufficient")
    refused(vsandbox, "POST", "/sandbox/deposit", {"user": "0x12", "usdc": "1"}, "address")
    refused(vsandbox, "POST", "/sandbox/deposit", {"user": user, "usdc": "-1"}, "negative")
    refused(vsandbox, "POST", "/sandbox/deposit", {"user": user, "usdc": "lots"}, "decimal")
    refused(vsandbox, "POST", "/sandbox/deposit", {"user": user, "usdc": "0"}, "more than 0")
    refused(vsandbox, "POST", "/sandbox/withdraw", {"user": "0x" + "ab" * 20, "usdc": "1"},
            "no account")  # fmt: skip
    assert info.user_state(user)["marginSummary"]["accountValue"] == "1000.0"  # unchanged
    for body in (b"{not json", b"[1, 2]"):
        response = requests.post(vsandbox.url + "/sandbox/deposit", data=body, timeout=10,
                                 headers={"Authorization": f"Bearer {vsandbox.admin_token}"})  # fmt: skip
        assert response.status_code == 400


def test_oracle_set_and_shock_over_virtual_time(vsandbox):
    info = Info(vsandbox.url, skip_ws=True)
    assert ok(vsandbox, "POST", "/sandbox/oracle", {"coin": "BTC", "px": "61000"}) == {
        "coin": "BTC", "px": "61000.0"
    }  # fmt: skip
    assert info.all_mids()["BTC"] == "61000.0"
    start = ok(vsandbox, "GET", "/sandbox/clock")["time"]
    shock = ok(vsandbox, "POST", "/sandbox/oracle/shock",
               {"coin": "BTC", "pct": -10, "ms": 60_000})  # fmt: skip
    assert shock == {"coin": "BTC", "px": "61000.0", "target": "54900.0",
                     "at": start + 60_000, "pct": -10, "ms": 60_000}  # fmt: skip
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 30_000})
    assert info.all_mids()["BTC"] == "57950.0"  # half-way: -5%
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 30_000})
    assert info.all_mids()["BTC"] == "54900.0"
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 600_000})
    assert info.all_mids()["BTC"] == "54900.0"  # the move stays
    now = ok(vsandbox, "POST", "/sandbox/oracle/shock", {"coin": "ETH", "pct": "50"})
    assert now == {"coin": "ETH", "px": "4500.0", "target": "4500.0",  # no duration: at once
                   "at": start + 660_000, "pct": 50, "ms": 0}  # fmt: skip
    # a shock on top of one under way: the target counts both, each as it will stand then
    ok(vsandbox, "POST", "/sandbox/oracle/shock", {"coin": "SOL", "pct": 20, "ms": 10_000})
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 6_000})  # posted at 6 s: +12%
    both = ok(vsandbox, "POST", "/sandbox/oracle/shock",
              {"coin": "SOL", "pct": -50, "ms": 20_000})  # fmt: skip
    assert (both["px"], both["target"], both["pct"]) == ("168.0", "90.0", -50)  # 150 x 1.2 / 2
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 21_000})
    assert info.all_mids()["SOL"] == both["target"]
    refused(vsandbox, "POST", "/sandbox/oracle", {"coin": "DOGE", "px": "1"}, "coin must be")
    refused(vsandbox, "POST", "/sandbox/oracle", {"coin": "BTC", "px": "0"}, "positive")
    refused(vsandbox, "POST", "/sandbox/oracle", {"coin": "BTC", "px": "NaN"}, "number")
    refused(vsandbox, "POST", "/sandbox/oracle", {"coin": "BTC"}, "number")
    refused(vsandbox, "POST", "/sandbox/oracle/shock", {"coin": "BTC", "pct": -100}, "above -100")
    refused(vsandbox, "POST", "/sandbox/oracle/shock", {"coin": "BTC", "pct": 1, "ms": -5},
            "negative")  # fmt: skip


def test_advancing_virtual_time_runs_what_falls_due_in_order(vsandbox):
    """An hour of virtual time in one call: funding is paid on the hour, exactly once."""
    alice, bob = Trader(vsandbox, "100000"), Trader(vsandbox, "100000")
    alice.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 1.0, 3000.0, {"limit": {"tif": "Ioc"}})
    start = ok(vsandbox, "GET", "/sandbox/clock")
    assert start["mode"] == "virtual"
    info = Info(vsandbox.url, skip_ws=True)
    assert info.user_funding_history(alice.address, 0) == []
    after = ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 3_600_000})
    assert after["time"] == start["time"] + 3_600_000
    assert ok(vsandbox, "GET", "/sandbox/clock")["time"] == after["time"]  # it stays put
    fundings = info.user_funding_history(alice.address, 0)
    assert len(fundings) == 1 and fundings[0]["time"] % 3_600_000 == 0
    assert start["time"] < fundings[0]["time"] <= after["time"]
    refused(vsandbox, "POST", "/sandbox/clock/advance", {"ms": -1}, "not negative")
    refused(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 1.5}, "whole number")
    refused(vsandbox, "POST", "/sandbox/clock/advance", {}, "number")


def test_the_clock_does_not_advance_in_real_time():
    sandbox = start()
    try:
        assert ok(sandbox, "GET", "/sandbox/clock")["mode"] == "realtime"
        refused(sandbox, "POST", "/sandbox/clock/advance", {"ms": 1000}, "virtual time")
    finally:
        finish(sandbox)


def test_waterfall_reads_vault_adl_queue_audit_and_invariants():
    """Alice (long, 20x) is ADL'd against Bob and Carol, shorts ranked by the policy, when a
    shock takes BTC down and the vault has no capital."""
    sandbox = virtual(vault_capital=0)
    try:
        alice = Trader(sandbox, "2000")
        bob, carol = Trader(sandbox, "100000"), Trader(sandbox, "5000")
        alice.exchange.order("BTC", True, 0.5, 60000.0, {"limit": {"tif": "Gtc"}})
        bob.exchange.order("BTC", False, 0.3, 60000.0, {"limit": {"tif": "Ioc"}})
        carol.exchange.order("BTC", False, 0.2, 60000.0, {"limit": {"tif": "Ioc"}})
        ok(sandbox, "POST", "/sandbox/oracle", {"coin": "BTC", "px": "59000"})
        queue = ok(sandbox, "GET", "/sandbox/adl", {"coin": "BTC"})
        assert queue["policy"] == "hyperliquid"
        shorts = [p for p in queue["positions"] if p["side"] == "short"]
        # Carol, on 5,000, is the more leveraged winner: first in the queue
        assert [p["user"] for p in shorts] == [carol.address, bob.address]
        assert [p["rank"] for p in shorts] == [1, 2] and shorts[0]["quantile"] == 4
        assert ok(sandbox, "GET", "/sandbox/audit") == {"steps": []}

        ok(sandbox, "POST", "/sandbox/oracle/shock", {"coin": "BTC", "pct": -8})
        steps = ok(sandbox, "GET", "/sandbox/audit")["steps"]
        adl = [s for s in steps if s["stage"] == "adl"]
        assert adl and adl[0]["user"] == alice.address and adl[0]["policy"] == "hyperliquid"
        assert [c["user"] for c in adl[0]["counterparties"]] == [carol.address, bob.address]
        later = ok(sandbox, "GET", "/sandbox/audit", {"since": steps[-1]["lid"]})
        assert later == {"steps": []}
        vault = ok(sandbox, "GET", "/sandbox/vault")
        assert vault["capital"] == "0.0" and vault["address"].startswith("0x")
        assert "marginSummary" in vault["state"]
        assert ok(sandbox, "GET", "/sandbox/invariants")["ok"] is True
        refused(sandbox, "GET", "/sandbox/adl", {"coin": "NOPE"}, "coin must be")
        refused(sandbox, "GET", "/sandbox/audit", {"since": "x"}, "integer")
    finally:
        finish(sandbox)


def test_liquidity_pull_and_restore(vsandbox):
    from sandbox.sim.makers import MarketMaker

    def add_maker(venue):
        venue.liquidity.makers.append(MarketMaker(venue, "mm1", ("BTC",)))
        venue.liquidity.start()

    vsandbox.call(add_maker, vsandbox.venue)
    info = Info(vsandbox.url, skip_ws=True)
    assert [len(side) for side in info.l2_snapshot("BTC")["levels"]] == [5, 5]
    state = ok(vsandbox, "POST", "/sandbox/liquidity/pull")
    assert state["active"] is False and state["makers"][0]["coins"] == ["BTC"]
    assert info.l2_snapshot("BTC")["levels"] == [[], []]
    assert ok(vsandbox, "POST", "/sandbox/liquidity/restore")["active"] is True
    assert [len(side) for side in info.l2_snapshot("BTC")["levels"]] == [5, 5]
    assert ok(vsandbox, "GET", "/sandbox/liquidity")["makers"][0]["active"] is True


def test_a_forced_adl_reaches_the_bot_through_the_sdk(vsandbox):
    """A bot's profitable short is ADL'd on demand; its websocket hears the venue's fill."""
    from tests.server.test_sdk_ws import Inbox

    maker, bot = Trader(vsandbox, "100000"), Trader(vsandbox, "100000")
    maker.exchange.order("ETH", True, 2.0, 3000.0, {"limit": {"tif": "Gtc"}})
    bot.exchange.order("ETH", False, 2.0, 3000.0, {"limit": {"tif": "Ioc"}})
    ok(vsandbox, "POST", "/sandbox/oracle", {"coin": "ETH", "px": "2900"})
    info, inbox = Info(vsandbox.url), Inbox()
    try:
        info.subscribe({"type": "userFills", "user": bot.address}, inbox)
        info.subscribe({"type": "userEvents", "user": bot.address}, inbox)
        wait_for(lambda: inbox.on("userFills"), what="the snapshot")
        wait_for(lambda: vsandbox.subscribed(bot.address), what="the userEvents subscription")
        forced = ok(vsandbox, "POST", "/sandbox/adl/force",
                    {"user": bot.address, "coin": "ETH", "sz": "0.5"})  # fmt: skip
        assert forced["step"]["stage"] == "adl" and forced["step"]["closed"] == "0.5"
        ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 200})  # a block goes out
        fills = wait_for(lambda: [m for m in inbox.on("user") if "fills" in m], what="fill")
        (fill,) = fills[0]["fills"]
        assert (fill["dir"], fill["side"], fill["sz"], fill["px"], fill["closedPnl"]) == (
            "Auto-Deleveraging", "B", "0.5", "2900.0", "50.0",
        )  # fmt: skip
        assert fill["liquidation"]["method"] == "backstop"
        state = info.user_state(bot.address)["assetPositions"][0]["position"]
        assert state["szi"] == "-1.5"
        refused(vsandbox, "POST", "/sandbox/adl/force", {"user": maker.address, "coin": "BTC"},
                "No position")  # fmt: skip
        refused(vsandbox, "POST", "/sandbox/adl/force",
                {"user": bot.address, "coin": "ETH", "sz": "abc"}, "number")  # fmt: skip
    finally:
        info.disconnect_websocket()


def test_pause_and_resume_matching(vsandbox):
    maker, taker = Trader(vsandbox, "100000"), Trader(vsandbox, "100000")
    resting = maker.exchange.order("BTC", True, 0.1, 59000.0, {"limit": {"tif": "Gtc"}})
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert ok(vsandbox, "POST", "/sandbox/pause", {"coins": ["BTC"]}) == {"paused": ["BTC"]}
    answer = taker.exchange.order("BTC", False, 0.1, 59000.0, {"limit": {"tif": "Ioc"}})
    assert answer["response"]["data"]["statuses"] == [{"error": "Trading is halted. asset=0"}]
    eth = taker.exchange.order("ETH", True, 0.1, 2900.0, {"limit": {"tif": "Gtc"}})
    assert "resting" in eth["response"]["data"]["statuses"][0]  # ETH trades on
    assert ok(vsandbox, "POST", "/sandbox/pause") == {"paused": ["BTC", "ETH", "SOL", "kPEPE"]}
    assert ok(vsandbox, "POST", "/sandbox/resume", {"coins": ["ETH", "SOL", "kPEPE"]}) == {
        "paused": ["BTC"]
    }
    assert maker.exchange.cancel("BTC", oid)["status"] == "ok"  # cancels work while paused
    assert ok(vsandbox, "POST", "/sandbox/resume") == {"paused": []}
    again = taker.exchange.order("BTC", True, 0.1, 59000.0, {"limit": {"tif": "Gtc"}})
    assert "resting" in again["response"]["data"]["statuses"][0]
    for body in ({"coins": "BTC"}, {"coins": []}, {"coins": ["NOPE"]}, {"coins": [1]}):
        refused(vsandbox, "POST", "/sandbox/pause", body, "coins must be a list")


def test_a_forced_liquidation_reaches_the_bot_through_the_sdk(vsandbox):
    from tests.server.test_sdk_ws import Inbox

    maker, bot = Trader(vsandbox, "1000000"), Trader(vsandbox, "100000")
    maker.exchange.order("SOL", False, 100.0, 150.0, {"limit": {"tif": "Gtc"}})
    bot.exchange.order("SOL", True, 100.0, 150.0, {"limit": {"tif": "Ioc"}})
    maker.exchange.order("SOL", True, 100.0, 149.0, {"limit": {"tif": "Gtc"}})
    info, inbox = Info(vsandbox.url), Inbox()
    try:
        info.subscribe({"type": "userEvents", "user": bot.address}, inbox)
        wait_for(lambda: vsandbox.subscribed(bot.address), what="the subscription")
        refused(vsandbox, "POST", "/sandbox/liquidate", {"user": bot.address, "coin": "ETH"},
                "No position to liquidate.")  # fmt: skip
        refused(vsandbox, "POST", "/sandbox/liquidate",
                {"user": bot.address, "stage": "later"}, "stage must be")  # fmt: skip
        refused(vsandbox, "POST", "/sandbox/liquidate", {"user": "0x12"}, "user must be")
        forced = ok(vsandbox, "POST", "/sandbox/liquidate", {"user": bot.address, "coin": "SOL"})
        (step,) = forced["steps"]
        assert (step["stage"], step["user"], step["closed"], step["px"]) == (
            "market", bot.address, "100.0", "149.0",
        )  # fmt: skip
        ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 200})
        events = wait_for(lambda: [m for m in inbox.on("user") if "liquidation" in m],
                          what="the liquidation event")  # fmt: skip
        liquidation = events[0]["liquidation"]
        assert liquidation["liquidated_user"] == bot.address
        assert liquidation["liquidated_ntl_pos"] == "15000.0"  # 100 SOL at the mark, 150
        assert info.user_state(bot.address)["assetPositions"] == []
    finally:
        info.disconnect_websocket()


def test_snapshot_restore_and_reset(vsandbox):
    info = Info(vsandbox.url, skip_ws=True)
    alice = Trader(vsandbox, "5000")
    snapshot = ok(vsandbox, "POST", "/sandbox/snapshot")
    assert snapshot["id"] == 1 and len(snapshot["stateHash"]) == 64
    alice.exchange.order("BTC", True, 0.01, 59000.0, {"limit": {"tif": "Gtc"}})
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 3_600_000})
    bob = Trader(vsandbox, "7000")
    assert len(info.open_orders(alice.address)) == 1
    restored = ok(vsandbox, "POST", "/sandbox/restore", {"id": 1})
    assert restored == snapshot
    assert ok(vsandbox, "GET", "/sandbox/clock")["time"] == snapshot["time"]  # time went back
    assert vsandbox.call(vsandbox.venue.exchange.state_hash) == snapshot["stateHash"]
    assert info.open_orders(alice.address) == []
    assert info.user_state(alice.address)["marginSummary"]["accountValue"] == "5000.0"
    assert info.user_state(bob.address)["marginSummary"]["accountValue"] == "0.0"
    # the snapshot stays: the same future can be played from it again
    alice.exchange.order("BTC", True, 0.01, 59000.0, {"limit": {"tif": "Gtc"}})
    ok(vsandbox, "POST", "/sandbox/restore", {"id": "1"})
    assert info.open_orders(alice.address) == []
    listed = ok(vsandbox, "GET", "/sandbox/snapshots")["snapshots"]
    assert [s["id"] for s in listed] == [0, 1]
    reset = ok(vsandbox, "POST", "/sandbox/reset")
    assert reset["id"] == 0
    assert info.user_state(alice.address)["marginSummary"]["accountValue"] == "0.0"
    assert ok(vsandbox, "GET", "/sandbox/invariants")["ok"] is True
    refused(vsandbox, "POST", "/sandbox/restore", {"id": 99}, "no snapshot 99")
    refused(vsandbox, "POST", "/sandbox/restore", {}, "id must be")
    refused(vsandbox, "POST", "/sandbox/restore", {"id": True}, "id must be")


def test_a_restore_in_real_time_keeps_the_clock_running():
    sandbox = start()
    try:
        snapshot = ok(sandbox, "POST", "/sandbox/snapshot")
        trader = Trader(sandbox, "1000")
        before = ok(sandbox, "GET", "/sandbox/clock")["time"]
        ok(sandbox, "POST", "/sandbox/restore", {"id": snapshot["id"]})
        assert ok(sandbox, "GET", "/sandbox/clock")["time"] >= before
        info = Info(sandbox.url, skip_ws=True)
        assert info.user_state(trader.address)["marginSummary"]["accountValue"] == "0.0"
        # and the clock's ticks go on: a new account trades at once
        again = Trader(sandbox, "100000")
        answer = again.exchange.order("BTC", True, 0.01, 59000.0, {"limit": {"tif": "Gtc"}})
        assert "resting" in answer["response"]["data"]["statuses"][0]
    finally:
        finish(sandbox)


def test_waivers_rate_limits_and_open_interest_caps(vsandbox):
    """The venue's limits steered per account and per client: waivers answer what they
    now are, rate limits switch on and off, a coin's open interest is capped and its
    orders that would grow a position are refused with the venue's text."""
    alice = Trader(vsandbox)
    waived = call(vsandbox, "POST", "/sandbox/waive",
                  {"user": alice.address, "scheduleCancelVolume": True, "rateLimits": True})
    assert waived.json() == {"user": alice.address, "scheduleCancelVolume": True,
                             "rateLimits": True}  # fmt: skip
    assert call(vsandbox, "POST", "/sandbox/waive", {"ip": "10.0.0.7", "rateLimits": True}).json() == {
        "ip": "10.0.0.7", "rateLimits": True}  # fmt: skip
    for body in ({"user": alice.address, "rateLimits": "yes"}, {"ip": 7, "rateLimits": True},
                 {"user": "0x" + "12" * 20, "rateLimits": True}):  # fmt: skip
        refused = call(vsandbox, "POST", "/sandbox/waive", body)
        assert refused.status_code == 400 and "error" in refused.json()
    state = call(vsandbox, "GET", "/sandbox/rate-limits", {"ip": "127.0.0.1"}).json()
    assert state["enabled"] is False and state["waivedIps"] == ["10.0.0.7"]
    assert state["usage"]["ip"] == "127.0.0.1" and state["usage"]["weightAvailable"] == 1200
    assert call(vsandbox, "POST", "/sandbox/rate-limits", {"enabled": True}).json()["enabled"]
    assert call(vsandbox, "POST", "/sandbox/rate-limits", {"enabled": 1}).status_code == 400
    call(vsandbox, "POST", "/sandbox/rate-limits", {"enabled": False})

    bob = Trader(vsandbox)
    bob.exchange.order("ETH", False, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    alice.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Ioc"}})
    capped = call(vsandbox, "POST", "/sandbox/oi-cap", {"coin": "ETH", "notional": "2000"})
    assert capped.json() == {"coin": "ETH", "notional": "2000.0", "openInterest": "1.0",
                             "atCap": True}  # fmt: skip
    carol = Trader(vsandbox)
    refused = carol.exchange.order("ETH", True, 0.1, 3000.0, {"limit": {"tif": "Gtc"}})
    assert refused["response"]["data"]["statuses"] == [
        {"error": "Cannot increase position when open interest is at cap. asset=1"}
    ]
    assert Info(vsandbox.url, skip_ws=True).post(
        "/info", {"type": "perpsAtOpenInterestCap"}) == ["ETH"]  # fmt: skip
    lifted = call(vsandbox, "POST", "/sandbox/oi-cap", {"coin": "ETH", "notional": None})
    assert lifted.json()["atCap"] is False
    assert call(vsandbox, "POST", "/sandbox/oi-cap", {"coin": "XYZ"}).status_code == 400


def test_a_delisting_cancels_orders_settles_positions_and_flags_the_coin(vsandbox):
    """SOL is delisted with Alice long 10 from Bob: her resting order ends delistedCanceled,
    both get a "Settlement" fill at the mark, `meta` flags SOL isDelisted (its index
    stays), and an order in it is refused."""
    alice, bob = Trader(vsandbox), Trader(vsandbox)
    bob.exchange.order("SOL", False, 10.0, 150.0, {"limit": {"tif": "Gtc"}})
    alice.exchange.order("SOL", True, 10.0, 150.0, {"limit": {"tif": "Ioc"}})
    resting = alice.exchange.order("SOL", True, 1.0, 140.0, {"limit": {"tif": "Gtc"}})
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert ok(vsandbox, "POST", "/sandbox/delist", {"coin": "SOL"}) == {
        "coin": "SOL", "settledAt": "150.0", "delisted": ["SOL"]}  # fmt: skip
    info = Info(vsandbox.url, skip_ws=True)
    assert info.query_order_by_oid(alice.address, oid)["order"]["status"] == "delistedCanceled"
    for user in (alice, bob):
        (fill,) = [f for f in info.user_fills(user.address) if f["dir"] == "Settlement"]
        assert (fill["coin"], fill["px"], fill["sz"]) == ("SOL", "150.0", "10.0")
        assert info.user_state(user.address)["assetPositions"] == []
    sol = info.meta()["universe"][2]
    assert (sol["name"], sol["isDelisted"]) == ("SOL", True)
    refused = alice.exchange.order("SOL", True, 1.0, 140.0, {"limit": {"tif": "Gtc"}})
    assert refused["response"]["data"]["statuses"] == [{"error": "Asset is delisted. asset=2"}]
    refused = call(vsandbox, "POST", "/sandbox/delist", {"coin": "SOL"})
    assert refused.status_code == 400 and refused.json()["error"] == "Asset is delisted."
