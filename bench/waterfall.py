"""The loss waterfall under load.

1. Mark tick: 100,000 accounts hold BTC positions (longs and shorts, 2x to 40x); the oracle
   moves 0.01% a second, back and forth, and nobody is liquidatable. Each tick is one
   `SetOracle` through `Exchange.apply`: mark, triggers, the liquidation index. Target: at
   most 1 ms.
2. Cascade: 10,000 leveraged longs, a thin book below the market, a vault with finite
   capital and 1,000 profitable shorts. The oracle walks down, then gaps: the first
   liquidations sell into the book (stage 1), the vault takes what it can (stage 2), then
   ADL closes the rest against the shorts (stage 3). Target: the whole cascade, 10,000
   accounts through all three stages, in at most 1 s.

    python bench/waterfall.py [--accounts N] [--cascade N] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections import Counter

from _report import write_section

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange

START = 1_700_000_000_000
BTC = 0
MID = 600000  # 60,000.0
USDC = 10**6


def address(i: int, tag: int) -> str:
    return f"0x{tag:02x}{i:038x}"


def build_positions(ex: Exchange, n: int, rng: random.Random, now: int) -> int:
    """`n` accounts with BTC positions against a few big makers; returns the time after."""
    makers = [address(i, 0xAA) for i in range(20)]
    for maker in makers:
        ex.apply(cmd.Deposit(maker, 10**12 * USDC), now)
    for i in range(n):
        user = address(i, 0x01)
        ex.apply(cmd.Deposit(user, rng.randint(2_000, 50_000) * USDC), now)
        ex.apply(cmd.UpdateLeverage(user, BTC, True, rng.choice((2, 5, 10, 20, 40))), now)
        is_buy = rng.random() < 0.5
        size = rng.randint(1_000, 20_000)  # 0.01 to 0.2 BTC
        maker = makers[i % len(makers)]
        ex.apply(cmd.PlaceOrders(maker, (cmd.OrderSpec(BTC, not is_buy, MID, size),)), now)
        ex.apply(cmd.PlaceOrders(user, (cmd.OrderSpec(BTC, is_buy, MID, size, tif="Ioc"),)), now)
        now += 1
    return now


def bench_tick(n: int, ticks: int) -> dict:
    rng = random.Random(1)
    # mark = oracle, so that every tick moves the mark and reaches the liquidation index
    ex = Exchange(ExchangeConfig(mark_rule="oracle"), start_ms=START)
    ex.apply(cmd.SetOracle(((BTC, MID),)), START)
    now = build_positions(ex, n, rng, START)
    holders = len(ex.holders[BTC])
    now += 1_000
    t0 = time.perf_counter()
    ex.apply(cmd.SetOracle(((BTC, MID + 10),)), now)  # first tick: every account indexed
    first = time.perf_counter() - t0
    indexed = len(ex.liq_index)
    ex.validate()
    gc.collect()
    gc.disable()
    samples = []
    liquidations = 0
    try:
        for i in range(ticks):
            now += 1_000
            px = MID + (10 if i % 2 else -10) * 6  # +-0.01%
            t0 = time.perf_counter()
            events = ex.apply(cmd.SetOracle(((BTC, px),)), now)
            samples.append(time.perf_counter() - t0)
            liquidations += sum(isinstance(e, ev.WaterfallStep) for e in events)
            assert ex.marks[BTC] == px
    finally:
        gc.enable()
    samples.sort()
    return {
        "holders": holders,
        "indexed": indexed,
        "first_ms": first * 1e3,
        "median_us": statistics.median(samples) * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "max_us": samples[-1] * 1e6,
        "ticks": ticks,
        "liquidations": liquidations,
    }


def bench_cascade(n: int) -> dict:
    rng = random.Random(2)
    config = ExchangeConfig(
        mark_rule="oracle", vault_capital=400_000 * USDC, adl_policy="hyperliquid",
        partial_liquidation_threshold=10**15,
    )  # fmt: skip
    ex = Exchange(config, start_ms=START)
    now = START
    ex.apply(cmd.SetOracle(((BTC, MID),)), now)
    shorts = [address(i, 0x50) for i in range(1_000)]
    for short in shorts:
        ex.apply(cmd.Deposit(short, 2_000_000 * USDC), now)
    longs = [address(i, 0x10) for i in range(n)]
    for i, user in enumerate(longs):
        ex.apply(cmd.Deposit(user, rng.randint(400, 700) * USDC), now)
        ex.apply(cmd.UpdateLeverage(user, BTC, True, 20), now)
        size = rng.randint(8_000, 12_000)  # about 0.1 BTC, $6,000 at 10x to 20x
        short = shorts[i % len(shorts)]
        ex.apply(cmd.PlaceOrders(short, (cmd.OrderSpec(BTC, False, MID, size),)), now)
        ex.apply(cmd.PlaceOrders(user, (cmd.OrderSpec(BTC, True, MID, size, tif="Ioc"),)), now)
        now += 1
    # a thin book below: one bidder, 300 BTC spread over 58,800 .. 57,000
    bidder = address(0, 0xB1)
    ex.apply(cmd.Deposit(bidder, 10**10 * USDC), now)
    bids = tuple(
        cmd.OrderSpec(BTC, True, px, 1_000_000 // 10) for px in range(588000, 570000, -1000)
    )
    ex.apply(cmd.PlaceOrders(bidder, bids), now)
    now += 1_000
    ex.apply(cmd.Tick(), now)
    ex.validate()
    path = [594000, 590000, 586000, 582000, 578000, 574000, 540000, 450000]
    stages: Counter = Counter()
    liquidated: set = set()
    gc.collect()
    gc.disable()
    elapsed = 0.0
    try:
        for px in path:
            now += 3_000
            t0 = time.perf_counter()
            events = ex.apply(cmd.SetOracle(((BTC, px),)), now)
            elapsed += time.perf_counter() - t0
            for e in events:
                if isinstance(e, ev.WaterfallStep):
                    stages[e.stage] += 1
                    liquidated.add(e.user)
    finally:
        gc.enable()
    ex.validate()
    liquidated.discard(ex.vault.address)
    return {
        "accounts": len(liquidated),
        "stages": dict(stages),
        "seconds": elapsed,
        "vault": ex.vault.raw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=2_000)
    parser.add_argument("--cascade", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    tick = bench_tick(args.accounts, args.ticks)
    print(
        f"mark tick, {tick['holders']:,} accounts with positions: median {tick['median_us']:.0f} us, "
        f"p99 {tick['p99_us']:.0f} us, max {tick['max_us']:.0f} us "
        f"(first tick, indexing everyone: {tick['first_ms']:.0f} ms)"
    )
    cascade = bench_cascade(args.cascade)
    stages = cascade["stages"]
    print(
        f"cascade: {cascade['accounts']:,} accounts liquidated in {cascade['seconds'] * 1e3:.0f} ms "
        f"(market {stages.get('market', 0):,}, backstop {stages.get('backstop', 0):,}, "
        f"adl {stages.get('adl', 0):,} steps)"
    )
    if args.no_write:
        return
    tick_verdict = "meets" if tick["median_us"] <= 1_000 and tick["p99_us"] <= 1_000 else "misses"
    write_section(
        "waterfall-tick",
        "Mark tick with 100,000 positions",
        f"""
`bench/waterfall.py`: {tick["holders"]:,} accounts hold BTC positions (2x to 40x, longs and
shorts); the oracle moves by 0.01% every second, back and forth, {tick["ticks"]:,} times, and
nobody is liquidatable ({tick["liquidations"]} liquidations). One tick is one `SetOracle`
through `Exchange.apply` (with `mark_rule="oracle"`, so that every tick moves the mark): the
mark, the TP/SL triggers and the liquidation index.

| measure | result |
| --- | --- |
| median tick | **{tick["median_us"]:.0f} us** |
| 99th percentile | {tick["p99_us"]:.0f} us |
| slowest tick | {tick["max_us"]:.0f} us |
| the first tick, which indexes all {tick["indexed"]:,} accounts | {tick["first_ms"]:.0f} ms |
| target | <= 1 ms ({tick_verdict} it) |
""",
    )
    cascade_verdict = "meets" if cascade["seconds"] <= 1.0 else "misses"
    write_section(
        "waterfall-cascade",
        "Liquidation cascade",
        f"""
`bench/waterfall.py`: {args.cascade:,} accounts long BTC at up to 20x, a thin book below the
market (300 BTC over 58,800 to 57,100), a $400k vault, 1,000 profitable shorts; the oracle
walks down from 60,000 in 400-dollar steps, then gaps to 54,000 and 45,000 (8 ticks).

| measure | result |
| --- | --- |
| accounts liquidated | {cascade["accounts"]:,} |
| stage 1, market liquidations | {stages.get("market", 0):,} |
| stage 2, backstop takeovers | {stages.get("backstop", 0):,} |
| stage 3, ADL closes | {stages.get("adl", 0):,} |
| time in `Exchange.apply` for the whole cascade | **{cascade["seconds"] * 1e3:.0f} ms** |
| target | <= 1 s ({cascade_verdict} it) |
""",
    )


if __name__ == "__main__":
    main()
