"""What `serve --state-dir` costs: the journal's cost per command, and how long a restart takes.

1. Per command: the same signed `/exchange` bodies (orders placed and cancelled, one account
   per 1,000 commands) handled as the server handles them, without a journal, with one at
   `--journal-sync normal` (the default) and at `full`. Signature recovery is included: it is
   part of every command.
2. Restart: `python -m sandbox --time virtual --state-dir DIR` serves the default market; a day
   of virtual time is advanced and signed orders are sent along the way; the process is killed
   with SIGKILL and started again. Measured: how long the advance took with the journal, the
   journal's size, and the restart (from the process starting to its first answer, and the
   replay alone, as the server reports it).

    python bench/journal.py [--no-write] [--commands N]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from _report import write_section

from protocol import signing
from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.server.actions import ExchangeApi
from sandbox.server.config import RateLimitConfig, ServerConfig
from sandbox.server.journal import Journal
from sandbox.server.venue import Venue

ROOT = Path(__file__).resolve().parent.parent


def _bodies(n: int, start_nonce: int) -> tuple[list[bytes], list[bytes]]:
    """n signed bodies (an order with a cloid, then its cancel by cloid) and their keys."""
    keys = [bytes([7]) * 31 + bytes([1 + i]) for i in range(max(1, n // 1_000))]
    bodies = []
    for i in range(n):
        key, cloid = keys[i % len(keys)], f"0x{i // 2:032x}"
        if i % 2 == 0:
            action = {"type": "order", "orders": [{"a": 0, "b": True, "p": str(50_000 + i % 97),
                      "s": "0.01", "r": False, "t": {"limit": {"tif": "Gtc"}}, "c": cloid}],
                      "grouping": "na"}  # fmt: skip
        else:
            action = {"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": cloid}]}
        nonce = start_nonce + i
        signature = signing.sign_l1_action(key, action, None, nonce, None, False)
        bodies.append(json.dumps({"action": action, "nonce": nonce, "signature": signature,
                                  "vaultAddress": None}).encode())  # fmt: skip
    return bodies, keys


def per_command(n: int) -> dict[str, float]:
    """Microseconds per command: no journal, normal, full (the median of three runs each)."""
    results: dict[str, list[float]] = {"none": [], "normal": [], "full": []}
    for _ in range(3):
        for mode in results:
            config = ServerConfig(port=0, rate_limits=RateLimitConfig(enabled=False),
                                  exchange=ExchangeConfig(mark_rule="oracle"))  # fmt: skip
            venue = Venue(config)
            venue.apply(cmd.SetOracle(((0, 600_000),)))
            bodies, keys = _bodies(n, venue.wall_clock.now())
            for key in keys:
                venue.apply(cmd.Deposit(signing.address_of(key), 10_000_000_000))
            api = ExchangeApi(venue)
            with tempfile.TemporaryDirectory() as directory:
                if mode != "none":
                    venue.journal = Journal(directory, mode)
                began = time.perf_counter()
                handle = api.handle_body
                for body in bodies:
                    answer = venue.journaled("exchange", body,
                                             lambda b=body, h=handle: h(b, None))  # fmt: skip
                    assert answer["status"] == "ok", answer
                results[mode].append((time.perf_counter() - began) / n * 1e6)
                if venue.journal is not None:
                    venue.journal.close()
    return {mode: statistics.median(times) for mode, times in results.items()}


class _Served:
    def __init__(self, *args: str) -> None:
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", "0", "--admin-token", "bench", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        )  # fmt: skip
        self.banner = ""
        for line in self.process.stdout:
            self.banner += line
            if line.startswith("Ctrl-C"):
                break
        self.url = re.search(r"on (http://127\.0\.0\.1:\d+)", self.banner).group(1)
        requests.post(f"{self.url}/info", json={"type": "meta"}, timeout=30).raise_for_status()
        self.ready_s = time.perf_counter() - self.began  # start to a first answer

    def advance(self, ms: int) -> None:
        answer = requests.post(f"{self.url}/sandbox/clock/advance", json={"ms": ms},
                               headers={"Authorization": "Bearer bench"}, timeout=600)  # fmt: skip
        answer.raise_for_status()

    def state_hash(self) -> str:
        return requests.get(f"{self.url}/sandbox/invariants",
                            headers={"Authorization": "Bearer bench"}, timeout=60).json()["stateHash"]  # fmt: skip

    def end(self, sig: int = signal.SIGKILL) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)


def restart(hours: int = 24, orders_per_hour: int = 60) -> dict:
    """A day of the default market in virtual time, with and without a journal; then kill -9
    and a restart on the journal."""
    key = bytes([9]) * 32
    result: dict = {}
    with tempfile.TemporaryDirectory() as directory:
        for journaled in (False, True):
            args = ["--time", "virtual"] + (["--state-dir", directory] if journaled else [])
            served = _Served(*args)
            requests.post(f"{served.url}/sandbox/deposit",
                          json={"user": signing.address_of(key), "usdc": "1000000"},
                          headers={"Authorization": "Bearer bench"}, timeout=30).raise_for_status()  # fmt: skip
            nonce = int(time.time() * 1000)
            advancing = 0.0
            for _ in range(hours):
                bodies, _ = _bodies(orders_per_hour, nonce)
                for body in _signed_by(bodies, key, nonce):
                    requests.post(f"{served.url}/exchange", data=body, timeout=30)
                nonce += orders_per_hour
                began = time.perf_counter()
                served.advance(3_600_000)
                advancing += time.perf_counter() - began
            result["advance_journal" if journaled else "advance_plain"] = advancing
            if not journaled:
                served.end(signal.SIGTERM)
                continue
            state_hash = served.state_hash()
            served.end(signal.SIGKILL)
            files = sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())
            again = _Served("--state-dir", directory)
            found = re.search(r"the last checkpoint and (\d+) journal entries after it, in "
                              r"[\d.]+ s \(loading ([\d.]+) s, replaying ([\d.]+) s\); "
                              r"state hash (\w+)", again.banner)  # fmt: skip
            assert found and found.group(4) == state_hash, again.banner
            result.update(replayed=int(found.group(1)), load_s=float(found.group(2)),
                          replay_s=float(found.group(3)),
                          ready_s=again.ready_s, bytes=files, hours=hours,
                          orders=hours * orders_per_hour)  # fmt: skip
            fresh = _Served("--time", "virtual")  # a start with no journal, for comparison
            result["fresh_ready_s"] = fresh.ready_s
            fresh.end(signal.SIGTERM)
            again.end(signal.SIGTERM)
    return result


def _signed_by(bodies: list[bytes], key: bytes, nonce: int) -> list[bytes]:
    """The same actions signed by `key` (one account sends them all)."""
    out = []
    for i, body in enumerate(bodies):
        action = json.loads(body)["action"]
        signature = signing.sign_l1_action(key, action, None, nonce + i, None, False)
        out.append(json.dumps({"action": action, "nonce": nonce + i, "signature": signature,
                               "vaultAddress": None}).encode())  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args()
    costs = per_command(args.commands)
    print(f"per command: {costs}", flush=True)
    day = restart(args.hours)
    print(f"restart: {day}", flush=True)
    extra = {mode: costs[mode] - costs["none"] for mode in ("normal", "full")}
    body = f"""\
`bench/journal.py`. **Per command**: {args.commands:,} signed `/exchange` bodies (a resting
order with a cloid, then its cancel by cloid; signature recovery included) handled as the
server handles them, with no journal, then journaled before each answer (one SQLite
transaction per command, WAL); the median of three runs.

| journal | us per command | added by the journal |
| --- | --- | --- |
| none | **{costs["none"]:.0f}** | |
| `--journal-sync normal` (default: survives the process being killed) | **{costs["normal"]:.0f}** | {extra["normal"]:.0f} us |
| `--journal-sync full` (also survives the machine stopping: a disk flush each) | **{costs["full"]:.0f}** | {extra["full"]:.0f} us |

**Restart**: `python -m sandbox --time virtual --state-dir DIR` serves the default market
(calm); {day["hours"]} virtual hours are advanced an hour at a time, with {day["orders"]:,} signed
orders and cancels sent along the way; then `kill -9`, and the server is started again on DIR.

| measure | result |
| --- | --- |
| advancing {day["hours"]} h, no journal | {day["advance_plain"]:.1f} s |
| advancing {day["hours"]} h, journaled (checkpoints included) | {day["advance_journal"]:.1f} s |
| the state directory after the day | {day["bytes"] / 1e6:.1f} MB |
| journal entries replayed at the restart (after the last checkpoint) | {day["replayed"]:,} |
| loading the last checkpoint, as the server reports it | **{day["load_s"]:.2f} s** |
| replaying the entries after it | **{day["replay_s"]:.2f} s** |
| restart: process start to its first answer | **{day["ready_s"]:.2f} s** |
| a fresh start with no journal, for comparison | {day["fresh_ready_s"]:.2f} s |

The replayed state hash equals the one read before the kill. A restart loads the last
checkpoint and replays what came after it. A checkpoint is taken once the work since the
last would take a quarter of a CPU second to replay, in a forked child, so the server goes on
meanwhile; while one is being written the next waits, so what a restart replays is that
quarter second plus the time a checkpoint takes to write (most of a second at the end of a
day: the state is then about 20 MB, mostly the API's history). Target: a restart under 2 s
after a day of the default market.
"""
    if not args.no_write:
        write_section("journal", "Journal: cost per command and restart", body)
    print(body)


if __name__ == "__main__":
    main()
