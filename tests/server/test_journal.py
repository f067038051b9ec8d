"""`python -m sandbox serve --state-dir DIR`: a real server process, driven with signed requests
over HTTP and the websocket, killed with SIGKILL and started again on the same directory. What
was answered before the kill is there after it; in virtual time, to the state hash."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import subprocess
import sys

import eth_account
import pytest
import requests
from hyperliquid.exchange import Exchange

from bots.client import Client
from sandbox.server.journal import FILE, Journal

TOKEN = "letmein"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# a server whose checkpoints come after a fifth of a CPU second of journaled work (rather than
# a second), so that a short test has checkpoints and entries after them both to resume from
RUN = ("import sys, sandbox.server.venue as venue; venue.CHECKPOINT_WORK_S = 0.2; "
       "from sandbox.__main__ import main; main(sys.argv[1:])")  # fmt: skip


class Served:
    """`python -m sandbox` on a free port with a state directory; its banner read."""

    def __init__(self, state_dir, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUN, "--port", "0", "--admin-token", TOKEN,
             "--state-dir", str(state_dir), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        self.banner = "".join(lines)
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", self.banner)
        assert found, self.banner
        self.url = found.group(1)

    def control(self, path: str, body: dict | None = None) -> dict:
        answer = requests.post(f"{self.url}/sandbox/{path}", json=body or {}, headers=AUTH,
                               timeout=60)  # fmt: skip
        assert answer.status_code == 200, answer.text
        return answer.json()

    def info(self, request: dict):
        answer = requests.post(f"{self.url}/info", json=request, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def state_hash(self) -> str:
        return requests.get(f"{self.url}/sandbox/invariants", headers=AUTH,
                            timeout=10).json()["stateHash"]  # fmt: skip

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


class Recorded(Exchange):
    """The official SDK's `Exchange`, keeping every body it sent to `/exchange` and the answer."""

    def __init__(self, wallet, url: str, sent: list, **kw) -> None:
        super().__init__(wallet, url, **kw)
        self.sent = sent

    def post(self, url_path: str, payload=None):
        answer = super().post(url_path, payload)
        if url_path == "/exchange":
            self.sent.append((payload, answer))
        return answer


@pytest.fixture
def servers():
    started: list[Served] = []

    def serve(state_dir, *args: str) -> Served:
        started.append(Served(state_dir, *args))
        return started[-1]

    yield serve
    for server in started:
        server.stop()


def _oids(answer: dict) -> list[int]:
    statuses = answer["response"]["data"]["statuses"]
    return [next(iter(s.values()))["oid"] for s in statuses if "resting" in s or "filled" in s]


def _book_px(server: Served, coin: str, side: int, steps_away: int) -> float:
    """A price `steps_away` levels away from the touch on one side of the book (0: bids)."""
    levels = server.info({"type": "l2Book", "coin": coin})["levels"][side]
    return float(levels[min(steps_away, len(levels) - 1)]["px"])


def _what_users_see(server: Served, users: list[str]) -> dict:
    seen = {}
    for user in users:
        for kind in ("clearinghouseState", "openOrders", "frontendOpenOrders", "userFills",
                     "historicalOrders", "userFunding", "userNonFundingLedgerUpdates",
                     "userRateLimit", "subAccounts", "extraAgents"):  # fmt: skip
            request = {"type": kind, "user": user}
            if kind in ("userFunding", "userNonFundingLedgerUpdates"):
                request["startTime"] = 0
            seen[kind, user] = server.info(request)
    seen["allMids"] = server.info({"type": "allMids"})
    seen["metaAndAssetCtxs"] = server.info({"type": "metaAndAssetCtxs"})
    return seen


async def _over_the_websocket(url: str, key: str, coin: str, px: float, sent: list) -> int:
    """Place and modify an order with websocket posts; the resting order's oid."""
    async with Client(url, key) as client:
        sign = client.signed

        def signed(action: dict) -> dict:
            body = sign(action)
            sent.append((body, None))
            return body

        client.signed = signed
        placed = await client.order(coin, True, "0.5", px)
        oid = placed["resting"]["oid"]
        wire = client.order_wire(coin, True, "0.7", px)
        modified = await client.action({"type": "modify", "oid": oid, "order": wire})
        assert modified["status"] == "ok", modified
        return oid


def test_killed_in_virtual_time_the_restarted_server_has_all_that_was_answered(servers, tmp_path):
    server = servers(tmp_path, "--time", "virtual")
    assert f"state: kept in {tmp_path}" in server.banner
    alice, bob = server.control("accounts", {"usdc": "200000"}), server.control("accounts",
                                                                                {"usdc": "50000"})
    sent: list = []
    wallet_a = eth_account.Account.from_key(alice["privateKey"])
    wallet_b = eth_account.Account.from_key(bob["privateKey"])
    a = Recorded(wallet_a, server.url, sent)
    b = Recorded(wallet_b, server.url, sent)

    a.update_leverage(10, "BTC")
    resting = a.order("BTC", True, 0.05, _book_px(server, "BTC", 0, 6), {"limit": {"tif": "Gtc"}})
    a.market_open("ETH", True, 2.0)
    b.update_leverage(5, "SOL", is_cross=False)
    b.market_open("SOL", False, 40.0)
    server.control("clock/advance", {"ms": 3 * 3_600_000})  # funding, makers, checkpoints
    a.usd_transfer(1_000, bob["address"])
    approval, agent_key = a.approve_agent()
    assert approval["status"] == "ok", approval
    agent = Recorded(eth_account.Account.from_key(agent_key), server.url, sent,
                     account_address=alice["address"])  # fmt: skip
    by_agent = agent.order("BTC", True, 0.02, _book_px(server, "BTC", 0, 9),
                           {"limit": {"tif": "Gtc"}})  # fmt: skip
    ask = _book_px(server, "SOL", 1, 0)
    stop = b.order("SOL", True, 40.0, round(ask * 1.2, 1),
                   {"trigger": {"triggerPx": round(ask * 1.1, 1), "isMarket": True,
                                "tpsl": "sl"}}, reduce_only=True)  # fmt: skip
    assert _oids(stop), stop
    snapshot = server.control("snapshot")
    server.control("clock/advance", {"ms": 20 * 60_000})
    server.control("oracle/shock", {"coin": "BTC", "pct": -3, "ms": 60_000})
    server.control("clock/advance", {"ms": 90_000})
    last_snapshot = server.control("snapshot")
    # what comes last is in no checkpoint: a restart finds it by replaying the journal
    ws_oid = asyncio.run(_over_the_websocket(server.url, alice["privateKey"], "ETH",
                                             _book_px(server, "ETH", 0, 8), sent))  # fmt: skip
    b.cancel("SOL", _oids(stop)[0])
    a.market_close("ETH")
    server.control("deposit", {"user": bob["address"], "usdc": "1234"})
    users = [alice["address"], bob["address"]]
    before = _what_users_see(server, users)
    state_hash = server.state_hash()
    server.kill()

    # the journal holds a checkpoint taken during the run, and entries after it
    with sqlite3.connect(tmp_path / FILE) as db:
        checkpoint = db.execute("SELECT max(seq) FROM checkpoints").fetchone()[0]
        after = dict(db.execute("SELECT kind, count(*) FROM entries WHERE seq > ? GROUP BY kind",
                                (checkpoint,)).fetchall())  # fmt: skip
    assert checkpoint > 1
    assert after.get("exchange", 0) >= 4 and after.get("control", 0) >= 1, (checkpoint, after)

    again = servers(tmp_path)  # started with no options: the first start's are used
    resumed = re.search(r"resumed from .*: the last checkpoint and (\d+) journal entries after "
                        r"it, in [\d.]+ s \(loading [\d.]+ s, replaying [\d.]+ s\); "
                        r"state hash (\w+)", again.banner)  # fmt: skip
    assert resumed, again.banner
    assert int(resumed.group(1)) == sum(after.values())
    assert resumed.group(2) == state_hash  # the replay ends where the venue was
    assert "time: virtual" in again.banner
    assert again.state_hash() == state_hash
    assert _what_users_see(again, users) == before

    # every action answered before the kill is there after it
    fills = {f["oid"] for f in before["userFills", alice["address"]]}
    known = {o["order"]["oid"] for o in again.info({"type": "historicalOrders",
                                                    "user": alice["address"]})}  # fmt: skip
    assert {_oids(resting)[0], _oids(by_agent)[0], ws_oid} <= known
    assert fills  # (market orders filled)
    for body, _ in sent:  # a request answered before the crash is a duplicate after it
        resent = requests.post(f"{again.url}/exchange", json=body, timeout=10).json()
        assert resent["status"] == "err" and "nonce" in resent["response"], resent
    assert again.state_hash() == state_hash  # and changed nothing

    # the snapshots survive: restoring one taken before the kill gives its state
    for taken in (snapshot, last_snapshot):
        restored = again.control("restore", {"id": taken["id"]})
        assert restored["stateHash"] == taken["stateHash"] == again.state_hash()


def test_killed_in_real_time_under_load_every_answered_order_and_fill_is_there(servers, tmp_path):
    server = servers(tmp_path, "--feed", "constant")
    accounts = [server.control("accounts", {"usdc": "100000"}) for _ in range(3)]
    sent: list = []
    traders = [Recorded(eth_account.Account.from_key(account["privateKey"]), server.url, sent)
               for account in accounts]  # fmt: skip
    answered_oids, filled = set(), set()
    for round_ in range(6):
        for i, trader in enumerate(traders):
            coin = ("BTC", "ETH", "SOL")[(i + round_) % 3]
            bid = _book_px(server, coin, 0, 5 + round_)
            placed = trader.order(coin, True, 1.0 if coin == "SOL" else 0.01, bid,
                                  {"limit": {"tif": "Gtc"}})  # fmt: skip
            answered_oids.update(_oids(placed))
            taken = trader.market_open(coin, round_ % 2 == 0, 0.5 if coin == "SOL" else 0.002)
            answered_oids.update(_oids(taken))
            filled.update(_oids(taken))
    server.kill()  # straight after the last answer

    again = servers(tmp_path)
    assert "resumed from" in again.banner
    for account in accounts:
        orders = again.info({"type": "historicalOrders", "user": account["address"]})
        fills = again.info({"type": "userFills", "user": account["address"]})
        answered_oids -= {o["order"]["oid"] for o in orders}
        filled -= {f["oid"] for f in fills}
    assert answered_oids == set() and filled == set()
    for body, _ in sent[-5:]:  # answered before the kill: a duplicate after it
        resent = requests.post(f"{again.url}/exchange", json=body, timeout=10).json()
        assert resent["status"] == "err" and "nonce" in resent["response"], resent
    invariants = requests.get(f"{again.url}/sandbox/invariants", headers=AUTH, timeout=10).json()
    assert invariants["ok"], invariants


def test_the_journal_keeps_entries_until_the_checkpoint_after_next(tmp_path):
    journal = Journal(tmp_path)
    journal.set_meta("argv", "[]")
    for i in range(3):
        journal.append("exchange", 1000 + i, 0, b"body %d" % i)
    journal.checkpoint(2000, b"state A")  # after entry 3
    journal.append("control", 3000, 0, b"x")
    journal.checkpoint(4000, b"state B")  # after entry 4: entries up to 3 are dropped
    journal.append("due", 5000, 4000)
    journal.close()

    reopened = Journal(tmp_path)
    assert reopened.meta("argv") == "[]" and reopened.meta("nope") is None
    assert reopened.latest_checkpoint() == (4, 4000, b"state B")
    assert [(e.seq, e.kind) for e in reopened.entries_after(4)] == [(5, "due")]
    assert [e.seq for e in reopened.entries_after(0)] == [4, 5]  # 1-3: before checkpoint A
    assert reopened.append("tick", 6000, 6000) == 6  # numbering goes on
    with pytest.raises(ValueError):
        Journal(tmp_path / "other", sync="sometimes")
    # a checkpoint written but never registered (its writer cut off) is cleared at the next
    # start; a registered one whose file is gone gives way to the one before it
    reopened.write_checkpoint(6, b"state C")
    reopened.close()
    again = Journal(tmp_path)
    assert not again.written(6)
    (again.files / f"{4:012d}.pickle").unlink()
    assert again.latest_checkpoint() == (3, 2000, b"state A")


def test_a_state_dir_that_cannot_be_used_is_refused_with_a_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    run = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0", "--state-dir",
                          str(blocker)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode != 0
    assert f"--state-dir {blocker}" in run.stderr and "Traceback" not in run.stderr
