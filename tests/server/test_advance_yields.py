"""A long advance of the virtual clock (POST /sandbox/clock/advance) keeps the server serving:
requests are answered while it runs, and see the venue at the time it has reached."""

from __future__ import annotations

import asyncio

import aiohttp

from sandbox.server.app import serve
from sandbox.sim.build import build
from sandbox.sim.makers import maker_address
from sandbox.sim.scenario import parse

HOUR = 3_600_000

BUSY = """
name = "busy"
seed = 2
start = "2025-02-01T00:00:00Z"
[markets.BTC]
price = "60000"
feed = "walk"
[markets.ETH]
price = "3000"
feed = "walk"
[[makers]]
name = "mm1"
[[flow]]
trades_per_minute = 6
"""


async def served():
    venue = build(parse(BUSY))
    server = await serve(venue, port=0)
    return venue, server


async def test_info_is_answered_while_a_long_advance_runs():
    venue, server = await served()
    start, ms = venue.now(), 3 * HOUR
    user = maker_address("mm1")
    finished: list[tuple[str, int]] = []  # what was answered, in the order it was
    try:
        async with aiohttp.ClientSession(server.url) as http:
            admin = {"Authorization": f"Bearer {server.admin_token}"}

            async def advance() -> None:
                async with http.post("/sandbox/clock/advance", json={"ms": ms},
                                     headers=admin) as response:  # fmt: skip
                    assert response.status == 200
                    finished.append(("advance", (await response.json())["time"]))

            task = asyncio.create_task(advance())
            while not task.done():
                async with http.post("/info", json={"type": "clearinghouseState",
                                                    "user": user}) as response:  # fmt: skip
                    assert response.status == 200
                    state = await response.json()
                if not task.done():
                    finished.append(("info", state["time"]))
            await task
            async with http.get("/sandbox/clock", headers=admin) as response:
                clock = await response.json()
    finally:
        await server.close()
    kinds = [kind for kind, _ in finished]
    assert kinds[-1] == "advance" and kinds.count("advance") == 1
    answered = [at for kind, at in finished if kind == "info"]
    # answered before the advance was: some of them in the middle of it, at the time it had
    # reached (which only a request served between its pieces can see)
    during = [at for at in answered if start < at < start + ms]
    assert len(during) >= 2
    assert during == sorted(during) and len(set(during)) >= 2  # the clock moving on
    assert finished[-1] == ("advance", start + ms)
    assert clock == {"time": start + ms, "mode": "virtual"} and venue.now() == start + ms
    venue.exchange.validate()


async def test_two_advances_asked_at_once_run_one_after_the_other():
    venue, server = await served()
    start = venue.now()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            admin = {"Authorization": f"Bearer {server.admin_token}"}

            async def advance(ms: int) -> int:
                async with http.post("/sandbox/clock/advance", json={"ms": ms},
                                     headers=admin) as response:  # fmt: skip
                    return (await response.json())["time"]

            times = await asyncio.gather(advance(HOUR), advance(HOUR))
    finally:
        await server.close()
    # one ends an hour in, the other two hours in: neither ran inside the other
    assert sorted(times) == [start + HOUR, start + 2 * HOUR]
    assert venue.now() == start + 2 * HOUR
    venue.exchange.validate()


async def test_a_restore_in_the_middle_of_an_advance_ends_it_where_the_snapshot_was():
    """A snapshot restored while an advance is letting the server serve: the advance stops,
    the venue is the snapshot's (clock and state), and nothing of the old timeline runs on
    the restored exchange."""
    venue, server = await served()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            admin = {"Authorization": f"Bearer {server.admin_token}"}
            async with http.post("/sandbox/snapshot", headers=admin) as response:
                snapshot = await response.json()
            advance = asyncio.create_task(
                http.post("/sandbox/clock/advance", json={"ms": 3 * HOUR}, headers=admin)
            )
            while venue.now() == snapshot["time"]:  # until the advance is under way
                await asyncio.sleep(0.005)
            async with http.post("/sandbox/restore", json={"id": snapshot["id"]},
                                 headers=admin) as response:  # fmt: skip
                assert response.status == 200
            async with await advance as response:
                assert response.status == 200
                answered = await response.json()
    finally:
        await server.close()
    assert answered["time"] == snapshot["time"] == venue.now()
    assert venue.exchange.state_hash() == snapshot["stateHash"]
    venue.exchange.validate()
