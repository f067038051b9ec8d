"""Playing a scenario: the venue is served on a real port, the scenario's bots connect to it
over websockets, virtual time moves a step at a time, what happens is narrated, and a
results folder is written (`sandbox.sim.results`).

Bots come in three sorts. A sample bot (`kind`) or your class (`class = "module:Class"`, a
`bots.Bot`) runs in this process and takes its turn each step in a fixed order: it first
waits until everything the server sent it has arrived, then reacts and trades; then the
clock advances one step, running what falls due (oracle posts, market makers, taker flow,
timed events, funding, the waterfall). Nothing else moves time, so a run with only such bots
is the same run every time for the same scenario and seed. Your command (`cmd = "python
mybot.py"`) runs as a process of its own with the URL, its key and address in
`ADL_SANDBOX_URL`, `ADL_SANDBOX_KEY` and `ADL_SANDBOX_ADDRESS` (and its name and options in
`ADL_SANDBOX_NAME` and `ADL_SANDBOX_OPTIONS`), and trades whenever it likes; the clock is then
paced against the wall clock (`speed` virtual seconds per wall second, 1 unless told), so
that a bot written for the venue sees the market move at a pace it can follow. Its output is
narrated and kept in the results folder.

`run()` returns a `Report`: the audit, the in-process bots' ADL fills, the vault, the
invariants, the summary and where the results are.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import importlib
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import msgspec

from bots.bot import Bot
from bots.events import Fill
from protocol.numbers import price, usd
from sandbox.server.narration import describe as describe_step
from sandbox.sim.results import Recorder
from sandbox.sim.scenario import Scenario, ScenarioError, wallet_key

DAY_MS = 86_400_000
CHUNK_MS = 60_000  # with no bot to take turns, the clock moves this far at a time
_GROUPS = hasattr(os, "killpg")  # a command bot runs in a process group of its own


def clock(ms: int) -> str:
    """Time into a run as the narration shows it: `day 1 00:03:12`."""
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    return f"day {days + 1} {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


def span(ms: int) -> str:
    """A length of time: `00:04:00`, or `2 d 03:00:00` from a day on."""
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    hms = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days} d {hms}" if days else hms


class Report(msgspec.Struct):
    scenario: str
    policy: str
    steps: list[dict]
    adl_fills: dict[str, list[Fill]]
    vault: dict
    vault_low: str
    invariants: dict
    said: list[str]
    summary: dict = {}
    results: str | None = None  # the results folder, when one was kept
    exits: dict[str, int | None] = {}  # command bots' exit codes (None: stopped by the run)
    validated: bool = True  # the invariants were checked after every command

    def stages(self) -> Counter:
        return Counter(step["stage"] for step in self.steps)


# -- bots ------------------------------------------------------------------------------------


def make_bots(s: Scenario) -> list[Bot]:
    """The scenario's in-process bots (sample kinds and classes), keyed by the scenario."""
    from bots.samples import KINDS

    out: list[Bot] = []
    for i, spec in enumerate(s.bots):
        if spec.cmd is not None:
            continue
        options = dict(spec.options)
        if spec.kind is not None:
            cls = KINDS[spec.kind]
            if spec.kind == "noise":
                options.setdefault("seed", s.seed * 1_000 + i)
        else:
            cls = _import_class(spec.cls, s.source)
        try:
            out.append(cls(spec.name, wallet_key(s.seed, spec.name), **options))
        except TypeError as exc:
            raise ScenarioError(f"bots {spec.name}: {exc}") from None
    return out


def _folder(source: str) -> Path:
    """Where a scenario's relative paths start: its file's folder (or the current one)."""
    path = Path(source)
    return path.parent if path.is_file() else Path.cwd()


def _import_class(target: str, source: str) -> type[Bot]:
    module_name, _, name = target.partition(":")
    folder = str(_folder(source))
    if folder not in sys.path:
        sys.path.insert(0, folder)  # a bot module beside the scenario file
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ScenarioError(f"class {target}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Bot)):
        raise ScenarioError(f"class {target}: not a bots.Bot subclass")
    return cls


class CommandBot:
    """A bot of yours run as a command: its own process, its own pace."""

    def __init__(self, name: str, argv: tuple[str, ...], key: bytes, address: str,
                 options: dict, cwd: Path) -> None:  # fmt: skip
        self.name, self.argv, self.key, self.address = name, argv, key, address
        self.options, self.cwd = options, cwd
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task | None = None
        self.lines: list[str] = []
        self.exit: int | None = None
        self.stopped = False

    def env(self, url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "ADL_SANDBOX_URL": url,
            "ADL_SANDBOX_KEY": "0x" + self.key.hex(),
            "ADL_SANDBOX_ADDRESS": self.address,
            "ADL_SANDBOX_NAME": self.name,
            # (TOML's dates and times as ISO text)
            "ADL_SANDBOX_OPTIONS": json.dumps(self.options, default=lambda v: v.isoformat()),
            "PYTHONUNBUFFERED": "1",  # its lines as it prints them
        })  # fmt: skip
        return env

    async def start(self, url: str, say: Callable[[str], None]) -> None:
        try:
            # a process group of its own: whatever the command starts (a shell's children,
            # a launcher's) is stopped with it, and none of them keeps its output open
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env(url), cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=_GROUPS,
            )  # fmt: skip
        except OSError as exc:
            raise ScenarioError(f"bots {self.name}: cannot run {' '.join(self.argv)}: "
                                f"{exc.strerror or exc}") from None  # fmt: skip
        self.reader = asyncio.create_task(self._read(say))

    async def _read(self, say: Callable[[str], None]) -> None:
        stream = self.process.stdout
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than the stream's limit: take what there is
                raw = await stream.read(65_536)
            if not raw:
                break
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.lines.append(line)
            say(f"{self.name}| {line}")
        self.exit = await self.process.wait()
        if not self.stopped:
            say(f"{self.name} exited with code {self.exit}")

    def _signal(self, sig: int) -> None:
        """`sig` to the command and every process it started (its group)."""
        process = self.process
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if _GROUPS:
                os.killpg(process.pid, sig)
            elif process.returncode is None:
                process.send_signal(sig)

    async def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.stopped = process.returncode is None
        self._signal(signal.SIGTERM)  # (what it left running, if it has exited)
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            self._signal(signal.SIGKILL)
            await process.wait()
        if self.reader is not None:
            try:  # its last lines; the output ends when the last of its processes has gone
                await asyncio.wait_for(self.reader, 5)
            except TimeoutError:
                self._signal(signal.SIGKILL)
        # None: stopped by the run, as it ended
        self.exit = None if self.stopped else process.returncode


def command_bots(s: Scenario) -> list[CommandBot]:
    folder = _folder(s.source)
    addresses = s.wallets()
    return [CommandBot(b.name, b.cmd, wallet_key(s.seed, b.name), addresses[b.name],
                       b.options, folder) for b in s.bots if b.cmd is not None]  # fmt: skip


async def live_bots(s: Scenario, venue, url: str,
                    out: Callable[[str], None] | None = None) -> None:  # fmt: skip
    """The scenario's bots on a served venue (`python -m sandbox serve --scenario`), until
    cancelled: the commands run as processes; the in-process bots take a turn every step of
    the venue's clock: of the wall clock in real time, and in virtual time whenever the clock
    has been advanced a step or more since their last turn."""
    out = out if out is not None else (lambda line: print(line, flush=True))
    bots, commands = make_bots(s), command_bots(s)
    if not bots and not commands:
        return
    for bot in bots:
        await bot.connect(url)
    for command in commands:
        await command.start(url, out)
    last = None
    try:
        while True:
            now = venue.now()
            if last is None or not venue.virtual or now - last >= s.step_ms:
                last = now
                for bot in bots:
                    await bot.turn(now)
                    for line in bot.said:
                        out(line)
                    bot.said.clear()
            await asyncio.sleep(s.step_ms / 1000 if not venue.virtual else 0.05)
    finally:
        for bot in bots:
            await bot.close()
        for command in commands:
            await command.stop()


# -- the run ---------------------------------------------------------------------------------


class Player:
    """Plays `scenario` on `venue`, served at `url`."""

    def __init__(self, scenario: Scenario, venue, url: str, *,
                 out: Callable[[str], None] | None = None, speed: float | None = None,
                 sample_ms: int = 60_000, progress=None) -> None:  # fmt: skip
        self.scenario = scenario
        self.venue = venue
        self.url = url.rstrip("/")
        self.out = out if out is not None else (lambda line: print(line, flush=True))
        self.bots = make_bots(scenario)
        self.commands = command_bots(scenario)
        if speed is None:  # a command bot keeps its own time: the wall clock's, by default
            speed = 1.0 if self.commands else 0.0
        self.speed = speed  # virtual seconds per wall second; 0: as fast as the CPU allows
        self.sample_ms = sample_ms
        self.progress = progress  # a rich Progress, or None
        self.said: list[str] = []
        self.log: list[str] = []
        self.t = 0  # ms into the run

    def name(self, address: str) -> str:
        return self.venue.name(address)

    def say(self, text: str, at: int | None = None) -> None:
        line = f"[{clock(self.t if at is None else at)}] {text}"
        self.log.append(line)
        self.out(line)

    async def run(self, recorder: Recorder) -> None:
        s, venue = self.scenario, self.venue
        start = venue.now()
        events = list(s.events)
        audit_seen = 0
        try:
            for bot in self.bots:
                await bot.connect(self.url)
            for bot in self.commands:
                await bot.start(self.url, self.say)
            if self.bots or self.commands:
                count = len(self.bots) + len(self.commands)
                self.say(f"{count} bot{'s' * (count != 1)} connected"
                         + (f", {len(self.commands)} of them commands" if self.commands
                            else ""))  # fmt: skip
            loop = asyncio.get_running_loop()
            began = loop.time()
            turns = bool(self.bots) or bool(self.commands) or bool(events)
            step = s.step_ms if turns else min(CHUNK_MS, self.sample_ms)
            next_sample = self.sample_ms
            task = (self.progress.add_task(s.name, total=s.duration_ms, clock=clock(0))
                    if self.progress else None)  # fmt: skip
            recorder.sample()
            while self.t < s.duration_ms:
                await self._turns()
                if self.speed > 0:  # paced against the wall clock
                    await asyncio.sleep(max(0.0, began + self.t / 1000 / self.speed - loop.time()))
                ms = min(step, s.duration_ms - self.t)
                await venue.advance_yielding(ms)
                self.t += ms
                lines: list[tuple[int, int, str]] = []  # (time, 0 event | 1 step, text)
                while events and events[0].at_ms <= self.t:
                    event = events.pop(0)
                    if text := event.describe():
                        lines.append((event.at_ms, 0, text))
                for record in recorder.audit[audit_seen:]:
                    lines.append((record["time"] - start, 1, describe_step(record, self.name)))
                audit_seen = len(recorder.audit)
                for at, _, text in sorted(lines, key=lambda line: line[:2]):
                    self.say(text, at)
                if self.t >= next_sample:
                    recorder.sample()
                    next_sample += self.sample_ms
                if task is not None:
                    self.progress.update(task, completed=self.t, clock=clock(self.t))
                if not turns:
                    await asyncio.sleep(0)  # the server's sockets, between chunks
            await self._turns()  # the last messages: ADLs of the final step
        finally:
            for bot in self.bots:
                await bot.close()
            for bot in self.commands:
                await bot.stop()

    async def _turns(self) -> None:
        """Every in-process bot's turn now, and what they said."""
        now = self.venue.now()
        for bot in self.bots:
            await bot.turn(now)
            for line in bot.said:
                self.say(line)
            self.said.extend(bot.said)
            bot.said.clear()


# -- the closing summary -------------------------------------------------------------------------


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
    """The closing table: liquidations by stage, ADLs with their ranks, the accounts'
    results, the vault, and the conservation check."""
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
                             f"{c['closed']:>10}{price(step['px']):>12}")  # fmt: skip
    accounts = {n: a for n, a in report.summary.get("accounts", {}).items() if n != "the vault"}
    if accounts:
        lines += ["", f"  {'account':<16}{'end value':>16}{'PnL':>14}{'fees':>12}"
                      f"{'funding':>12}{'volume':>16}  liq  adl"]  # fmt: skip
        for name, a in list(accounts.items())[:40]:
            lines.append(f"  {name:<16}{usd(a['endValue']):>16}{usd(a['pnl']):>14}"
                         f"{usd(a['fees']):>12}{usd(a['funding']):>12}{usd(a['volume']):>16}"
                         f"{a['liquidations']:>5}{a['adlFills']:>5}")  # fmt: skip
        if len(accounts) > 40:
            lines.append(f"  ... and {len(accounts) - 40} more (summary.json)")
    vault = report.vault
    lines += [
        "",
        f"  vault: capital {usd(vault['capital'])}, lowest {usd(report.vault_low)}, "
        f"now {usd(vault['state']['marginSummary']['accountValue'])}",
    ]
    inv = report.invariants
    cash = inv["cash"]
    balanced = cash["pools"] == cash["netDeposits"]
    interest = all(v["longs"] == v["shorts"] for v in inv["openInterest"].values())
    lines += [
        f"  conservation: pools {usd(cash['pools'])} = deposits less withdrawals "
        f"{usd(cash['netDeposits'])} (fees {usd(cash['fees'])} included): "
        + ("exact" if balanced else "BROKEN"),
        "  open interest: longs == shorts in every coin: " + ("yes" if interest else "NO"),
        f"  invariants: {'held' if inv['ok'] else 'BROKEN: ' + str(inv['error'])}"
        + (f", after every command ({inv.get('failuresAfterCommands', 0)} failures)"
           if report.validated else " at the end (checked after every command in runs of "
           "an hour or less, or with --validate)"),
        f"  state hash: {inv['stateHash']}",
    ]  # fmt: skip
    if report.results:
        lines.append(f"  results: {report.results}")
    return "\n".join(lines)


def _progress(out_is_terminal: bool, console=None):
    """A progress bar with the virtual clock and the time left, on a terminal only."""
    if not out_is_terminal:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[clock]}"),
        TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), transient=True,
        console=console,
    )  # fmt: skip


async def run(name_or_path: str | Scenario, *, policy: str | None = None,
              seed: int | None = None, host: str = "127.0.0.1", port: int = 0,
              speed: float | None = None, out: Callable[[str], None] | None = None,
              results: str | Path | None = None, duration_ms: int | None = None,
              sample_ms: int = 60_000, everyone: bool = False,
              validate: bool | None = None) -> Report:  # fmt: skip
    """Serve the scenario's venue on `host:port` (0: a free port), play it with its bots over
    real sockets, narrate it to `out` (default: the terminal, with a progress bar) and end
    with the summary; write the results folder to `results` (None: none kept).
    `duration_ms` plays another length than the scenario's; `validate` checks every
    invariant after every command (default: for runs of an hour or less)."""
    from sandbox.server.app import serve
    from sandbox.server.config import ServerConfig
    from sandbox.sim.build import build
    from sandbox.sim.scenario import load

    scenario = (name_or_path.with_overrides(seed=seed, policy=policy)
                if isinstance(name_or_path, Scenario)
                else load(name_or_path, seed=seed, policy=policy))  # fmt: skip
    if duration_ms is not None:
        scenario = msgspec.structs.replace(scenario, duration_ms=duration_ms)
    if validate is None:
        validate = scenario.duration_ms <= 3_600_000
    progress = _progress(sys.stdout.isatty()) if out is None else None
    if out is None:
        out = ((lambda line: progress.console.print(line, markup=False, highlight=False))
               if progress is not None
               else (lambda line: print(line, flush=True)))  # fmt: skip
    config = ServerConfig(host=host, port=port, time="virtual", validate_each_command=validate)
    venue = build(scenario, server=config)
    server = await serve(venue)
    scratch = tempfile.TemporaryDirectory() if results is None else None
    folder = Path(results if results is not None else scratch.name)
    subjects = {address: name for name, address in scenario.wallets().items()}
    recorder = Recorder(venue, folder, subjects, everyone=everyone)
    wall = time.perf_counter()
    player = None
    try:
        player = Player(scenario, venue, server.url, out=out, speed=speed,
                        sample_ms=sample_ms, progress=progress)  # fmt: skip
        accounts = _accounts(scenario, server)
        for line in _opening(scenario, venue, server, player, accounts, results):
            player.log.append(line)
            out(line)
        _write_accounts(folder, accounts)
        if progress is not None:
            progress.start()
        try:
            await player.run(recorder)
        finally:
            if progress is not None:
                progress.stop()
        control = _state(venue)
        steps = recorder.audit
        adl_policy = next((st["policy"] for st in steps if st["stage"] == "adl"),
                          scenario.exchange.adl_policy)  # fmt: skip
        low = min((Decimal(st["vaultAfter"]) for st in steps),
                  default=Decimal(control["vault"]["capital"]))  # fmt: skip
        seconds = time.perf_counter() - wall
        settings = {
            "scenario": scenario.name, "source": scenario.source, "seed": scenario.seed,
            "policy": scenario.exchange.adl_policy, "start": scenario.start_ms,
            "end": venue.now(), "durationMs": player.t, "wallSeconds": round(seconds, 3),
            "speedup": round(player.t / 1000 / seconds, 1) if seconds else None,
            "vault": control["vault"], "vaultLow": str(low),
            "invariants": control["invariants"],
            "bots": {b.name: b.exit for b in player.commands},
        }  # fmt: skip
        report = Report(scenario.name, adl_policy, steps,
                        {bot.name: bot.adl_fills for bot in player.bots if bot.adl_fills},
                        control["vault"], str(low), control["invariants"], player.said,
                        results=str(folder) if results is not None else None,
                        exits={b.name: b.exit for b in player.commands},
                        validated=validate)  # fmt: skip
        log = list(player.log)
        report.summary = recorder.close(settings, accounts, log)
        for bot in player.commands:
            (folder / "bots").mkdir(exist_ok=True)
            (folder / "bots" / f"{bot.name}.log").write_text(
                "".join(f"{line}\n" for line in bot.lines)
            )
        text = summary(report, player.name)
        out(text)
        with open(folder / "run.log", "a") as handle:
            handle.write(text + "\n")
        return report
    finally:
        if recorder.record in venue.taps:  # stopped before its end (Ctrl-C, an error)
            log = player.log if player is not None else []
            recorder.close({"scenario": scenario.name, "interrupted": True, "end": venue.now(),
                            "durationMs": player.t if player is not None else 0},
                           _accounts(scenario, server), log)  # fmt: skip
        await server.close()
        if scratch is not None:
            scratch.cleanup()


def _state(venue) -> dict:
    """The vault and the invariants, as the control plane answers them."""
    from sandbox.server.control import Control

    control = Control.__new__(Control)  # its read-only answers; no snapshot kept
    control.venue = venue
    return {"vault": control.vault({}), "invariants": control.invariants({})}


def _accounts(s: Scenario, server) -> dict:
    """What accounts.json holds: how to reach the venue and every scenario account."""
    wallets = s.wallets()
    return {
        "url": server.url,
        "adminToken": server.admin_token,
        "accounts": [
            {"name": name, "address": address, "key": "0x" + wallet_key(s.seed, name).hex()}
            for name, address in wallets.items()
        ],
    }


def _write_accounts(folder: Path, accounts: dict) -> None:
    (folder / "accounts.json").write_text(json.dumps(accounts, indent=2) + "\n")


def _opening(s: Scenario, venue, server, player: Player, accounts: dict,
             results: str | Path | None) -> list[str]:  # fmt: skip
    start = datetime.datetime.fromtimestamp(venue.now() / 1000, datetime.UTC)
    pace = (f"paced at {player.speed:g}x the wall clock" if player.speed > 0
            else "as fast as the CPU allows")  # fmt: skip
    lines = [
        f"adl-sandbox: {s.name} ({s.source}), seed {s.seed}, ADL policy "
        f"{venue.exchange.config.adl_policy}",
    ]
    if s.description:
        lines.append(s.description)
    lines += [
        f"served on {server.url} in virtual time from {start:%Y-%m-%d %H:%M:%S} UTC; "
        f"{span(s.duration_ms)} of market in steps of "
        f"{s.step_ms / 1000:g} s, {pace}",
        f"admin token (Authorization: Bearer ...): {server.admin_token}",
    ]
    if accounts["accounts"]:
        lines.append("accounts (name, address, key):")
        for a in accounts["accounts"]:
            lines.append(f"  {a['name']:<16} {a['address']}  {a['key']}")
    if results is not None:
        lines.append(f"results: {results} (accounts.json has the above)")
    return lines
