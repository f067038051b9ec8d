"""Funding: premium samples, the hourly rate, zero-sum payments at the oracle price."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.prices import hourly_funding_rate, impact_price, premium
from sandbox.core.units import RATE_SCALE
from tests.core.scene import ALICE, BOB, CAROL, Scene, usd

HOUR = 3_600_000


def test_the_venues_rate_formula():
    # no premium: the interest rate alone, 0.01% per 8 hours = 0.00125% an hour
    assert hourly_funding_rate(0, 10_000, 50_000, 4_000_000) == 1_250
    # 1% premium: 1% - 0.05% (clamped) per 8 hours
    assert hourly_funding_rate(1_000_000, 10_000, 50_000, 4_000_000) == 118_750
    # a premium of 0.0003 lies within the clamp of the interest: rate = interest
    assert hourly_funding_rate(30_000, 10_000, 50_000, 4_000_000) == 1_250
    # capped at 4% an hour
    assert hourly_funding_rate(90_000_000, 10_000, 50_000, 4_000_000) == 4_000_000
    assert hourly_funding_rate(-90_000_000, 10_000, 50_000, 4_000_000) == -4_000_000


def sol_market() -> Scene:
    """SOL oracle 100. Carol quotes 101 bid / 102 ask, deep enough for the $6,000 impact
    notional: the impact bid 101 sits 1% above the oracle, so the premium is 1%."""
    s = Scene()
    for user in (ALICE, BOB, CAROL):
        s.deposit(user, 100_000)
    s.oracle("SOL", "100")
    s.order(CAROL, "SOL", "B", "101", "100")
    s.order(CAROL, "SOL", "A", "102", "100")
    return s


def test_impact_prices_and_premium():
    s = sol_market()
    book = s.ex.books[s.asset("SOL")]
    notional = s.ex.instruments[2].impact_notional
    assert impact_price(book.bids, notional) == s.px("SOL", "101")
    assert impact_price(book.asks, notional) == s.px("SOL", "102")
    assert premium(s.px("SOL", "100"), impact_price(book.bids, notional), None) == 1_000_000
    assert impact_price(book.bids, 10**12) is None  # too thin


def test_hourly_payment_from_longs_to_shorts_is_exactly_zero_sum():
    """Alice is long 3.33 SOL, Bob short 3.33. At the hour, with the 1% premium, the rate
    is 0.11875%: Alice owes 3.33 * 100 * 0.0011875 = 0.3954375. She pays 0.395438 (rounded
    up), Bob receives 0.395437 (rounded down), the fee sink keeps the micro-USDC between."""
    s = sol_market()
    s.order(BOB, "SOL", "A", "101.5", "3.33")  # inside Carol's spread
    s.order(ALICE, "SOL", "B", "101.5", "3.33", tif="Ioc")
    before = {u: s.value(u) for u in (ALICE, BOB)}
    sink_before = s.account(s.ex.config.fee_sink).raw
    next_hour = (s.now // HOUR + 1) * HOUR
    s.apply(cmd.Tick(), dt=next_hour - s.now)
    sol = [r for r in s.of(ev.FundingRate) if r.asset == 2]
    assert sol == [ev.FundingRate(2, 118_750, 1_000_000, next_hour)]
    payments = {f.user: f.usdc for f in s.of(ev.Funding)}
    assert payments == {ALICE: -395_438, BOB: 395_437}
    assert s.value(ALICE) - before[ALICE] == -395_438
    assert s.value(BOB) - before[BOB] == 395_437
    assert s.account(s.ex.config.fee_sink).raw - sink_before == 1
    pos = s.position(ALICE, "SOL")
    assert (pos.funding_open, s.account(ALICE).funding_all[2]) == (395_438, 395_438)


def test_funding_is_paid_at_the_oracle_not_the_mark():
    s = Scene(mark_rule="hyperliquid")
    for user in (ALICE, BOB):
        s.deposit(user, 100_000)
    s.oracle("ETH", "3000")
    s.order(ALICE, "ETH", "A", "3000", "1")
    s.order(BOB, "ETH", "B", "3000", "1", tif="Ioc")
    next_hour = (s.now // HOUR + 1) * HOUR
    s.apply(cmd.Tick(), dt=next_hour - s.now)
    # empty book: no premium, the interest rate alone: 1 ETH * 3000 * 0.0000125 = 0.0375
    payments = {f.user: f.usdc for f in s.of(ev.Funding)}
    assert payments == {BOB: -usd("0.0375"), ALICE: usd("0.0375")}


def test_a_long_jump_pays_every_hour_in_order():
    s = sol_market()
    s.order(BOB, "SOL", "A", "101", "1", tif="Ioc")
    start = s.now
    s.apply(cmd.Tick(), dt=5 * HOUR)
    hours = [r.ts for r in s.of(ev.FundingRate) if r.asset == 2]
    assert len(hours) == 5 and hours == sorted(hours) and hours[0] > start
    assert all(h % HOUR == 0 for h in hours)


def test_predicted_rate_from_the_samples_so_far():
    s = sol_market()
    # before any sample: from the book as it stands (1% premium)
    assert s.ex.predicted_funding_rate(2) == 118_750
    s.apply(cmd.Tick(), dt=60_000)
    assert s.ex._funding[2].samples >= 11
    assert s.ex.predicted_funding_rate(2) == 118_750
    # an asset with no oracle yet pays the interest rate alone
    assert s.ex.predicted_funding_rate(0) == 1_250


@given(
    oracle=st.integers(1, 10**9),
    bid=st.one_of(st.none(), st.tuples(st.integers(1, 10**15), st.integers(1, 10**9))),
    ask=st.one_of(st.none(), st.tuples(st.integers(1, 10**15), st.integers(1, 10**9))),
)
def test_the_integer_premium_is_the_venues_formula_in_fractions(oracle, bid, ask):
    """`premium` works in integers; it is exactly the formula written with fractions,
    rounded toward zero, whichever impact prices exist and wherever they sit."""
    b = Fraction(*bid) if bid is not None else None
    a = Fraction(*ask) if ask is not None else None
    diff = Fraction(0)
    if b is not None and b > oracle:
        diff += b - oracle
    if a is not None and a < oracle:
        diff -= oracle - a
    expected = int(diff * RATE_SCALE / oracle)  # int() rounds toward zero
    assert premium(oracle, bid, ask) == expected
    assert premium(oracle, b, a) == expected  # the same from Fractions
