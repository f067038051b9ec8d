"""Mark price and the integer EMA behind it."""

import math

from hypothesis import given
from hypothesis import strategies as st

from sandbox.core import events as ev
from sandbox.core.prices import FP_ONE, Ema, MarkState, exp_neg_fp, mark_price, median
from tests.core.scene import ALICE, BOB, Scene


@given(st.integers(0, 10_000_000), st.sampled_from([30_000, 150_000]))
def test_exp_is_accurate(t, tau):
    assert abs(exp_neg_fp(t, tau) / FP_ONE - math.exp(-t / tau)) < 1e-9


def test_ema_of_a_constant_is_the_constant_and_it_follows_a_step():
    ema = Ema(150_000)
    for ts in range(0, 300_000, 3_000):
        ema.update(100, ts)
    assert ema.value() == 100
    for ts in range(300_000, 300_000 + 150_000 + 1, 3_000):
        ema.update(200, ts)
    # one time constant after the step, about 1 - 1/e of the way there
    assert 155 <= ema.value() <= 165


def test_median():
    assert median([3, 1, 2]) == 2
    assert median([5, 1]) == 3
    assert median([7]) == 7


def test_mark_is_the_median_of_oracle_based_and_book_based_inputs():
    state = MarkState()
    # book at 101/103, last 102: book median 102; spread EMA starts at 2 * (102 - 100)
    assert mark_price(state, 1000, 1010, 1030, 1020, 0) == 1020
    # an empty book leaves the oracle plus its EMA'd spread
    empty = MarkState()
    assert mark_price(empty, 1000, None, None, None, 0) == 1000


def test_exchange_mark_follows_the_rule_and_rounds_to_a_valid_price():
    s = Scene(mark_rule="hyperliquid")
    s.deposit(ALICE, 10_000)
    s.deposit(BOB, 10_000)
    s.oracle("BTC", "60000")
    assert s.ex.marks[0] == 600000
    s.order(ALICE, "BTC", "B", "60100", "0.01")
    s.order(BOB, "BTC", "A", "60300", "0.01")
    s.oracle("BTC", "60000", dt=3_000)
    (prices,) = s.of(ev.Prices)
    # inputs: 60,000 + EMA(mid - oracle) = 60,200; book median(60,100, 60,300) = 60,200
    assert prices.mark[0] == s.ex.marks[0] == 602000
    assert s.ex.instruments[0].units.price_error(s.ex.marks[0]) is None


def test_mark_equals_oracle_when_switched():
    s = Scene(mark_rule="oracle")
    s.oracle("ETH", "3123.4")
    assert s.ex.marks[1] == s.ex.oracles[1] == 312340
