"""Background takers (sandbox.sim.flow.TakerFlow): market orders at the declared rate that
trade against the makers' book, open interest that builds and is held in check by the
traders' closing rule, and runs that repeat for a seed."""

from __future__ import annotations

import pytest

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.units import USDC
from sandbox.sim.build import build
from sandbox.sim.flow import TakerFlow, trader_address
from sandbox.sim.scenario import parse

MINUTE = 60_000

MARKET = """
name = "flow"
seed = 11
start = "2025-03-01T00:00:00Z"
[exchange]
mark_rule = "oracle"
[markets.BTC]
price = "60000"
feed = "walk"
[markets.ETH]
price = "3000"
feed = "walk"
[markets.SOL]
price = "150"
feed = "walk"
[markets.kPEPE]
price = "0.0123"
feed = "walk"
[[makers]]
name = "mm1"
level_usdc = "100000"
"""

CROWD = """
[[flow]]
name = "crowd"
trades_per_minute = 3
traders = 10
order_usdc = "2000"
leverage = 5
usdc = "20000"
"""


class Orders:
    """What the flow's traders sent and what it made, seen through the venue's tap."""

    def __init__(self, venue, traders) -> None:
        self.traders = set(traders)
        self.results: list[ev.ActionResult] = []
        self.trades: list[ev.Trade] = []
        venue.taps.append(self)

    def __call__(self, events: list) -> None:
        for event in events:
            if type(event) is ev.ActionResult and event.user in self.traders:
                self.results.append(event)
            elif type(event) is ev.Trade and event.taker in self.traders:
                self.trades.append(event)


def crowd(seed: int | None = None):
    venue = build(parse(MARKET + CROWD, seed=seed))
    (flow,) = venue.flows
    return venue, flow


def notional(ex, address: str, asset: int) -> int:
    """A trader's position in `asset` at mark, micro-USDC."""
    return abs(ex.accounts[address].position_size(asset)) * ex.marks[asset]


def test_orders_arrive_at_the_declared_rate_and_trade_against_the_book():
    venue, flow = crowd()
    assert flow.active and flow.addresses == tuple(trader_address("crowd", i) for i in range(1, 11))
    seen = Orders(venue, flow.addresses)
    minutes = 30
    venue.advance(minutes * MINUTE)
    expected = 3 * 4 * minutes  # per coin per minute, four coins
    assert 0.8 * expected <= flow.sent <= 1.2 * expected
    # each order sent is one order action, accepted: valid prices and sizes on every coin
    orders = [r for r in seen.results if r.kind == "order"]
    assert len(orders) == flow.sent
    refused = [s for r in orders for s in r.statuses if isinstance(s, ev.Error)]
    assert refused == []
    # immediate-or-cancel against a live book: they trade, and nothing of theirs rests
    assert len(seen.trades) >= 0.9 * flow.sent
    assert {t.kind for t in seen.trades} == {"match"}
    assert all(not venue.exchange.accounts[a].orders for a in flow.addresses)
    traded = {venue.views.coins[t.asset] for t in seen.trades}
    assert traded == {"BTC", "ETH", "SOL", "kPEPE"}
    venue.exchange.validate()


def test_open_interest_builds_and_stays_bounded():
    venue, flow = crowd()
    ex = venue.exchange
    assets = [ex.by_name[coin].asset for coin in flow.coins]
    capacity = flow.usdc * USDC * flow.leverage  # what a trader's margin allows, at most
    largest_order = 20 * flow.order_usdc * USDC * 101 // 100  # the biggest draw, 1% slippage
    for _ in range(60):
        venue.advance(MINUTE)
        for asset in assets:
            held = [notional(ex, a, asset) for a in flow.addresses]
            # a trader past half its capacity only closes: one order past it at most
            assert max(held) <= capacity // 2 + largest_order
            # every long is someone's short: the makers hold what the crowd does not
            assert ex.open_interest[asset] * ex.marks[asset] <= sum(held)
        ex.validate()
    assert all(ex.open_interest[asset] > 0 for asset in assets)
    # the crowd's positions are real and on both sides
    sizes = [ex.accounts[a].position_size(asset) for a in flow.addresses for asset in assets]
    assert any(s > 0 for s in sizes) and any(s < 0 for s in sizes)


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    runs = []
    for seed in (11, 11, 12):
        venue, flow = crowd(seed)
        venue.advance(10 * MINUTE)
        venue.exchange.validate()
        runs.append((venue.exchange.state_hash(), flow.sent))
    assert runs[0] == runs[1]
    assert runs[2][0] != runs[0][0]


def test_no_rate_no_orders():
    venue = build(parse(MARKET + CROWD.replace("trades_per_minute = 3", "trades_per_minute = 0")))
    (flow,) = venue.flows
    venue.advance(10 * MINUTE)
    assert flow.sent == 0 and not flow.active


# -- one trader, one coin: the closing rule, order by order --------------------------------


def solo(size: str, seed: int = 3):
    """A maker's book on BTC and a flow of one trader ($10,000 at 5x: a capacity of $50,000)
    holding `size` BTC (signed), opened at the price."""
    venue = build(parse(MARKET, seed=1))
    flow = TakerFlow(venue, "solo", ("BTC",), trades_per_minute=1, order_usdc=2_000,
                     traders=1, leverage=5, usdc=10_000, seed=seed)  # fmt: skip
    flow.fund()
    btc = venue.exchange.by_name["BTC"]
    lots = btc.units.parse_sz(size.lstrip("-"))
    is_buy = not size.startswith("-")
    px = btc.units.parse_px("61000" if is_buy else "59000")
    (address,) = flow.addresses
    venue.apply(cmd.PlaceOrders(address, (cmd.OrderSpec(btc.asset, is_buy, px, lots, tif="Ioc"),)))
    assert venue.exchange.accounts[address].position_size(btc.asset) == (lots if is_buy else -lots)
    return venue, flow, address, btc.asset


def trades(venue, flow, address, asset, count):
    """`count` of the trader's orders: (position before, position after)."""
    acct = venue.exchange.accounts[address]
    out = []
    for _ in range(count):
        before = acct.position_size(asset)
        flow.trade()
        out.append((before, acct.position_size(asset)))
    return out


@pytest.mark.parametrize("size", ["0.5", "-0.5"])  # about $30,000: past half of $50,000
def test_a_trader_past_half_its_capacity_only_closes(size):
    venue, flow, address, asset = solo(size)
    ex = venue.exchange
    half = flow.usdc * USDC * flow.leverage // 2
    steps = 0
    while notional(ex, address, asset) > half:
        before = ex.accounts[address].position_size(asset)
        flow.trade()
        after = ex.accounts[address].position_size(asset)
        assert abs(after) < abs(before)  # it closed some
        assert after * before >= 0  # and never past flat (reduce-only)
        steps += 1
        assert steps < 50
    assert steps >= 1
    ex.validate()


@pytest.mark.parametrize("size", ["0.3", "-0.3"])  # about $18,000: under half of $50,000
def test_a_trader_under_half_its_capacity_adds_as_well_as_closes(size):
    """Longs and shorts alike: within its capacity a trader closes some of the time, and
    otherwise buys or sells, so a position grows as well as shrinks."""
    venue, flow, address, asset = solo(size)
    half = flow.usdc * USDC * flow.leverage // 2
    ex = venue.exchange
    grew, shrank = [], 0
    for before, after in trades(venue, flow, address, asset, 60):
        if not before:
            continue
        if abs(after) > abs(before) and after * before > 0:
            held = abs(before) * ex.marks[asset]
            assert held <= half  # only while it was within half
            grew.append(held)
        elif abs(after) < abs(before):
            shrank += 1
    assert len(grew) >= 3 and shrank >= 3
    # it added to positions larger than its deposit, as its leverage allows, long or short
    assert max(grew) > flow.usdc * USDC
    ex.validate()


def test_bad_settings_are_refused():
    venue = build(parse(MARKET))
    with pytest.raises(ValueError, match="unknown coin"):
        TakerFlow(venue, "x", ("DOGE",))
    for bad in ({"traders": 0}, {"order_usdc": 0}, {"trades_per_minute": -1}, {"leverage": 0}):
        with pytest.raises(ValueError):
            TakerFlow(venue, "x", **bad)
