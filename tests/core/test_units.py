import pytest

from sandbox.core import errors
from sandbox.core.units import Units, fmt_rate, fmt_usdc, parse_usdc


def rejected(fn, *args) -> str:
    with pytest.raises(errors.Rejected) as info:
        fn(*args)
    return info.value.text


def test_price_times_size_is_micro_usdc():
    for sz_decimals, px, sz, usd in [
        (5, "60000", "0.001", "60"),
        (0, "0.012345", "1000", "12.345"),
    ]:
        units = Units(sz_decimals)
        assert units.parse_px(px) * units.parse_sz(sz) == parse_usdc(usd)


def test_the_venues_tick_rules():
    btc = Units(5)  # at most 1 decimal
    assert btc.parse_px("1234.5") == 12345
    assert btc.parse_px("123456") == 1234560  # whole numbers escape the 5 figure rule
    assert rejected(btc.parse_px, "12345.6") == errors.TICK  # 6 significant figures
    assert rejected(btc.parse_px, "1234.56") == errors.TICK  # 2 decimals
    pepe = Units(0)  # at most 6 decimals
    assert pepe.parse_px("0.001234") == 1234
    assert rejected(pepe.parse_px, "0.0012345") == errors.TICK
    sz1 = Units(1)
    assert sz1.parse_px("0.01234") == 1234
    assert rejected(sz1.parse_px, "0.012345") == errors.TICK


def test_invalid_prices_and_sizes():
    units = Units(2)
    assert rejected(units.parse_px, "abc") == errors.INVALID_PRICE
    assert rejected(units.parse_px, "0") == errors.INVALID_PRICE
    assert rejected(units.parse_px, "-5") == errors.INVALID_PRICE
    assert rejected(units.parse_sz, "1.001") == errors.INVALID_SIZE
    assert rejected(units.parse_sz, "x") == errors.INVALID_SIZE
    assert rejected(units.parse_sz, "-1") == errors.INVALID_SIZE
    assert units.parse_sz("1.00") == 100
    assert units.parse_sz("0") == 0


def test_formatting_back():
    units = Units(4)
    assert units.fmt_px(167010) == "1670.1"
    assert units.fmt_px(300000) == "3000.0"
    assert units.fmt_sz(147) == "0.0147"
    assert units.fmt_sz(20000) == "2.0"
    assert units.fmt_avg_px(167010 * 3 + 167020, 4) == "1670.125"
    assert fmt_usdc(2968244) == "2.968244"
    assert fmt_rate(1250) == "0.0000125"


def test_round_px_keeps_prices_valid():
    units = Units(5)
    assert units.round_px(123456 * 105, 100, up=True) == 129630
    assert units.price_error(units.round_px(123456 * 105, 100, up=True)) is None
    assert units.round_px(123456 * 95, 100, up=False) == 117280
    assert units.nearest_px(123456) == 123460
    assert units.nearest_px(123454) == 123450
    assert units.nearest_px(1234560) == 1234560


def test_sz_decimals_out_of_range():
    with pytest.raises(ValueError):
        Units(7)
