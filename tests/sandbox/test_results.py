"""The results folder (sandbox.sim.results.Recorder), written from a venue built from a small
scenario and run in virtual time: every file loads with its declared header, the files
agree with the venue and with each other, and the summary's money adds up exactly."""

from __future__ import annotations

import csv
import json
from collections import Counter
from decimal import Decimal

import pytest

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.units import USDC
from sandbox.sim.build import build
from sandbox.sim.flow import trader_address
from sandbox.sim.makers import maker_address
from sandbox.sim.results import FILES, Recorder, iso
from sandbox.sim.scenario import parse

MINUTE = 60_000

SCENARIO = """
name = "recorded"
seed = 3
start = "2025-01-01T00:00:00Z"
[exchange]
mark_rule = "oracle"
[markets.BTC]
price = "60000"
feed = "walk"
[markets.ETH]
price = "3000"
feed = "walk"
[[makers]]
name = "mm1"
level_usdc = "50000"
[[flow]]
name = "flow"
trades_per_minute = 4
traders = 5
[[accounts]]
name = "alice"
usdc = "10000"
positions = [{ coin = "BTC", size = "0.1", leverage = 5 }, { coin = "ETH", size = "-2" }]
[[accounts]]
name = "bob"
usdc = "3000"
positions = [{ coin = "BTC", size = "0.4", leverage = 20 }]
[[accounts]]
name = "carol"
usdc = "2000"
[[events]]
at = "5m"
do = "adl"
account = "alice"
coin = "ETH"
sz = "1"
[[events]]
at = "8m"
do = "liquidate"
account = "bob"
[[events]]
at = "9m"
do = "deposit"
account = "alice"
usdc = "500"
"""


class Played:
    """A recorded run: the venue, the scenario's names and addresses, the folder, the
    summary, and every event the venue applied (seen by a tap of the test's own)."""

    def __init__(self, folder, *, everyone: bool = False, minutes: int = 20, between=None):
        self.scenario = parse(SCENARIO)
        self.venue = venue = build(self.scenario)
        self.wallets = self.scenario.wallets()
        self.events: list = []
        venue.taps.append(self.events.extend)
        subjects = {address: name for name, address in self.wallets.items()}
        self.folder = folder
        recorder = Recorder(venue, folder, subjects, everyone=everyone)
        recorder.sample()
        for minute in range(minutes):
            venue.advance(MINUTE)
            if between is not None:
                between(self, minute)
            recorder.sample()
        self.summary = recorder.close({"scenario": "recorded"}, {"url": "none"}, ["a", "b"])
        venue.exchange.validate()

    def rows(self, name: str) -> list[dict]:
        with open(self.folder / f"{name}.csv", newline="") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames) == FILES[name]
            rows = list(reader)
        assert all(None not in row and None not in row.values() for row in rows)  # no ragged rows
        return rows

    def of(self, kind) -> list:
        return [e for e in self.events if type(e) is kind]


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    return Played(tmp_path_factory.mktemp("results"))


def test_every_file_is_there_and_loads_with_its_declared_header(played):
    names = {p.name for p in played.folder.iterdir()}
    assert names == {f"{n}.csv" for n in FILES} | {"waterfall.json", "summary.json",
                                                   "accounts.json", "run.log"}  # fmt: skip
    for name in FILES:
        rows = played.rows(name)
        for row in rows[:50]:
            if "time" in row:
                assert row["iso"] == iso(int(row["time"]))
    assert json.loads((played.folder / "accounts.json").read_text()) == {"url": "none"}
    assert (played.folder / "run.log").read_text() == "a\nb\n"
    assert json.loads((played.folder / "summary.json").read_text()) == played.summary


def test_trades_csv_is_every_trade_of_the_venue(played):
    trades = played.of(ev.Trade)
    rows = played.rows("trades")
    assert len(rows) == len(trades) == played.summary["trades"] > 50
    assert [int(r["tid"]) for r in rows] == [t.tid for t in trades]
    names = {maker_address("mm1"): "mm1"} | {trader_address("flow", i): f"flow-{i}"
                                             for i in range(1, 6)}  # fmt: skip
    names |= {address: name for name, address in played.wallets.items()}
    names[played.venue.exchange.vault.address] = "the vault"
    for row, trade in zip(rows, trades, strict=True):
        assert (row["buyer"], row["seller"]) == (names[trade.buyer], names[trade.seller])
        assert row["kind"] == trade.kind
    assert Counter(r["kind"] for r in rows)["adl"] == 1  # the forced ADL


def test_the_summary_volume_is_the_sum_of_trades_csv(played):
    volume: dict[str, Decimal] = {}
    for row in played.rows("trades"):
        volume[row["coin"]] = volume.get(row["coin"], 0) + Decimal(row["px"]) * Decimal(row["sz"])
    assert set(volume) == {"BTC", "ETH"}
    assert {coin: Decimal(v) for coin, v in played.summary["volume"].items()} == volume


def test_the_pnl_identity_holds_for_every_account(played):
    accounts = played.summary["accounts"]
    assert set(accounts) == {"alice", "bob", "carol", "the vault"}
    for name, a in accounts.items():
        end, start, net = (Decimal(a[k]) for k in ("endValue", "startValue", "netDeposits"))
        assert Decimal(a["pnl"]) == end - start - net, name
    assert Decimal(accounts["alice"]["netDeposits"]) == 500  # the deposit at 9 minutes
    assert accounts["carol"]["pnl"] == "0.0" and accounts["carol"]["fills"] == 0


def test_the_last_equity_row_is_the_end_value(played):
    last = {}
    times: dict[str, list[int]] = {}
    for row in played.rows("equity"):
        last[row["name"]] = row
        times.setdefault(row["name"], []).append(int(row["time"]))
    for name, a in played.summary["accounts"].items():
        assert last[name]["accountValue"] == a["endValue"]
        assert last[name]["pnl"] == a["pnl"]
        assert len(times[name]) == 21 and times[name] == sorted(set(times[name]))
    bob = [r for r in played.rows("equity") if r["name"] == "bob"]
    assert bob[0]["positions"] == "BTC:0.4" and bob[-1]["positions"] == ""


def test_fills_and_ledger_follow_the_subjects_only(played):
    subjects = {"alice", "bob", "carol", "the vault"}
    fills = played.rows("fills")
    assert {r["name"] for r in fills} <= subjects
    assert not [r for r in played.rows("orders") if r["name"] not in subjects]
    counts = Counter(r["name"] for r in fills)
    for name, a in played.summary["accounts"].items():
        assert a["fills"] == counts[name]
    # alice's ADL fill and bob's liquidation, marked
    (adl,) = [r for r in fills if r["name"] == "alice"]
    assert (adl["dir"], adl["liquidation"], adl["coin"], adl["side"], adl["sz"]) == (
        "Auto-Deleveraging", "adl", "ETH", "B", "1.0")  # fmt: skip
    liquidated = [r for r in fills if r["name"] == "bob"]
    assert liquidated and all(r["liquidation"] == "market" for r in liquidated)
    assert sum(Decimal(r["sz"]) for r in liquidated) == Decimal("0.4")
    ledger = played.rows("ledger")
    assert [(r["name"], r["type"]) for r in ledger] == [
        ("bob", "liquidation (market)"), ("alice", "deposit")]  # fmt: skip
    # a liquidation moves no cash of its own: the row says what was liquidated, as the
    # venue's ledger entry does (the account's value then, the notional closed)
    liquidation = ledger[0]
    assert (liquidation["usdc"], liquidation["fee"]) == ("", "")
    value, notional = Decimal(liquidation["accountValue"]), Decimal(liquidation["liquidatedNtlPos"])
    # 0.4 BTC at a mark within a few percent of where the book took it
    assert 0 < value < notional and notional == pytest.approx(
        sum(Decimal(r["px"]) * Decimal(r["sz"]) for r in liquidated), rel=Decimal("0.05")
    )
    assert played.summary["accounts"]["bob"]["liquidations"] == 1


def test_the_waterfall_files_name_who_was_closed(played):
    steps = played.rows("waterfall")
    assert [(r["stage"], r["name"], r["coin"]) for r in steps] == [
        ("adl", "the vault", "ETH"), ("market", "bob", "BTC")]  # fmt: skip
    (adl,) = played.rows("adl")
    assert (adl["name"], adl["coin"], adl["closed"], adl["rank"], adl["against"]) == (
        "alice", "ETH", "1.0", "1", "the vault")  # fmt: skip
    audit = json.loads((played.folder / "waterfall.json").read_text())
    assert [r["stage"] for r in audit] == ["adl", "market"]
    assert played.summary["waterfall"] == {"market": 1, "backstop": 0, "adl": 1}
    assert played.summary["adlCounterparties"] == 1


def test_market_csv_samples_every_coin(played):
    rows = played.rows("market")
    assert Counter(r["coin"] for r in rows) == {"BTC": 21, "ETH": 21}
    assert all(Decimal(r["openInterest"]) > 0 for r in rows)


def test_everyone_adds_the_market_around_the_subjects(tmp_path):
    everyone = Played(tmp_path, everyone=True, minutes=5)
    names = {r["name"] for r in everyone.rows("orders")}
    assert "mm1" in names and any(n.startswith("flow-") for n in names)
    assert "mm1" in {r["name"] for r in everyone.rows("fills")}
    # every order update of the venue is a row
    assert len(everyone.rows("orders")) == len(everyone.of(ev.OrderUpdate))


def test_funding_paid_is_in_funding_csv_and_the_summary(tmp_path):
    hours = Played(tmp_path, minutes=125)
    rates = hours.rows("funding_rates")
    assert [r["coin"] for r in rates] == ["BTC", "ETH", "BTC", "ETH"]  # two hours
    paid = hours.rows("funding")
    assert {r["name"] for r in paid} == {"alice"}  # bob was liquidated before the hour
    for name, a in hours.summary["accounts"].items():
        total = sum((Decimal(r["usdc"]) for r in paid if r["name"] == name), Decimal(0))
        assert Decimal(a["funding"]) == total


def test_transfers_are_not_profit_or_loss(tmp_path):
    """USDC moved to another account or to spot leaves the account, and comes back, without
    counting as a loss or a gain."""
    carol = dave = None

    def transfers(played: Played, minute: int) -> None:
        nonlocal carol, dave
        carol = played.wallets["carol"]
        dave = played.wallets["alice"]
        if minute == 1:
            played.venue.apply(cmd.UsdSend(carol, dave, 300 * USDC))
        elif minute == 2:
            played.venue.apply(cmd.ClassTransfer(carol, 400 * USDC, to_perp=False))
        elif minute == 3:
            played.venue.apply(cmd.ClassTransfer(carol, 100 * USDC, to_perp=True))
        elif minute == 4:
            played.venue.apply(cmd.Withdraw(carol, 200 * USDC))

    moved = Played(tmp_path, minutes=6, between=transfers)
    ledger = [r["type"] for r in moved.rows("ledger") if r["name"] == "carol"]
    assert ledger == ["internalTransfer", "accountClassTransfer", "accountClassTransfer",
                      "withdraw"]  # fmt: skip
    a = moved.summary["accounts"]["carol"]
    assert Decimal(a["endValue"]) == 2000 - 300 - 400 + 100 - 200
    assert Decimal(a["netDeposits"]) == -300 - 400 + 100 - 200
    assert a["pnl"] == "0.0" and a["maxDrawdown"] == "0.0"
    equity = [r for r in moved.rows("equity") if r["name"] == "carol"]
    assert {r["pnl"] for r in equity} == {"0.0"}
    alice = moved.summary["accounts"]["alice"]  # the one who received 300
    assert Decimal(alice["netDeposits"]) == 300
