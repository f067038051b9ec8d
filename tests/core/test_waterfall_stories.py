"""The loss waterfall, told as stories with exact figures: one per stage, one per ADL policy.

Fees are off unless a story says otherwise, so every figure can be checked by hand. BTC
prices are in ticks of $0.1 and sizes in lots of 0.00001 BTC; `usd("...")` is micro-USDC.
"""

from __future__ import annotations

import pytest

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.liquidation import CROSS
from tests.core.scene import ALICE, BOB, CAROL, DAVE, Scene, usd

ERIN = "0x" + "e1" * 20
MALLORY = "0x" + "ff" * 20  # the market maker on the other side of everyone
VAULT = "0xbac0000000000000000000000000000000000001"


def market(**config) -> Scene:
    config.setdefault("taker_fee", 0)
    config.setdefault("maker_fee", 0)
    s = Scene(**config)
    s.deposit(MALLORY, 10_000_000)
    s.oracle("BTC", "60000")
    return s


def trade(s: Scene, user: str, side: str, px: str, sz: str) -> None:
    """`user` trades `sz` BTC at `px` against Mallory."""
    s.order(MALLORY, "BTC", "A" if side == "B" else "B", px, sz)
    status = s.order(user, "BTC", side, px, sz, tif="Ioc")
    assert isinstance(status, ev.Filled), status


def steps(s: Scene, stage: str | None = None) -> list[ev.WaterfallStep]:
    return [e for e in s.of(ev.WaterfallStep) if stage is None or e.stage == stage]


def test_stage_1_a_small_long_is_sold_into_the_book_and_keeps_what_is_left():
    """Alice puts $1,000 behind a 20x long of 0.3 BTC at 60,000 ($18,000). Her maintenance
    margin is 1.25% of the notional. Bob bids 57,300 for 1 BTC.

    At 57,400 she holds 1,000 - 0.3 * 2,600 = 220 against 215.25 of maintenance: safe.
    At 57,380 she holds 214 against 215.18: liquidatable, and far above 2/3 of it, so the
    book takes it: her whole position (under $100k) sells to Bob at 57,300. Her fill reads
    as an ordinary "Close Long" carrying the liquidation object, as the venue tags market
    liquidations. She realizes 0.3 * (57,300 - 60,000) = -810 and keeps the remaining $190."""
    s = market()
    s.deposit(ALICE, 1_000)
    s.deposit(BOB, 100_000)
    trade(s, ALICE, "B", "60000", "0.3")
    s.order(ALICE, "BTC", "A", "65000", "0.1")  # a resting order, to see it cancelled
    s.order(BOB, "BTC", "B", "57300", "1")
    s.oracle("BTC", "57400")
    assert s.size(ALICE, "BTC") == 30_000 and not steps(s)
    s.oracle("BTC", "57380")

    (cancel,) = s.of(ev.NonUserCancel)
    assert cancel.user == ALICE and next(status.status for status in s.of(ev.OrderUpdate)) == (
        ev.LIQUIDATED_CANCELED
    )
    (trade_,) = [t for t in s.of(ev.Trade)]
    alice, bob = trade_.fills()
    assert (alice.user, alice.px, alice.sz, alice.dir, alice.closed_pnl, alice.fee) == (
        ALICE, 573000, 30_000, "Close Long", -usd(810), 0,
    )  # fmt: skip
    assert (bob.user, bob.dir, bob.crossed) == (BOB, "Open Long", False)
    assert alice.liquidation == bob.liquidation == ev.Liquidation(ALICE, 573800, "market")
    (step,) = steps(s)
    assert (step.stage, step.closed, step.price, step.shortfall) == ("market", 30_000, 573000, 0)
    (liquidated,) = s.of(ev.Liquidated)
    assert (liquidated.method, liquidated.account_value) == ("market", usd(214))
    assert s.size(ALICE, "BTC") == 0 and s.value(ALICE) == usd(190)


def test_stage_1_a_whale_goes_20_percent_at_a_time_then_whole_during_the_cooldown():
    """Alice, $12,000 at 20x, is long 4 BTC from 60,000 ($240,000, above the $100k line).

    At 57,700 she holds 12,000 - 4 * 2,300 = 2,800 against 2,885 of maintenance: only 20%,
    0.8 BTC, goes to the book (Bob's bid for 0.8 at 57,650), which brings her back above
    maintenance. A 30 s cooldown starts. At 57,500, ten seconds later, she is below again
    (2,120 against 2,300): inside the cooldown the order is for the whole 3.2 BTC, which
    Bob's bid at 57,450 takes. Alice keeps 2,120 - 3.2 * 50 = 1,960."""
    s = market()
    s.deposit(ALICE, 12_000)
    s.deposit(BOB, 1_000_000)
    trade(s, ALICE, "B", "60000", "4")
    s.order(BOB, "BTC", "B", "57650", "0.8")
    s.order(BOB, "BTC", "B", "57450", "5")
    s.oracle("BTC", "57700")
    (step,) = steps(s)
    assert (step.closed, step.price, s.size(ALICE, "BTC")) == (80_000, 576500, 320_000)
    assert s.account(ALICE).liq_cooldown_until == s.now + 30_000
    s.oracle("BTC", "57500", dt=10_000)
    (step,) = steps(s)
    assert (step.closed, step.price, s.size(ALICE, "BTC")) == (320_000, 574500, 0)
    assert s.value(ALICE) == usd(1_960)


def test_stage_1_waits_for_a_book_that_can_take_it():
    """With no bid above the price that would leave her at zero, Alice's liquidation stays
    pending; when Bob bids, the next block sells her position."""
    s = market()
    s.deposit(ALICE, 1_000)
    s.deposit(BOB, 100_000)
    trade(s, ALICE, "B", "60000", "0.3")
    s.order(BOB, "BTC", "B", "50000", "1")  # far below Alice's bankruptcy price
    s.oracle("BTC", "57380")
    assert s.size(ALICE, "BTC") == 30_000 and (ALICE, CROSS) in s.ex._pending
    s.order(BOB, "BTC", "B", "57200", "1", dt=1_000)
    assert s.size(ALICE, "BTC") == 0
    assert s.value(ALICE) == usd(160)  # sold 0.3 at 57,200: 1,000 - 840


def test_stage_2_a_gap_sends_the_position_to_the_vault_with_its_shortfall():
    """Alice's 0.3 BTC long from 60,000 with $1,000 meets a gap to 56,000: her value is
    1,000 - 1,200 = -200, below 2/3 of maintenance. The liquidator vault ($1M) takes the
    position over at 56,000 with the -200 of margin: it pays the shortfall. Alice ends at
    exactly zero."""
    s = market(vault_capital=usd(1_000_000))
    s.deposit(ALICE, 1_000)
    trade(s, ALICE, "B", "60000", "0.3")
    s.oracle("BTC", "56000")
    (trade_,) = [t for t in s.of(ev.Trade)]
    alice, vault = trade_.fills()
    assert (alice.px, alice.dir, alice.closed_pnl, alice.crossed) == (
        560000, "Liquidated Cross Long", -usd(1_200), True,
    )  # fmt: skip
    assert (vault.user, vault.dir, vault.fee, vault.crossed, vault.start_position) == (
        VAULT, "Liquidated Cross Long", 0, True, 0,
    )  # fmt: skip
    assert vault.liquidation == ev.Liquidation(ALICE, 560000, "backstop")
    (step,) = steps(s)
    assert (step.stage, step.shortfall, step.vault_before, step.vault_after) == (
        "backstop", usd(200), usd(1_000_000), usd(999_800),
    )  # fmt: skip
    assert s.value(ALICE) == 0 and s.account(ALICE).positions == {}
    assert s.ex.vault.positions[0].size == 30_000


def test_stage_2_an_isolated_position_goes_alone():
    """Alice holds $5,000 cross and an isolated 20x long of 0.3 BTC (margin $900). The gap
    to 56,000 leaves the isolated position at 900 - 1,200 = -300: the vault takes it and
    its pool; her cross $4,100 is untouched."""
    s = market(vault_capital=usd(1_000_000))
    s.deposit(ALICE, 5_000)
    assert s.leverage(ALICE, "BTC", 20, cross=False).ok
    trade(s, ALICE, "B", "60000", "0.3")
    assert s.account(ALICE).raw == usd(4_100)
    s.oracle("BTC", "56000")
    (step,) = steps(s)
    assert (step.stage, step.shortfall) == ("backstop", usd(300))
    assert [f.dir for t in s.of(ev.Trade) for f in t.fills()] == ["Liquidated Isolated Long"] * 2
    assert s.account(ALICE).raw == usd(4_100) and s.account(ALICE).positions == {}
    assert s.ex.vault.raw == usd(1_000_000) - usd(300) - 30_000 * 560000


def adl_scene(policy: str) -> Scene:
    """Everyone trades with Mallory while BTC is at 60,000; the vault has nothing.

    | who   | deposit | position          | at 56,000: uPnL | value  |
    | Alice |   1,000 | long 0.3 @ 60,000 |         -1,200  |   -200 |
    | Bob   |   1,000 | short 0.2 @ 57,000|           +200  |  1,200 |
    | Carol |   2,000 | short 0.2 @ 65,000|         +1,800  |  3,800 |
    | Dave  |   2,000 | short 0.1 @ 63,000|           +700  |  2,700 |
    | Erin  |   5,000 | short 0.1 @ 55,000|           -100  |  4,900 |
    """
    s = market(vault_capital=0, adl_policy=policy)
    for user, amount in (
        (ALICE, 1_000),
        (BOB, 1_000),
        (CAROL, 2_000),
        (DAVE, 2_000),
        (ERIN, 5_000),
    ):
        s.deposit(user, amount)
    trade(s, BOB, "A", "57000", "0.2")
    trade(s, CAROL, "A", "65000", "0.2")
    trade(s, DAVE, "A", "63000", "0.1")
    trade(s, ERIN, "A", "55000", "0.1")
    trade(s, ALICE, "B", "60000", "0.3")
    s.oracle("BTC", "56000")
    return s


@pytest.mark.parametrize(
    ("policy", "order", "closed", "price"),
    [
        # (mark/entry)*(notional/value), mirrored for shorts as entry_ntl/value:
        # Bob 11,400/1,200 = 9.5; Carol 13,000/3,800 = 3.42; Dave 6,300/2,700 = 2.33
        ("hyperliquid", [BOB, CAROL, DAVE, ERIN], [(BOB, 20_000), (CAROL, 10_000)], 600000),
        # uPnL/wallet * MM/(wallet + uPnL): Carol 1,800*140/(2,000*3,800) = 0.0332;
        # Bob 200*140/(1,000*1,200) = 0.0233; Dave 700*70/(2,000*2,700) = 0.0091
        ("binance", [CAROL, BOB, DAVE, ERIN], [(CAROL, 20_000), (BOB, 10_000)], 566667),
        # PnL% * notional/value: Carol 0.1385*2.947 = 0.408; Dave 0.1111*2.074 = 0.230;
        # Bob 0.0175*9.333 = 0.164
        ("bitmex", [CAROL, DAVE, BOB, ERIN], [(CAROL, 20_000), (DAVE, 10_000)], 566667),
        # every profitable short gives up 0.3/0.5 = 60% of itself (listed by PnL%)
        ("pro_rata", None, [(CAROL, 12_000), (DAVE, 6_000), (BOB, 12_000)], 566667),
    ],
)
def test_stage_3_adl_by_policy(policy, order, closed, price):
    """The gap to 56,000 bankrupts Alice (-200) and the vault, with nothing, cannot take her
    position: the shorts are ranked and closed against her 0.3 BTC.

    The bankruptcy price is 56,000 + 200/0.3 = 56,666.7 (rounded in Alice's favour).
    Hyperliquid closes at the previous mark instead, 60,000 here, because the gap came in
    one tick: ranked shorts give their gains back. Whatever Alice is left with goes to the
    vault; she ends at zero. Erin, short at a loss, is ranked last."""
    s = adl_scene(policy)
    (step,) = steps(s)
    assert (step.stage, step.user, step.size, step.closed) == ("adl", ALICE, 30_000, 30_000)
    assert (step.policy, step.price, step.shortfall) == (policy, price, usd(200))
    if order is not None:
        assert [entry.user for entry in step.ranking] == order
    assert list(step.counterparties) == closed
    fills = [f for t in s.of(ev.Trade) for f in t.fills()]
    adl_fills = [f for f in fills if f.user != ALICE]
    assert {f.dir for f in fills if f.user == ALICE} == {"Liquidated Cross Long"}
    assert [(f.user, f.sz) for f in adl_fills] == closed
    for fill in adl_fills:
        assert (fill.dir, fill.fee, fill.px, fill.is_buy, fill.crossed) == (
            "Auto-Deleveraging", 0, price, True, True,
        )  # fmt: skip
        assert fill.liquidation == ev.Liquidation(ALICE, 560000, "backstop")
    assert s.account(ALICE).positions == {} and s.value(ALICE) == 0
    entries = {BOB: 570000, CAROL: 650000, DAVE: 630000}
    for fill in adl_fills:
        assert fill.closed_pnl == (entries[fill.user] - price) * fill.sz
    # what Alice had left above zero went to the vault
    left = usd(1_000) + (price - 600000) * 30_000
    assert s.ex.vault.raw == left


def test_adl_ranks_are_readable_at_any_time():
    """After the ADL above, three shorts are left: Dave (6,300/2,700 = 2.33), Carol, now
    0.1 @ 65,000 worth 3,400 (6,500/3,400 = 1.91), and Erin at a loss. Mallory is the only
    long. A quantile of 4 means "among the first fifth to be closed"."""
    s = adl_scene("hyperliquid")
    assert s.ex.adl_ranks(0) == {MALLORY: 4, DAVE: 4, CAROL: 3, ERIN: 1}


def test_the_vault_past_its_loss_threshold_is_deleveraged_at_the_previous_mark():
    """The vault ($1,000, ADL beyond a 10% loss) takes Alice's position at 56,000 with its
    -200: it has lost 20%. Under Hyperliquid's rule its inherited long is closed at once
    against the best-ranked short, at the previous mark (60,000)."""
    s = market(vault_capital=usd(1_000), vault_loss_threshold_pct=10)
    for user, amount in ((ALICE, 1_000), (BOB, 10_000)):
        s.deposit(user, amount)
    trade(s, BOB, "A", "57000", "0.3")
    trade(s, ALICE, "B", "60000", "0.3")
    s.oracle("BTC", "56000")
    backstop, adl = steps(s)
    assert (backstop.stage, backstop.user, adl.stage, adl.user) == ("backstop", ALICE, "adl", VAULT)
    assert (adl.price, adl.counterparties) == (600000, ((BOB, 30_000),))
    assert s.ex.vault.positions == {}
    assert s.ex.vault.raw == usd(800) + 30_000 * (600000 - 560000)  # +1,200 on the close
    assert s.position(BOB, "BTC") is None


def test_the_vault_unwinds_what_it_inherited_into_the_book():
    """Every 10 s the vault sells a share (here 50%) of what it holds into the book, no
    further than 1% from the mark."""
    s = market(vault_capital=usd(1_000_000), vault_unwind_pct=50)
    s.deposit(ALICE, 1_000)
    s.deposit(BOB, 100_000)
    trade(s, ALICE, "B", "60000", "0.3")
    s.oracle("BTC", "56000")
    assert s.ex.vault.positions[0].size == 30_000
    s.order(BOB, "BTC", "B", "55900", "1")
    s.apply(cmd.Tick(), dt=10_000)
    assert s.ex.vault.positions[0].size == 15_000  # half of it, into Bob's bid
    s.apply(cmd.Tick(), dt=10_000)
    assert s.ex.vault.positions[0].size == 7_500  # half of what is left
    assert s.size(BOB, "BTC") == 22_500


def test_a_bystander_never_pays():
    """Frank holds only cash: whatever the waterfall does, his balance does not move."""
    frank = "0x" + "f0" * 20
    s = adl_scene("pro_rata")
    s.deposit(frank, 7_777)
    s.oracle("BTC", "40000")
    s.oracle("BTC", "90000")
    assert s.account(frank).raw == usd(7_777)


def test_a_forced_adl_closes_the_position_into_the_vault_at_the_mark():
    """Bob is short 0.5 BTC from 60,000 and in profit at 58,000. The control plane forces an
    ADL of 0.2 of it: the vault takes it at the mark, Bob's fill reads as an ADL."""
    s = market(vault_capital=usd(1_000_000))
    s.deposit(BOB, 10_000)
    trade(s, BOB, "A", "60000", "0.5")
    s.oracle("BTC", "58000")
    s.apply(cmd.ForceAdl(BOB, s.asset("BTC"), s.sz("BTC", "0.2")), dt=1)
    assert s.result().kind == "default"
    (fill,) = s.fills(BOB)
    assert (fill.dir, fill.px, fill.sz, fill.fee, fill.is_buy) == (
        "Auto-Deleveraging", s.px("BTC", "58000"), s.sz("BTC", "0.2"), 0, True,
    )  # fmt: skip
    assert fill.closed_pnl == usd(400)  # (60,000 - 58,000) * 0.2
    assert fill.liquidation == ev.Liquidation(VAULT, s.px("BTC", "58000"), "backstop")
    assert s.size(BOB, "BTC") == -s.sz("BTC", "0.3")
    assert s.size(VAULT, "BTC") == -s.sz("BTC", "0.2")  # the vault is short what Bob was
    (step,) = steps(s, "adl")
    assert step.reason == "forced from the control plane" and step.counterparties == (
        (BOB, s.sz("BTC", "0.2")),
    )
    (note,) = s.of(ev.Notification)
    assert note.text.startswith("Auto-deleveraging: 0.2 BTC")
    # the rest, then nothing left to force
    s.apply(cmd.ForceAdl(BOB, s.asset("BTC")), dt=1)
    assert s.size(BOB, "BTC") == 0
    s.apply(cmd.ForceAdl(BOB, s.asset("BTC")), dt=1)
    assert s.result().error == "No position to auto-deleverage."
    s.apply(cmd.ForceAdl(ALICE, s.asset("BTC"), 0), dt=1)
    assert s.result().kind == "err"


@pytest.mark.parametrize(
    ("policy", "adl_price", "price"),
    [
        ("hyperliquid", "bankruptcy", 566667),  # Hyperliquid's ranking at the bankruptcy price
        ("binance", "previous_mark", 600000),  # Binance's ranking at the previous mark
        ("hyperliquid", "policy", 600000),
        ("binance", "policy", 566667),
    ],
)
def test_the_adl_price_is_a_setting(policy, adl_price, price):
    """The same gap under the price rule chosen: the previous mark (60,000, Hyperliquid's
    rule) gives the ranked shorts' gains back; the bankruptcy price (56,666.7) closes them
    at Alice's zero; "policy" takes each policy's own."""
    s = market(vault_capital=0, adl_policy=policy, adl_price=adl_price)
    for user, amount in ((ALICE, 1_000), (BOB, 1_000), (CAROL, 2_000)):
        s.deposit(user, amount)
    trade(s, BOB, "A", "57000", "0.2")
    trade(s, CAROL, "A", "65000", "0.2")
    trade(s, ALICE, "B", "60000", "0.3")
    s.oracle("BTC", "56000")
    (step,) = steps(s)
    assert step.price == price
    assert {f.px for t in s.of(ev.Trade) for f in t.fills()} == {price}
