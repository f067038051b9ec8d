"""The built-in `cascade`, played as `python -m sandbox demo` plays it: served on a real
port, its bots on real websockets, virtual time advanced a step at a time. Its story is
checked, and its determinism."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from sandbox.core.config import LIQUIDATOR_VAULT
from sandbox.sim.makers import maker_address
from sandbox.sim.player import Report, run, summary
from sandbox.sim.scenario import load


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
    capital = Decimal(scenario.exchange.vault_capital) / 1_000_000
    threshold = Decimal(scenario.exchange.vault_loss_threshold_pct) / 100
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


def names() -> dict[str, str]:
    scenario = load("cascade")
    found = {address: name for name, address in scenario.wallets().items()}
    return found | {maker_address(m.name): m.name for m in scenario.makers}


def adl_order(report: Report) -> list[str]:
    """Whom the first ADL (the vault's position, at the gap) closed, in order."""
    known = names()
    first = next(s for s in report.steps if s["stage"] == "adl")
    return [known[c["user"]] for c in first["counterparties"]]


async def test_each_ranking_policy_deleverages_the_shorts_in_its_own_order(cascade):
    """The shorts of docs/scenarios.md: short-1 and fader-1 both 8x, fader-1 having sold the
    rally higher; short-2 4.4x and fader-2 4x. hyperliquid's entry notional / account value
    takes the less profitable short-1 first; bitmex (PnL% x leverage) and binance (leverage
    weighed twice) take fader-1; bitmex then fader-2's PnL%, binance short-2's leverage."""
    report, _ = cascade
    orders = {"hyperliquid": adl_order(report)}
    for policy in ("bitmex", "binance"):
        other, _ = await play(policy=policy)
        orders[policy] = adl_order(other)
        assert other.invariants["ok"]
    assert orders == {
        "hyperliquid": ["short-1", "fader-1", "short-2", "fader-2", "hedger", "mm1"],
        "bitmex": ["fader-1", "short-1", "fader-2", "short-2", "hedger", "mm1"],
        "binance": ["fader-1", "short-1", "short-2", "fader-2", "hedger", "mm1"],
    }


def test_the_summary_counts_the_accounts_each_stage_closed(cascade):
    """Stage 3's accounts are those ADL deleveraged, against the vault's position."""
    report, lines = cascade
    text = "\n".join(lines)
    counterparties = {c["user"] for s in report.steps if s["stage"] == "adl"
                      for c in s["counterparties"]}  # fmt: skip
    liquidated = {s["user"] for s in report.steps if s["stage"] == "market"}
    assert re.search(rf"stage 1, market +\d+ +{len(liquidated)} +[\d.]+ BTC  liquidated into "
                     "the book", text)  # fmt: skip
    assert re.search(rf"stage 3, ADL +1 +{len(counterparties)} +[\d.]+ BTC  deleveraged "
                     "against the vault$", text, re.M)  # fmt: skip
    assert len(counterparties) == 6


def test_the_summary_of_adl_against_bankrupt_accounts():
    """Two bankrupt longs, each ADL'd against two shorts, one short in both: two steps,
    three accounts deleveraged, against the two longs; sizes summed coin by coin."""

    def adl(user: str, coin: str, closed: str, against: dict[str, str]) -> dict:
        return {"stage": "adl", "user": user, "coin": coin, "closed": closed, "px": "100",
                "ranking": [{"user": u} for u in against],
                "counterparties": [{"user": u, "closed": c} for u, c in against.items()]}  # fmt: skip

    steps = [adl("long-1", "BTC", "1.5", {"short-1": "1.0", "short-2": "0.5"}),
             adl("long-2", "SOL", "30", {"short-2": "10", "short-3": "20"})]  # fmt: skip
    vault = {"capital": "0", "state": {"marginSummary": {"accountValue": "0"}}}
    invariants = {"ok": True, "error": None, "stateHash": "0" * 64, "openInterest": {},
                  "cash": {"pools": "1", "netDeposits": "1", "fees": "0"}}  # fmt: skip
    report = Report("story", "bitmex", steps, {}, vault, "0", invariants, [])
    table = summary(report, lambda user: user)
    assert re.search(r"stage 3, ADL +2 +3 +1\.5 BTC, 30 SOL  deleveraged against long-1, "
                     "long-2$", table, re.M), table  # fmt: skip
    assert re.search(r"stage 2, backstop +0 +0 +0  taken over by the vault$", table, re.M)


def test_invariants_held_after_every_command_and_money_is_conserved(cascade):
    report, _ = cascade
    invariants = report.invariants
    assert invariants["ok"] and invariants["failuresAfterCommands"] == 0
    assert invariants["cash"]["pools"] == invariants["cash"]["netDeposits"]
    assert all(v["longs"] == v["shorts"] for v in invariants["openInterest"].values())


def test_the_narration_tells_the_story_in_order(cascade):
    _, lines = cascade
    text = "\n".join(lines)
    for phrase in ("bots connected", "mm1 pulls its quotes",
                   "stage 1 (market)", "stage 2 (backstop)", "stage 3 (hyperliquid)",
                   "noticed its ADL", "summary of cascade", "conservation", "state hash"):  # fmt: skip
        assert phrase in text, phrase
    stamps = [line[1:line.index("]")] for line in lines if line.startswith("[day ")]
    assert stamps and stamps == sorted(stamps)


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
