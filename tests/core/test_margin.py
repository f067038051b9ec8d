"""Margin: account value, initial and maintenance margin, withdrawable, liquidation price,
leverage settings and isolated positions."""

from fractions import Fraction

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.margin import liquidation_price, return_on_equity
from tests.core.scene import ALICE, BOB, Scene, usd


def with_position(isolated: bool = False, leverage: int = 10) -> Scene:
    """Alice ($1,000) goes long 0.1 BTC at 60,000 ($6,000 notional) at `leverage`x; Bob
    ($100,000) is the other side."""
    s = Scene(maker_fee=0, taker_fee=0)
    s.deposit(ALICE, 1_000)
    s.deposit(BOB, 100_000)
    s.oracle("BTC", "60000")
    assert s.leverage(ALICE, "BTC", leverage, cross=not isolated).ok
    s.order(BOB, "BTC", "A", "60000", "0.1")
    s.order(ALICE, "BTC", "B", "60000", "0.1", tif="Ioc")
    return s


def test_cross_summary_follows_the_mark():
    s = with_position()
    acct = s.account(ALICE)
    summary = s.ex.cross_summary(acct)
    assert summary.account_value == usd(1_000)
    assert summary.notional == usd(6_000)
    assert summary.margin_used == usd(600)  # 6,000 / 10
    assert summary.maintenance == usd(75)  # 1.25% at BTC's 40x
    assert acct.raw == usd(1_000) - usd(6_000)  # the raw USD model
    s.oracle("BTC", "59000")
    summary = s.ex.cross_summary(acct)
    assert summary.account_value == usd(900)
    assert s.ex.withdrawable(acct) == usd(900) - usd(590)


def test_withdrawable_keeps_ten_percent_of_notional_at_high_leverage():
    s = with_position(leverage=40)
    # initial margin 150, but transfers must leave max(150, 600) = 600
    assert s.ex.withdrawable(s.account(ALICE)) == usd(400)


def test_liquidation_price_matches_the_venues_formula():
    """Long 0.1 at 60,000 with $1,000: equity 1,000 - 0.1 * (60,000 - P) meets
    maintenance 0.0125 * 0.1 * P at P = (6,000 - 1,000) / (0.1 * 0.9875)."""
    s = with_position()
    acct = s.account(ALICE)
    pos = acct.positions[0]
    inst = s.ex.instruments[0]
    summary = s.ex.cross_summary(acct)
    liq = liquidation_price(pos, inst, s.ex.marks[0], summary.account_value - summary.maintenance)
    expected = Fraction(5_000, 1) / (Fraction(1, 10) * Fraction(79, 80))  # in USDC
    assert liq == expected * 10  # ticks of 0.1
    # at that mark, equity equals maintenance margin (to the micro-USDC)
    mark = int(liq)
    value = acct.raw + pos.size * mark
    assert abs(value - inst.maintenance_margin(pos.size * mark)) <= 2 * pos.size


def test_return_on_equity_is_pnl_over_initial_margin_at_entry():
    s = with_position()
    s.oracle("BTC", "61200")
    pos = s.account(ALICE).positions[0]
    assert return_on_equity(pos, s.ex.marks[0], 10) == Fraction(120, 600)


def test_isolated_position_holds_its_own_margin():
    s = with_position(isolated=True)
    acct = s.account(ALICE)
    pos = acct.positions[0]
    assert pos.isolated
    assert pos.iso_raw == usd(600) - usd(6_000)  # margin 600 moved in, then the buy
    assert acct.raw == usd(400)
    s.apply(cmd.UpdateIsolatedMargin(ALICE, 0, usd(100)))
    assert s.result().ok and pos.iso_raw == usd(700) - usd(6_000)
    s.apply(cmd.UpdateIsolatedMargin(ALICE, 0, -usd(500)))
    assert s.result().error == errors.ISOLATED_MARGIN_REMOVE
    s.apply(cmd.UpdateIsolatedMargin(ALICE, 0, usd(1_000)))
    assert s.result().error == errors.ISOLATED_MARGIN_ADD


def test_reducing_an_isolated_position_releases_margin_pro_rata():
    s = with_position(isolated=True)
    s.order(BOB, "BTC", "B", "61000", "0.05")
    s.order(ALICE, "BTC", "A", "61000", "0.05", tif="Ioc")
    acct = s.account(ALICE)
    pos = acct.positions[0]
    # pool value at 61,000 was 600 + 100 = 700; half of it comes back to cross
    assert acct.raw == usd(400) + usd(350)
    assert pos.iso_raw + pos.size * 610000 == usd(350)
    s.order(BOB, "BTC", "B", "61000", "0.05")
    s.order(ALICE, "BTC", "A", "61000", "0.05", tif="Ioc")
    assert acct.positions == {} and acct.raw == usd(1_100)


def test_leverage_rules():
    s = with_position(leverage=10)
    assert s.leverage(ALICE, "BTC", 41).error == errors.LEVERAGE_TOO_HIGH
    assert s.leverage(ALICE, "BTC", 0).error == errors.LEVERAGE_INVALID
    assert s.leverage(ALICE, "BTC", 10, cross=False).error == (
        "Cannot switch leverage type with open position."
    )
    assert s.leverage(ALICE, "BTC", 20).ok  # raising leverage is always allowed
    assert s.of(ev.LeverageChanged) == [ev.LeverageChanged(ALICE, 0, True, 20, s.now)]


def test_lowering_leverage_needs_the_margin():
    s = with_position(leverage=10)
    result = s.leverage(ALICE, "BTC", 5)
    assert result.error == errors.CROSS_LEVERAGE_DECREASE
    assert s.ex.leverage_of(s.account(ALICE), 0) == 10
    assert s.leverage(ALICE, "BTC", 7).ok  # 857 of margin against 1,000 of equity
    iso = with_position(isolated=True, leverage=10)
    assert iso.leverage(ALICE, "BTC", 9, cross=False).error == errors.ISOLATED_LEVERAGE_DECREASE


def test_isolated_only_assets_refuse_cross():
    from sandbox.core.instruments import InstrumentSpec

    s = Scene(instruments=(InstrumentSpec("HPOS", 0, 3, 3, only_isolated=True),))
    s.deposit(ALICE, 100)
    assert s.leverage(ALICE, "HPOS", 3, cross=True).error == errors.CROSS_NOT_ALLOWED
    assert s.ex.is_isolated(s.account(ALICE), 0)
