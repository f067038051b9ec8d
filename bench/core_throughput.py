"""Throughput of the exchange core: unsigned order commands applied one after another.

Two mixes on BTC, 40 accounts quoting 1 to 20 dollars either side of a fixed mid (so the
book stays two-sided) and crossing it with IOC orders that sweep one to a few makers:

- maker flow: 50% resting places, 40% cancels, 10% crossing IOC orders;
- taker-heavy: 60% resting places, 25% cancels, 15% crossing IOC orders.

The target (200,000 commands/s on one core) applies to the maker flow, the shape of a
venue's order traffic (far more quotes and cancels than trades); the taker-heavy figure is
reported beside it. Commands are recorded by running each workload once, then replayed on a
fresh exchange while timed: the figure is `Exchange.apply` alone, with its checks, matching,
margin, fills, fees and events.

    python bench/core_throughput.py [--commands N] [--runs N] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from _report import write_section

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange

START = 1_700_000_000_000
USERS = tuple("0x" + f"{i:040x}" for i in range(1, 41))
BTC = 0
MID = 600000  # 60,000.0
TICK = 10  # at 60,000 a valid BTC price (5 significant figures) moves in whole dollars
TARGET = 200_000
MIXES = {"maker flow": (0.50, 0.40), "taker-heavy": (0.60, 0.25)}  # (places, cancels)


def setup(ex: Exchange) -> None:
    for user in USERS:
        ex.apply(cmd.Deposit(user, 10**9 * 10**6), START)
    ex.apply(cmd.SetOracle(((BTC, MID),)), START)


def generate(n: int, places: float, cancels: float, seed: int = 1) -> list:
    """Run the workload once and record its commands."""
    ex = Exchange(ExchangeConfig(mark_rule="oracle"), start_ms=START)
    setup(ex)
    rng = random.Random(seed)
    commands = []
    while len(commands) < n:
        user = rng.choice(USERS)
        roll = rng.random()
        if roll < places:
            is_buy = rng.random() < 0.5
            offset = rng.randint(1, 20) * TICK
            px = MID - offset if is_buy else MID + offset
            c = cmd.PlaceOrders(user, (cmd.OrderSpec(BTC, is_buy, px, rng.randint(100, 5000)),))
        elif roll < places + cancels:
            orders = ex.accounts[user].orders
            if not orders:
                continue
            c = cmd.Cancel(user, ((BTC, rng.choice(list(orders))),))
        else:
            is_buy = rng.random() < 0.5
            px = MID + 20 * TICK if is_buy else MID - 20 * TICK
            size = rng.randint(100, 8000)
            c = cmd.PlaceOrders(user, (cmd.OrderSpec(BTC, is_buy, px, size, tif="Ioc"),))
        ex.apply(c, START + len(commands))
        commands.append(c)
    return commands


def replay(commands: list) -> tuple[float, Exchange]:
    ex = Exchange(ExchangeConfig(mark_rule="oracle"), start_ms=START)
    setup(ex)
    apply = ex.apply
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for i, c in enumerate(commands):
            apply(c, START + i)
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    return elapsed, ex


def measure(name: str, n: int, runs: int) -> dict:
    places, cancels = MIXES[name]
    commands = generate(n, places, cancels)
    rates = []
    for _ in range(runs):
        elapsed, ex = replay(commands)
        rates.append(len(commands) / elapsed)
    ex.validate()
    result = {
        "name": name,
        "mix": f"{places:.0%} places, {cancels:.0%} cancels, {1 - places - cancels:.0%} crossing IOC",
        "median": statistics.median(rates),
        "best": max(rates),
        "trades": ex.trade_seq,
        "commands": len(commands),
    }
    print(
        f"{name}: {result['median']:,.0f}/s median, {result['best']:,.0f}/s best "
        f"({result['trades']:,} trades in {len(commands):,} commands)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = [measure(name, args.commands, args.runs) for name in MIXES]
    rows = "\n".join(
        f"| {r['name']} | {r['mix']} | {r['trades'] * 100 / r['commands']:.0f} "
        f"| **{r['median']:,.0f}** | {r['best']:,.0f} |"
        for r in results
    )
    main_rate = results[0]["median"]
    verdict = "meets" if main_rate >= TARGET else "misses"
    body = f"""
`bench/core_throughput.py`: {args.commands:,} unsigned order commands per mix on one core,
replayed through `Exchange.apply` {args.runs} times each (garbage collection paused while
timing). BTC, 40 accounts quoting 1 to 20 dollars either side of the mid, IOC orders crossing
the spread and sweeping one to a few makers.

| mix | commands | trades per 100 commands | median commands/s | best commands/s |
| --- | --- | --- | --- | --- |
{rows}

Target: >= {TARGET:,} commands/s for the maker flow; the median run {verdict} it. A trade costs
about as much as two resting orders (both sides settle, pay fees and are reported), so the
taker-heavy mix runs slower.
"""
    if not args.no_write:
        write_section("core-throughput", "Core throughput", body)


if __name__ == "__main__":
    main()
