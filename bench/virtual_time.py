"""How fast virtual time runs, and whether the server keeps serving while it does.

1. The default market (the built-in `calm`: 22 perps on random walks, four grid market
   makers, about 30,000 taker trades a day, funding), no bots: a whole virtual day advanced
   in-process, timed per hour of it (the speed must not fall as the day goes on).
2. The compact market (BTC, ETH, SOL and kPEPE, one market maker quoting five levels a side,
   no taker flow): what `python -m sandbox` served before the mainnet universe, for
   comparison with earlier figures.
3. The default market with a few bots on real websockets (`scenario run`: three sample
   bots taking a turn every step of 10 virtual seconds), two virtual hours.
4. A one-hour advance over POST /sandbox/clock/advance on the default market while another
   client asks /info for allMids in a loop: how long a request waits.

    python bench/virtual_time.py [--hours 24] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import msgspec
from _report import write_section

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.sim.build import build
from sandbox.sim.scenario import Bot, load, parse

HOUR_MS = 3_600_000
COMPACT = """
name = "compact"
duration = "1d"
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
price = "0.012"
feed = "walk"
[[makers]]
name = "mm1"
"""


PARTS = {  # what runs on the timeline, by the function it runs
    "_oracle_tick": "oracle posts: prices, other venues' mids, marks, triggers, risk",
    "requote": "market makers moving their quotes",
    "_arrive": "taker flow: orders and their trades",
    "_timer_tick": "core timers: premium samples, funding",
    "_block": "market data publication",
}


def day(scenario, hours: int) -> tuple[float, list[float], dict[str, float]]:
    """Seconds of wall time for `hours` of virtual time, each hour's, and where they went
    (seconds by part of the market)."""
    venue = build(scenario)
    parts: dict[str, float] = dict.fromkeys(PARTS.values(), 0.0)
    clock = time.perf_counter

    def timed(fn):
        part = PARTS.get(getattr(fn, "__name__", ""))
        if part is None or getattr(fn, "timed", False):
            return fn

        def run():
            start = clock()
            fn()
            parts[part] += clock() - start

        run.__name__ = fn.__name__
        run.timed = True
        return run

    push = venue.timeline._push

    def push_timed(ts, handle):
        handle.fn = timed(handle.fn)
        return push(ts, handle)

    for _, _, handle in venue.timeline._heap:
        handle.fn = timed(handle.fn)
    venue.timeline._push = push_timed
    per_hour = []
    began = clock()
    for _ in range(hours):
        start = clock()
        venue.advance(HOUR_MS)
        per_hour.append(clock() - start)
    total = clock() - began
    venue.exchange.validate()
    return total, per_hour, parts


async def with_bots(hours: float) -> tuple[float, float]:
    """(wall seconds, virtual seconds) of the default market with three sample bots."""
    from sandbox.sim.player import run

    scenario = load("calm")
    bots = (
        Bot("noise-btc", 20_000_000_000, kind="noise", options={"coin": "BTC", "seed": 1}),
        Bot("noise-eth", 20_000_000_000, kind="noise", options={"coin": "ETH", "seed": 2}),
        Bot("momentum-sol", 20_000_000_000, kind="momentum", options={"coin": "SOL"}),
    )
    scenario = msgspec.structs.replace(scenario, bots=bots, step_ms=10_000,
                                       duration_ms=int(hours * HOUR_MS))  # fmt: skip
    began = time.perf_counter()
    await run(scenario, out=lambda line: None, validate=False)
    return time.perf_counter() - began, hours * 3600


async def responsiveness() -> tuple[list[float], float]:
    """/info latencies (seconds) during a one-hour advance over the control plane, and the
    advance's own wall time."""
    import aiohttp

    from sandbox.server.app import serve
    from sandbox.server.config import ServerConfig

    scenario = load("calm")
    venue = build(scenario, server=ServerConfig(time="virtual", port=0))
    server = await serve(venue)
    waits: list[float] = []
    try:
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {server.admin_token}"}
            done = asyncio.Event()

            async def ask() -> None:
                while not done.is_set():
                    start = time.perf_counter()
                    async with http.post(server.url + "/info", json={"type": "allMids"}) as r:
                        await r.read()
                    waits.append(time.perf_counter() - start)
                    await asyncio.sleep(0.01)

            asker = asyncio.create_task(ask())
            start = time.perf_counter()
            async with http.post(server.url + "/sandbox/clock/advance", json={"ms": HOUR_MS},
                                 headers=headers) as r:  # fmt: skip
                await r.read()
            advance = time.perf_counter() - start
            done.set()
            await asker
    finally:
        await server.close()
    return waits, advance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=24, help="virtual hours of 1 and 2 (24)")
    parser.add_argument("--bot-hours", type=float, default=2.0, help="virtual hours of 3 (2)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    hours = args.hours

    calm, calm_hours, calm_parts = day(load("calm"), hours)
    print(f"calm: {hours} h in {calm:.1f} s (x{hours * 3600 / calm:,.0f})", flush=True)
    compact, _compact_hours, _ = day(parse(COMPACT), hours)
    print(f"compact: {hours} h in {compact:.1f} s (x{hours * 3600 / compact:,.0f})", flush=True)
    bots_wall, bots_virtual = asyncio.run(with_bots(args.bot_hours))
    print(f"calm + 3 bots: {bots_virtual / 3600:g} h in {bots_wall:.1f} s "
          f"(x{bots_virtual / bots_wall:,.0f})", flush=True)  # fmt: skip
    waits, advance = asyncio.run(responsiveness())
    waits.sort()
    p50, worst = statistics.median(waits) * 1000, waits[-1] * 1000
    print(f"advance 1 h over HTTP: {advance:.1f} s; /info during it: {len(waits)} answered, "
          f"median {p50:.1f} ms, slowest {worst:.1f} ms", flush=True)  # fmt: skip

    def speed(wall: float, virtual_s: float) -> str:
        return f"{virtual_s / wall:,.0f}x"

    day_s = 24 * 3600
    calm_x, bots_x = hours * 3600 / calm, bots_virtual / bots_wall

    def verdict(x: float, target: float, day: float = 0, day_target: float = 0) -> str:
        if x >= target:
            return f"{x:,.0f}x: met."
        return (f"{x:,.0f}x: not met (a day takes {day:.1f} s, {day / day_target:.1f} times "
                f"the target).")  # fmt: skip
    parts_rows = "\n".join(f"| {part} | {sec:.1f} | {sec / calm:.0%} |"
                           for part, sec in sorted(calm_parts.items(), key=lambda p: -p[1]))  # fmt: skip
    body = f"""
`bench/virtual_time.py`: virtual time advanced in-process as fast as the CPU allows
(`Venue.advance`, one hour at a time; every invariant checked at the end). The default
market is the built-in `calm` scenario: 22 perps of the mainnet universe on random walks,
an oracle post every 3 s with the other venues' mids, four grid market makers (about a
quarter of a million quotes placed and as many cancelled a day), about 30,000 taker trades a day, premium samples every 5 s and funding every hour.

| run | virtual time | wall time | speed | one virtual day takes |
| --- | --- | --- | --- | --- |
| default market (`calm`), no bots | {hours} h | {calm:.1f} s | **{speed(calm, hours * 3600)}** | {calm * 24 / hours:.1f} s |
| compact market (4 coins, one maker, no flow) | {hours} h | {compact:.1f} s | {speed(compact, hours * 3600)} | {compact * 24 / hours:.1f} s |
| default market, 3 sample bots on websockets, a turn every 10 s | {bots_virtual / 3600:g} h | {bots_wall:.1f} s | **{speed(bots_wall, bots_virtual)}** | {bots_wall * day_s / bots_virtual:.0f} s |

Where the default market's day went:

| part | seconds | share |
| --- | --- | --- |
{parts_rows}

Each hour of the default market's day took between {min(calm_hours):.2f} s and
{max(calm_hours):.2f} s (the first {calm_hours[0]:.2f} s, the last {calm_hours[-1]:.2f} s):
the cost of an hour does not grow with the run's age.

A one-hour advance over `POST /sandbox/clock/advance` on the default market took
{advance:.1f} s; meanwhile another client's `/info` `allMids` requests were answered
{len(waits)} times, median {p50:.1f} ms, slowest {worst:.1f} ms (the advance yields to the
server for a millisecond after every 25 ms of work).

Targets: 10,000x with the default market and no bots (a day in under 8.64 s); 1,000x with
a few bots on sockets. No bots: {verdict(calm_x, 10_000, calm * 24 / hours, 8.64)}
With bots: {verdict(bots_x, 1_000)}
"""
    if not args.no_write:
        write_section("virtual-time", "Virtual time", body)


if __name__ == "__main__":
    main()
