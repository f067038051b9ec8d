"""Background market makers on a venue in virtual time: a live book that follows the oracle,
real trades against it, pulled and restored."""

from __future__ import annotations

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
