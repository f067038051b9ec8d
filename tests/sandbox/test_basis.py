"""The perp's basis over the oracle (sandbox.sim.oracle.Basis): a seeded Ornstein-Uhlenbeck
premium with a mean, a long-run spread and a half-life; and what it does to a built venue:
the makers quote around it, so the premium and funding move with it."""

from __future__ import annotations

import statistics

import pytest

from sandbox.core import events as ev
from sandbox.core.prices import hourly_funding_rate
from sandbox.core.units import RATE_SCALE
from sandbox.sim.build import build
from sandbox.sim.oracle import Basis
from sandbox.sim.scenario import ScenarioError, parse

MINUTE, HOUR = 60_000, 3_600_000


def series(basis: Basis, minutes: int) -> list[float]:
    """The basis in bps, once a minute (its step)."""
    return [basis.at(i * MINUTE) * 10_000 for i in range(minutes)]


def autocorrelation(xs: list[float], lag: int) -> float:
    mean, var = statistics.fmean(xs), statistics.pvariance(xs)
    n = len(xs) - lag
    return sum((xs[i] - mean) * (xs[i + lag] - mean) for i in range(n)) / n / var


def test_a_seed_gives_the_same_path_and_another_seed_another():
    a = series(Basis(1.0, 3.0, HOUR, seed="BTC"), 500)
    b = series(Basis(1.0, 3.0, HOUR, seed="BTC"), 500)
    c = series(Basis(1.0, 3.0, HOUR, seed="ETH"), 500)
    assert a == b and a != c
    assert len(set(a)) > 400  # it moves every step


def test_asked_at_any_times_in_order_it_is_the_same_path():
    """The value at a time does not depend on how often it was asked before."""
    every_minute = Basis(0.0, 5.0, HOUR, seed=7)
    now_and_then = Basis(0.0, 5.0, HOUR, seed=7)
    path = [every_minute.at(t * MINUTE) for t in range(600)]
    for t in (0, 59, 60, 61, 299, 599):
        assert now_and_then.at(t * MINUTE + 30_000) == path[t]  # within its step: held


def test_over_the_long_run_it_wanders_sd_bps_around_its_mean():
    xs = series(Basis(2.0, 3.0, HOUR, seed="long run"), 200_000)  # ~139 days, 3,333 half-lives
    assert statistics.fmean(xs) == pytest.approx(2.0, abs=0.3)
    assert statistics.pstdev(xs) == pytest.approx(3.0, rel=0.1)


def test_it_reverts_to_its_mean_with_its_half_life():
    """After one half-life half of a deviation is left, after four a sixteenth."""
    xs = series(Basis(0.0, 3.0, HOUR, seed="reverting"), 200_000)
    assert autocorrelation(xs, 60) == pytest.approx(0.5, abs=0.08)
    assert autocorrelation(xs, 240) == pytest.approx(1 / 16, abs=0.08)
    slow = series(Basis(0.0, 3.0, 8 * HOUR, seed="reverting"), 200_000)
    assert autocorrelation(slow, 60) > 0.85  # 2^(-1/8): a longer half-life, a slower return


def test_without_a_spread_it_stays_at_its_mean():
    basis = Basis(4.0, 0.0, HOUR, seed=1)
    assert {basis.at(t * MINUTE) for t in range(100)} == {4.0 / 10_000}


def test_bad_settings_are_refused():
    for bad in ({"sd_bps": -1}, {"halflife_ms": 0}, {"step_ms": 0}):
        with pytest.raises(ValueError):
            Basis(**bad)


# -- on a venue: the premium and funding ------------------------------------------------------

MARKET = """
name = "basis"
seed = 4
start = "2025-05-01T00:00:00Z"
[exchange]
mark_rule = "oracle"
[markets.BTC]
price = "60000"
{basis}
[[makers]]
name = "mm1"
levels = 10
spread_bps = 1
step_bps = 1
level_usdc = "100000"
"""


def funding(basis: str, hours: int):
    """The venue built with `basis` (lines of [markets.BTC]) over `hours`: its FundingRate
    events and the book's mid against the oracle, in bps, sampled every 10 minutes."""
    venue = build(parse(MARKET.format(basis=basis)))
    ex = venue.exchange
    btc = ex.by_name["BTC"].asset
    rates: list[ev.FundingRate] = []
    venue.taps.append(lambda events: rates.extend(e for e in events if type(e) is ev.FundingRate))
    offsets = []
    for _ in range(hours * 6):
        venue.advance(10 * MINUTE)
        offsets.append((float(venue.views.mid(btc)) / 60_000 - 1) * 10_000)
    ex.validate()
    assert [e.asset for e in rates] == [btc] * hours  # one rate an hour
    return rates, offsets, ex.config


def test_without_a_basis_funding_stays_at_the_base_interest_rate():
    rates, offsets, config = funding("", 6)
    base = config.funding_interest_8h // 8  # 0.01% per 8 hours, paid hourly
    assert [e.rate for e in rates] == [base] * 6
    assert {e.premium for e in rates} == {0}
    assert set(offsets) == {0.0}  # the book is centred on the oracle


@pytest.mark.parametrize("bps", [20, -20])
def test_a_constant_basis_is_a_constant_premium_and_funding_away_from_the_base(bps):
    rates, offsets, config = funding(f"basis_bps = {bps}", 4)
    base = config.funding_interest_8h // 8
    # the book is quoted around the oracle moved 20 bps; the impact price, 1 bp (the
    # spread) inside that, is the premium
    assert all(abs(o - bps) <= 0.5 for o in offsets)
    for e in rates:
        premium_bps = e.premium / RATE_SCALE * 10_000
        assert abs(premium_bps) == pytest.approx(19, abs=0.5)
        assert (premium_bps > 0) == (bps > 0)
        assert e.rate == hourly_funding_rate(e.premium, config.funding_interest_8h,
                                             config.funding_clamp_8h, config.funding_cap_hourly)  # fmt: skip
        assert (e.rate > base) if bps > 0 else (e.rate < 0)  # longs pay more, or are paid


def test_a_wandering_basis_moves_the_premium_and_funding_from_hour_to_hour():
    rates, offsets, config = funding('basis_sd_bps = 30\nbasis_halflife = "1h"', 12)
    base = config.funding_interest_8h // 8
    assert len({e.premium for e in rates}) >= 6  # a different premium most hours
    assert any(e.rate != base for e in rates)  # past the clamp, funding moves
    assert min(offsets) < -10 < 10 < max(offsets)  # the book wandered both ways
    for e in rates:
        assert e.rate == hourly_funding_rate(e.premium, config.funding_interest_8h,
                                             config.funding_clamp_8h, config.funding_cap_hourly)  # fmt: skip
    # the same seed, the same hours
    again, _, _ = funding('basis_sd_bps = 30\nbasis_halflife = "1h"', 12)
    assert [(e.rate, e.premium) for e in again] == [(e.rate, e.premium) for e in rates]


def test_a_scenario_refuses_a_negative_spread_or_no_half_life():
    with pytest.raises(ScenarioError, match="basis_sd_bps: must not be negative"):
        parse(MARKET.format(basis="basis_sd_bps = -1"))
    with pytest.raises(ScenarioError, match="basis_halflife: must be more than 0"):
        parse(MARKET.format(basis='basis_sd_bps = 1\nbasis_halflife = "0s"'))
