"""The official SDK's Exchange methods against the sandbox, unmodified."""

from __future__ import annotations

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.utils.types import Cloid

from tests.server.conftest import oracle


def statuses(response):
    assert response["status"] == "ok", response
    return response["response"]["data"]["statuses"]


def test_orders_with_each_tif(info, trader):
    alice, bob = trader(), trader()
    (resting,) = statuses(alice.exchange.order("ETH", True, 1.0, 2990.0, {"limit": {"tif": "Gtc"}}))
    assert set(resting) == {"resting"}
    (alo,) = statuses(alice.exchange.order("ETH", False, 1.0, 2990.0, {"limit": {"tif": "Alo"}}))
    assert alo == {
        "error": "Post only order would have immediately matched, bbo was 2990@0. asset=1"
    }
    (ioc,) = statuses(bob.exchange.order("ETH", False, 0.5, 2980.0, {"limit": {"tif": "Ioc"}}))
    assert ioc == {"filled": {"totalSz": "0.5", "avgPx": "2990.0", "oid": ioc["filled"]["oid"]}}
    (miss,) = statuses(bob.exchange.order("ETH", False, 0.5, 3000.0, {"limit": {"tif": "Ioc"}}))
    assert miss == {
        "error": "Order could not immediately match against any resting orders. asset=1"
    }
    (small,) = statuses(bob.exchange.order("ETH", False, 0.001, 3000.0, {"limit": {"tif": "Gtc"}}))
    assert small == {"error": "Order must have minimum value of $10. asset=1"}


def test_trigger_orders_rest_and_fire(info, trader, sandbox):
    alice, bob = trader(), trader()
    alice.exchange.order("BTC", True, 0.1, 60000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("BTC", False, 0.1, 60000.0, {"limit": {"tif": "Ioc"}})
    stop = {"trigger": {"triggerPx": 58000.0, "isMarket": True, "tpsl": "sl"}}
    (resting,) = statuses(alice.exchange.order("BTC", False, 0.1, 55000.0, stop, reduce_only=True))
    oid = resting["resting"]["oid"]
    (order,) = info.frontend_open_orders(alice.address)
    assert (order["orderType"], order["triggerCondition"], order["isTrigger"], order["triggerPx"]) == (
        "Stop Market", "Price below 58000", True, "58000.0",
    )  # fmt: skip
    bob.exchange.order("BTC", True, 1.0, 57900.0, {"limit": {"tif": "Gtc"}})
    oracle(sandbox, BTC="57950")
    assert info.user_state(alice.address)["assetPositions"] == []
    assert info.query_order_by_oid(alice.address, oid)["order"]["status"] == "filled"


def test_bulk_orders_and_tpsl_grouping(info, trader):
    alice = trader()
    result = alice.exchange.bulk_orders(
        [
            {"coin": "ETH", "is_buy": True, "sz": 1.0, "limit_px": 2900.0, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
            {"coin": "ETH", "is_buy": False, "sz": 1.0, "limit_px": 3200.0, "order_type": {"trigger": {"triggerPx": 3200.0, "isMarket": False, "tpsl": "tp"}}, "reduce_only": True},
            {"coin": "ETH", "is_buy": False, "sz": 1.0, "limit_px": 2700.0, "order_type": {"trigger": {"triggerPx": 2800.0, "isMarket": True, "tpsl": "sl"}}, "reduce_only": True},
        ],
        grouping="normalTpsl",
    )  # fmt: skip
    parent, tp, sl = statuses(result)
    assert set(parent) == {"resting"} and tp == sl == "waitingForFill"
    (order,) = info.frontend_open_orders(alice.address)
    assert [c["orderType"] for c in order["children"]] == ["Take Profit Limit", "Stop Market"]


def test_market_open_and_close(info, trader):
    alice, maker = trader(), trader()
    maker.exchange.bulk_orders([
        {"coin": "SOL", "is_buy": False, "sz": 100, "limit_px": 150.1, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        {"coin": "SOL", "is_buy": True, "sz": 100, "limit_px": 149.9, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
    ])  # fmt: skip
    (filled,) = statuses(alice.exchange.market_open("SOL", True, 10))
    assert filled["filled"]["totalSz"] == "10.0" and filled["filled"]["avgPx"] == "150.1"
    assert info.user_state(alice.address)["assetPositions"][0]["position"]["szi"] == "10.0"
    (closed,) = statuses(alice.exchange.market_close("SOL"))
    assert closed["filled"]["avgPx"] == "149.9"
    assert info.user_state(alice.address)["assetPositions"] == []
    fills = info.user_fills(alice.address)
    assert [f["dir"] for f in fills] == ["Close Long", "Open Long"]
    assert fills[0]["closedPnl"] == "-2.0"


def test_modify_and_batch_modify(info, trader):
    alice = trader()
    cloid = Cloid.from_int(7)
    (resting,) = statuses(
        alice.exchange.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    )
    oid = resting["resting"]["oid"]
    response = alice.exchange.modify_order(oid, "ETH", True, 2.0, 2910.0, {"limit": {"tif": "Gtc"}})
    (moved,) = statuses(response)
    (order,) = info.open_orders(alice.address)
    assert (order["limitPx"], order["sz"], order["oid"], order["cloid"]) == (
        "2910.0",
        "2.0",
        moved["resting"]["oid"],
        cloid.to_raw(),
    )
    response = alice.exchange.bulk_modify_orders_new(
        [{"oid": cloid, "order": {"coin": "ETH", "is_buy": True, "sz": 1.5, "limit_px": 2920.0, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False}}]
    )  # fmt: skip
    assert set(statuses(response)[0]) == {"resting"}
    assert info.open_orders(alice.address)[0]["limitPx"] == "2920.0"
    (gone,) = statuses(
        alice.exchange.modify_order(oid, "ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}})
    )
    assert gone == {"error": "Cannot modify canceled or filled order"}


def test_cancel_and_cancel_by_cloid(info, trader):
    alice = trader()
    cloid = Cloid.from_int(99)
    (a,) = statuses(alice.exchange.order("BTC", True, 0.01, 50000.0, {"limit": {"tif": "Gtc"}}))
    statuses(
        alice.exchange.order("BTC", True, 0.01, 49000.0, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    )
    assert statuses(alice.exchange.cancel("BTC", a["resting"]["oid"])) == ["success"]
    assert statuses(alice.exchange.cancel("BTC", a["resting"]["oid"])) == [
        {"error": "Order was never placed, already canceled, or filled. asset=0"}
    ]
    assert statuses(alice.exchange.cancel_by_cloid("BTC", cloid)) == ["success"]
    assert info.open_orders(alice.address) == []


def test_leverage_and_isolated_margin(info, trader):
    alice, bob = trader(), trader()
    assert alice.exchange.update_leverage(10, "ETH", is_cross=False) == {
        "status": "ok",
        "response": {"type": "default"},
    }
    alice.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 1.0, 3000.0, {"limit": {"tif": "Ioc"}})
    position = info.user_state(alice.address)["assetPositions"][0]["position"]
    assert position["leverage"]["type"] == "isolated" and position["leverage"]["value"] == 10
    # $3,000 at 10x: 300 of margin, less the maker fee (0.45) paid from the isolated pool
    assert position["marginUsed"] == "299.55"
    assert alice.exchange.update_isolated_margin(50, "ETH")["status"] == "ok"
    position = info.user_state(alice.address)["assetPositions"][0]["position"]
    assert position["marginUsed"] == "349.55"
    assert alice.exchange.update_leverage(10, "ETH", is_cross=True) == {
        "status": "err", "response": "Cannot switch leverage type with open position."
    }  # fmt: skip
    assert bob.exchange.update_isolated_margin(50, "ETH") == {
        "status": "err", "response": "Position does not use isolated margin."
    }  # fmt: skip


def test_a_dead_mans_switch_needs_volume_unless_the_control_plane_waives_it(info, trader, sandbox):
    """Alice, a fresh account, arms a dead man's switch through the SDK: the venue refuses
    it until $1,000,000 has been traded, with its own text. Her test waives the gate for her
    over the control plane; the switch arms, fires on time and cancels her order."""
    from sandbox.core import commands as cmd

    alice = trader()
    alice.exchange.order("BTC", True, 0.01, 50000.0, {"limit": {"tif": "Gtc"}})
    now = sandbox.venue.now()
    assert alice.exchange.schedule_cancel(now + 10_000) == {
        "status": "err",
        "response": "Cannot set scheduled cancel time until enough volume traded. "
        "Required: $1000000. Traded: $0.",
    }
    waivers = sandbox.control("/sandbox/waive", {"user": alice.address,
                                                  "scheduleCancelVolume": True})  # fmt: skip
    assert waivers == {"user": alice.address, "scheduleCancelVolume": True, "rateLimits": False}
    assert alice.exchange.schedule_cancel(now + 10_000)["status"] == "ok"
    assert alice.exchange.schedule_cancel(now + 10)["status"] == "err"
    sandbox.call(sandbox.venue.apply, cmd.Tick(), now + 10_001)
    assert info.open_orders(alice.address) == []
    assert info.historical_orders(alice.address)[0]["status"] == "scheduledCancel"


def test_agent_trades_for_its_owner(info, trader, sandbox):
    alice = trader()
    approved, agent_key = alice.exchange.approve_agent("bot")
    assert approved == {"status": "ok", "response": {"type": "default"}}
    agent = Exchange(
        eth_account.Account.from_key(agent_key), sandbox.url, account_address=alice.address
    )
    (resting,) = statuses(agent.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}}))
    assert info.open_orders(alice.address)[0]["oid"] == resting["resting"]["oid"]
    assert info.extra_agents(alice.address)[0]["name"] == "bot"
    # an agent cannot move money
    assert agent.usd_transfer(1.0, alice.address)["status"] == "err"
    unnamed, _ = alice.exchange.approve_agent()
    assert unnamed["status"] == "ok"


def test_an_address_approved_as_an_agent_before_it_is_funded_belongs_to_its_owner(
    info, trader, sandbox
):
    mallory, bob = trader(), trader()
    alice = eth_account.Account.create()  # not on the venue yet
    approved = _approve(mallory, alice.address, "trap")  # (before alice holds anything)
    assert approved["status"] == "ok", approved
    assert info.user_role(alice.address)["role"] == "agent"
    # another account cannot take the same address as its agent
    assert _approve(bob, alice.address, "mine") == {"status": "err",
                                                   "response": "Extra agent already used."}
    # money reaches the address: it is a user now, and the approval has lapsed
    assert bob.exchange.usd_transfer(500, alice.address)["status"] == "ok"
    assert info.user_role(alice.address) == {"role": "user"}
    assert info.extra_agents(mallory.address) == []
    owner = Exchange(alice, sandbox.url)
    (resting,) = statuses(owner.order("ETH", True, 0.1, 2900.0, {"limit": {"tif": "Gtc"}}))
    assert info.open_orders(alice.address)[0]["oid"] == resting["resting"]["oid"]
    assert info.open_orders(mallory.address) == []
    assert owner.usd_transfer(100, bob.address)["status"] == "ok"  # it moves its own money
    assert owner.withdraw_from_bridge(50, alice.address)["status"] == "ok"
    # a user cannot be made anyone's agent
    assert _approve(mallory, bob.address, "trap2") == {
        "status": "err", "response": "Agent address is a user account."}  # fmt: skip


def _approve(trader, address: str, name: str) -> dict:
    """`approveAgent` of a chosen address, signed as the SDK signs it."""
    from hyperliquid.utils.signing import get_timestamp_ms, sign_agent

    exchange = trader.exchange
    nonce = get_timestamp_ms()
    action = {"type": "approveAgent", "agentAddress": address, "agentName": name,
              "nonce": nonce}  # fmt: skip
    signature = sign_agent(exchange.wallet, action, False)
    return exchange._post_action(action, signature, nonce)


def test_usd_transfer(info, trader):
    alice, bob = trader("1000"), trader("1000")
    assert alice.exchange.usd_transfer(12.5, bob.address) == {
        "status": "ok",
        "response": {"type": "default"},
    }
    assert info.user_state(bob.address)["marginSummary"]["accountValue"] == "1012.5"
    assert alice.exchange.usd_transfer(5000, bob.address) == {
        "status": "err", "response": "Insufficient balance for token transfer"
    }  # fmt: skip


def test_every_transfer_reaches_the_ledger_in_the_venues_shape(info, trader):
    alice, bob = trader("1000"), trader("1000")
    assert alice.exchange.usd_transfer(10, bob.address)["status"] == "ok"
    assert alice.exchange.usd_class_transfer(20, False)["status"] == "ok"
    assert alice.exchange.spot_transfer(5, bob.address, "USDC")["status"] == "ok"
    response = alice.exchange.create_sub_account("desk")
    sub = response["response"]["data"]
    assert alice.exchange.sub_account_transfer(sub, True, 30_000_000)["status"] == "ok"
    withdrawal = alice.exchange.withdraw_from_bridge(50, alice.address)
    assert withdrawal["status"] == "ok"

    deltas = [u["delta"] for u in info.user_non_funding_ledger_updates(alice.address, 0)]
    by_type = {d["type"]: d for d in deltas}
    assert by_type["internalTransfer"] == {"type": "internalTransfer", "usdc": "10.0",
        "user": alice.address, "destination": bob.address, "fee": "0.0"}  # fmt: skip
    assert by_type["accountClassTransfer"] == {
        "type": "accountClassTransfer", "usdc": "20.0", "toPerp": False
    }  # fmt: skip
    spot = by_type["spotTransfer"]
    assert spot["token"] == "USDC" and spot["amount"] == "5.0" and spot["usdcValue"] == "5.0"
    assert spot["user"] == alice.address and spot["destination"] == bob.address
    assert spot["nonce"] > 1_700_000_000_000  # the request's nonce, not a counter
    assert by_type["subAccountTransfer"] == {
        "type": "subAccountTransfer", "usdc": "30.0", "user": alice.address, "destination": sub
    }  # fmt: skip
    withdraw = by_type["withdraw"]
    assert withdraw["usdc"] == "50.0" and withdraw["fee"] == "1.0"
    assert withdraw["nonce"] > 1_700_000_000_000


def test_unknown_wallet_is_told_it_does_not_exist(sandbox):
    stranger = eth_account.Account.create()
    response = Exchange(stranger, sandbox.url).order(
        "ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}}
    )
    assert response == {
        "status": "err",
        "response": f"User or API Wallet {stranger.address.lower()} does not exist.",
    }


def test_set_referrer_shows_in_referral(info, trader):
    alice = trader()
    assert info.post("/info", {"type": "referral", "user": alice.address})["referredBy"] is None
    assert alice.exchange.set_referrer("TESTNET") == {
        "status": "ok",
        "response": {"type": "default"},
    }
    referred = info.post("/info", {"type": "referral", "user": alice.address})["referredBy"]
    assert referred["code"] == "TESTNET"
    assert referred["referrer"].startswith("0x") and len(referred["referrer"]) == 42
