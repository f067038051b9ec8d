"""The control plane's own core commands: pausing matching and liquidating on demand."""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from tests.core.scene import ALICE, BOB, usd
from tests.core.test_waterfall_stories import MALLORY, VAULT, market, steps, trade

HALTED = "Trading is halted."


def test_a_paused_asset_refuses_orders_but_cancels_still_work():
    s = market()
    s.deposit(ALICE, 10_000)
    resting = s.order(ALICE, "BTC", "B", "59000", "0.01")
    s.apply(cmd.SetHalted(True, (s.asset("BTC"),)), dt=1)
    assert s.events == []
    s.apply(cmd.PlaceOrders(ALICE, (s.spec("BTC", "B", "59000", "0.01"),)), dt=1)
    assert s.result().statuses == (ev.Error(f"{HALTED} asset={s.asset('BTC')}"),)
    trigger = s.spec("BTC", "A", "50000", "0.01", reduce_only=True, trigger=("sl", "50000", True))
    s.apply(cmd.PlaceOrders(ALICE, (trigger,)), dt=1)
    assert s.result().statuses == (ev.Error(f"{HALTED} asset={s.asset('BTC')}"),)
    # other assets trade on
    s.oracle("ETH", "3000")
    assert isinstance(s.order(ALICE, "ETH", "B", "2900", "0.01"), ev.Resting)
    assert s.cancel(ALICE, "BTC", resting.oid) == ev.SUCCESS
    s.apply(cmd.SetHalted(False), dt=1)
    assert isinstance(s.order(ALICE, "BTC", "B", "59000", "0.01"), ev.Resting)


def test_triggers_wait_while_paused_and_fire_on_resume():
    s = market()
    s.deposit(ALICE, 10_000)
    trade(s, ALICE, "B", "60000", "0.1")
    s.order(MALLORY, "BTC", "B", "54000", "1")
    s.orders(ALICE, [s.spec("BTC", "A", "55000", "0.1", reduce_only=True,
                            trigger=("sl", "58000", True))])  # fmt: skip
    s.apply(cmd.SetHalted(True), dt=1)
    s.oracle("BTC", "57000", dt=1)
    assert s.size(ALICE, "BTC") == s.sz("BTC", "0.1")  # the stop waits
    s.apply(cmd.SetHalted(False), dt=1)
    assert s.size(ALICE, "BTC") == 0  # and fires when matching resumes
    (fill,) = s.fills(ALICE)
    assert fill.px == s.px("BTC", "54000")


def test_a_paused_book_defers_market_liquidation_to_the_resume():
    s = market()
    s.deposit(ALICE, 700)
    trade(s, ALICE, "B", "60000", "0.1")  # maintenance 1.25% of the notional (40x max)
    s.order(MALLORY, "BTC", "B", "53500", "1")
    s.apply(cmd.SetHalted(True), dt=1)
    # value 700 - 635 = 65: below maintenance (67.06), above 2/3 of it: stage 1, but paused
    s.oracle("BTC", "53650", dt=1)
    assert s.size(ALICE, "BTC") == s.sz("BTC", "0.1") and not steps(s)
    s.apply(cmd.SetHalted(False), dt=1)  # the next command retries it
    assert s.size(ALICE, "BTC") == 0
    assert [st.stage for st in steps(s)] == ["market"]


def test_a_forced_market_liquidation_sells_a_healthy_position_into_the_book():
    s = market()
    s.deposit(ALICE, 10_000)
    trade(s, ALICE, "B", "60000", "0.5")
    resting = s.order(ALICE, "BTC", "B", "50000", "0.01")
    s.order(MALLORY, "BTC", "B", "59900", "0.3")
    s.order(MALLORY, "BTC", "B", "59800", "0.3")
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.result().kind == "default"
    assert s.size(ALICE, "BTC") == 0
    fills = s.fills(ALICE)
    assert [(f.px, f.sz, f.dir) for f in fills] == [
        (s.px("BTC", "59900"), s.sz("BTC", "0.3"), "Close Long"),
        (s.px("BTC", "59800"), s.sz("BTC", "0.2"), "Close Long"),
    ]
    assert all(f.liquidation == ev.Liquidation(ALICE, s.px("BTC", "60000"), "market")
               for f in fills)  # fmt: skip
    (cancels,) = s.of(ev.NonUserCancel)
    assert cancels.cancels == ((s.asset("BTC"), resting.oid),)
    (step,) = steps(s)  # one LiquidationMarket order, through two levels
    assert (step.stage, step.reason, step.closed) == (
        "market",
        "forced from the control plane",
        s.sz("BTC", "0.5"),
    )
    assert [x.method for x in s.of(ev.Liquidated)] == ["market"]


def test_a_forced_market_liquidation_needs_a_book_and_changes_nothing_without_one():
    s = market()
    s.deposit(ALICE, 10_000)
    trade(s, ALICE, "B", "60000", "0.5")
    resting = s.order(ALICE, "BTC", "B", "50000", "0.01")
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.result().error == "No liquidity available for market order."
    assert s.ex.accounts[ALICE].orders.get(resting.oid) is not None
    s.order(MALLORY, "BTC", "B", "40000", "1")  # 33% away: beyond a market order's 10%
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.result().error == "No liquidity available for market order."
    assert s.size(ALICE, "BTC") == s.sz("BTC", "0.5")
    s.order(MALLORY, "BTC", "B", "55000", "0.1")  # within reach: that much goes, the rest stays
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.size(ALICE, "BTC") == s.sz("BTC", "0.4")
    assert s.ex.accounts[ALICE].orders.get(resting.oid) is None
    s.apply(cmd.SetHalted(True), dt=1)
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.result().error == HALTED


def test_a_forced_backstop_hands_the_cross_account_to_the_vault():
    s = market(vault_capital=usd(1_000_000))
    s.deposit(BOB, 10_000)
    trade(s, BOB, "A", "60000", "0.5")
    s.oracle("ETH", "3000")
    s.order(MALLORY, "ETH", "A", "3000", "1")
    s.order(BOB, "ETH", "B", "3000", "1", tif="Ioc")
    raw_before = s.account(BOB).raw
    s.apply(cmd.ForceLiquidation(BOB, s.asset("BTC"), "backstop"), dt=1)
    assert s.result().kind == "default"
    # cross: the whole account goes, both positions and the pool
    assert s.size(BOB, "BTC") == 0 and s.size(BOB, "ETH") == 0
    assert s.account(BOB).raw == 0 and raw_before > 0
    assert s.size(VAULT, "BTC") == -s.sz("BTC", "0.5")
    assert s.size(VAULT, "ETH") == s.sz("ETH", "1")
    assert {x.stage for x in steps(s)} == {"backstop"}
    (liq,) = s.of(ev.Liquidated)
    assert liq.method == "backstop"


def test_forced_liquidation_refuses_what_it_cannot_do():
    s = market(vault_capital=usd(100))
    s.deposit(BOB, 1_000)
    s.leverage(BOB, "BTC", 40)
    trade(s, BOB, "A", "60000", "0.5")
    s.apply(cmd.ForceLiquidation(ALICE, s.asset("BTC")), dt=1)
    assert s.result().error == f"User or API Wallet {ALICE} does not exist."
    s.apply(cmd.ForceLiquidation(BOB, s.asset("ETH")), dt=1)
    assert s.result().error == "No position to liquidate."
    s.apply(cmd.ForceLiquidation(BOB, s.asset("BTC"), "sideways"), dt=1)
    assert s.result().error == 'The liquidation stage must be "market" or "backstop".'
    assert s.size(BOB, "BTC") == -s.sz("BTC", "0.5")
