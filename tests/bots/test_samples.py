"""Each sample bot against a served sandbox in virtual time, doing what it says."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bots.samples import AdlAware, MarketMaker, Momentum, Noise, Whale


async def play(sandbox, bots, turns: int, step_ms: int = 1_000, each=None) -> None:
    """`turns` rounds: every bot takes its turn, then `each(i)` (if given), then time passes."""
    for i in range(turns):
        now = sandbox.now()
        for bot in bots:
            await bot.turn(now)
        if each is not None:
            each(i)
        sandbox.advance(step_ms)


@pytest.fixture
async def connect(adl_sandbox):
    started = []

    async def connect(cls, usdc: str = "100000", **kw):
        wallet = adl_sandbox.wallet(usdc)
        bot = cls(cls.kind, wallet.key, **kw)
        await bot.connect(adl_sandbox.url)
        started.append(bot)
        return bot

    yield connect
    for bot in started:
        await bot.close()


async def quotes(bot) -> tuple[list[Decimal], list[Decimal]]:
    orders = await bot.client.open_orders()
    bids = sorted((Decimal(o["limitPx"]) for o in orders if o["side"] == "B"), reverse=True)
    asks = sorted(Decimal(o["limitPx"]) for o in orders if o["side"] == "A")
    return bids, asks


@pytest.mark.adl_sandbox(makers=False)
async def test_the_market_maker_quotes_around_the_mark_and_skews_against_its_inventory(
    adl_sandbox, connect
):
    mm = await connect(MarketMaker, coin="ETH", levels=2, spread_bps=10, step_bps=10,
                       level_usdc="20000", max_position_usdc="40000", skew_bps=20)  # fmt: skip
    await play(adl_sandbox, [mm], 1)
    bids, asks = await quotes(mm)
    assert bids == [Decimal("2997"), Decimal("2994")] and asks == [Decimal("3003"), Decimal("3006")]
    taker = await connect(Whale, coin="ETH", side="short", notional="20000", leverage=5, slices=1)
    await play(adl_sandbox, [taker], 1)  # sells ~6.6 ETH into the maker's bids
    assert await mm.position("ETH") > 0
    await play(adl_sandbox, [mm], 1)
    bids, asks = await quotes(mm)
    # long half its limit: everything 10 bps lower, to sell its inventory
    assert asks[0] < Decimal("3003") and bids[0] < Decimal("2997")
    assert (Decimal("3003") - asks[0]) / Decimal("3000") * 10_000 == pytest.approx(10, abs=1)


async def test_momentum_follows_the_move(adl_sandbox, connect):
    bot = await connect(Momentum, coin="SOL", lookback=3, threshold_bps=30, order_usdc="3000",
                        max_position_usdc="10000")  # fmt: skip
    up = iter(["150.3", "150.6", "150.9", "151.2", "151.5", "151.8"])
    await play(adl_sandbox, [bot], 6, each=lambda i: adl_sandbox.set_price("SOL", next(up)))
    bought = await bot.position("SOL")
    assert bought > 0
    assert any("bought" in line for line in bot.said)
    down = iter(["150", "148", "146", "144", "142", "140"])
    await play(adl_sandbox, [bot], 6, each=lambda i: adl_sandbox.set_price("SOL", next(down)))
    assert await bot.position("SOL") < bought
    assert any("sold" in line for line in bot.said)


async def test_the_whale_builds_its_leveraged_position_then_holds(adl_sandbox, connect):
    whale = await connect(Whale, usdc="20000", coin="BTC", side="long", notional="150000",
                          leverage=10, slices=3)  # fmt: skip
    await play(adl_sandbox, [whale], 6)
    state = await whale.client.user_state()
    (entry,) = state["assetPositions"]
    assert entry["position"]["leverage"] == {"type": "cross", "value": 10}
    notional = Decimal(entry["position"]["positionValue"])
    assert Decimal("140000") < notional < Decimal("151000")
    assert whale.sent == 3 and any("holds" in line for line in whale.said)


async def test_the_adl_aware_bot_stands_down_after_its_adl(adl_sandbox, connect):
    bot = await connect(AdlAware, coin="ETH", side="short", notional="30000", leverage=5,
                        slices=1)  # fmt: skip
    await play(adl_sandbox, [bot], 2)
    assert await bot.position("ETH") < 0
    await bot.client.order("ETH", True, "1", "2500")  # a take-profit bid, resting
    adl_sandbox.set_price("ETH", "2800")
    adl_sandbox.adl(bot.address, "ETH", sz="5")
    await play(adl_sandbox, [bot], 2)
    assert bot.stood_down and len(bot.adl_fills) == 1
    assert bot.adl_fills[0].sz == "5.0" and Decimal(bot.adl_fills[0].closedPnl) > 0
    assert await bot.client.open_orders() == []
    assert any("noticed its ADL" in line and "stands down" in line for line in bot.said)


async def test_the_adl_aware_bot_can_rehedge_instead(adl_sandbox, connect):
    bot = await connect(AdlAware, coin="ETH", side="short", notional="30000", leverage=5,
                        slices=1, on_adl="rehedge")  # fmt: skip
    await play(adl_sandbox, [bot], 2)
    held = await bot.position("ETH")
    adl_sandbox.set_price("ETH", "2800")
    adl_sandbox.adl(bot.address, "ETH", sz="4")
    assert await bot.position("ETH") == held + 4  # the ADL took 4 of the short
    await play(adl_sandbox, [bot], 1)  # the bot's next turn: it hears the ADL, sells 4 again
    assert [f.sz for f in bot.adl_fills] == ["4.0"]
    assert await bot.position("ETH") == held
    assert any("re-hedged 4" in line for line in bot.said) and not bot.stood_down


async def test_the_noise_trader_trades_within_its_limit(adl_sandbox, connect):
    bot = await connect(Noise, coin="BTC", seed=3, order_usdc="2000", rate=0.8,
                        max_position_usdc="6000")  # fmt: skip
    await play(adl_sandbox, [bot], 30)
    assert bot.sent >= 15
    position = await bot.position("BTC")
    assert abs(position) * 60_000 <= 6_000 + 2_100  # one order past the limit at most
    fills = await bot.client.info({"type": "userFills", "user": bot.address})
    assert len(fills) >= 5


async def test_a_whale_knows_its_liquidation_by_the_fills_liquidation_object(connect, adl_sandbox):
    """A whale's 40x long is liquidated into the book: its fill reads as an ordinary
    "Close Long", and the whale knows the fill for its liquidation by the `liquidation`
    object naming it; a fill that names another account leaves it trading."""
    from bots import events as ev

    whale = await connect(Whale, "10000", notional="200000", leverage=40, slices=1)
    await play(adl_sandbox, [whale], 2)
    assert whale.active and await whale.position("BTC") > 0
    other = ev.Fill("BTC", "60000.0", "0.1", "B", 0, "0.0", "Open Long", "0.0", "0x" + "0" * 64,
                    1, False, "0.0", 1, liquidation=ev.FillLiquidation("0x" + "11" * 20,
                                                                       "60000.0", "market"))
    await whale.on_fill(other)
    assert whale.active
    adl_sandbox.liquidate(whale.client.address, "BTC")  # into the book: a market liquidation
    await whale.client.sync()
    events = whale.client.take()
    fills = [e for e in events if isinstance(e, ev.Fill) and e.liquidated(whale.client.address)]
    assert fills and {(f.dir, f.liquidation.method) for f in fills} == {("Close Long", "market")}
    await whale.on_fill(fills[0])
    assert not whale.active and "was liquidated" in whale.said[-1]
