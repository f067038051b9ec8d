"""The pytest plugin's fixtures and the Sandbox helpers, used as a user's suite uses them."""

from __future__ import annotations

import pytest
from hyperliquid.exchange import Exchange

from sandbox.core.config import ExchangeConfig
from sandbox.testing import ControlError


def test_the_fixtures_give_a_served_sandbox_in_virtual_time(adl_sandbox, funded_wallet):
    assert adl_sandbox.url.startswith("http://127.0.0.1:")
    assert adl_sandbox.venue.virtual
    before = adl_sandbox.now()
    assert adl_sandbox.advance(60_000) == before + 60_000
    state = adl_sandbox.invariants()
    assert state["ok"] and state["cash"]["pools"] == state["cash"]["netDeposits"]
    exchange = Exchange(funded_wallet.account(), adl_sandbox.url)
    answer = exchange.market_open("BTC", True, 0.1)
    assert "filled" in answer["response"]["data"]["statuses"][0]  # the maker's quotes
    assert adl_sandbox.position(funded_wallet.address, "BTC") == 0.1


def test_a_liquidation_is_awaited_as_an_event(adl_sandbox, funded_wallet):
    watch = adl_sandbox.watch(funded_wallet.address)
    exchange = Exchange(funded_wallet.account(), adl_sandbox.url)
    exchange.market_open("SOL", True, 10.0)
    exchange.order("SOL", False, 5.0, 200.0, {"limit": {"tif": "Gtc"}})
    fill = watch.wait("fill")
    assert fill["coin"] == "SOL" and fill["dir"] == "Open Long"
    (step,) = adl_sandbox.liquidate(funded_wallet.address, "SOL")
    assert step["stage"] == "market" and step["closed"] == "10.0"
    event = watch.wait("liquidation")
    assert event["liquidated_user"] == funded_wallet.address
    assert watch.wait("nonUserCancel")[0]["coin"] == "SOL"
    assert adl_sandbox.audit()[-1]["lid"] == step["lid"]


def test_prices_liquidity_pause_and_snapshots(adl_sandbox, funded_wallet):
    adl_sandbox.set_price("ETH", "2500")
    assert adl_sandbox.venue.exchange.marks[1] == adl_sandbox.venue.exchange.by_name[
        "ETH"
    ].units.parse_px("2500")
    shocked = adl_sandbox.shock("ETH", -10)
    assert shocked["px"] == "2250.0"
    saved = adl_sandbox.snapshot()
    assert adl_sandbox.pull_liquidity()["active"] is False
    assert adl_sandbox.pause("ETH") == {"paused": ["ETH"]}
    exchange = Exchange(funded_wallet.account(), adl_sandbox.url)
    answer = exchange.order("ETH", True, 1.0, 2000.0, {"limit": {"tif": "Gtc"}})
    assert answer["response"]["data"]["statuses"] == [{"error": "Trading is halted. asset=1"}]
    adl_sandbox.restore(saved)
    assert adl_sandbox.venue.exchange.halted == set() and adl_sandbox.venue.liquidity.active
    with pytest.raises(ControlError, match="no snapshot 99"):
        adl_sandbox.restore(99)


def test_wait_for_lets_virtual_time_pass(adl_sandbox):
    start = adl_sandbox.now()
    assert adl_sandbox.wait_for(lambda: adl_sandbox.now() >= start + 500, timeout=2)
    with pytest.raises(TimeoutError, match="nothing"):
        adl_sandbox.wait_for(lambda: False, timeout=0.05, what="nothing")


@pytest.mark.adl_sandbox(
    prices={"BTC": "30000"},
    makers=False,
    exchange=ExchangeConfig(mark_rule="oracle", adl_policy="binance"),
)
def test_the_marker_changes_how_it_starts(adl_sandbox):  # fmt: skip
    ex = adl_sandbox.venue.exchange
    assert ex.config.adl_policy == "binance"
    assert ex.oracles[0] == ex.by_name["BTC"].units.parse_px("30000") and ex.oracles[1] == 0
    assert not adl_sandbox.venue.liquidity.makers
    wallet = adl_sandbox.wallet_from_key("0x" + "11" * 32, "500")
    assert adl_sandbox.invariants()["ok"]
    assert wallet.address in ex.accounts
