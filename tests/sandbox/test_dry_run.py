"""Dry runs: your own bot in a scenario, played by `sandbox.sim.player.run`, and the results
folder it leaves.

The story: a bot of yours, a script on the official hyperliquid-python-sdk, is run as a
command beside its scenario file; it opens a leveraged long over real sockets, the scenario
shocks the price, the venue liquidates it, the bot reads its state and says so; then every
file of the results folder is checked against the others and against what the bot said."""

from __future__ import annotations

import csv
import json
import shlex
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from protocol import signing
from sandbox.sim.player import command_bots, run
from sandbox.sim.results import FILES
from sandbox.sim.scenario import ScenarioError, load, parse

PYTHON = shlex.quote(sys.executable)

# The bot: only the SDK and what the sandbox hands it in its environment.
SDK_BOT = """
import json
import os
import time

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

url = os.environ["ADL_SANDBOX_URL"]
address = os.environ["ADL_SANDBOX_ADDRESS"]
options = json.loads(os.environ["ADL_SANDBOX_OPTIONS"])
wallet = eth_account.Account.from_key(os.environ["ADL_SANDBOX_KEY"])
info = Info(url, skip_ws=True)
exchange = Exchange(wallet, url)
print(f"{os.environ['ADL_SANDBOX_NAME']} is {wallet.address.lower()}, given {address}")
exchange.update_leverage(options["leverage"], "BTC", is_cross=True)
result = exchange.market_open("BTC", True, float(options["size"]), None, 0.01)
filled = result["response"]["data"]["statuses"][0]["filled"]
print(f"opened a long of {filled['totalSz']} BTC at {filled['avgPx']}")
while info.user_state(address)["assetPositions"]:
    time.sleep(0.1)
state = info.user_state(address)
print(f"liquidated: no position, account value {state['marginSummary']['accountValue']}")
for fill in info.user_fills(address):
    if fill.get("liquidation"):
        method = fill["liquidation"]["method"]
        print(f"liquidation fill: {fill['side']} {fill['sz']} {fill['coin']} at {fill['px']} ({method})")
"""

# 20x long of 0.3 BTC (~$18,000) on $1,000: a 4.4% fall takes it under maintenance. At 20x
# the wall clock, the bot's start (Python, the SDK, its first requests) costs some tens of
# virtual seconds: the shock comes at 150 s, ~7 s of wall time in.
STORY = """
name = "my bot's bad day"
seed = 5
start = "2025-06-01T00:00:00Z"
duration = "200s"
[exchange]
mark_rule = "oracle"
[markets.BTC]
price = "60000"
[[makers]]
name = "mm1"
level_usdc = "100000"
[[bots]]
name = "mine"
cmd = "{python} sdk_bot.py"
usdc = "1000"
options = {{ size = "0.3", leverage = 20 }}
[[events]]
at = "150s"
do = "shock"
coin = "BTC"
pct = -4.4
over = "6s"
"""


def csv_rows(folder: Path, name: str) -> list[dict]:
    with open(folder / f"{name}.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == FILES[name]
        return list(reader)


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    import asyncio

    here = tmp_path_factory.mktemp("dry_run")
    (here / "sdk_bot.py").write_text(SDK_BOT)
    path = here / "story.toml"
    path.write_text(STORY.format(python=PYTHON))
    lines: list[str] = []
    out = here / "out"
    report = asyncio.run(run(str(path), results=out, speed=20, out=lines.append))
    return report, lines, out, load(str(path))


def test_the_bot_ran_as_a_command_and_its_lines_are_narrated(story):
    report, lines, out, scenario = story
    address = scenario.wallets()["mine"]
    said = (out / "bots" / "mine.log").read_text().splitlines()
    assert said[0] == f"mine is {address}, given {address}"  # its key is its address's
    assert said[1] == "opened a long of 0.3 BTC at 60030.0"  # the maker's best ask
    assert said[2].startswith("liquidated: no position, account value ")
    assert said[3].startswith("liquidation fill: A 0.3 BTC at ")
    assert len(said) == 4
    # each of its lines in the narration, with its name, in order
    narrated = [line.split("] ", 1)[1] for line in lines if "] mine| " in line]
    assert narrated == [f"mine| {line}" for line in said]
    assert any(line.endswith("mine exited with code 0") for line in lines)
    assert report.exits == {"mine": 0}  # it ended by itself, before the run did
    assert report.summary["bots"] == {"mine": 0}


def test_it_was_really_liquidated(story):
    report, lines, _, _ = story
    (step,) = report.steps
    assert step["stage"] in ("market", "backstop") and step["coin"] == "BTC"
    assert step["szi"] == "0.3" and step["closed"] == "0.3"
    assert step["reason"].startswith("value below")
    shock = next(i for i, line in enumerate(lines) if "BTC is shocked -4.4%" in line)
    told = next(i for i, line in enumerate(lines) if "liquidation, stage" in line)
    assert shock < told and "mine's 0.3 BTC long" in lines[told]
    assert report.invariants["ok"] and report.invariants["failuresAfterCommands"] == 0


def test_every_file_of_the_results_folder(story):
    report, _, out, _ = story
    assert report.results == str(out)
    names = {p.name for p in out.iterdir()}
    expected = {f"{n}.csv" for n in FILES} | {"waterfall.json", "summary.json",
                                              "accounts.json", "run.log", "bots"}  # fmt: skip
    assert names == expected
    assert [p.name for p in (out / "bots").iterdir()] == ["mine.log"]


def test_fills_csv_has_the_bots_fills_and_marks_its_liquidation(story):
    report, _, out, scenario = story
    address = scenario.wallets()["mine"]
    fills = [r for r in csv_rows(out, "fills") if r["name"] == "mine"]
    assert all(r["user"] == address and r["coin"] == "BTC" for r in fills)
    opened, *closed = fills
    assert (opened["side"], opened["sz"], opened["dir"], opened["liquidation"]) == (
        "B", "0.3", "Open Long", "")  # fmt: skip
    assert opened["px"] == "60030.0" and opened["crossed"] == "True"
    assert closed and all(r["side"] == "A" and r["liquidation"] == report.steps[0]["stage"]
                          for r in closed)  # fmt: skip
    assert sum(Decimal(r["sz"]) for r in closed) == Decimal("0.3")
    assert int(opened["time"]) < int(closed[0]["time"])
    # what the bot read of its liquidation fill over the API is what the file has
    said = (out / "bots" / "mine.log").read_text().splitlines()
    assert said[3] == (f"liquidation fill: A {closed[-1]['sz']} BTC at {closed[-1]['px']} "
                       f"({closed[-1]['liquidation']})")  # fmt: skip
    mine = report.summary["accounts"]["mine"]
    assert mine["fills"] == len(fills) and mine["liquidations"] == 1
    volume = sum(Decimal(r["px"]) * Decimal(r["sz"]) for r in fills)
    assert Decimal(mine["volume"]) == volume
    assert Decimal(mine["fees"]) == sum(Decimal(r["fee"]) for r in fills)
    assert Decimal(mine["realizedPnl"]) == sum(Decimal(r["closedPnl"]) for r in fills)
    # the trades file has the same trades, with the bot's name on its side
    trades = {r["tid"]: r for r in csv_rows(out, "trades")}
    assert trades[opened["tid"]]["buyer"] == "mine"
    assert all(trades[r["tid"]]["seller"] == "mine" for r in closed)


def test_the_ledger_and_the_waterfall_name_the_bot(story):
    report, _, out, scenario = story
    address = scenario.wallets()["mine"]
    (ledger,) = csv_rows(out, "ledger")
    stage = report.steps[0]["stage"]
    assert (ledger["name"], ledger["user"], ledger["type"]) == (
        "mine", address, f"liquidation ({stage})")  # fmt: skip
    (step,) = csv_rows(out, "waterfall")
    assert (step["stage"], step["name"], step["user"], step["coin"], step["szi"]) == (
        stage, "mine", address, "BTC", "0.3")  # fmt: skip
    audit = json.loads((out / "waterfall.json").read_text())
    assert audit == report.steps
    assert csv_rows(out, "adl") == []


def test_equity_follows_the_bot_and_ends_at_its_end_value(story):
    report, _, out, _ = story
    rows = [r for r in csv_rows(out, "equity") if r["name"] == "mine"]
    times = [int(r["time"]) for r in rows]
    assert times == sorted(set(times)) and len(rows) >= 4  # at 0, every minute, the end
    assert times[-1] - times[0] == 200_000
    assert rows[0]["accountValue"] == "1000.0" and rows[0]["positions"] == ""
    held = [r for r in rows if r["positions"] == "BTC:0.3"]  # between the open and the shock
    assert held and all(Decimal(r["totalNtlPos"]) > 0 for r in held)
    mine = report.summary["accounts"]["mine"]
    assert rows[-1]["accountValue"] == mine["endValue"] and rows[-1]["positions"] == ""
    assert rows[-1]["pnl"] == mine["pnl"]
    assert mine["positions"] == {}


def test_the_summary_adds_up(story):
    report, _, out, scenario = story
    summary = json.loads((out / "summary.json").read_text())
    assert summary == report.summary
    for name, a in summary["accounts"].items():
        end, start, net = (Decimal(a[k]) for k in ("endValue", "startValue", "netDeposits"))
        assert Decimal(a["pnl"]) == end - start - net, name
    mine = summary["accounts"]["mine"]
    assert (mine["startValue"], mine["netDeposits"]) == ("1000.0", "0.0")
    assert Decimal(mine["pnl"]) < -100  # bought at the ask, sold after a 4.4% fall
    assert summary["scenario"] == scenario.name and summary["durationMs"] == 200_000
    assert summary["waterfall"][report.steps[0]["stage"]] == 1
    assert summary["invariants"]["stateHash"] == report.invariants["stateHash"]


def test_accounts_json_says_how_to_reach_the_venue_as_the_bot(story):
    _, lines, out, scenario = story
    accounts = json.loads((out / "accounts.json").read_text())
    assert any(line.startswith(f"served on {accounts['url']} ") for line in lines)
    assert accounts["url"].startswith("http://127.0.0.1:")
    assert f"admin token (Authorization: Bearer ...): {accounts['adminToken']}" in lines
    (mine,) = accounts["accounts"]
    assert mine["name"] == "mine" and mine["address"] == scenario.wallets()["mine"]
    assert signing.address_of(bytes.fromhex(mine["key"].removeprefix("0x"))) == mine["address"]


def test_run_log_is_the_narration_and_the_summary(story):
    _, lines, out, _ = story
    log = (out / "run.log").read_text()
    assert log == "".join(f"{line}\n" for line in lines)
    assert "mine| opened a long of 0.3 BTC" in log and "summary of my bot's bad day" in log


# -- a class of yours, in process -------------------------------------------------------------

CLASS_BOT = '''
from decimal import Decimal

from bots.bot import Bot


class Buyer(Bot):
    """Buys `usdc` of `coin` at its first turn, then tells its fills."""

    def __init__(self, name, key, *, coin="BTC", usdc="5000"):
        super().__init__(name, key)
        self.coin, self.usdc, self.bought = coin, Decimal(usdc), False

    async def on_timer(self, now_ms):
        if not self.bought:
            self.bought = True
            mid = await self.mid(self.coin)
            filled = await self.ioc(self.coin, True, self.usdc / mid, Decimal("0.01"), mid)
            self.say(f"bought {filled} {self.coin}")

    async def on_fill(self, fill):
        self.say(f"filled {fill.sz} at {fill.px}")


class NotABot:
    pass
'''

CLASS_SCENARIO = """
name = "classy"
seed = {seed}
start = "2025-06-01T00:00:00Z"
duration = "3m"
[markets.BTC]
price = "60000"
feed = "walk"
volatility = 0.5
[markets.ETH]
price = "3000"
feed = "walk"
[[makers]]
name = "mm1"
[[flow]]
trades_per_minute = 10
[[bots]]
name = "buyer"
class = "{cls}"
usdc = "20000"
options = {{ coin = "ETH", usdc = "6000" }}
"""


def class_scenario(folder: Path, seed: int = 1, cls: str = "dry_run_class_bot:Buyer") -> str:
    (folder / "dry_run_class_bot.py").write_text(CLASS_BOT)
    path = folder / f"classy-{seed}.toml"
    path.write_text(CLASS_SCENARIO.format(seed=seed, cls=cls))
    return str(path)


async def test_a_class_bot_runs_in_process_and_the_same_seed_gives_the_same_run(tmp_path):
    path = class_scenario(tmp_path)
    first = await run(path, out=lambda line: None)
    again = await run(path, out=lambda line: None)
    other = await run(class_scenario(tmp_path, seed=2), out=lambda line: None)
    assert first.exits == {} and first.results is None  # no command, no folder kept
    assert first.said[0] == "buyer: bought 2.0 ETH"  # $6,000 at ~3,000, as its options say
    assert first.said[1].startswith("buyer: filled 2.0 at ")
    buyer = first.summary["accounts"]["buyer"]
    assert buyer["positions"] == {"ETH": "2.0"} and buyer["fills"] == 1
    assert first.invariants["ok"]
    assert again.invariants["stateHash"] == first.invariants["stateHash"]
    assert again.said == first.said and again.summary["accounts"] == first.summary["accounts"]
    assert other.invariants["stateHash"] != first.invariants["stateHash"]


async def test_a_class_that_is_not_a_bot_or_not_there_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"not a bots\.Bot subclass"):
        await run(class_scenario(tmp_path, cls="dry_run_class_bot:NotABot"), out=lambda _: None)
    with pytest.raises(ScenarioError, match="class dry_run_no_such_module:Buyer"):
        await run(class_scenario(tmp_path, cls="dry_run_no_such_module:Buyer"),
                  out=lambda _: None)  # fmt: skip


# -- commands: their environment, and their end -----------------------------------------------


def test_a_command_bot_is_given_the_venue_its_key_and_its_options():
    scenario = parse(textwrap.dedent("""
        name = "env"
        [markets.BTC]
        price = "60000"
        [[bots]]
        name = "mine"
        cmd = "python -u 'my bot.py' --fast"
        options = { coin = "ETH", levels = [1, 2], since = 2025-06-01T00:00:00Z }
    """))  # fmt: skip
    (bot,) = command_bots(scenario)
    assert bot.argv == ("python", "-u", "my bot.py", "--fast")
    env = bot.env("http://127.0.0.1:1234")
    assert env["ADL_SANDBOX_URL"] == "http://127.0.0.1:1234"
    assert env["ADL_SANDBOX_ADDRESS"] == scenario.wallets()["mine"] == bot.address
    key = bytes.fromhex(env["ADL_SANDBOX_KEY"].removeprefix("0x"))
    assert signing.address_of(key) == bot.address
    assert env["ADL_SANDBOX_NAME"] == "mine"
    assert json.loads(env["ADL_SANDBOX_OPTIONS"]) == {
        "coin": "ETH", "levels": [1, 2], "since": "2025-06-01T00:00:00+00:00"}  # fmt: skip


LINGERING = """
import os
import time

with open("child.pid", "w") as handle:
    handle.write(str(os.getpid()))
print("up", flush=True)
while True:
    time.sleep(0.05)
"""


def gone(pid: int, within: float = 5.0) -> bool:
    """No such process (or only its exit status, waiting to be collected) within `within`
    seconds: a killed process closes its files (its output ends) a moment before the kernel
    has finished with it."""
    deadline = time.monotonic() + within
    while True:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "\nState:\tZ" in status:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
async def test_a_command_and_whatever_it_started_are_stopped_when_the_run_ends(tmp_path):
    """A command that starts another process (a shell running the bot, a launcher): at the
    end of the run both are stopped, and the run does not wait on the output the child
    still held open."""
    (tmp_path / "lingering.py").write_text(LINGERING)
    (tmp_path / "run.sh").write_text(f"{PYTHON} lingering.py\necho after\n")  # a launcher
    (tmp_path / "shell.toml").write_text(textwrap.dedent("""
        name = "shell"
        duration = "20s"
        [markets.BTC]
        price = "60000"
        [[bots]]
        name = "sh"
        cmd = "sh run.sh"
    """))  # fmt: skip
    import asyncio

    lines: list[str] = []
    report = await asyncio.wait_for(  # (a guard: a run that hangs fails here)
        # 20 s of market at 2x: 10 s of wall time for the child to start, under load too
        run(str(tmp_path / "shell.toml"), results=tmp_path / "out", speed=2, out=lines.append),
        timeout=60,
    )
    assert report.exits == {"sh": None}  # still running when the run ended: stopped
    pid = int((tmp_path / "child.pid").read_text())
    assert gone(pid)
    assert (tmp_path / "out" / "bots" / "sh.log").read_text() == "up\n"
    assert any(line.endswith("] sh| up") for line in lines)
