"""Order checks, cancels, modifies, cloids and the dead man's switch."""

import pytest

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from tests.core.scene import ALICE, BOB, CAROL, Scene, usd

CLOID = "0x0000000000000000000000000000002a"


def scene(**config) -> Scene:
    s = Scene(**config)
    for user in (ALICE, BOB, CAROL):
        s.deposit(user, 10_000)
    s.oracle("BTC", "60000")
    s.oracle("ETH", "3000")
    return s


def error(status) -> str:
    assert isinstance(status, ev.Error), status
    return status.text


@pytest.mark.parametrize(
    ("px", "sz", "text"),
    [
        ("60000", "0", "Order has zero size. asset=0"),
        ("60000", "0.0001", "Order must have minimum value of $10. asset=0"),
        ("118000", "0.001", "Order price cannot be more than 95% away from the reference price"),
        ("2900", "0.1", "Order price cannot be more than 95% away from the reference price"),
        # $240k at 20x needs $12k of initial margin; Alice has $10k
        ("60000", "4", "Insufficient margin to place order. asset=0"),
    ],
)
def test_checks_with_the_venues_texts(px, sz, text):
    s = scene()
    assert error(s.order(ALICE, "BTC", "B", px, sz)) == text
    assert s.account(ALICE).orders == {}


def test_tick_rules_on_integers():
    s = scene()
    s.apply(cmd.PlaceOrders(ALICE, (cmd.OrderSpec(0, True, 600001, 100),)))  # 60000.1
    assert error(s.result().statuses[0]) == "Price must be divisible by tick size. asset=0"


def test_unknown_asset_unknown_tif_and_unknown_user():
    s = scene()
    s.apply(cmd.PlaceOrders(ALICE, (cmd.OrderSpec(9, True, 1, 1),)))
    assert error(s.result().statuses[0]) == "Unknown asset. asset=9"
    s.apply(cmd.PlaceOrders(ALICE, (cmd.OrderSpec(0, True, 600000, 100, tif="Fok"),)))
    assert error(s.result().statuses[0]) == errors.INVALID_TIF + " asset=0"
    s.apply(cmd.PlaceOrders("0xnobody", (cmd.OrderSpec(0, True, 600000, 100),)))
    assert s.result() == ev.ActionResult(
        "0xnobody", "err", error="User or API Wallet 0xnobody does not exist."
    )


def test_a_batch_reports_each_order_in_request_order():
    s = scene()
    result = s.orders(
        ALICE,
        [
            s.spec("BTC", "B", "59000", "0.001"),
            s.spec("BTC", "B", "59000", "0.00001"),
            s.spec("ETH", "A", "3100", "0.01"),
        ],
    )
    first, second, third = result.statuses
    assert isinstance(first, ev.Resting) and isinstance(third, ev.Resting)
    assert error(second) == "Order must have minimum value of $10. asset=0"
    assert s.orders(ALICE, []) == ev.ActionResult(ALICE, "err", error=errors.EMPTY_BATCH)


def test_margin_counts_resting_orders_but_not_orders_that_only_reduce():
    """Alice has $10k at 20x: $195k of bids fit, $10k more does not. Once she is long
    1 BTC, a 1 BTC ask reserves nothing: filled, it would only close her position."""
    s = scene()
    big = s.order(ALICE, "BTC", "B", "50000", "3.9")
    assert isinstance(big, ev.Resting)
    assert s.account(ALICE).order_margin_total == 9_750_000_000
    assert error(s.order(ALICE, "BTC", "B", "50000", "0.2")) == errors.PERP_MARGIN + " asset=0"
    assert s.cancel(ALICE, "BTC", big.oid) == ev.SUCCESS
    assert s.account(ALICE).order_margin_total == 0
    s.order(BOB, "BTC", "A", "60000", "1")
    s.order(ALICE, "BTC", "B", "60000", "1", tif="Ioc")
    assert isinstance(s.order(ALICE, "BTC", "A", "61000", "1"), ev.Resting)
    assert s.account(ALICE).order_margin_total == 0
    s.order(ALICE, "BTC", "A", "61000", "1")  # this one would open a short of 1 BTC
    assert s.account(ALICE).order_margin_total == 3_050_000_000


def test_a_fill_early_in_a_batch_counts_against_the_margin_of_the_orders_after_it():
    """Alice, long 0.1 BTC with $10k at 20x, sends a batch: a market buy of 1 BTC ($3k of
    margin once filled), then a $160k bid ($8k). Alone the bid would fit; after the fill
    in front of it, it does not. (Within a batch the margin her positions take is worked
    out once, and again after each fill.)"""
    s = scene()
    s.order(BOB, "BTC", "A", "60000", "1.1")
    s.order(ALICE, "BTC", "B", "60000", "0.1", tif="Ioc")
    result = s.orders(ALICE, [
        s.spec("BTC", "B", "60000", "1", tif="Ioc"),
        s.spec("BTC", "B", "50000", "3.2"),
    ])  # fmt: skip
    bought, bid = result.statuses
    assert isinstance(bought, ev.Filled)
    assert error(bid) == errors.PERP_MARGIN + " asset=0"
    assert s.size(ALICE, "BTC") == s.sz("BTC", "1.1")
    # the same bid in a batch of its own, had the fill not happened: it fits
    t = scene()
    t.order(BOB, "BTC", "A", "60000", "0.1")
    t.order(ALICE, "BTC", "B", "60000", "0.1", tif="Ioc")
    first, second = t.orders(ALICE, [
        t.spec("BTC", "B", "50000", "0.01"),
        t.spec("BTC", "B", "50000", "3.2"),
    ]).statuses  # fmt: skip
    assert isinstance(first, ev.Resting) and isinstance(second, ev.Resting)


def test_reduce_only_is_cut_to_the_position_and_never_flips():
    s = scene()
    assert error(s.order(ALICE, "BTC", "A", "60000", "0.01", reduce_only=True)) == (
        "Reduce only order would increase position. asset=0"
    )
    s.order(BOB, "BTC", "A", "60000", "0.02")
    s.order(ALICE, "BTC", "B", "60000", "0.02", tif="Ioc")
    assert error(s.order(ALICE, "BTC", "B", "60000", "0.01", reduce_only=True)) == (
        "Reduce only order would increase position. asset=0"
    )
    status = s.order(ALICE, "BTC", "A", "61000", "0.05", reduce_only=True)
    order = s.account(ALICE).orders[status.oid]
    assert (order.sz, order.orig_sz) == (2000, 2000)
    s.order(CAROL, "BTC", "B", "61000", "0.05", tif="Ioc")
    assert s.size(ALICE, "BTC") == 0


def test_resting_reduce_only_orders_follow_the_position():
    """Alice is long 0.02 with a reduce-only ask for 0.02. She sells 0.01 elsewhere: the ask
    shrinks to 0.01. A newer reduce-only ask for 0.01 pushes the older one out."""
    s = scene()
    s.order(BOB, "BTC", "A", "60000", "0.02")
    s.order(ALICE, "BTC", "B", "60000", "0.02", tif="Ioc")
    old = s.order(ALICE, "BTC", "A", "62000", "0.02", reduce_only=True).oid
    s.order(CAROL, "BTC", "B", "59000", "0.01")
    s.order(ALICE, "BTC", "A", "59000", "0.01", tif="Ioc")
    assert s.account(ALICE).orders[old].sz == 1000
    new = s.order(ALICE, "BTC", "A", "63000", "0.01", reduce_only=True).oid
    assert set(s.account(ALICE).orders) == {new}
    assert [u.status for u in s.of(ev.OrderUpdate) if u.order.oid == old] == [
        ev.REDUCE_ONLY_CANCELED
    ]
    s.order(CAROL, "BTC", "B", "58000", "0.01")
    s.order(ALICE, "BTC", "A", "58000", "0.01", tif="Ioc")
    assert s.account(ALICE).orders == {}  # position closed: reduce-only order cancelled


def test_closing_a_whole_small_position_escapes_the_minimum():
    s = scene()
    s.order(BOB, "BTC", "A", "60000", "0.0002")  # $12
    s.order(ALICE, "BTC", "B", "60000", "0.0002", tif="Ioc")
    assert error(s.order(ALICE, "BTC", "A", "40000", "0.0001")) == (
        "Order must have minimum value of $10. asset=0"
    )
    assert isinstance(s.order(ALICE, "BTC", "A", "40000", "0.0002"), ev.Resting)


def test_cancel_only_your_own_orders():
    s = scene()
    oid = s.order(ALICE, "BTC", "B", "59000", "0.01").oid
    assert error(s.cancel(BOB, "BTC", oid)) == (
        "Order was never placed, already canceled, or filled. asset=0"
    )
    assert error(s.cancel(ALICE, "ETH", oid)).endswith("asset=1")
    assert s.cancel(ALICE, "BTC", oid) == ev.SUCCESS
    assert error(s.cancel(ALICE, "BTC", oid)).startswith("Order was never placed")
    assert [u.status for u in s.of(ev.OrderUpdate)] == []


def test_cancel_by_cloid():
    s = scene()
    s.order(ALICE, "BTC", "B", "59000", "0.01", cloid=CLOID)
    assert error(s.order(ALICE, "BTC", "B", "58000", "0.01", cloid=CLOID)) == (
        errors.DUPLICATE_CLOID + " asset=0"
    )
    s.apply(cmd.CancelByCloid(BOB, ((0, CLOID),)))
    assert error(s.result().statuses[0]).startswith("Order was never placed")
    s.apply(cmd.CancelByCloid(ALICE, ((0, CLOID),)))
    assert s.result().statuses == (ev.SUCCESS,)
    assert s.account(ALICE).cloids == {}


def test_modify_replaces_the_order_and_keeps_its_cloid():
    s = scene()
    old = s.order(ALICE, "BTC", "B", "59000", "0.01", cloid=CLOID).oid
    s.apply(cmd.ModifyOrders(ALICE, (cmd.Modify(CLOID, s.spec("BTC", "B", "59500", "0.02")),)))
    (status,) = s.result().statuses
    assert isinstance(status, ev.Resting) and status.oid != old and status.cloid == CLOID
    assert s.book("BTC")[0] == [(595000, 2000, 1)]
    # a modify that fails its checks leaves the old order where it was
    s.apply(cmd.ModifyOrders(ALICE, (cmd.Modify(status.oid, s.spec("BTC", "B", "59500", "9")),)))
    assert error(s.result().statuses[0]) == errors.PERP_MARGIN + " asset=0"
    assert s.book("BTC")[0] == [(595000, 2000, 1)]
    s.apply(cmd.ModifyOrders(ALICE, (cmd.Modify(old, s.spec("BTC", "B", "59500", "1")),), True))
    assert s.result() == ev.ActionResult(
        ALICE, "err", error="Cannot modify canceled or filled order"
    )
    s.apply(
        cmd.ModifyOrders(
            ALICE, (cmd.Modify(status.oid, s.spec("BTC", "B", "59600", "0.02")),), True
        )
    )
    assert s.result() == ev.ActionResult(ALICE, "default")


def test_open_order_limit():
    s = scene(max_open_orders=3)
    for px in ("59000", "58000", "57000"):
        s.order(ALICE, "BTC", "B", px, "0.001")
    assert (
        error(s.order(ALICE, "BTC", "B", "56000", "0.001")) == errors.TOO_MANY_ORDERS + " asset=0"
    )


def test_schedule_cancel_fires_at_its_time():
    s = scene()
    s.apply(cmd.WaiveScheduleCancelGate(ALICE))
    s.order(ALICE, "BTC", "B", "59000", "0.01")
    s.order(ALICE, "ETH", "B", "2900", "0.1")
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 1_000))
    assert s.result().error == errors.SCHEDULE_CANCEL_TOO_EARLY
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 10_000))
    assert s.result().ok
    s.apply(cmd.Tick(), dt=9_999)
    assert len(s.account(ALICE).orders) == 2
    s.apply(cmd.Tick(), dt=1)
    assert s.account(ALICE).orders == {}
    assert [u.status for u in s.of(ev.OrderUpdate)] == [ev.SCHEDULED_CANCEL] * 2
    assert {u.ts for u in s.of(ev.OrderUpdate)} == {s.now}


def test_schedule_cancel_can_be_unset_and_is_limited_per_day():
    s = scene(schedule_cancel_daily_limit=1, schedule_cancel_min_volume=0)
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 10_000))
    s.apply(cmd.ScheduleCancel(ALICE))
    s.apply(cmd.Tick(), dt=20_000)
    assert s.account(ALICE).scheduled_cancel_count == (0, 0)
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 5_000))
    s.apply(cmd.Tick(), dt=5_000)
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 5_000))
    assert s.result().error == errors.SCHEDULE_CANCEL_DAILY


def test_schedule_cancel_needs_a_million_dollars_traded_as_on_the_venue():
    """The venue's gate is on by default: Alice, who traded $600.15, is refused with the
    venue's text; once the control plane waives the gate for her, she may set it; Bob,
    with no waiver, still may not."""
    s = scene()
    s.order(BOB, "BTC", "A", "60015", "0.01")
    s.order(ALICE, "BTC", "B", "60015", "0.01", tif="Ioc")
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 10_000))
    assert s.result().error == (
        "Cannot set scheduled cancel time until enough volume traded. "
        "Required: $1000000. Traded: $600.15."
    )
    s.apply(cmd.WaiveScheduleCancelGate(ALICE))
    s.apply(cmd.ScheduleCancel(ALICE, s.now + 10_000))
    assert s.result().ok and s.account(ALICE).scheduled_cancel == s.now + 10_000
    s.apply(cmd.ScheduleCancel(BOB, s.now + 10_000))
    assert s.result().error.startswith("Cannot set scheduled cancel time")
    s.apply(cmd.WaiveScheduleCancelGate(ALICE, waived=False))
    s.apply(cmd.ScheduleCancel(ALICE))
    assert s.result().error.startswith("Cannot set scheduled cancel time")


def updates(s: Scene, user: str) -> list[tuple[int, str]]:
    return [(u.order.oid, u.status) for u in s.of(ev.OrderUpdate) if u.order.user == user]


@pytest.mark.parametrize(
    ("side", "px", "sz", "tif", "status"),
    [
        ("B", "60000", "0.0001", "Gtc", "minTradeNtlRejected"),
        ("B", "60000", "4", "Gtc", "perpMarginRejected"),  # $240k at 20x: $12k of margin
        ("A", "59000", "0.01", "Alo", "badAloPxRejected"),  # Bob bids 59,000
        ("A", "59500", "0.01", "Ioc", "iocCancelRejected"),
    ],
)
def test_a_refused_order_gets_an_oid_and_a_record(side, px, sz, tif, status):
    """As on the venue, an order refused by a check of the account or the market is
    assigned an oid and recorded with its status (it reaches orderUpdates and
    historicalOrders); the response carries only the error text."""
    s = scene()
    s.order(BOB, "BTC", "B", "59000", "0.1")
    before = s.ex.next_oid
    result = s.order(ALICE, "BTC", side, px, sz, tif=tif, cloid=CLOID)
    assert isinstance(result, ev.Error)
    assert updates(s, ALICE) == [(before + 1, status)]
    (update,) = s.of(ev.OrderUpdate)
    assert (update.order.cloid, update.order.sz, update.ts) == (CLOID, s.sz("BTC", sz), s.now)
    assert s.account(ALICE).orders == {} and CLOID not in s.account(ALICE).cloids


def test_an_order_refused_for_its_form_leaves_no_record():
    s = scene()
    for kw in ({"sz": "0"}, {"tif": "Xyz"}):
        before = s.ex.next_oid
        args = {"sz": "0.01", "tif": "Gtc"} | kw
        assert isinstance(s.order(ALICE, "BTC", "B", "60000", **args), ev.Error)
        assert s.ex.next_oid == before and updates(s, ALICE) == []


def test_frontend_market_is_a_market_order_that_matches_as_ioc():
    s = scene()
    s.order(BOB, "BTC", "A", "60010", "0.05")
    status = s.order(ALICE, "BTC", "B", "61000", "0.1", tif="FrontendMarket")
    assert isinstance(status, ev.Filled) and status.total_sz == s.sz("BTC", "0.05")
    assert s.account(ALICE).orders == {}  # the rest is not left resting
    assert updates(s, ALICE)[-1] == (status.oid, ev.CANCELED)
    refused = s.order(ALICE, "BTC", "B", "61000", "0.1", tif="FrontendMarket")
    assert refused == ev.Error("No liquidity available for market order. asset=0")
    assert updates(s, ALICE)[-1][1] == "marketOrderNoLiquidityRejected"


def test_a_resting_order_its_account_can_no_longer_back_is_cancelled_when_it_would_fill():
    """Carol ($10,000 at 20x) is long 1.5 BTC from 60,000 and bids for 0.5 more at 55,000
    ($1,375 of margin reserved). BTC falls to 55,100: her loss of $7,350 leaves $2,650 of
    value against $4,132.50 of initial margin: she is above maintenance ($1,033), so not
    liquidated, but no longer backs her bid. When Bob sells into it, the venue does not let
    it grow her position: the bid ends `marginCanceled` (and in nonUserCancel), and Bob's
    sell goes on to the next bid, Alice's."""
    s = scene()
    s.deposit(BOB, 1_000_000)
    s.order(BOB, "BTC", "A", "60000", "1.5")
    s.order(CAROL, "BTC", "B", "60000", "1.5", tif="Ioc")
    bid = s.order(CAROL, "BTC", "B", "55000", "0.5")
    s.order(ALICE, "BTC", "B", "54900", "0.1")
    s.oracle("BTC", "58000")
    s.oracle("BTC", "55100")
    assert s.size(CAROL, "BTC") == s.sz("BTC", "1.5")  # not liquidated
    assert s.ex.available_margin(s.account(CAROL)) < 0
    sold = s.order(BOB, "BTC", "A", "54900", "0.1", tif="Ioc")
    assert isinstance(sold, ev.Filled)
    assert (bid.oid, ev.MARGIN_CANCELED) in updates(s, CAROL)
    (cancel,) = s.of(ev.NonUserCancel)
    assert cancel.cancels == ((0, bid.oid),)
    assert [f.user for f in s.fills() if f.user != BOB] == [ALICE]


def test_at_its_open_interest_cap_a_coin_refuses_orders_that_grow_positions():
    """BTC's open interest is capped at $12,000. Alice buys 0.2 BTC from Bob at 60,000:
    $12,000, at the cap. Carol may not open a position, Alice may neither grow hers nor
    flip it, but she may reduce it. Bob's bid resting below the oracle stays."""
    s = scene(open_interest_caps=(("BTC", usd(12_000)),))
    s.order(BOB, "BTC", "B", "59000", "0.01")  # rests below the oracle: left alone
    s.order(BOB, "BTC", "A", "60000", "0.2")
    s.order(ALICE, "BTC", "B", "60000", "0.2", tif="Ioc")
    assert s.ex.at_open_interest_cap(s.asset("BTC"))
    refused = s.order(CAROL, "BTC", "B", "60000", "0.01")
    assert refused == ev.Error("Cannot increase position when open interest is at cap. asset=0")
    assert updates(s, CAROL)[-1][1] == "positionIncreaseAtOpenInterestCapRejected"
    flip = s.order(ALICE, "BTC", "A", "60000", "0.3")
    assert flip == ev.Error("Cannot flip position when open interest is at cap. asset=0")
    assert isinstance(s.order(ALICE, "BTC", "A", "60100", "0.1"), ev.Resting)  # reduces
    assert len(s.account(BOB).orders) == 1


def test_a_coin_reaching_its_cap_cancels_resting_orders_priced_through_the_oracle():
    s = scene()
    s.order(BOB, "BTC", "A", "60000", "0.2")
    s.order(ALICE, "BTC", "B", "60000", "0.2", tif="Ioc")
    s.order(CAROL, "BTC", "B", "60100", "0.05")  # a bid above the oracle, growing her long
    s.order(CAROL, "BTC", "B", "59000", "0.05")  # a bid below it
    s.apply(cmd.SetOpenInterestCap(s.asset("BTC"), usd(10_000)))
    assert [st for _, st in updates(s, CAROL)] == [ev.OPEN_INTEREST_CAP_CANCELED]
    (cancel,) = s.of(ev.NonUserCancel)
    assert cancel.user == CAROL and len(s.account(CAROL).orders) == 1
    s.apply(cmd.SetOpenInterestCap(s.asset("BTC"), None))
    assert not s.ex.at_open_interest_cap(s.asset("BTC"))
    assert isinstance(s.order(CAROL, "BTC", "B", "59000", "0.01"), ev.Resting)


def test_a_delisted_asset_cancels_its_orders_settles_positions_at_the_mark_and_trades_no_more():
    """ETH is delisted with Alice long 1 from 3,000 and Bob short, the mark at 3,100: Carol's
    resting bid is cancelled (`delistedCanceled`), Alice and Bob are settled at 3,100 with
    one-sided "Settlement" fills (+100 for her, -100 for him, nothing created or lost), and
    ETH takes no order after; BTC trades on."""
    s = scene()
    s.order(BOB, "ETH", "A", "3000", "1")
    s.order(ALICE, "ETH", "B", "3000", "1", tif="Ioc")
    bid = s.order(CAROL, "ETH", "B", "2900", "1")
    s.oracle("ETH", "3100")
    s.apply(cmd.Delist(s.asset("ETH")))
    assert updates(s, CAROL) == [(bid.oid, ev.DELISTED_CANCELED)]
    (settled,) = s.of(ev.Settled)
    assert [(f.user, f.dir, f.closed_pnl, f.is_buy, f.px) for f in settled.fills] == sorted([
        (ALICE, "Settlement", usd(100), False, s.px("ETH", "3100")),
        (BOB, "Settlement", -usd(100), True, s.px("ETH", "3100")),
    ])  # fmt: skip
    assert s.size(ALICE, "ETH") == s.size(BOB, "ETH") == 0 and s.ex.open_interest[1] == 0
    assert s.order(CAROL, "ETH", "B", "2900", "1") == ev.Error("Asset is delisted. asset=1")
    s.apply(cmd.SetHalted(False))
    assert s.order(CAROL, "ETH", "B", "2900", "1") == ev.Error("Asset is delisted. asset=1")
    assert isinstance(s.order(CAROL, "BTC", "B", "59000", "0.01"), ev.Resting)
    s.apply(cmd.Delist(s.asset("ETH")))
    assert s.result().error == "Asset is delisted."


def test_a_resting_order_is_backed_by_the_whole_account_not_only_its_coin():
    """Carol ($1,000) is short 4 ETH at 20x and bids for BTC. ETH rises to 3,080: her short
    loses $320 and her account no longer backs the bid, although she holds no BTC. When
    Bob sells into the bid, it is cancelled `marginCanceled`."""
    s = scene()
    s.deposit("0x" + "cc" * 20, 1_000)
    carol = "0x" + "cc" * 20
    s.order(BOB, "ETH", "B", "3000", "4")
    s.order(carol, "ETH", "A", "3000", "4", tif="Ioc")
    bid = s.order(carol, "BTC", "B", "59000", "0.05")
    s.oracle("ETH", "3080")
    assert s.ex.available_margin(s.account(carol)) < 0
    s.order(BOB, "BTC", "A", "59000", "0.05", tif="Ioc")
    assert (bid.oid, ev.MARGIN_CANCELED) in updates(s, carol)
    assert s.size(carol, "BTC") == 0
