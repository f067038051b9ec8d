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
    # one time constant after the step: 300 s of 100 weigh (1 - e^-2) e^-1 of a time
    # constant (the EMA starts empty, as at listing), the 150 s of 200 weigh 1 - e^-1
    old, new = (1 - math.exp(-2)) * math.exp(-1), 1 - math.exp(-1)
    assert abs(ema.value() - (100 * old + 200 * new) / (old + new)) <= 1


def test_the_first_sample_weighs_a_millisecond_as_at_listing():
    """An EMA starts empty: a sample 200 ms after the first outweighs it two hundred to
    one, so a move right after start moves the EMA at once."""
    ema = Ema(30_000)
    ema.update(1500, 0)
    ema.update(1400, 200)
    assert ema.value() == 1400  # (1500 * 1 + 1400 * 200) / 201, rounded down


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


def test_the_other_venues_outvote_a_pulled_book():
    """The book was pulled at 3,000 (its last trade too), the oracle and the other venues
    went to 2,700: the mark is theirs, not the stale book's (before, a 30 s EMA of the book
    took the third vote and held the mark near 3,000)."""
    state = MarkState()
    mark_price(state, 30000, 29990, 30010, 30000, 0, 30000)
    assert mark_price(state, 27000, None, None, 30000, 3_000, 27000) == 27000
    # without the other venues the venue adds the book's EMA: the stale book wins
    stale = MarkState()
    mark_price(stale, 30000, 29990, 30010, 30000, 0)
    assert mark_price(stale, 27000, None, None, 30000, 3_000) > 29000


def test_mark_equals_oracle_when_switched():
    s = Scene(mark_rule="oracle")
    s.oracle("ETH", "3123.4")
    assert s.ex.marks[1] == s.ex.oracles[1] == 312340
