"""The official SDK's Info methods against the sandbox."""

from __future__ import annotations

from hyperliquid.utils.types import Cloid

from tests.server.conftest import oracle, wait_for


def test_meta_is_read_by_the_sdk(info, sandbox):
    meta = info.meta()
    assert [a["name"] for a in meta["universe"]] == ["BTC", "ETH", "SOL", "kPEPE"]
    assert meta["universe"][0] == {
        "szDecimals": 5,
        "name": "BTC",
        "maxLeverage": 40,
        "marginTableId": 56,
    }
    assert [t[0] for t in meta["marginTables"]] == [52, 54, 55, 56]
    assert info.coin_to_asset["ETH"] == 1 and info.asset_to_sz_decimals[1] == 4
    assert info.spot_meta()["tokens"][0]["name"] == "USDC"


def test_meta_and_asset_ctxs(info):
    meta, ctxs = info.meta_and_asset_ctxs()
    assert len(ctxs) == len(meta["universe"]) == 4
    btc = ctxs[0]
    assert (btc["markPx"], btc["oraclePx"], btc["funding"], btc["openInterest"]) == (
        "60000.0", "60000.0", "0.0000125", "0.0",
    )  # fmt: skip
    assert set(btc) == {"funding", "openInterest", "prevDayPx", "dayNtlVlm", "premium", "oraclePx",
                        "markPx", "midPx", "impactPxs", "dayBaseVlm"}  # fmt: skip


def test_user_state_open_orders_and_mids(info, trader):
    alice, bob = trader(), trader()
    alice.exchange.order("ETH", True, 1.0, 2990.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 0.4, 2990.0, {"limit": {"tif": "Ioc"}})
    state = info.user_state(alice.address)
    (position,) = state["assetPositions"]
    assert position["type"] == "oneWay"
    p = position["position"]
    assert (p["coin"], p["szi"], p["entryPx"], p["positionValue"], p["leverage"]) == (
        "ETH", "0.4", "2990.0", "1200.0", {"type": "cross", "value": 20},
    )  # fmt: skip
    assert p["unrealizedPnl"] == "4.0" and p["marginUsed"] == "60.0" and p["maxLeverage"] == 25
    # 100,000 + 4 of unrealized PnL - the maker fee, 0.015% of 1,196
    assert state["marginSummary"]["accountValue"] == "100003.8206"
    (order,) = info.open_orders(alice.address)
    assert (order["coin"], order["side"], order["limitPx"], order["sz"], order["origSz"]) == (
        "ETH", "B", "2990.0", "0.6", "1.0",
    )  # fmt: skip
    (frontend,) = info.frontend_open_orders(alice.address)
    assert (frontend["orderType"], frontend["tif"], frontend["triggerCondition"], frontend["isTrigger"]) == (
        "Limit", "Gtc", "N/A", False,
    )  # fmt: skip
    assert info.all_mids()["ETH"] == "2990.0"


def test_l2_snapshot(info, trader):
    alice = trader()
    alice.exchange.bulk_orders([
        {"coin": "BTC", "is_buy": True, "sz": 0.1, "limit_px": 59990.0, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        {"coin": "BTC", "is_buy": True, "sz": 0.2, "limit_px": 59990.0, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
        {"coin": "BTC", "is_buy": False, "sz": 0.05, "limit_px": 60010.0, "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False},
    ])  # fmt: skip
    book = info.l2_snapshot("BTC")
    assert book["coin"] == "BTC"
    assert book["levels"] == [
        [{"px": "59990.0", "sz": "0.3", "n": 2}],
        [{"px": "60010.0", "sz": "0.05", "n": 1}],
    ]


def test_fills_and_order_status_by_oid_and_cloid(info, trader):
    alice, bob = trader(), trader()
    cloid = Cloid.from_int(42)
    resting = alice.exchange.order("SOL", False, 10, 151.0, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    bob.exchange.order("SOL", True, 4, 151.0, {"limit": {"tif": "Ioc"}})
    (fill,) = info.user_fills(alice.address)
    assert (fill["coin"], fill["px"], fill["sz"], fill["side"], fill["dir"], fill["crossed"]) == (
        "SOL", "151.0", "4.0", "A", "Open Short", False,
    )  # fmt: skip
    assert fill["oid"] == oid and fill["cloid"] == cloid.to_raw() and fill["fee"] == "0.0906"
    assert fill["hash"].startswith("0x") and len(fill["hash"]) == 66 and fill["feeToken"] == "USDC"
    by_oid = info.query_order_by_oid(alice.address, oid)
    by_cloid = info.query_order_by_cloid(alice.address, cloid)
    assert by_oid == by_cloid
    assert by_oid["status"] == "order" and by_oid["order"]["status"] == "open"
    assert (
        by_oid["order"]["order"]["sz"] == "6.0"
        and by_oid["order"]["order"]["cloid"] == cloid.to_raw()
    )
    assert info.query_order_by_oid(alice.address, 999_999) == {"status": "unknownOid"}
    by_time = info.user_fills_by_time(alice.address, 0)
    assert by_time == [fill]


def test_funding_history_after_an_hour(info, trader, sandbox):
    from sandbox.core import commands as cmd

    alice, bob = trader(), trader()
    alice.exchange.order("ETH", True, 1.0, 3000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("ETH", False, 1.0, 3000.0, {"limit": {"tif": "Ioc"}})
    # jump the core's clock past the hour: funding is paid
    venue = sandbox.venue
    hour = (venue.exchange.ts // 3_600_000 + 1) * 3_600_000
    sandbox.call(venue.apply, cmd.Tick(), hour + 1)
    history = info.funding_history("ETH", 0)
    assert history and history[-1]["fundingRate"] == "0.0000125" and history[-1]["time"] == hour
    (payment,) = info.user_funding_history(alice.address, 0)
    assert payment["delta"] == {"type": "funding", "coin": "ETH", "usdc": "-0.0375", "szi": "1.0",
                                "fundingRate": "0.0000125", "nSamples": None}  # fmt: skip


def test_ledger_updates_and_fees(info, trader):
    alice = trader("1234.5")
    updates = info.user_non_funding_ledger_updates(alice.address, 0)
    assert [u["delta"] for u in updates] == [{"type": "deposit", "usdc": "1234.5"}]
    fees = info.user_fees(alice.address)
    assert (fees["userCrossRate"], fees["userAddRate"]) == ("0.00045", "0.00015")


def test_historical_orders_and_candles(info, trader, sandbox):
    alice, bob = trader(), trader()
    alice.exchange.order("BTC", True, 0.1, 60000.0, {"limit": {"tif": "Gtc"}})
    bob.exchange.order("BTC", False, 0.1, 60000.0, {"limit": {"tif": "Ioc"}})
    history = info.historical_orders(alice.address)
    assert [h["status"] for h in history] == ["filled", "open"]
    candles = wait_for(lambda: info.candles_snapshot("BTC", "1m", 0, 2**62), what="a candle")
    (candle,) = candles
    assert (candle["o"], candle["c"], candle["v"], candle["n"], candle["s"], candle["i"]) == (
        "60000.0", "60000.0", "0.1", 1, "BTC", "1m",
    )  # fmt: skip
    oracle(sandbox, BTC="61000")
    assert info.meta_and_asset_ctxs()[1][0]["markPx"] == "61000.0"
