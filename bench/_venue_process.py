"""A sandbox server (and a bare aiohttp websocket echo server) in a process of its own, for
the benchmarks in bench/server.py. Prints one JSON line with the ports and the admin token,
then serves until stdin closes.

    python bench/_venue_process.py [--drive-ms N] [--report-after S]

`--drive-ms N`: every N ms, a resting order moves and a trade prints on BTC, so that every
block publishes an l2Book and a trades message; after `--report-after` seconds the process
prints how many frames it wrote to subscribers per second, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from aiohttp import WSMsgType, web

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.server.app import serve
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue


async def echo_server() -> tuple[web.AppRunner, int]:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await ws.send_str(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drive-ms", type=float, default=0)
    parser.add_argument("--report-after", type=float, default=0)
    parser.add_argument("--block-ms", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=0)
    args = parser.parse_args()
    # cadence=(): every block's book goes out (the venue's 0.5 s cadence would measure the
    # cadence, not the fan-out); the rate limits are off (one client sends everything)
    config = ServerConfig(port=0, block_ms=args.block_ms, ws_buffer_limit=64 * 1_048_576,
                          cadence=(), exchange=ExchangeConfig(mark_rule="oracle"))  # fmt: skip
    venue = Venue(config)
    venue.apply(cmd.SetOracle(((0, 600000), (1, 300000), (2, 1500000), (3, 12000))))
    server = await serve(venue, port=0)
    echo_runner, echo_port = await echo_server()
    print(
        json.dumps({"port": server.port, "echo_port": echo_port, "token": server.admin_token}),
        flush=True,
    )
    if args.drive_ms:
        await drive(venue, args.drive_ms / 1000, args.report_after, args.subscribers)
    else:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.close()
    await echo_runner.cleanup()


async def drive(venue: Venue, every: float, report_after: float, subscribers: int) -> None:
    """A moving book and a trade every `every` seconds on BTC; then report the fan-out."""
    maker, taker = "0x" + "aa" * 20, "0x" + "bb" * 20
    for user in (maker, taker):
        venue.apply(cmd.Deposit(user, 10**15))
    while sum(1 for s in venue.hub.sessions if len(s.subscriptions) == 2) < subscribers:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # let every snapshot go out
    hub = venue.hub
    print(json.dumps({"window": "open"}), flush=True)
    start, published, published_bytes = time.perf_counter(), hub.published, hub.published_bytes
    i = 0
    while time.perf_counter() - start < report_after:
        i += 1
        px = 599_000 + (i % 20) * 10
        venue.apply(cmd.PlaceOrders(maker, (cmd.OrderSpec(0, True, px, 100),)))
        venue.apply(cmd.PlaceOrders(taker, (cmd.OrderSpec(0, False, px, 100, tif="Ioc"),)))
        await asyncio.sleep(every)
    elapsed = time.perf_counter() - start
    print(json.dumps({"frames": hub.published - published, "seconds": elapsed,
                      "bytes": hub.published_bytes - published_bytes,
                      "sessions": len(hub.sessions)}), flush=True)  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
