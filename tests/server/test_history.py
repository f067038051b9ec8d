"""What the API serves about the past, kept so that nothing costs more as a run grows older:
the rolling 24-hour volume, bounded order statuses and cloids, bounded candles. No socket."""

from __future__ import annotations

import random

import pytest

from sandbox.core import events as ev
from sandbox.core.exchange import Exchange
from sandbox.server import history as history_module
from sandbox.server.history import DAY_MS, History, RollingDay
from sandbox.server.views import Views

T0 = 1_700_000_000_000
USER = "0x" + "a1" * 20


def new_history(orders: int = 2_000) -> History:
    return History(Views(Exchange()), 10_000, orders, 2_000)


def trade(ts: int, px: int, sz: int, asset: int = 0) -> ev.Trade:
    return ev.Trade(asset, px, sz, ts, 1, 1, True, "0xa", 1, 0, 0, 0, "0xb", 2, 0, 0, 0)


def order_update(oid: int, status: str, cloid: str | None = None) -> ev.OrderUpdate:
    view = ev.OrderView(oid, USER, 0, True, 600_000, 19, 19, T0, "Gtc", False, cloid)
    return ev.OrderUpdate(view, status, T0 + oid)


# -- the rolling 24 hours ------------------------------------------------------------------------


def test_a_trade_counts_for_exactly_24_hours():
    day = RollingDay()
    day.add(T0, 600, 2)
    assert day.at(T0 + DAY_MS - 1) == (600, 2)  # still inside the last 24 hours
    day.add(T0 + 10, 50, 1)
    assert day.at(T0 + DAY_MS) == (50, 1)  # the first has expired, the second has not
    assert day.at(T0 + 10 + DAY_MS) == (0, 0)
    assert not day.trades


def test_trades_of_the_same_millisecond_share_an_entry():
    day = RollingDay()
    for sz in (1, 2, 3):
        day.add(T0, 100 * sz, sz)
    assert list(day.trades) == [[T0, 600, 6]]
    assert day.at(T0) == (600, 6)


def test_the_running_sums_equal_a_re_sum_of_the_window():
    """Random trades over three days, read at random moments: the running sums always equal
    the sum of the trades after `now - 24 h`, as the venue's dayNtlVlm and dayBaseVlm."""
    rng = random.Random(7)
    h = new_history()
    seen: list[tuple[int, int, int]] = []
    now = T0
    for _ in range(3_000):
        now += rng.choice((0, 1, 1_000, 60_000, 3_600_000, DAY_MS // 3))
        if rng.random() < 0.8:
            px, sz = rng.randint(1, 10**6), rng.randint(1, 10**4)
            h.record_trade(trade(now, px, sz))
            seen.append((now, px * sz, sz))
        if rng.random() < 0.3:
            read_at = now + rng.choice((0, 1, DAY_MS - 1, DAY_MS))
            now = read_at  # time never goes back
            ntl, base, _ = h.day(0, read_at)
            window = [(n, s) for ts, n, s in seen if ts > read_at - DAY_MS]
            assert (ntl, base) == (sum(n for n, _ in window), sum(s for _, s in window))
    assert h.day(1, now)[:2] == (0, 0)  # another coin's trades are its own


# -- order statuses and cloids -------------------------------------------------------------------


def kept_for(statuses: int) -> int:
    """The order records to keep for `statuses` order statuses to be kept."""
    assert statuses % history_module.STATUSES_PER_ORDER_KEPT == 0
    return statuses // history_module.STATUSES_PER_ORDER_KEPT


def test_statuses_and_cloids_are_bounded_and_answer_the_recent_orders():
    """A user keeps the statuses of its 30 most recently placed orders, each at its latest
    status, and the cloids of those orders only."""
    h = new_history(orders=kept_for(30))
    for oid in range(1, 101):
        h.record_order(order_update(oid, "open", cloid=f"0x{oid:032x}"))
        h.record_order(order_update(oid, "canceled", cloid=f"0x{oid:032x}"))
    user = h.users[USER]
    assert list(user.status_oids) == list(range(71, 101))
    view, status, ts = h.status(USER, 100)
    assert (status, ts, view) == ("canceled", T0 + 100, order_update(100, "open",
                                                                      f"0x{100:032x}").order)
    assert h.status(USER, 70) is None
    assert user.cloids == {f"0x{oid:032x}": oid for oid in range(71, 101)}


def test_a_later_status_does_not_make_an_order_recent():
    h = new_history(orders=kept_for(10))
    for oid in range(1, 11):
        h.record_order(order_update(oid, "open"))
    h.record_order(order_update(1, "filled"))  # the oldest order, updated
    h.record_order(order_update(11, "open"))
    assert list(h.users[USER].status_oids) == list(range(2, 12))
    assert h.status(USER, 1) is None and h.status(USER, 2)[1] == "open"


def test_a_cloid_taken_by_a_later_order_outlives_the_earlier_one():
    h = new_history(orders=kept_for(10))
    h.record_order(order_update(1, "canceled", cloid="0xc1"))
    h.record_order(order_update(2, "open", cloid="0xc1"))  # the cloid used again
    for oid in range(3, 12):
        h.record_order(order_update(oid, "open"))
    user = h.users[USER]
    assert 1 not in user.status_oids and user.cloids == {"0xc1": 2}
    h.record_order(order_update(12, "open"))
    assert 2 not in user.status_oids and user.cloids == {}


def _deep_size(obj) -> int:
    """Bytes held by `obj` and everything it refers to (each object once)."""
    import gc
    import sys

    seen, stack, total = set(), [obj], 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


def test_a_user_at_full_history_holds_under_a_megabyte():
    h = new_history()
    views = h.views
    for i in range(12_000):  # more fills than are kept, each with a cloid and a liquidation
        h.record_fill(ev.Fill(USER, 0, 600_000 + i, 19, i % 2 == 0, T0 + i, -19 * i, "Open Long",
                              123_456, 10_000 + i, True, 2_500, 50_000 + i, 70_000 + i,
                              cloid=f"0x{i:032x}",
                              liquidation=ev.Liquidation("0x" + "bb" * 20, 600_000, "market")))  # fmt: skip
    for oid in range(1, 3_001):  # every order with its own cloid, and two statuses each
        h.record_order(order_update(oid, "open", cloid=f"0x{oid:032x}"))
        h.record_order(order_update(oid, "filled", cloid=f"0x{oid:032x}"))
    for i in range(2_500):
        h.record_funding(ev.Funding(USER, 0, -1_234 - i, 19, 1_250, T0 + i))
        h.record_ledger(USER, T0 + i, 5 + i, {"type": "internalTransfer", "usdc": "12.5",
                        "user": USER, "destination": "0x" + "cc" * 20, "fee": "0.0"}, 12)  # fmt: skip
    user = h.users[USER]
    assert (len(user.fills), len(user.orders), len(user.statuses), len(user.cloids),
            len(user.funding), len(user.ledger)) == (10_000, 2_000, 2_000, 2_000, 2_000, 2_000)
    assert _deep_size(user) < 1_000_000
    # and what is served reads the same as it was recorded
    fills = h.fills(USER)
    assert len(fills) == 10_000 and fills[0].tid == 50_000 + 2_000 and fills[-1].oid == 21_999
    assert views is h.views and h.orders(USER)[0].status == "filled"
    assert list(user.ledger)[-1]["time"] == T0 + 2_499


# -- candles -------------------------------------------------------------------------------------


def test_candles_keep_the_most_recent(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(history_module, "CANDLES_KEPT", 3)
    h = new_history()
    for minute in range(5):
        h.record_trade(trade(T0 + minute * 60_000, 100 + minute, 1))
    candles = h.coins[0].candles["1m"]
    first = T0 - T0 % 60_000
    assert list(candles) == [first + m * 60_000 for m in (2, 3, 4)]
    assert list(h.coins[0].candle_starts["1m"]) == list(candles)
    now = T0 + 4 * 60_000
    current = h.current_candle(0, "1m", now)
    start = now - now % 60_000
    assert current == h.candles(0, "1m", start, start)[0]
    assert current.o == h.views.px(0, 104)
    assert h.current_candle(0, "1m", now + 60_000) is None  # no trade in that minute yet
