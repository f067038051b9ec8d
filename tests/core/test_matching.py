"""Matching: price-time priority, partial fills, tifs, self-trades, fees, fills and prints."""

from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.ids import trade_id
from tests.core.scene import ALICE, BOB, CAROL, Scene, usd


def scene() -> Scene:
    s = Scene()
    for user in (ALICE, BOB, CAROL):
        s.deposit(user, 100_000)
    s.oracle("BTC", "60000")
    return s


def test_price_then_time_priority():
    """Alice and Bob both bid 59,990, Alice first; Carol bids higher at 59,995. A market sell
    fills Carol first (better price), then Alice (earlier at the same price), then Bob."""
    s = scene()
    a = s.order(ALICE, "BTC", "B", "59990", "0.01").oid
    b = s.order(BOB, "BTC", "B", "59990", "0.01").oid
    c = s.order(CAROL, "BTC", "B", "59995", "0.01").oid
    s.deposit("0xseller", 100_000)
    status = s.order("0xseller", "BTC", "A", "59000", "0.025", tif="Ioc")
    makers = [(f.oid, f.px, f.sz) for f in s.fills() if not f.crossed]
    assert makers == [(c, 599950, 1000), (a, 599900, 1000), (b, 599900, 500)]
    assert status == ev.Filled(2500, 599950 * 1000 + 599900 * 1500, status.oid)
    assert s.book("BTC") == ([(599900, 500, 1)], [])


def test_a_partly_filled_gtc_rests_the_rest():
    s = scene()
    s.order(ALICE, "BTC", "A", "60010", "0.01")
    status = s.order(BOB, "BTC", "B", "60020", "0.03")
    assert isinstance(status, ev.Resting)
    assert s.book("BTC") == ([(600200, 2000, 1)], [])
    assert s.size(BOB, "BTC") == 1000


def test_ioc_that_cannot_match_is_refused_and_leaves_nothing():
    s = scene()
    s.order(ALICE, "BTC", "A", "60010", "0.01")
    status = s.order(BOB, "BTC", "B", "60000", "0.01", tif="Ioc")
    assert status == ev.Error(errors.IOC_CANCEL + " asset=0")
    assert s.book("BTC") == ([], [(600100, 1000, 1)])
    assert BOB not in s.ex.holders[0]


def test_ioc_partial_fill_reports_what_filled_and_cancels_the_rest():
    s = scene()
    s.order(ALICE, "BTC", "A", "60010", "0.01")
    status = s.order(BOB, "BTC", "B", "60100", "0.05", tif="Ioc")
    assert status == ev.Filled(1000, 600100 * 1000, status.oid)
    updates = [(u.order.oid, u.status, u.order.sz) for u in s.of(ev.OrderUpdate)]
    assert updates[-1] == (status.oid, ev.CANCELED, 4000)
    assert s.book("BTC") == ([], [])


def test_post_only_that_would_cross_is_refused_with_the_bbo():
    s = scene()
    s.order(ALICE, "BTC", "A", "60010", "0.01")
    s.order(ALICE, "BTC", "B", "59990", "0.01")
    status = s.order(BOB, "BTC", "B", "60010", "0.01", tif="Alo")
    assert status == ev.Error(
        "Post only order would have immediately matched, bbo was 59990@60010. asset=0"
    )
    assert isinstance(s.order(BOB, "BTC", "B", "60000", "0.01", tif="Alo"), ev.Resting)


def test_self_trade_expires_the_maker_and_the_taker_goes_on():
    """Alice rests an ask at 60,010 and Bob one at 60,020. Alice buys through both: her own
    ask is cancelled (no fill, no fee, no print) and she fills against Bob's behind it."""
    s = scene()
    own = s.order(ALICE, "BTC", "A", "60010", "0.01").oid
    s.order(BOB, "BTC", "A", "60020", "0.01")
    status = s.order(ALICE, "BTC", "B", "60020", "0.01", tif="Ioc")
    assert isinstance(status, ev.Filled) and status.total_sz == 1000
    cancelled = [u for u in s.of(ev.OrderUpdate) if u.order.oid == own]
    assert [u.status for u in cancelled] == [ev.SELF_TRADE_CANCELED]
    assert [(t.px, t.buyer, t.seller) for t in s.of(ev.Trade)] == [(600200, ALICE, BOB)]
    assert s.of(ev.Trade)[0].maker_oid != own


def test_fills_fees_and_prints():
    """Bob lifts Alice's 0.1 BTC ask at 60,000: a $6,000 trade. Bob pays the taker fee
    (0.045% = $2.70), Alice the maker fee (0.015% = $0.90), both to the fee sink."""
    s = scene()
    maker = s.order(ALICE, "BTC", "A", "60000", "0.1").oid
    taker = s.order(BOB, "BTC", "B", "60000", "0.1", tif="Ioc").oid
    bob, alice = s.fills(BOB)[0], s.fills(ALICE)[0]
    tid = trade_id(s.ex.trade_seq)
    assert bob == ev.Fill(
        BOB,
        0,
        600000,
        10000,
        True,
        s.now,
        0,
        "Open Long",
        0,
        taker,
        True,
        usd("2.7"),
        tid,
        s.ex.action_seq,
    )
    assert alice == ev.Fill(
        ALICE,
        0,
        600000,
        10000,
        False,
        s.now,
        0,
        "Open Short",
        0,
        maker,
        False,
        usd("0.9"),
        tid,
        s.ex.action_seq,
    )
    (trade,) = s.of(ev.Trade)
    assert (trade.buyer, trade.seller, trade.taker_is_buy, trade.tid) == (BOB, ALICE, True, tid)
    assert s.account(s.ex.config.fee_sink).raw == usd("3.6")
    assert s.value(BOB) == usd(100_000) - usd("2.7")


def test_closing_realizes_pnl_against_the_average_entry():
    """Bob buys 0.1 at 60,000 and 0.1 at 62,000 (entry 61,000), then sells 0.15 at 63,000:
    closedPnl = 0.15 * (63,000 - 61,000) = $300, and 0.05 stays open at entry 61,000."""
    s = scene()
    s.order(ALICE, "BTC", "A", "60000", "0.1")
    s.order(BOB, "BTC", "B", "60000", "0.1")
    s.order(ALICE, "BTC", "A", "62000", "0.1")
    s.order(BOB, "BTC", "B", "62000", "0.1")
    s.order(ALICE, "BTC", "B", "63000", "0.15")
    s.order(BOB, "BTC", "A", "63000", "0.15")
    (fill,) = s.fills(BOB)
    assert (fill.dir, fill.start_position, fill.closed_pnl) == ("Close Long", 20000, usd(300))
    pos = s.position(BOB, "BTC")
    assert (pos.size, pos.entry_ntl) == (5000, 610000 * 5000)


def test_flip_through_zero():
    s = scene()
    s.order(ALICE, "BTC", "A", "60000", "0.1")
    s.order(BOB, "BTC", "B", "60000", "0.1")
    s.order(ALICE, "BTC", "B", "61000", "0.3")
    s.order(BOB, "BTC", "A", "61000", "0.3")
    (fill,) = s.fills(BOB)
    assert (fill.dir, fill.closed_pnl) == ("Long > Short", usd(100))
    pos = s.position(BOB, "BTC")
    assert (pos.size, pos.entry_ntl) == (-20000, 610000 * 20000)
    assert (s.fills(ALICE)[0].dir, s.size(ALICE, "BTC")) == ("Short > Long", 20000)


def test_makers_at_several_levels_share_one_action_hash_and_get_distinct_tids():
    s = scene()
    s.order(ALICE, "BTC", "A", "60000", "0.01")
    s.order(CAROL, "BTC", "A", "60010", "0.01")
    s.order(BOB, "BTC", "B", "60010", "0.02", tif="Ioc")
    fills = s.fills()
    assert len({f.action for f in fills}) == 1
    assert len({f.tid for f in fills}) == 2
    assert [f.user for f in fills if f.crossed] == [BOB, BOB]
