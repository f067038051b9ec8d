"""TWAP orders: suborders every 30 seconds on the clock, catching up within 3x, and the
ways a TWAP ends (finished, terminated, error)."""

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core import twap
from tests.core.scene import ALICE, BOB, CAROL, Scene


def market(**config) -> Scene:
    """Bob offers 10 BTC at 60,010 and bids 10 at 59,990; BTC's oracle is at 60,000."""
    s = Scene(**config)
    for user in (ALICE, BOB, CAROL):
        s.deposit(user, 1_000_000)
    s.oracle("BTC", "60000")
    s.order(BOB, "BTC", "A", "60010", "10")
    s.order(BOB, "BTC", "B", "59990", "10")
    return s


def place(s: Scene, user: str, side: str, sz: str, minutes: int, **kw) -> ev.ActionResult:
    spec = {"reduce_only": False, "randomize": False} | kw
    s.apply(cmd.PlaceTwap(user, s.asset("BTC"), side == "B", s.sz("BTC", sz), spec["reduce_only"],
                          minutes, spec["randomize"]))  # fmt: skip
    return s.result()


def statuses(s: Scene) -> list[str]:
    return [e.status for e in s.of(ev.TwapStatus)]


def test_a_five_minute_twap_buys_in_ten_slices_every_30_seconds():
    """Alice buys 1 BTC over 5 minutes: ten suborders of 0.1, the first at once, the last
    4.5 minutes in; each is a taker fill against Bob's offer, tagged with the TWAP's id."""
    s = market()
    result = place(s, ALICE, "B", "1", 5)
    (running,) = result.statuses
    assert isinstance(running, ev.TwapRunning) and statuses(s) == [twap.ACTIVATED]
    assert [(f.sz, f.twap_id, f.crossed) for f in s.fills(ALICE)] == [(10_000, running.twap_id, True)]
    sizes = []
    for _ in range(9):
        s.apply(cmd.Tick(), dt=30_000)
        sizes += [f.sz for f in s.fills(ALICE)]
    assert sizes == [10_000] * 9
    assert statuses(s) == [twap.FINISHED]
    (finished,) = s.of(ev.TwapStatus)
    assert (finished.twap.executed_sz, finished.twap.executed_ntl) == (100_000, 100_000 * 600100)
    assert s.size(ALICE, "BTC") == 100_000 and s.ex.twaps == {}


def test_unfilled_slices_are_caught_up_three_at_a_time_at_most():
    """The book is empty for the first three slices: nothing fills. When Carol offers
    again, the next suborder is for 3 slices' worth (the cap), not the 4 behind schedule."""
    s = Scene()
    for user in (ALICE, CAROL):
        s.deposit(user, 1_000_000)
    s.oracle("BTC", "60000")
    place(s, ALICE, "B", "1", 5)
    for _ in range(2):
        s.apply(cmd.Tick(), dt=30_000)
    assert s.size(ALICE, "BTC") == 0
    s.order(CAROL, "BTC", "A", "60010", "10", dt=1_000)
    s.apply(cmd.Tick(), dt=29_000)
    assert [f.sz for f in s.fills(ALICE)] == [30_000]


def test_a_cancelled_twap_is_terminated_and_cannot_be_cancelled_again():
    s = market()
    (running,) = place(s, ALICE, "B", "1", 5).statuses
    s.apply(cmd.CancelTwap(ALICE, s.asset("BTC"), running.twap_id))
    assert s.result().statuses == (ev.SUCCESS,) and statuses(s) == [twap.TERMINATED]
    s.apply(cmd.Tick(), dt=60_000)
    assert s.fills(ALICE) == []
    s.apply(cmd.CancelTwap(ALICE, s.asset("BTC"), running.twap_id))
    assert s.result().statuses == (ev.Error(twap.MISSING),)


def test_a_suborder_refused_for_margin_ends_the_twap_with_an_error():
    """Carol has $2,000: at 20x she can buy about 0.66 BTC. Her 2 BTC TWAP over 5 minutes
    buys 0.2 a slice until the margin runs out; the TWAP ends `error` with the refusal."""
    s = market()
    poor = "0x00000000000000000000000000000000000000dd"
    s.deposit(poor, 2_000)
    place(s, poor, "B", "2", 5)
    ended = []
    for _ in range(9):
        s.apply(cmd.Tick(), dt=30_000)
        ended += s.of(ev.TwapStatus)
    (end,) = ended
    assert (end.status, end.description) == (twap.ERROR, "Insufficient margin to place order.")
    assert 0 < end.twap.executed_sz < s.sz("BTC", "2") and s.ex.twaps == {}


def test_twap_checks_with_the_venues_texts():
    s = market()
    assert place(s, ALICE, "B", "1", 4).statuses == (ev.Error("Invalid TWAP duration: 4 min(s)"),)
    assert place(s, ALICE, "B", "0.001", 5).statuses == (ev.Error(twap.TOO_SMALL),)
    assert place(s, ALICE, "A", "1", 5, reduce_only=True).statuses == (
        ev.Error(twap.REDUCE_ONLY),
    )
    assert s.ex.twaps == {}


def test_a_reduce_only_twap_stops_at_the_position():
    s = market()
    s.order(ALICE, "BTC", "B", "60010", "0.25", tif="Ioc")
    place(s, ALICE, "A", "1", 5, reduce_only=True)
    for _ in range(9):
        s.apply(cmd.Tick(), dt=30_000)
    assert s.size(ALICE, "BTC") == 0


def test_randomized_slices_vary_but_replay_the_same():
    def run() -> list[int]:
        s = market()
        place(s, ALICE, "B", "1", 5, randomize=True)
        sizes = [f.sz for f in s.fills(ALICE)]
        for _ in range(9):
            s.apply(cmd.Tick(), dt=30_000)
            sizes += [f.sz for f in s.fills(ALICE)]
        return sizes

    first = run()
    assert first == run() and len(set(first)) > 1
    assert all(8_000 <= q <= 30_000 for q in first)
