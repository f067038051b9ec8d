"""The order book's structure: levels, priority, removal, depth, and its own validation."""

import pytest

from sandbox.core.accounts import Account
from sandbox.core.book import Order, OrderBook
from sandbox.core.errors import InvariantError

ACCT = Account("0xa")


def order(oid, is_buy, px, sz) -> Order:
    return Order(oid, ACCT, 0, is_buy, px, sz, sz, "Gtc", False, None, 0)


def test_best_levels_and_depth():
    book = OrderBook(0)
    for oid, (is_buy, px, sz) in enumerate(
        [(True, 100, 5), (True, 102, 1), (True, 101, 2), (False, 105, 3), (False, 104, 4)], 1
    ):
        book.add(order(oid, is_buy, px, sz))
    assert (book.best_bid(), book.best_ask(), book.mid_x2()) == (102, 104, 206)
    assert book.bids.depth(2) == [(102, 1, 1), (101, 2, 1)]
    assert book.asks.depth(10) == [(104, 4, 1), (105, 3, 1)]
    book.validate()


def test_time_priority_within_a_level_and_removal():
    book = OrderBook(0)
    first, second, third = order(1, True, 100, 1), order(2, True, 100, 2), order(3, True, 100, 3)
    for o in (first, second, third):
        book.add(o)
    level = book.bids.best()
    assert list(level.orders) == [1, 2, 3] and level.total == 6
    book.remove(second)
    assert list(level.orders) == [1, 3] and level.total == 4
    book.remove(first)
    book.remove(third)
    assert book.best_bid() is None and book.bids.levels == {} and len(book.bids) == 0
    assert book.mid_x2() is None


def test_removing_a_level_in_the_middle():
    book = OrderBook(0)
    orders = [order(i, False, px, 1) for i, px in enumerate((10, 11, 12), 1)]
    for o in orders:
        book.add(o)
    book.remove(orders[1])
    assert [lv.px for lv in book.asks.iter_levels()] == [10, 12]
    book.validate()


@pytest.mark.parametrize(
    "breakage",
    ["crossed", "total", "misplaced", "empty"],
)
def test_validate_finds_a_broken_book(breakage):
    book = OrderBook(0)
    bid, ask = order(1, True, 100, 1), order(2, False, 101, 1)
    book.add(bid)
    book.add(ask)
    book.validate()
    if breakage == "crossed":
        book.add(order(3, True, 101, 1))
    elif breakage == "total":
        book.bids.best().total += 1
    elif breakage == "misplaced":
        bid.px = 99
    else:
        book.bids.best().orders.clear()
    with pytest.raises(InvariantError):
        book.validate()
