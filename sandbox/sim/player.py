"""Playing a scenario: its bots connect to a served sandbox over websockets, virtual time
moves a step at a time through the control plane, and what happens is narrated.

Each step: every bot takes its turn, in a fixed order (it first waits until everything the
server sent it has arrived, then reacts and trades); then the clock advances one step over
`POST /sandbox/clock/advance`, which runs what falls due (oracle posts, market makers, timed
events, funding, the waterfall) in order. The narrator reads the waterfall's audit from the
`sandboxWaterfall` subscription. Nothing else moves time, so a run is the same run every
time for the same scenario and seed.

`Player.run()` returns a `Report`: the audit, the bots' ADL fills, the vault, the
invariants, and the state hash.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import aiohttp
import msgspec

from bots.client import Client
from bots.events import Fill, Raw
from sandbox.core.config import LIQUIDATOR_VAULT
from sandbox.server.narration import describe as describe_step
from sandbox.server.narration import money
from sandbox.sim.makers import maker_address
from sandbox.sim.scenario import Scenario, describe, duration_ms, make_bots, wallet_key, wallets


class Report(msgspec.Struct):
    scenario: str
    policy: str
    steps: list[dict]
    adl_fills: dict[str, list[Fill]]
    vault: dict
    vault_low: str
    invariants: dict
    said: list[str]

    def stages(self) -> Counter:
        return Counter(step["stage"] for step in self.steps)


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class Player:
    def __init__(self, scenario: Scenario, url: str, token: str, *, seed: int | None = None,
                 out: Callable[[str], None] | None = None, speed: float = 0) -> None:  # fmt: skip
        self.scenario = scenario
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seed = scenario.seed if seed is None else seed
        self.out = out if out is not None else (lambda line: print(line, flush=True))
        self.bots = make_bots(scenario, self.seed)
        self.speed = speed  # virtual seconds per wall second; 0: as fast as the CPU allows
        self.names = self._names()
        self.said: list[str] = []

    def _names(self) -> dict[str, str]:
        s = self.scenario
        names = {LIQUIDATOR_VAULT: "the vault"}
        for maker in s.makers:
            names[maker_address(maker.name)] = maker.name
        names.update({address: name for name, address in wallets(s, self.seed).items()})
        return names

    def name(self, address: str) -> str:
        return self.names.get(address, address[:10])

    async def _control(self, http: aiohttp.ClientSession, method: str, path: str,
                       body: dict | None = None) -> dict:  # fmt: skip
        async with http.request(method, self.url + path, json=body, headers=self.headers) as r:
            answer = await r.json()
            if r.status != 200:
                raise RuntimeError(f"{method} {path}: {answer.get('error', answer)}")
            return answer

    async def run(self) -> Report:
        s = self.scenario
        async with aiohttp.ClientSession() as http:
            clock = await self._control(http, "GET", "/sandbox/clock")
            if clock["mode"] != "virtual":
                raise RuntimeError("a scenario plays in virtual time")
            narrator = await Client(self.url, wallet_key(self.seed, "narrator")).connect()
            await narrator.subscribe({"type": "sandboxWaterfall"})
            try:
                for bot in self.bots:
                    await bot.connect(self.url)
                await narrator.sync()
                narrator.take()  # the subscription's snapshot
                self.out(f"[{_clock(0)}] {len(self.bots)} bot{'s' * (len(self.bots) != 1)} "
                         "connected over websockets")  # fmt: skip
                loop = asyncio.get_running_loop()
                began = loop.time()
                events = sorted(s.events, key=lambda e: duration_ms(e.at))
                t = 0
                while t < s.duration_ms:
                    await self._turns(t)
                    if self.speed > 0:  # paced for a reader
                        await asyncio.sleep(max(0.0, began + t / 1000 / self.speed - loop.time()))
                    await self._control(http, "POST", "/sandbox/clock/advance", {"ms": s.step_ms})
                    t += s.step_ms
                    await self._narrate_step(t, events, narrator)
                await self._turns(t)  # the last messages: ADLs of the final step
                vault = await self._control(http, "GET", "/sandbox/vault")
                invariants = await self._control(http, "GET", "/sandbox/invariants")
                audit = await self._control(http, "GET", "/sandbox/audit")
            finally:
                for bot in self.bots:
                    await bot.close()
                await narrator.close()
        steps = audit["steps"]
        adl_policy = next((st["policy"] for st in steps if st["stage"] == "adl"), "")
        adl_fills = {bot.name: bot.adl_fills for bot in self.bots if bot.adl_fills}
        low = min((Decimal(st["vaultAfter"]) for st in steps), default=Decimal(vault["capital"]))
        return Report(s.name, adl_policy, steps, adl_fills, vault, str(low), invariants,
                      self.said)  # fmt: skip

    async def _turns(self, t: int) -> None:
        """Every bot's turn at `t` ms into the run, and what they said."""
        for bot in self.bots:
            await bot.turn(self.scenario.start_ms + t)
            for line in bot.said:
                self.out(f"[{_clock(t)}] {line}")
            self.said.extend(bot.said)
            bot.said.clear()

    async def _narrate_step(self, t: int, events: list, narrator: Client) -> None:
        """The scenario's events and the waterfall's steps up to `t`, in time order (an
        event before the steps it caused)."""
        lines: list[tuple[int, int, str]] = []  # (time, 0 event | 1 step, text)
        while events and duration_ms(events[0].at) <= t:
            event = events.pop(0)
            text = describe(event)
            if text:
                lines.append((duration_ms(event.at), 0, text))
        await narrator.sync()
        start = self.scenario.start_ms
        for event in narrator.take():
            if isinstance(event, Raw) and event.channel == "sandboxWaterfall":
                for record in event.data["steps"]:
                    lines.append((record["time"] - start, 1, self._narrate(record)))
        for at, _, text in sorted(lines, key=lambda line: line[:2]):
            self.out(f"[{_clock(at)}] {text}")

    def _narrate(self, record: dict) -> str:
        return describe_step(record, self.name)


def _sizes(steps: list[dict]) -> str:
    """What `steps` closed, coin by coin: "16.60901 BTC"."""
    by_coin: dict[str, Decimal] = {}
    for step in steps:
        by_coin[step["coin"]] = by_coin.get(step["coin"], Decimal(0)) + Decimal(step["closed"])
    return ", ".join(f"{size.normalize():f} {coin}" for coin, size in by_coin.items()) or "0"


def _stage_rows(
    steps: list[dict], names: Callable[[str], str]
) -> list[tuple[str, int, int, str, str]]:
    """(stage, steps, accounts, closed, what happened) for each stage of the waterfall.
    Liquidations count the accounts liquidated; ADL counts the accounts it deleveraged
    (its counterparties), and says whose positions it closed against them: the vault's, or
    the bankrupt accounts'."""
    rows = []
    for stage, label in (("market", "stage 1, market"), ("backstop", "stage 2, backstop")):
        chosen = [s for s in steps if s["stage"] == stage]
        what = "liquidated into the book" if stage == "market" else "taken over by the vault"
        rows.append((label, len(chosen), len({s["user"] for s in chosen}), _sizes(chosen), what))
    adl = [s for s in steps if s["stage"] == "adl"]
    deleveraged = {c["user"] for s in adl for c in s["counterparties"]}
    closed = list(dict.fromkeys(s["user"] for s in adl))  # whose positions, in order
    whose = ", ".join(names(user) for user in closed[:3]) + (
        f" and {len(closed) - 3} more" if len(closed) > 3 else ""
    )
    what = f"deleveraged against {whose}" if adl else "deleveraged"
    rows.append(("stage 3, ADL", len(adl), len(deleveraged), _sizes(adl), what))
    return rows


def summary(report: Report, names: Callable[[str], str]) -> str:
    """The closing table: liquidations by stage, ADLs with their ranks, the vault, and the
    conservation check."""
    lines = ["", f"summary of {report.scenario}", ""]
    rows = _stage_rows(report.steps, names)
    width = max(12, *(len(row[3]) for row in rows))
    lines.append(f"  {'stage':<20}{'steps':>7}{'accounts':>10}  {'closed':>{width}}")
    for label, count, accounts, closed, what in rows:
        lines.append(f"  {label:<20}{count:>7}{accounts:>10}  {closed:>{width}}  {what}")
    adl = [s for s in report.steps if s["stage"] == "adl"]
    if adl:
        lines += ["", f"  ADL counterparties (policy {report.policy}), by rank at the time:"]
        lines.append(f"  {'account':<16}{'rank':>6}{'closed':>10}{'px':>12}")
        for step in adl:
            ranks = {e["user"]: i for i, e in enumerate(step["ranking"], 1)}
            for c in step["counterparties"]:
                lines.append(f"  {names(c['user']):<16}{ranks.get(c['user'], 0):>6}"
                             f"{c['closed']:>10}{money(step['px']):>12}")  # fmt: skip
    vault = report.vault
    lines += [
        "",
        f"  vault: capital ${money(vault['capital'])}, lowest ${money(report.vault_low)}, "
        f"now ${money(vault['state']['marginSummary']['accountValue'])}",
    ]
    inv = report.invariants
    cash = inv["cash"]
    balanced = cash["pools"] == cash["netDeposits"]
    interest = all(v["longs"] == v["shorts"] for v in inv["openInterest"].values())
    lines += [
        f"  conservation: pools ${money(cash['pools'])} = deposits less withdrawals "
        f"${money(cash['netDeposits'])} (fees ${money(cash['fees'])} included): "
        + ("exact" if balanced else "BROKEN"),
        "  open interest: longs == shorts in every coin: " + ("yes" if interest else "NO"),
        f"  invariants: {'held' if inv['ok'] else 'BROKEN: ' + str(inv['error'])}"
        + (f", after every command ({inv['failuresAfterCommands']} failures)"
           if "failuresAfterCommands" in inv else ""),
        f"  state hash: {inv['stateHash']}",
    ]  # fmt: skip
    return "\n".join(lines)


async def run(name_or_path: str, *, policy: str | None = None, seed: int | None = None,
              host: str = "127.0.0.1", port: int = 0, speed: float = 0,
              out: Callable[[str], None] | None = None) -> Report:  # fmt: skip
    """Serve the scenario's venue on `host:port` (0: a free port), play it with its bots over
    real sockets, narrate it to `out` and end with the summary."""
    from sandbox.server.app import serve
    from sandbox.server.config import ServerConfig
    from sandbox.sim.build import build
    from sandbox.sim.scenario import load

    out = out if out is not None else (lambda line: print(line, flush=True))
    scenario = load(name_or_path)
    config = ServerConfig(host=host, port=port, validate_each_command=True)
    venue = build(scenario, seed=seed, policy=policy, server=config)
    server = await serve(venue)
    try:
        out(f"adl-sandbox: {scenario.name} ({scenario.source}), seed "
            f"{scenario.seed if seed is None else seed}, ADL policy "
            f"{venue.exchange.config.adl_policy}")  # fmt: skip
        if scenario.description:
            out(scenario.description)
        out(f"served on {server.url} in virtual time; {_clock(scenario.duration_ms)} of market "
            f"in steps of {scenario.step_ms} ms")  # fmt: skip
        player = Player(scenario, server.url, server.admin_token, seed=seed, out=out,
                        speed=speed)  # fmt: skip
        report = await player.run()
        out(summary(report, player.name))
        return report
    finally:
        await server.close()
