"""The built-in `cascade`, played as `python -m sandbox demo` plays it: served on a real
port, its bots on real websockets, virtual time advanced over the control plane. Its story
is checked, and its determinism."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.core.config import LIQUIDATOR_VAULT
from sandbox.play import run
from sandbox.scenario import load


async def play(**kw):
    lines: list[str] = []
    report = await run("cascade", out=lines.append, **kw)
    return report, lines


@pytest.fixture(scope="module")
def cascade():
    import asyncio

    return asyncio.run(play())


def test_liquidations_reach_every_stage(cascade):
    report, _ = cascade
    stages = report.stages()
    assert stages["market"] >= 5 and stages["backstop"] >= 5 and stages["adl"] >= 1
    # the most leveraged go first, into the book, before the gap
    first = report.steps[0]
    assert first["stage"] == "market" and first["reason"].startswith("value below maintenance")


def test_the_vault_runs_past_its_loss_threshold_and_adl_takes_over(cascade):
    report, _ = cascade
    scenario = load("cascade")
    capital = Decimal(scenario.exchange["vault_capital"])
    threshold = Decimal(scenario.exchange["vault_loss_threshold_pct"]) / 100
    assert Decimal(report.vault_low) < capital * (1 - threshold)
    vault_adl = [s for s in report.steps if s["stage"] == "adl" and s["user"] == LIQUIDATOR_VAULT]
    assert vault_adl and "threshold" in vault_adl[0]["reason"]


def test_adl_closes_profitable_shorts_in_the_policys_order(cascade):
    report, _ = cascade
    for step in (s for s in report.steps if s["stage"] == "adl"):
        assert step["policy"] == "hyperliquid"
        ranking = step["ranking"]
        scores = [Decimal(e["score"]) for e in ranking]
        assert scores == sorted(scores, reverse=True)  # best-ranked first
        closed = [c["user"] for c in step["counterparties"]]
        assert closed == [e["user"] for e in ranking][: len(closed)]  # taken in rank order
        assert all(Decimal(e["unrealizedPnl"]) > 0 for e in ranking[: len(closed)])
        assert all(e["szi"].startswith("-") for e in ranking)  # shorts, against the longs
    # the ADL-aware bots heard it, over their sockets, in the venue's own fill format
    noticed = [line for line in report.said if "noticed its ADL" in line]
    assert len(noticed) == len(report.adl_fills) >= 4
    for fills in report.adl_fills.values():
        assert all(f.is_adl and Decimal(f.closedPnl) > 0 for f in fills)


def test_invariants_held_after_every_command_and_money_is_conserved(cascade):
    report, _ = cascade
    invariants = report.invariants
    assert invariants["ok"] and invariants["failuresAfterCommands"] == 0
    assert invariants["cash"]["pools"] == invariants["cash"]["netDeposits"]
    assert all(v["longs"] == v["shorts"] for v in invariants["openInterest"].values())


def test_the_narration_tells_the_story_in_order(cascade):
    _, lines = cascade
    text = "\n".join(lines)
    for phrase in ("bots connected over websockets", "mm1 pulls its quotes",
                   "stage 1 (market)", "stage 2 (backstop)", "stage 3 (hyperliquid)",
                   "noticed its ADL", "summary of cascade", "conservation", "state hash"):  # fmt: skip
        assert phrase in text, phrase
    stamps = [line[1:6] for line in lines if line.startswith("[")]
    assert stamps == sorted(stamps)


async def test_the_same_seed_gives_the_same_state_hash_and_another_policy_another_run(cascade):
    report, _ = cascade
    again, _ = await play()
    assert again.invariants["stateHash"] == report.invariants["stateHash"]
    assert again.steps == report.steps
    pro_rata, _ = await play(policy="pro_rata")
    assert pro_rata.invariants["ok"]
    adl = [s for s in pro_rata.steps if s["stage"] == "adl"]
    assert adl and all(s["policy"] == "pro_rata" for s in adl)
    assert pro_rata.invariants["stateHash"] != report.invariants["stateHash"]
