import pytest

from sandbox.core.instruments import (
    DEFAULT_INSTRUMENTS,
    InstrumentSpec,
    MarginTable,
    MarginTier,
    build_instruments,
)
from sandbox.core.units import USDC


def test_defaults_mirror_the_venue():
    btc, eth, sol, alt = build_instruments()
    assert [i.asset for i in (btc, eth, sol, alt)] == [0, 1, 2, 3]
    assert (btc.name, btc.sz_decimals, btc.max_leverage, btc.margin_table.id) == ("BTC", 5, 40, 56)
    assert (eth.name, eth.sz_decimals, eth.max_leverage, eth.margin_table.id) == ("ETH", 4, 25, 55)
    assert (sol.name, sol.sz_decimals, sol.max_leverage, sol.margin_table.id) == ("SOL", 2, 20, 54)
    assert (alt.name, alt.sz_decimals, alt.max_leverage, alt.margin_table.id) == (
        "kPEPE",
        0,
        10,
        52,
    )
    assert btc.impact_notional == 20_000 * USDC and sol.impact_notional == 6_000 * USDC


def test_maintenance_margin_is_half_initial_at_max_leverage():
    btc = build_instruments()[0]
    assert btc.maintenance_margin(100_000 * USDC) == 1_250 * USDC  # 1.25% at 40x
    alt = build_instruments()[3]
    assert alt.maintenance_margin(10_000 * USDC) == 500 * USDC  # 5% at 10x


def test_tiers_are_continuous_with_the_deduction():
    table = MarginTable(51, (MarginTier(0, 10), MarginTier(3_000_000 * USDC, 5)))
    at_bound = table.maintenance_margin(3_000_000 * USDC)
    just_below = table.maintenance_margin(3_000_000 * USDC - 1)
    assert at_bound == 150_000 * USDC
    assert at_bound - just_below <= 1
    # above the bound: 10% of notional minus the deduction 3M * (10% - 5%) = 150k
    assert table.maintenance_margin(4_000_000 * USDC) == 400_000 * USDC - 150_000 * USDC
    assert table.max_leverage_at(4_000_000 * USDC) == 5
    assert table.max_notional(10) == 3_000_000 * USDC
    assert table.max_notional(5) is None


def test_single_tier_tables_below_50():
    spec = InstrumentSpec("WIF", 0, 5, 5)
    (wif,) = build_instruments((spec,), ())
    assert wif.margin_table.tiers == (MarginTier(0, 5),)
    assert wif.maintenance_margin(1_000 * USDC) == 100 * USDC


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError):
        build_instruments((InstrumentSpec("X", 2, 10, 99),), ())
    with pytest.raises(ValueError):
        build_instruments((DEFAULT_INSTRUMENTS[0], DEFAULT_INSTRUMENTS[0]))
    with pytest.raises(ValueError):
        build_instruments((InstrumentSpec("X", 2, 50, 10),), ())  # above its table
    with pytest.raises(ValueError):
        MarginTable(60, (MarginTier(5, 10),))
