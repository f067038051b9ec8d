"""Soak: whole virtual days of the built-in scenarios, as a dry run plays them. Slow (a few
minutes): run with `pytest --soak` (the README's test command and CI do)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from sandbox.core import events as ev
from sandbox.sim.build import build
from sandbox.sim.player import run
from sandbox.sim.scenario import load

pytestmark = pytest.mark.soak
HOUR = 3_600_000


def test_a_day_of_the_calm_market_keeps_every_invariant_and_stays_alive():
    """24 virtual hours of the default market, every invariant checked each hour: trades in
    every coin each hour, open interest built, funding off the base rate somewhere, and what
    the API keeps about the past bounded (the rolling day, the order statuses)."""
    venue = build(load("calm"))
    ex = venue.exchange
    rates: list[ev.FundingRate] = []
    trades: list[ev.Trade] = []

    def tap(events: list) -> None:
        for event in events:
            if type(event) is ev.FundingRate:
                rates.append(event)
            elif type(event) is ev.Trade:
                trades.append(event)

    venue.taps.append(tap)
    for hour in range(24):
        trades.clear()
        venue.advance(HOUR)
        ex.validate()
        traded = {t.asset for t in trades}
        assert len(traded) == len(ex.instruments), f"hour {hour}: no trades in some coin"
    assert all(ex.open_interest[i.asset] > 0 for i in ex.instruments)
    assert len(rates) == 24 * len(ex.instruments)
    base = ex.config.funding_interest_8h // 8
    assert sum(r.rate != base for r in rates) > len(rates) // 10
    for coin in venue.history.coins:  # the rolling day holds a day, not the run
        assert all(ts > venue.now() - 24 * HOUR for ts, *_ in coin.day.trades)
    for user in venue.history.users.values():
        assert len(user.statuses) == len(user.status_oids)


async def test_a_day_with_a_crash_through_every_stage_of_the_waterfall(tmp_path):
    """The built-in `crash`, its eleven bots on websockets for a whole day: the leveraged
    longs liquidated at 14:00, the vault past its threshold, ADL against the shorts who
    notice it; money conserved; the results folder covers the day."""
    lines: list[str] = []
    report = await run("crash", results=tmp_path, out=lines.append)
    stages = report.stages()
    assert stages["backstop"] >= 4 and stages["adl"] >= 1
    assert all(s["time"] >= load("crash").start_ms + 14 * HOUR for s in report.steps)
    noticed = [line for line in report.said if "noticed its ADL" in line]
    assert noticed and len(noticed) == sum(len(f) for f in report.adl_fills.values())
    inv = report.invariants
    assert inv["ok"] and inv["cash"]["pools"] == inv["cash"]["netDeposits"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["durationMs"] == 24 * HOUR
    for name, account in summary["accounts"].items():
        pnl = Decimal(account["endValue"]) - Decimal(account["startValue"])
        assert pnl - Decimal(account["netDeposits"]) == Decimal(account["pnl"]), name
    longs = [a for n, a in summary["accounts"].items() if n.startswith(("btc-long", "eth-long"))]
    assert longs and all(a["liquidations"] == 1 for a in longs)
    with open(tmp_path / "equity.csv", newline="") as handle:
        times = {int(row["time"]) for row in csv.DictReader(handle)}
    assert len(times) == 24 * 60 + 1  # a sample a minute, and the start
