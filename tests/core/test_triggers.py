"""Take-profit and stop-loss orders, fired by the mark."""

from sandbox.core import events as ev
from sandbox.core.triggers import TriggerBook
from tests.core.scene import ALICE, BOB, CAROL, Scene


def long_alice() -> Scene:
    """Alice is long 0.1 BTC from 60,000; Bob and Carol make a two-sided market around."""
    s = Scene()
    for user in (ALICE, BOB, CAROL):
        s.deposit(user, 100_000)
    s.oracle("BTC", "60000")
    s.order(BOB, "BTC", "A", "60000", "0.1")
    s.order(ALICE, "BTC", "B", "60000", "0.1", tif="Ioc")
    return s


def test_stop_loss_market_fires_when_the_mark_falls_to_it():
    s = long_alice()
    status = s.order(
        ALICE, "BTC", "A", "55000", "0.1", reduce_only=True, trigger=("sl", "58000", True)
    )
    assert isinstance(status, ev.Resting)
    s.order(CAROL, "BTC", "B", "57500", "1")
    s.oracle("BTC", "58001")
    assert s.size(ALICE, "BTC") == 10000
    s.oracle("BTC", "58000")
    statuses = [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == status.oid]
    assert statuses == [ev.TRIGGERED, ev.FILLED]
    (fill,) = s.fills(ALICE)
    assert (fill.px, fill.dir, fill.closed_pnl) == (575000, "Close Long", -250_000_000)
    assert s.size(ALICE, "BTC") == 0


def test_take_profit_limit_rests_at_its_price_when_the_mark_rises():
    s = long_alice()
    status = s.order(
        ALICE, "BTC", "A", "62500", "0.1", reduce_only=True, trigger=("tp", "62000", False)
    )
    s.oracle("BTC", "62000")
    order = s.account(ALICE).orders[status.oid]
    assert (order.tif, order.px, order.tpsl) == ("Gtc", 625000, "tp")
    assert s.book("BTC")[1] == [(625000, 10000, 1)]


def test_a_fired_market_trigger_without_liquidity_ends_rejected():
    s = long_alice()
    status = s.order(
        ALICE, "BTC", "A", "55000", "0.1", reduce_only=True, trigger=("sl", "58000", True)
    )
    s.oracle("BTC", "57000")
    statuses = [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == status.oid]
    assert statuses == [ev.TRIGGERED, "marketOrderNoLiquidityRejected"]
    assert s.account(ALICE).orders == {}


def test_buy_stop_and_buy_take_profit_directions():
    book = TriggerBook()
    s = Scene()
    s.deposit(ALICE, 1000)
    s.oracle("ETH", "3000")
    stop = s.ex._new_order(
        s.account(ALICE), s.spec("ETH", "B", "3300", "1", trigger=("sl", "3200", True)), 10000, None
    )
    take = s.ex._new_order(
        s.account(ALICE), s.spec("ETH", "B", "2700", "1", trigger=("tp", "2800", True)), 10000, None
    )
    book.add(stop)
    book.add(take)
    assert book.due(s.px("ETH", "3000")) == []
    assert book.due(s.px("ETH", "3200")) == [stop]
    assert book.due(s.px("ETH", "2800")) == [take]
    assert len(book) == 0


def test_triggers_fired_together_run_in_order_of_placement():
    s = long_alice()
    first = s.order(
        ALICE, "BTC", "A", "63000", "0.05", reduce_only=True, trigger=("tp", "62000", False)
    )
    second = s.order(
        ALICE, "BTC", "A", "63000", "0.05", reduce_only=True, trigger=("tp", "61000", False)
    )
    s.oracle("BTC", "62500")
    fired = [u.order.oid for u in s.of(ev.OrderUpdate) if u.status == ev.TRIGGERED]
    assert fired == [first.oid, second.oid]


def test_normal_tpsl_children_wait_for_their_parent():
    """Carol bids 59,000 with a TP at 61,000 and an SL at 58,000 attached. The children
    wait until the parent fills, then wait for the mark."""
    s = long_alice()
    result = s.orders(
        CAROL,
        [
            s.spec("BTC", "B", "59000", "0.1"),
            s.spec("BTC", "A", "61000", "0.1", reduce_only=True, trigger=("tp", "61000", False)),
            s.spec("BTC", "A", "57000", "0.1", reduce_only=True, trigger=("sl", "58000", True)),
        ],
        grouping="normalTpsl",
    )
    parent = result.statuses[0]
    assert isinstance(parent, ev.Resting)
    assert result.statuses[1:] == (ev.WAITING_FOR_FILL, ev.WAITING_FOR_FILL)
    assert len(s.account(CAROL).orders[parent.oid].children) == 2
    assert len(s.ex.triggers[0]) == 0
    s.order(BOB, "BTC", "A", "59000", "0.1", tif="Ioc")
    assert len(s.ex.triggers[0]) == 2
    assert len(s.account(CAROL).orders) == 2


def carol_bracketed() -> tuple[Scene, int, int]:
    """Carol buys 0.1 BTC at 59,000 with a take-profit limit at 61,000 and a market stop at
    58,000 attached; Bob sells into her bid, so both children are live. Returns the scene
    and the oids of the take-profit and the stop."""
    s = long_alice()
    s.orders(
        CAROL,
        [
            s.spec("BTC", "B", "59000", "0.1"),
            s.spec("BTC", "A", "61000", "0.1", reduce_only=True, trigger=("tp", "61000", False)),
            s.spec("BTC", "A", "57000", "0.1", reduce_only=True, trigger=("sl", "58000", True)),
        ],
        grouping="normalTpsl",
    )
    s.order(BOB, "BTC", "A", "59000", "0.1", tif="Ioc")
    tp, sl = sorted(s.account(CAROL).orders)
    return s, tp, sl


def test_a_filled_stop_cancels_its_take_profit_sibling():
    """The mark falls to 58,000: Carol's stop fires and sells into Bob's bid at 57,900.
    Her take-profit is no orphan: it ends `siblingFilledCanceled`, as on the venue."""
    s, tp, sl = carol_bracketed()
    s.order(BOB, "BTC", "B", "57900", "1")
    s.oracle("BTC", "58000")
    statuses = [(u.order.oid, u.status) for u in s.of(ev.OrderUpdate) if u.order.user == CAROL]
    assert statuses == [(sl, ev.TRIGGERED), (tp, ev.SIBLING_FILLED_CANCELED), (sl, ev.FILLED)]
    assert s.size(CAROL, "BTC") == 0 and s.account(CAROL).orders == {}
    assert len(s.ex.triggers[0]) == 0


def test_a_take_profit_filled_as_a_maker_cancels_its_stop():
    """The mark rises to 61,000: the take-profit fires and rests at 61,000. Nothing happens
    to the stop until Bob lifts it; the first fill cancels the stop."""
    s, tp, sl = carol_bracketed()
    s.oracle("BTC", "61000")
    assert sl in s.account(CAROL).orders and tp in s.account(CAROL).orders
    s.order(BOB, "BTC", "B", "61000", "0.04", tif="Ioc")  # a partial fill is enough
    assert [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == sl] == [
        ev.SIBLING_FILLED_CANCELED
    ]
    assert list(s.account(CAROL).orders) == [tp]


def test_a_modified_child_stays_in_its_group():
    s, tp, sl = carol_bracketed()
    spec = s.spec("BTC", "A", "62000", "0.1", reduce_only=True, trigger=("tp", "62000", False))
    from sandbox.core import commands as cmd

    s.apply(cmd.ModifyOrders(CAROL, (cmd.Modify(tp, spec),)))
    (new_tp,) = [o for o in s.account(CAROL).orders if o not in (tp, sl)]
    s.order(BOB, "BTC", "B", "57900", "1")
    s.oracle("BTC", "58000")
    assert [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == new_tp] == [
        ev.SIBLING_FILLED_CANCELED
    ]


def test_a_filled_position_stop_cancels_the_position_take_profit():
    """Alice guards her long with a position take-profit and a position stop. The stop
    fires and closes the position: the take-profit ends `siblingFilledCanceled`."""
    s = long_alice()
    s.orders(
        ALICE,
        [
            s.spec("BTC", "A", "63000", "0.1", reduce_only=True, trigger=("tp", "62000", False)),
            s.spec("BTC", "A", "57000", "0.1", reduce_only=True, trigger=("sl", "58000", True)),
        ],
        grouping="positionTpsl",
    )
    tp, _sl = sorted(s.account(ALICE).orders)
    s.order(CAROL, "BTC", "B", "57900", "1")
    s.oracle("BTC", "58000")
    assert [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == tp] == [
        ev.SIBLING_FILLED_CANCELED
    ]
    assert s.size(ALICE, "BTC") == 0 and s.account(ALICE).orders == {}


def test_cancelling_a_normal_tpsl_parent_cancels_its_children():
    s = long_alice()
    result = s.orders(
        CAROL,
        [
            s.spec("BTC", "B", "59000", "0.1"),
            s.spec("BTC", "A", "61000", "0.1", reduce_only=True, trigger=("tp", "61000", False)),
        ],
        grouping="normalTpsl",
    )
    assert s.cancel(CAROL, "BTC", result.statuses[0].oid) == ev.SUCCESS
    assert [u.status for u in s.of(ev.OrderUpdate)] == [ev.CANCELED, ev.CANCELED]
    assert s.account(CAROL).orders == {}


def test_normal_tpsl_children_must_be_reduce_only_triggers():
    s = long_alice()
    result = s.orders(
        CAROL,
        [
            s.spec("BTC", "B", "59000", "0.1"),
            s.spec("BTC", "A", "61000", "0.1", trigger=("tp", "61000", False)),
        ],
        grouping="normalTpsl",
    )
    assert all(isinstance(st, ev.Error) for st in result.statuses)
    assert s.account(CAROL).orders == {}


def test_position_tpsl_closes_the_whole_position_and_dies_with_it():
    s = long_alice()
    result = s.orders(
        ALICE,
        [s.spec("BTC", "A", "57000", "0.1", reduce_only=True, trigger=("sl", "58000", True))],
        grouping="positionTpsl",
    )
    assert result.statuses == (ev.WAITING_FOR_TRIGGER,)
    # the position grows; the stop still closes all of it
    s.order(BOB, "BTC", "A", "60000", "0.05")
    s.order(ALICE, "BTC", "B", "60000", "0.05", tif="Ioc")
    s.order(CAROL, "BTC", "B", "57900", "1")
    s.oracle("BTC", "57950")
    assert s.size(ALICE, "BTC") == 0
    assert sum(f.sz for f in s.fills(ALICE)) == 15000


def test_position_tpsl_is_cancelled_when_the_position_closes():
    s = long_alice()
    s.orders(
        ALICE,
        [s.spec("BTC", "A", "63000", "0.1", reduce_only=True, trigger=("tp", "62000", False))],
        grouping="positionTpsl",
    )
    s.order(CAROL, "BTC", "B", "60000", "0.1")
    s.order(ALICE, "BTC", "A", "60000", "0.1", tif="Ioc")
    assert s.account(ALICE).orders == {}
    assert ev.CANCELED in [u.status for u in s.of(ev.OrderUpdate)]


def test_invalid_trigger_price():
    s = long_alice()
    status = s.order(
        ALICE, "BTC", "A", "55000", "0.1", reduce_only=True, trigger=("sl", "58000", True)
    )
    assert isinstance(status, ev.Resting)
    from sandbox.core import commands as cmd

    spec = cmd.OrderSpec(0, False, 550000, 10000, True, "Gtc", cmd.Trigger(580001, True, "sl"))
    s.apply(cmd.PlaceOrders(ALICE, (spec,)))
    assert s.result().statuses == (ev.Error("Invalid TP/SL price. asset=0"),)


def test_triggers_fired_by_one_mark_cancel_their_siblings_and_no_one_elses():
    """One mark fires both of Alice's position take-profits: the first fills and cancels
    its sibling, which had already left the trigger book; Dave's own take-profit, further
    up, is untouched and fires when the mark reaches it."""
    from tests.core.scene import DAVE

    s = long_alice()
    s.deposit(DAVE, 100_000)
    s.order(BOB, "BTC", "A", "60000", "0.1")
    s.order(DAVE, "BTC", "B", "60000", "0.1", tif="Ioc")
    s.order(DAVE, "BTC", "A", "63000", "0.1", reduce_only=True, trigger=("tp", "63000", True))
    s.orders(ALICE, [
        s.spec("BTC", "A", "50000", "0.1", reduce_only=True, trigger=("tp", "61000", True)),
        s.spec("BTC", "A", "50000", "0.1", reduce_only=True, trigger=("tp", "61500", True)),
    ], grouping="positionTpsl")  # fmt: skip
    first, second = sorted(s.account(ALICE).orders)
    s.order(CAROL, "BTC", "B", "61900", "1")
    s.oracle("BTC", "62000")
    statuses = [(u.order.oid, u.status) for u in s.of(ev.OrderUpdate) if u.order.user == ALICE]
    assert (second, ev.SIBLING_FILLED_CANCELED) in statuses and (first, ev.FILLED) in statuses
    assert s.size(ALICE, "BTC") == 0 and len(s.account(DAVE).orders) == 1
    s.order(CAROL, "BTC", "B", "63900", "1")
    s.oracle("BTC", "64000")
    assert s.size(DAVE, "BTC") == 0  # his take-profit fired


def test_a_parent_cancelled_by_the_venue_places_its_children_if_it_had_partly_filled():
    """Carol's bid with a take-profit attached: when the venue cancels the bid because she
    can no longer back it, a bid that never filled takes its child with it; one that had
    partly filled leaves a position to protect, so its child is placed."""
    for partly in (False, True):
        s = Scene()
        s.deposit(CAROL, 1_000)
        s.deposit(BOB, 100_000)
        s.oracle("BTC", "60000")
        s.order(BOB, "BTC", "A", "60000", "0.2")
        s.order(CAROL, "BTC", "B", "60000", "0.2", tif="Ioc")
        s.orders(CAROL, [
            s.spec("BTC", "B", "59000", "0.05"),
            s.spec("BTC", "A", "65000", "0.05", reduce_only=True, trigger=("tp", "65000", False)),
        ], grouping="normalTpsl")  # fmt: skip
        parent, child = sorted(s.account(CAROL).orders)
        if partly:
            s.order(BOB, "BTC", "A", "59000", "0.01", tif="Ioc")
        s.oracle("BTC", "58500")
        s.order(BOB, "BTC", "A", "59000", "0.04", tif="Ioc")
        statuses = {u.order.oid: u.status for u in s.of(ev.OrderUpdate) if u.order.user == CAROL}
        assert statuses[parent] == ev.MARGIN_CANCELED
        if partly:
            assert statuses[child] == ev.OPEN and list(s.account(CAROL).orders) == [child]
        else:
            assert statuses[child] == ev.MARGIN_CANCELED and s.account(CAROL).orders == {}
