"""The sandbox around the exchange: snapshots, restores and a scenario's run.

1. Snapshot and restore of a venue with N funded accounts (1,000 of them holding BTC
   positions), a market maker quoting 5 levels a side on four coins, an hour of virtual
   time behind it. Median of 7.
2. The pytest fixture's sandbox (`sandbox.testing.Sandbox`): from nothing to serving, and
   the docs' example test (tests/examples/test_adl_handling.py) with it. Median of 10.
3. The built-in `cascade`, served on a port, its 21 bots on real websockets, played as fast
   as the CPU allows (`python -m sandbox scenario run cascade`): wall time, median of 3.

    python bench/sandbox_ops.py [--accounts N] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import statistics
import sys
import time

from _report import write_section

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # for tests.examples

from sandbox.core import commands as cmd
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue
from sandbox.sim.makers import MarketMaker
from sandbox.sim.oracle import RandomWalk
from sandbox.sim.player import run
from sandbox.testing import Sandbox
from tests.examples.test_adl_handling import (
    test_the_bot_stands_down_when_its_short_is_auto_deleveraged,
)

PRICES = {"BTC": 60_000, "ETH": 3_000, "SOL": 150, "kPEPE": 0.012}


def venue_with(accounts: int) -> Venue:
    venue = Venue(ServerConfig(time="virtual", start_ms=1_760_000_000_000))
    for i, (coin, px) in enumerate(PRICES.items()):
        venue.oracle.set_path(coin, RandomWalk(px, 0.03, seed=i), venue.now())
    venue.oracle.tick(venue.now())
    venue.liquidity.makers.append(MarketMaker(venue, "mm1"))
    venue.liquidity.start()
    btc = venue.exchange.by_name["BTC"]
    for i in range(accounts):
        user = f"0x{i + 1:040x}"
        venue.apply(cmd.Deposit(user, 10_000 * 10**6))
        if i < 1_000:
            is_buy = i % 2 == 0
            px = venue.exchange.oracles[btc.asset]
            px = px * (101 if is_buy else 99) // 100
            venue.apply(
                cmd.PlaceOrders(user, (cmd.OrderSpec(btc.asset, is_buy, px, 100, tif="Ioc"),))
            )
    venue.advance(3_600_000)
    return venue


def snapshot_and_restore(accounts: int) -> tuple[float, float]:
    """Median milliseconds of a snapshot and of a restore."""
    venue = venue_with(accounts)
    snaps, restores = [], []
    for _ in range(7):
        t = time.perf_counter()
        snapshot = venue.snapshot(1)
        snaps.append(time.perf_counter() - t)
        venue.advance(60_000)
        t = time.perf_counter()
        venue.restore(snapshot)
        restores.append(time.perf_counter() - t)
        assert venue.exchange.state_hash() == snapshot.state_hash
    return statistics.median(snaps) * 1e3, statistics.median(restores) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    small_snap, small_restore = snapshot_and_restore(100)
    snap_ms, restore_ms = snapshot_and_restore(args.accounts)
    ready, example = [], []
    for _ in range(10):
        t = time.perf_counter()
        sandbox = Sandbox().start()
        ready.append(time.perf_counter() - t)
        t = time.perf_counter()
        test_the_bot_stands_down_when_its_short_is_auto_deleveraged(
            sandbox, sandbox.wallet("100000")
        )
        example.append(time.perf_counter() - t + ready[-1])
        sandbox.stop()
    ready_ms, example_ms = statistics.median(ready) * 1e3, statistics.median(example) * 1e3
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        asyncio.run(run("cascade", out=lambda line: None))
        walls.append(time.perf_counter() - t)
    wall = statistics.median(walls)
    print(f"snapshot {snap_ms:.0f} ms, restore {restore_ms:.0f} ms ({args.accounts} accounts); "
          f"fixture ready {ready_ms:.1f} ms, example test {example_ms:.0f} ms; "
          f"cascade {wall:.2f} s")  # fmt: skip
    if args.no_write:
        return
    body = f"""
`bench/sandbox_ops.py`.

| measure | result |
| --- | --- |
| snapshot of a venue with 100 accounts (all with positions), median of 7 | **{small_snap:.1f} ms** |
| restore of it (and publishing the restored state) | **{small_restore:.1f} ms** |
| snapshot of a venue with {args.accounts:,} accounts (1,000 with positions) | **{snap_ms:.0f} ms** |
| restore of it | **{restore_ms:.0f} ms** |
| the pytest fixture's sandbox, from nothing to serving (target <= 200 ms) | **{ready_ms:.1f} ms** |
| the docs' example test (docs/testing-adl.md), fixture included (target < 1 s) | **{example_ms:.0f} ms** |
| `scenario run cascade`: 4 minutes of market, 21 bots on websockets, served and played | **{wall:.2f} s** wall |

A snapshot is the venue's state pickled (the connections, the wall clock and the
configuration written as references, not copied) and its state hash; a restore unpickles
it, so that a snapshot can be restored any number of times. Most of a large snapshot is
the API's history (fills, orders, ledger per user), then the core. The cascade runs with
every invariant checked after every command.
"""
    write_section("sandbox", "Sandbox: snapshots and scenarios", body)


if __name__ == "__main__":
    main()
