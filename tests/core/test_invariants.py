"""validate() must find each kind of broken state: a check that cannot fail proves nothing."""

import pytest

from sandbox.core.errors import InvariantError
from tests.core.scene import ALICE, BOB, Scene


def busy() -> Scene:
    s = Scene(validate=False)
    s.deposit(ALICE, 10_000)
    s.deposit(BOB, 10_000)
    s.oracle("BTC", "60000")
    s.order(ALICE, "BTC", "A", "60000", "0.1")
    s.order(BOB, "BTC", "B", "60000", "0.05", tif="Ioc")
    s.order(BOB, "BTC", "B", "59000", "0.01")
    s.ex.validate()
    return s


def breaks(mutate) -> str:
    s = busy()
    mutate(s)
    with pytest.raises(InvariantError) as info:
        s.ex.validate()
    return str(info.value)


def test_longs_must_equal_shorts():
    assert "longs" in breaks(lambda s: setattr(s.position(BOB, "BTC"), "size", 4_000))


def test_cash_must_be_conserved():
    assert "cash" in breaks(lambda s: setattr(s.account(BOB), "raw", s.account(BOB).raw + 1))


def test_books_must_be_sound():
    def cross(s):
        level = s.ex.books[0].bids.best()
        level.total += 1

    assert "total" in breaks(cross)


def test_account_indexes_must_match_the_books():
    def lose(s):
        s.account(BOB).orders.clear()

    assert "order" in breaks(lose)


def test_reserved_margin_must_be_current():
    def stale(s):
        s.account(BOB).order_margin[0] += 1

    assert "margin" in breaks(stale)


def test_holder_index_must_match_positions():
    def forget(s):
        del s.ex.holders[0][BOB]

    assert "holder" in breaks(forget)


def test_no_mark_may_pass_a_liquidation_trigger_unnoticed():
    def move_trigger(s):
        s.oracle("BTC", "60010")  # a mark move indexes the fresh positions' triggers
        s.ex.validate()
        shorts = s.ex.liq_index._shorts[0]  # Alice is short: she fires when mark >= trigger
        ((_, seq, key),) = [e for e in shorts if e[2][0] == ALICE]
        below_mark = s.ex.marks[0] - 10
        shorts[:] = [(below_mark, seq, key) if e[2] == key else e for e in shorts]

    assert "passed trigger" in breaks(move_trigger)
