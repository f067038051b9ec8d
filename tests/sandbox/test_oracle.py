"""Price paths and the oracle that posts them: deterministic, and exactly as scripted."""

from __future__ import annotations

import pytest

from sandbox.sim.oracle import Constant, Oracle, OtherVenues, RandomWalk, Replay, Scripted, Shock


def test_random_walk_is_a_function_of_its_seed():
    a, b, c = (
        RandomWalk(60_000, 0.05, seed=7),
        RandomWalk(60_000, 0.05, seed=7),
        RandomWalk(60_000, 0.05, seed=8),
    )
    times = range(0, 3_600_000, 1_500)
    path_a = [a.price(t) for t in times]
    assert path_a == [b.price(t) for t in times]
    assert path_a != [c.price(t) for t in times]
    assert path_a[0] == 60_000 and len(set(path_a)) > 100  # it moves every 3 s step
    assert all(p > 0 for p in path_a)


def test_random_walk_volatility_is_per_square_root_of_a_day():
    walk = RandomWalk(100.0, volatility=0.02, seed=1, step_ms=60_000)
    days = 200
    logs = []
    prev = walk.price(0)
    import math

    for day in range(1, days + 1):
        px = walk.price(day * 86_400_000)
        logs.append(math.log(px / prev))
        prev = px
    mean = sum(logs) / days
    sd = (sum((x - mean) ** 2 for x in logs) / (days - 1)) ** 0.5
    assert 0.016 < sd < 0.024


def test_scripted_holds_ramps_and_gaps():
    path = Scripted(100, [("hold", 1_000), ("ramp", 1_000, 110), ("gap", 80), ("hold", 500)])
    path.started(10_000)
    assert [path.price(10_000 + t) for t in (0, 999, 1_000, 1_500, 2_000, 2_001, 9_999)] == [
        100, 100, 100, 105, 80, 80, 80,
    ]  # fmt: skip
    assert path.price(0) == 100  # before it starts
    with pytest.raises(ValueError):
        Scripted(100, [("teleport", 5)])
    with pytest.raises(ValueError):
        Scripted(100, [("gap", -1)])


def test_replay_starts_its_first_row_at_the_start(tmp_path):
    file = tmp_path / "prices.csv"
    file.write_text("# a comment\ntime_ms,px\n1000,50.5\n4000,51\n2000,49\n")
    path = Replay.from_csv(file).started(100)
    assert [path.price(t) for t in (0, 100, 1_099, 1_100, 3_099, 3_100, 10**9)] == [
        50.5, 50.5, 50.5, 49.0, 49.0, 51.0, 51.0,
    ]  # fmt: skip
    file.write_text("time_ms,px\n1000,50\nlater,51\n")
    with pytest.raises(ValueError):
        Replay.from_csv(file)


def test_the_shipped_sample_replays():
    from sandbox.sim.oracle import SAMPLE_CSV

    path = Replay.from_csv(SAMPLE_CSV)
    assert len(path.prices) >= 100 and min(path.prices) > 0


def oracle_with_log():
    posted: list[dict[str, int]] = []
    oracle = Oracle(lambda prices, others: posted.append(prices),
                    {"BTC": 10, "kPEPE": 1_000_000}, interval_ms=3_000)  # fmt: skip
    return oracle, posted


def test_the_other_venues_quote_the_path_a_little_while_ago_at_a_basis_with_noise():
    """BTC steps from 60,000 to 66,000 at 6 s. The other venues, 3 s behind at +10 bps,
    still quote about 60,060 at 6 s and about 66,066 from 9 s; with noise, draws repeat
    from the same seed."""
    posted = []
    venues = OtherVenues(basis_bps=10, lag_ms=3_000)
    oracle = Oracle(lambda prices, others: posted.append(others), {"BTC": 10},
                    other_venues=venues)  # fmt: skip
    oracle.set_path("BTC", Scripted(60_000, [("hold", 6_000), ("gap", 66_000)]), 0)
    for now in (0, 3_000, 6_000, 9_000):
        oracle.tick(now)
    assert [p["BTC"] for p in posted] == [600_600, 600_600, 600_600, 660_660]

    def noisy() -> list[int]:
        noisy_venues = OtherVenues(noise_bps=5, seed=7)
        out = []
        feed = Oracle(lambda prices, others: out.append(others["BTC"]), {"BTC": 10},
                      other_venues=noisy_venues)  # fmt: skip
        feed.set_path("BTC", Constant(60_000), 0)
        for now in range(0, 30_000, 3_000):
            feed.tick(now)
        return out

    first = noisy()
    assert first == noisy() and len(set(first)) > 1
    assert all(abs(px - 600_000) < 600 for px in first)  # within 10 bps, about 5 bps a draw


def test_oracle_posts_every_price_in_ticks_every_time():
    oracle, posted = oracle_with_log()
    oracle.set_path("BTC", Constant(60_000), 0)
    oracle.set_path("kPEPE", Constant(0.0123456), 0)
    assert oracle.tick(0) == {"BTC": 600_000, "kPEPE": 12_346}
    assert oracle.tick(3_000) == {"BTC": 600_000, "kPEPE": 12_346}  # unchanged, posted: the
    assert posted == [{"BTC": 600_000, "kPEPE": 12_346}] * 2  # mark is recomputed on each


def test_set_price_moves_the_path_and_it_continues_from_there():
    oracle, posted = oracle_with_log()
    assert posted == []
    oracle.set_path("BTC", Scripted(100, [("ramp", 10_000, 200)]), 0)
    assert oracle.set_price("BTC", 300, 5_000) == 3_000  # was 150
    assert oracle.price("BTC", 10_000) == 4_000  # the ramp's +33% carries on from 300
    with pytest.raises(ValueError):
        oracle.set_price("DOGE", 1, 0)
    with pytest.raises(ValueError):
        oracle.set_price("BTC", 0, 0)


def test_a_shock_spreads_its_move_over_its_duration_and_stays():
    oracle, posted = oracle_with_log()
    oracle.set_path("BTC", Constant(60_000), 0)
    oracle.shock("BTC", -10, 60_000, 1_000)
    assert oracle.price("BTC", 1_000) == 600_000
    assert oracle.price("BTC", 31_000) == 570_000
    oracle.tick(61_000)
    assert posted[-1] == {"BTC": 540_000}
    assert oracle.shocks["BTC"] == []  # folded into the level
    assert oracle.price("BTC", 10**9) == 540_000
    oracle.shock("BTC", 50, 0, 70_000)  # at once
    assert posted[-1] == {"BTC": 810_000}
    with pytest.raises(ValueError):
        Shock(0, -100, 1)
