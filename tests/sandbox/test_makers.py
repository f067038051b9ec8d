"""Background market makers on a venue in virtual time: a live book that follows the oracle,
real trades against it, pulled and restored."""

from __future__ import annotations

import itertools

import pytest

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue
from sandbox.sim.makers import MarketMaker, maker_address
from sandbox.sim.oracle import Constant


def venue_with_maker(**maker) -> tuple[Venue, MarketMaker]:
    venue = Venue(ServerConfig(time="virtual", start_ms=1_800_000_000_000,
                               exchange=ExchangeConfig(mark_rule="oracle")))  # fmt: skip
    for coin, px in (("BTC", 60_000), ("ETH", 3_000), ("SOL", 150), ("kPEPE", 0.012)):
        venue.oracle.set_path(coin, Constant(px), venue.now())
    venue.oracle.tick(venue.now())
    mm = MarketMaker(venue, **maker)
    venue.liquidity.makers.append(mm)
    venue.liquidity.start()
    venue.exchange.validate()
    return venue, mm


def levels(venue, coin):
    book = venue.views.l2_book(venue.exchange.by_name[coin].asset)
    return [[(float(level.px), float(level.sz)) for level in side] for side in book.levels]


def test_a_fresh_book_has_quotes_around_the_oracle_on_every_coin():
    venue, mm = venue_with_maker()
    for coin, oracle in (("BTC", 60_000), ("ETH", 3_000), ("SOL", 150), ("kPEPE", 0.012)):
        bids, asks = levels(venue, coin)
        assert len(bids) == len(asks) == 5
        assert bids[0][0] < oracle < asks[0][0]
        assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
        for px, sz in bids + asks:
            assert 49_000 < px * sz < 51_000  # about $50,000 a level
    assert levels(venue, "BTC")[0][0][0] == 59_970  # 5 bps under 60,000
    assert mm.address == maker_address("mm1")


def test_quotes_follow_the_oracle_and_trades_are_real():
    venue, mm = venue_with_maker()
    btc = venue.exchange.by_name["BTC"]
    taker = "0x" + "cd" * 20
    venue.apply(cmd.Deposit(taker, 100_000 * 10**6))
    venue.apply(
        cmd.PlaceOrders(taker, (cmd.OrderSpec(btc.asset, True, 610_000, 10_000, tif="Ioc"),))
    )
    assert venue.exchange.accounts[mm.address].positions[btc.asset].size == -10_000
    venue.oracle.set_price("BTC", 61_000, venue.now())
    venue.advance(1_000)
    bids, asks = levels(venue, "BTC")
    assert bids[0][0] < 61_000 < asks[0][0] and len(asks) == 5
    venue.exchange.validate()


def test_pull_and_restore():
    venue, _ = venue_with_maker(coins=("BTC",))
    venue.liquidity.pull()
    assert levels(venue, "BTC") == [[], []] and not venue.liquidity.active
    venue.advance(10_000)
    assert levels(venue, "BTC") == [[], []]  # it stays away
    venue.liquidity.restore()
    assert [len(side) for side in levels(venue, "BTC")] == [5, 5]
    assert levels(venue, "ETH") == [[], []]  # not its coin
    venue.exchange.validate()


def test_bad_settings_are_refused():
    venue, _ = venue_with_maker()
    with pytest.raises(ValueError):
        MarketMaker(venue, "mm2", ("DOGE",))
    with pytest.raises(ValueError):
        MarketMaker(venue, "mm2", levels=0)


# -- the grid: quotes that move only at the edges ----------------------------------------------


def quotes(venue, mm, coin):
    """The maker's resting quotes in `coin`: {oid: (is_buy, px, sz)}."""
    asset = venue.exchange.by_name[coin].asset
    acct = venue.exchange.accounts[mm.address]
    return {oid: (o.is_buy, o.px, o.sz) for oid, o in acct.orders.items() if o.asset == asset}


class MakerOrders:
    """The maker's cancels and new quotes, as the venue's events tell them."""

    def __init__(self, venue, address: str) -> None:
        self.address = address
        self.cancelled = self.placed = 0
        venue.taps.append(self)

    def __call__(self, events: list) -> None:
        from sandbox.core import events as ev

        for event in events:
            if type(event) is ev.OrderUpdate and event.order.user == self.address:
                self.cancelled += event.status == "canceled"
            elif type(event) is ev.ActionResult and event.user == self.address:
                self.placed += sum(type(s) is ev.Resting for s in event.statuses)


def mid(venue, coin) -> float:
    return float(venue.views.mid(venue.exchange.by_name[coin].asset))


def test_with_a_constant_price_the_book_is_centred_on_the_oracle_and_left_alone():
    venue, mm = venue_with_maker()
    before = {coin: quotes(venue, mm, coin) for coin in ("BTC", "ETH", "SOL", "kPEPE")}
    seen = MakerOrders(venue, mm.address)
    venue.advance(30_000)  # 30 requotes
    for coin, oracle in (("BTC", 60_000), ("ETH", 3_000), ("SOL", 150), ("kPEPE", 0.012)):
        assert mid(venue, coin) == pytest.approx(oracle, rel=1e-9)
        bids, asks = levels(venue, coin)
        assert oracle - bids[0][0] == pytest.approx(asks[0][0] - oracle)  # symmetric
        assert quotes(venue, mm, coin) == before[coin]  # the same orders, untouched
    assert (seen.cancelled, seen.placed) == (0, 0)


@pytest.mark.parametrize(("px", "steps"), [(60_010, 0), (60_030, 1), (59_970, 1), (60_060, 2)])
def test_a_small_move_replaces_only_the_quotes_at_the_edges(px, steps):
    """BTC's grid steps $30 (5 bps of 60,000): a move of k steps cancels k quotes a side
    (the nearest on the side the price moves to, the farthest on the other) and places k
    new ones; the other quotes keep their orders, and their place in the queue."""
    venue, mm = venue_with_maker(coins=("BTC",))
    before = quotes(venue, mm, "BTC")
    assert len(before) == 10
    seen = MakerOrders(venue, mm.address)
    venue.oracle.set_price("BTC", px, venue.now())
    venue.advance(1_000)
    after = quotes(venue, mm, "BTC")
    kept = before.keys() & after.keys()
    assert len(after) == 10
    assert len(kept) == 10 - 2 * steps
    assert (seen.cancelled, seen.placed) == (2 * steps, 2 * steps)
    assert all(after[oid] == before[oid] for oid in kept)  # the same price and size
    # the ladder moved whole steps: 5 levels a side, $30 apart, around 60,000 + k * 30
    shift = 30 * steps if px > 60_000 else -30 * steps
    bids, asks = levels(venue, "BTC")
    assert [p for p, _ in bids] == [59_970 + shift - 30 * k for k in range(5)]
    assert [p for p, _ in asks] == [60_030 + shift + 30 * k for k in range(5)]
    venue.exchange.validate()


def test_a_jump_past_the_ladder_starts_the_grid_again_at_the_new_price():
    venue, mm = venue_with_maker(coins=("BTC",))
    before = quotes(venue, mm, "BTC")
    seen = MakerOrders(venue, mm.address)
    venue.oracle.set_price("BTC", 63_000, venue.now())  # +5%: far past 5 levels of 5 bps
    venue.advance(1_000)
    after = quotes(venue, mm, "BTC")
    assert not before.keys() & after.keys() and len(after) == 10
    assert (seen.cancelled, seen.placed) == (10, 10)
    assert mid(venue, "BTC") == 63_000
    bids, asks = levels(venue, "BTC")
    # spread and step are set again: 5 bps of the new price ($31.50), on whole dollars
    spread = 63_000 - bids[0][0]
    assert spread in (31, 32) and asks[0][0] - 63_000 == spread
    assert bids[0][0] - bids[1][0] == asks[1][0] - asks[0][0] == spread
    venue.exchange.validate()


def test_sizes_grow_away_from_the_mid_by_growth_pct():
    venue, _ = venue_with_maker(coins=("BTC", "ETH"), growth_pct=20, level_usdc=10_000)
    for coin in ("BTC", "ETH"):
        for side in levels(venue, coin):
            notionals = [px * sz for px, sz in side]
            assert notionals[0] == pytest.approx(10_000, rel=0.01)
            for near, far in itertools.pairwise(notionals):
                assert far / near == pytest.approx(1.2, rel=0.01)


def test_a_move_under_requote_bps_leaves_the_quotes_alone():
    venue, mm = venue_with_maker(coins=("BTC",), requote_bps=20)
    before = quotes(venue, mm, "BTC")
    venue.oracle.set_price("BTC", 60_090, venue.now())  # 15 bps: three steps, under 20 bps
    venue.advance(1_000)
    assert quotes(venue, mm, "BTC") == before
    venue.oracle.set_price("BTC", 60_150, venue.now())  # 25 bps: it requotes
    venue.advance(1_000)
    assert mid(venue, "BTC") == 60_150
    assert len(before.keys() & quotes(venue, mm, "BTC").keys()) == 0  # 5 steps: all moved
