"""The exchange as a service: the core, its clock, and what the API serves beyond the core.

`Venue.apply(command)` is the only way state changes: it stamps the command with the
clock's time (the wall clock, or in virtual time the timeline's), applies it to the core, records what the API will be asked about later
(`history`) and publishes what subscribers must hear now (`hub`): user channels at once,
market data (books, trades, mids, candles, contexts) coalesced per block by `flush()`.
What happens at a time of its own (the core's clock ticks, price feeds, market makers) is
on `timeline`; in virtual time, `advance(ms)` runs it forward.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import pickle
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from protocol import wire
from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.errors import InvariantError
from sandbox.core.exchange import Exchange
from sandbox.core.units import fmt_usdc
from sandbox.server import feeds
from sandbox.server.audit import step_json
from sandbox.server.clock import RealtimeClock, VirtualClock
from sandbox.server.config import ServerConfig
from sandbox.server.history import History
from sandbox.server.hub import Hub
from sandbox.server.journal import CHECKPOINT_ENTRIES, CHECKPOINT_S, CHECKPOINT_WORK_S
from sandbox.server.limits import RateLimits
from sandbox.server.narration import describe, virtual_time
from sandbox.server.narration import log as waterfall_log
from sandbox.server.registry import Registry
from sandbox.server.views import Views
from sandbox.sim.makers import Liquidity
from sandbox.sim.oracle import Oracle, OtherVenues
from sandbox.sim.timeline import Timeline

log = logging.getLogger("sandbox.server")

AUDIT_KEPT = 100_000
ADVANCE_PIECE_MS = 1_000  # advance_yielding: how much virtual time runs between checks
ADVANCE_PAUSE_S = 0.001  # and how long it lets the server serve after each slice of work
BOOK_TRADES = frozenset(("match", "market"))  # trades against a resting order

# What a snapshot holds: everything that changes as the venue runs. The connections (`hub`),
# the wall clock and the configuration are not state; they stay as they are (nothing in
# STATE refers to them but through the venue, which pickles as a reference to itself).
STATE = (
    "exchange", "views", "history", "registry", "audit", "timeline", "clock", "oracle",
    "liquidity", "flows", "_tick_handle", "_tick_due", "_flush_handle", "_dirty_books", "_trades", "_dirty_users", "_marks_moved",
)  # fmt: skip


_LIVE: weakref.WeakValueDictionary[int, Venue] = weakref.WeakValueDictionary()


def _live_venue(key: int) -> Venue:
    return _LIVE[key]


class Snapshot(msgspec.Struct, frozen=True):
    """The venue's whole state at `time`; `Venue.restore` puts it back (as often as asked)."""

    id: int
    time: int
    state_hash: str
    state: bytes  # pickled: a snapshot is a value, restorable any number of times


class Venue:
    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config = config if config is not None else ServerConfig()
        self.wall_clock = RealtimeClock()
        self.virtual = config.time == "virtual"
        start = self.wall_clock.now()
        if self.virtual and config.start_ms is not None:
            start = config.start_ms
        self.timeline = Timeline(start)
        self.clock = VirtualClock(self.timeline) if self.virtual else self.wall_clock
        self.exchange = Exchange(config.exchange, start_ms=start)
        self.views = Views(self.exchange)
        self.history = History(
            self.views, config.history_fills, config.history_orders, config.history_ledger
        )
        self.registry = Registry(
            self.exchange, config.chain, config.nonce_past_ms, config.nonce_future_ms
        )
        self.hub = Hub()
        self.audit: deque[ev.WaterfallStep] = deque(maxlen=AUDIT_KEPT)
        self.limits = RateLimits(self.now, config.rate_limits)
        # the cadence of each feed: (least ms between pushes of a change, re-push ms)
        self.cadence = {kind: (least, again) for kind, least, again in config.cadence}
        self._last_push: dict[tuple, int] = {}  # a throttled feed's key -> its last push
        self._repush_due: dict[str, int] = {}  # kind -> when its state goes out again
        self._books_held: set[int] = set()  # changed books a book feed's cadence holds back
        self._dirty_books: set[int] = set()
        self._trades: dict[int, list[wire.WsTrade]] = {}
        self._dirty_users: dict[str, None] = {}
        self._marks_moved = False
        self._last_mids: dict[str, str] = {}
        self._last_bbo: dict[int, Any] = {}
        self._validate = config.validate_each_command
        self.invariant_failures: list[str] = []
        # the core's clock: in real time a tick every tick_ms keeps it with the wall clock;
        # in virtual time a tick comes only when the core has something due (funding, a
        # premium sample, a scheduled cancel, a TWAP slice, an unfinished liquidation), so
        # that a quiet virtual day costs what happens in it, not 345,600 ticks
        self._tick_handle = None
        self._tick_due: int | None = None
        self._flush_handle = None  # virtual time: the next block's publication, when one is due
        if not self.virtual:
            self.timeline.every(config.tick_ms, self.tick)
        ex = self.exchange
        venues = config.other_venues
        self.oracle = Oracle(
            self._post_oracle, {i.name: i.units.px_one for i in ex.instruments}, config.oracle_ms,
            OtherVenues(venues.basis_bps, venues.noise_bps, venues.lag_ms, venues.seed)
            if venues.enabled else None,
        )  # fmt: skip
        self.timeline.every(config.oracle_ms, self._oracle_tick)
        self.liquidity = Liquidity()  # background market makers, when a sandbox adds them
        self.flows: list = []  # background takers (sandbox.sim.flow), when a scenario has them
        # who addresses are, for the log and the narration ("the vault", a bot's name)
        self.names: dict[str, str] = {ex.vault.address: "the vault"}
        # whoever wants every command's events as they happen (a run's recorder)
        self.taps: list[Callable[[list], None]] = []
        self._advancing = asyncio.Lock()  # one advance_yielding at a time
        self.stopping = False  # the server is shutting down: advances end where they are
        # `serve --state-dir`: what changes the venue is journaled before it is answered
        # (sandbox.server.journal); the control plane's durable part rides in checkpoints
        self.journal = None
        self.control = None
        self._checkpointed = time.monotonic()
        self._work = 0.0  # CPU seconds of journaled work since the last checkpoint
        self._child: tuple[int, int, int] | None = None  # a checkpoint being written
        if self.virtual:  # market data per block of virtual time, when there is any
            self.hub.on_subscribe = self._block_due
            self._schedule_tick()

    # -- snapshots -------------------------------------------------------------------------

    def __reduce__(self):
        # In a snapshot, whatever points back at the venue (market makers, the oracle's
        # post, the timeline's items) points at the live venue again when restored.
        _LIVE[id(self)] = self
        return _live_venue, (id(self),)

    def snapshot(self, snapshot_id: int = 0) -> Snapshot:
        """The whole state now (the core, the API's history, nonces and agents, the
        timeline with its oracle, market makers and scheduled events, the audit)."""
        self.flush()  # what subscribers are owed is published before, not replayed after
        state = {n: getattr(self, n) for n in STATE}
        state["rate_addresses"] = self.limits.addresses  # the budget of every address
        state = pickle.dumps(state, pickle.HIGHEST_PROTOCOL)
        return Snapshot(snapshot_id, self.now(), self.exchange.state_hash(), state)

    def restore(self, snapshot: Snapshot) -> None:
        """Put the venue back as it was at `snapshot`. In virtual time the clock goes back
        with it; in real time the clock keeps running and what was scheduled moves forward by
        the time since. Subscribers then get the restored state (books, mids, user state)."""
        self._load(snapshot.state)  # (the snapshot stays restorable)
        if not self.virtual:
            self.timeline.shift(max(0, self.wall_clock.now() - self.timeline.now))
        self.flush()

    # -- applying commands -----------------------------------------------------------------

    def now(self) -> int:
        return max(self.clock.now(), self.exchange.ts)

    def apply(self, command, ts: int | None = None) -> list:
        """Apply `command` now (or at `ts`, which must not be in the venue's past)."""
        events = self.exchange.apply(command, self.now() if ts is None else ts)
        if self._validate:
            try:
                self.exchange.validate()
            except InvariantError as broken:
                self.invariant_failures.append(f"after {command!r}: {broken}")
                raise
        self._dispatch(events)
        for tap in self.taps:
            tap(events)
        self.hub.deliver()
        if self.virtual:
            self._schedule_tick()
            if events:
                self._block_due()
        return events

    def _schedule_tick(self) -> None:
        """Virtual time: a core tick when the core next has something due."""
        ex = self.exchange
        due = ex._next_timer
        if ex._pending:  # a market liquidation the book could not finish: the next block
            due = min(due, self.timeline.now + self.config.tick_ms)
        if due != self._tick_due:
            if self._tick_handle is not None:
                self._tick_handle.cancel()
            self._tick_due = due
            self._tick_handle = self.timeline.at(due, self._timer_tick)

    def _timer_tick(self) -> None:
        self._tick_handle = self._tick_due = None
        self.apply(cmd.Tick())

    def _block_due(self) -> None:
        """Virtual time: publish at the end of the current block (once, however much
        changes in it)."""
        if self._flush_handle is None:
            block = self.config.block_ms
            self._flush_handle = self.timeline.at(
                (self.timeline.now // block + 1) * block, self._block
            )

    def _block(self) -> None:
        self._flush_handle = None
        self.flush()
        if self._repush_due and self.hub.sessions:  # feeds pushed again at their cadence
            due = min(self._repush_due.values())
            block = self.config.block_ms
            self._flush_handle = self.timeline.at(max(due, self.timeline.now + block),
                                                  self._block)  # fmt: skip

    def name(self, address: str) -> str:
        """What the log and the narration call `address`: its name, or the address."""
        return self.names.get(address, address)

    def _post_oracle(self, prices: dict[str, int], others: dict[str, int]) -> None:
        by_name = self.exchange.by_name
        self.apply(cmd.SetOracle(
            tuple((by_name[c].asset, px) for c, px in prices.items()),
            tuple((by_name[c].asset, px) for c, px in others.items()),
        ))  # fmt: skip

    def tick(self) -> list:
        return self.apply(cmd.Tick())

    def _oracle_tick(self) -> None:
        self.oracle.tick(self.now())

    def advance(self, ms: int) -> int:
        """Virtual time: move `ms` forward, running everything due on the way in order, and
        publish; returns the new time."""
        if not self.virtual:
            raise ValueError("the clock only advances on request in virtual time")
        if ms < 0:
            raise ValueError("time never goes back")
        target = self.timeline.now + ms
        self._run_until(target)
        if self.exchange.ts < target:
            self._tick_to_end()
        self.flush()
        return target

    def _run_until(self, ts: int) -> None:
        """Virtual time: run the timeline to `ts` (journaled)."""
        self.journaled("run", str(ts).encode(), lambda: self.timeline.run_until(ts))

    def _tick_to_end(self) -> None:
        """Virtual time: the core's clock to the end of an advance (journaled)."""
        self.journaled("tick", b"", lambda: self.apply(cmd.Tick()))

    async def advance_yielding(self, ms: int, slice_s: float = 0.025) -> int:
        """`advance(ms)` in pieces of virtual time: whenever a run of pieces has taken
        `slice_s` of the CPU, publish what changed and let the event loop serve requests and
        sockets for a moment (`ADVANCE_PAUSE_S`) before going on, so that a long advance
        never blocks the server. A request served in between sees the venue at the time the
        advance has reached. Advances asked for at once (the control plane's, a scenario's
        player) run one after the other; a snapshot restored in between ends the advance
        where the restore put the clock, and so does the server stopping (`stopping`).
        Returns the time it ends at."""
        if not self.virtual:
            raise ValueError("the clock only advances on request in virtual time")
        if ms < 0:
            raise ValueError("time never goes back")
        async with self._advancing:
            timeline = self.timeline
            target = timeline.now + ms
            clock = time.perf_counter
            began = clock()
            while timeline.now < target and not self.stopping:
                timeline.run_until(min(target, timeline.now + ADVANCE_PIECE_MS))
                if timeline.now < target and clock() - began >= slice_s:
                    # journaled once a slice: other inputs can only come in between
                    self._work += clock() - began
                    self._run_until(timeline.now)
                    self.flush()
                    # a moment (not just one turn of the loop) for requests and sockets: a
                    # request takes several turns to be read, answered and written
                    await asyncio.sleep(ADVANCE_PAUSE_S)
                    if self.timeline is not timeline:  # restored meanwhile: the clock is
                        self.flush()  # where the snapshot had it, and stays there
                        return self.timeline.now
                    began = clock()
            if self.journal is not None and self.timeline is timeline:
                self._work += clock() - began
                self._run_until(timeline.now)  # (a run to where it already is: journaled)
            if self.stopping:  # the server is stopping: the clock stays where it got to
                self.flush()
                return timeline.now
            if self.exchange.ts < target:
                self._tick_to_end()
            self.flush()
            return target

    def run_due(self) -> None:
        """Real time: run what the timeline has due by the wall clock (held at one time
        meanwhile; journaled when anything ran)."""
        wall = self.wall_clock.now()
        timeline = self.timeline
        before = timeline.now
        began = time.perf_counter()
        with self.wall_clock.held(wall):
            ran = timeline.run_until(wall)
        if ran and self.journal is not None:
            self._work += time.perf_counter() - began
            self._journal("due", wall, before)

    # -- the journal (serve --state-dir) ---------------------------------------------------

    def journaled(self, kind: str, data: bytes, handle: Callable[[], Any]) -> Any:
        """`handle()` an input that may change the venue, with the wall clock held; then,
        with a journal, write it down before its answer goes out. An input refused with an
        exception changed nothing and is not written."""
        if self.journal is None:
            return handle()
        wall, before = self.wall_clock.now(), self.timeline.now
        began = time.perf_counter()
        with self.wall_clock.held(wall):
            answer = handle()
        self._work += time.perf_counter() - began
        self._journal(kind, wall, before, data)
        return answer

    def _journal(self, kind: str, wall: int, tl: int, data: bytes | None = None) -> None:
        journal = self.journal
        journal.append(kind, wall, tl, data)
        # a checkpoint once replaying what came since would take about CHECKPOINT_WORK_S
        # of CPU (a restart stays short), or after many entries or a long while
        if (self._work >= CHECKPOINT_WORK_S or journal.since_checkpoint >= CHECKPOINT_ENTRIES
                or time.monotonic() - self._checkpointed >= CHECKPOINT_S):  # fmt: skip
            self.checkpoint(background=True)
        elif self._child is not None:
            self._reap()

    def checkpoint(self, background: bool = False) -> None:
        """Write the whole state (and the control plane's snapshots) as of the journal's last
        entry: a restart loads it and replays only what came after. `background`: in a
        forked child, which pickles the state as it was at the fork while the server goes
        on (skipped while the previous one is still being written)."""
        self._reap()
        if background and self._child is not None:
            return
        self.flush()  # what subscribers are owed is published before, not replayed after
        journal, seq, wall = self.journal, self.journal.seq, self.wall_clock.now()
        self._checkpointed = time.monotonic()
        self._work = 0.0
        if background and hasattr(os, "fork"):
            pid = os.fork()
            if pid == 0:  # the child: write the file, and leave without running anything
                code = 1
                try:
                    journal.write_checkpoint(seq, self._checkpoint_state())
                    code = 0
                finally:
                    os._exit(code)
            self._child = (pid, seq, wall)
            return
        journal.write_checkpoint(seq, self._checkpoint_state())
        journal.register(seq, wall)

    def _checkpoint_state(self) -> bytes:
        state = {n: getattr(self, n) for n in STATE}
        state["rate_addresses"] = self.limits.addresses
        control = self.control.durable() if self.control is not None else None
        return pickle.dumps({"venue": pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                             "control": control, "id": id(self)},
                            pickle.HIGHEST_PROTOCOL)  # fmt: skip

    def _reap(self, wait: bool = False) -> None:
        """A checkpoint written in the background: registered once its child is done."""
        if self._child is None:
            return
        pid, seq, wall = self._child
        try:
            done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:  # reaped by someone else's watcher: the file tells
            done, status = pid, 0 if self.journal.written(seq) else 1
        if done == 0:
            return
        self._child = None
        if os.waitstatus_to_exitcode(status) == 0 and self.journal.written(seq):
            self.journal.register(seq, wall)
        else:
            log.warning("a checkpoint could not be written; the journal keeps every entry")

    def finish_journal(self) -> None:
        """The server stops: the background checkpoint done, a last one written (a restart
        replays nothing), the journal closed."""
        self._reap(wait=True)
        self.checkpoint()
        self.journal.close()

    def resume(self, exchange_api, routes: dict) -> tuple[int, float, float]:
        """Load the journal's last checkpoint and replay every entry after it, each at the
        wall-clock time it came at; then, in real time, move what is scheduled past the
        time the server was down (journaled too). `routes`: control-plane path -> handler.
        Returns (entries replayed, seconds loading, seconds replaying)."""
        journal = self.journal
        began = time.perf_counter()
        found = journal.latest_checkpoint()
        if found is None:
            return 0, 0.0, 0.0
        seq, wall, blob = found
        collecting = gc.isenabled()
        gc.disable()  # (a day's state is millions of objects: no collection while they load)
        try:
            saved = pickle.loads(blob)
            # what the checkpoint (and the snapshots in it) pointed at as the venue is this one
            _LIVE[saved["id"]] = self
            self._load(saved["venue"])
        finally:
            if collecting:
                gc.enable()
        if self.control is not None and saved["control"] is not None:
            self.control.load(saved["control"])
        loaded = time.perf_counter()
        replayed, last = 0, wall
        for entry in journal.entries_after(seq):
            self._replay(entry, exchange_api, routes)
            replayed, last = replayed + 1, entry.wall
        if not self.virtual:
            down = max(0, self.wall_clock.now() - max(last, self.timeline.now))
            if down:
                self.journaled("shift", str(down).encode(), lambda: self.timeline.shift(down))
        self.flush()
        return replayed, loaded - began, time.perf_counter() - loaded

    def _load(self, blob: bytes) -> None:
        """The venue's state from a checkpoint, as it was (no time moved)."""
        state = pickle.loads(blob)
        if not self.virtual:
            state.pop("clock")  # the wall clock stays the live one
        self.limits.addresses = state.pop("rate_addresses")
        for name, value in state.items():
            setattr(self, name, value)
        self._last_mids, self._last_bbo = {}, {}
        self._dirty_books.update(range(len(self.exchange.instruments)))
        self._dirty_users.update(dict.fromkeys(self.exchange.accounts))
        self._marks_moved = True

    def _replay(self, entry, exchange_api, routes: dict) -> None:
        kind, timeline = entry.kind, self.timeline
        with self.wall_clock.held(entry.wall):
            if kind == "due":
                timeline.run_until(entry.wall)
            elif kind == "run":
                timeline.run_until(int(entry.data))
            elif kind == "tick":
                self.apply(cmd.Tick())
            elif kind == "shift":
                timeline.shift(int(entry.data))
            else:
                if timeline.now < entry.tl:  # (runs of the timeline that ran nothing)
                    timeline.now = entry.tl
                if kind == "exchange":
                    exchange_api.handle_body(entry.data, None)
                elif kind == "control":
                    request = msgspec.json.decode(entry.data)
                    routes[request["path"]](self.control, request["payload"])
                else:
                    raise ValueError(f"a journal entry of an unknown kind {kind!r}")

    def _dispatch(self, events: list) -> None:
        views, history, hub = self.views, self.history, self.hub
        user_fills: dict[str, list[ev.Fill]] = {}
        for event in events:
            kind = type(event)
            if kind is ev.Trade:
                asset = event.asset
                history.record_trade(event)
                self._trades.setdefault(asset, []).append(event)
                self._dirty_books.add(asset)
                for fill in event.fills():
                    history.record_fill(fill)
                    user_fills.setdefault(fill.user, []).append(fill)
                    self._dirty_users[fill.user] = None
                if event.kind in BOOK_TRADES:  # the maker's resting order filled
                    maker = event.maker
                    hub.publish_lazy(
                        ("notification", maker), "notification",
                        lambda e=event: {"notification": views.resting_fill_notice(e)},
                    )  # fmt: skip
            elif kind is ev.Settled:  # a delisting settled every position
                self._dirty_books.add(event.asset)
                for fill in event.fills:
                    history.record_fill(fill)
                    user_fills.setdefault(fill.user, []).append(fill)
                    self._dirty_users[fill.user] = None
            elif kind is ev.TwapStatus:
                record = history.record_twap(event)
                user = event.twap.user
                hub.publish_lazy(("userEvents", user), "user", lambda r=record: {"twapHistory": [r]})
                hub.publish_lazy(
                    ("userTwapHistory", user), "userTwapHistory",
                    lambda r=record, u=user: {"user": u, "history": [r]},
                )  # fmt: skip
                self._dirty_users[user] = None
            elif kind is ev.OrderUpdate:
                order = event.order
                self._dirty_books.add(order.asset)
                history.record_order(event)
                hub.publish_lazy(
                    ("orderUpdates", order.user),
                    "orderUpdates",
                    lambda e=event: [views.ws_order(e)],
                )
                self._dirty_users[order.user] = None
            elif kind is ev.Funding:
                entry = history.record_funding(event)
                user = event.user
                hub.publish_lazy(("userEvents", user), "user", lambda e=entry: {"funding": e})
                hub.publish_lazy(
                    ("userFundings", user), "userFundings",
                    lambda e=entry, u=user: {"user": u, "fundings": [e]},
                )  # fmt: skip
                self._dirty_users[user] = None
            elif kind is ev.FundingRate:
                history.record_funding_rate(event)
            elif kind is ev.Ledger:
                self._ledger(event)
            elif kind is ev.Liquidated:
                self._liquidated(event)
            elif kind is ev.NonUserCancel:
                cancels = [{"coin": views.coins[a], "oid": oid} for a, oid in event.cancels]
                hub.publish_lazy(
                    ("userEvents", event.user), "user", lambda c=cancels: {"nonUserCancel": c}
                )
            elif kind is ev.Notification:
                hub.publish_lazy(
                    ("notification", event.user), "notification",
                    lambda e=event: {"notification": e.text},
                )  # fmt: skip
            elif kind is ev.Prices:
                for asset, mark in enumerate(event.mark):
                    if mark is not None:
                        history.record_mark(asset, mark, event.ts)
                        self._marks_moved = True
                        self._dirty_books.add(asset)
            elif kind is ev.WaterfallStep:
                self.audit.append(event)
                if waterfall_log.isEnabledFor(logging.INFO):
                    self._log_step(event)
                hub.publish_lazy(
                    ("sandboxWaterfall",), "sandboxWaterfall",
                    lambda e=event: {"steps": [step_json(self, e)]},
                )  # fmt: skip
            elif kind is ev.LeverageChanged:
                self._dirty_users[event.user] = None
        for user, fills in user_fills.items():
            if hub.wanted(("userEvents", user)) or hub.wanted(("userFills", user)):
                wire_fills = [views.fill(f) for f in fills]
                hub.publish(("userEvents", user), "user", {"fills": wire_fills})
                hub.publish(("userFills", user), "userFills", {"user": user, "fills": wire_fills})
            slices = [f for f in fills if f.twap_id is not None and f.user == user and f.crossed]
            if slices and (hub.wanted(("userEvents", user))
                           or hub.wanted(("userTwapSliceFills", user))):  # fmt: skip
                wire_slices = [views.twap_slice_fill(f) for f in slices]
                hub.publish(("userEvents", user), "user", {"twapSliceFills": wire_slices})
                hub.publish(("userTwapSliceFills", user), "userTwapSliceFills",
                            {"user": user, "twapSliceFills": wire_slices})  # fmt: skip

    def _log_step(self, step: ev.WaterfallStep) -> None:
        line = describe(step_json(self, step), self.name)
        if self.virtual:
            line = f"[virtual {virtual_time(step.ts)}] {line}"
        waterfall_log.info("%s", line)

    def _ledger(self, event: ev.Ledger) -> None:
        kind = event.kind
        if event.user in self.registry.agents:  # money reached an agent: a user now
            self.registry.funded(event.user)
        usdc = fmt_usdc(event.usdc)
        # what the entry brought into the account's perp and spot balances, for cumLedger
        if kind == "deposit":
            net = event.usdc
        elif kind == "withdraw":
            net = -event.usdc
        elif kind in ("internalTransfer", "subAccountTransfer", "spotTransfer"):
            # (a transfer that created its destination's account paid the activation fee
            # out of what it delivered)
            net = -event.usdc if event.user == event.sender else event.usdc - event.fee
        else:
            net = 0
        if kind == "deposit":
            delta = {"type": "deposit", "usdc": usdc}
        elif kind == "withdraw":
            delta = {
                "type": "withdraw",
                "usdc": usdc,
                "nonce": event.nonce,
                "fee": fmt_usdc(event.fee),
            }
        elif kind == "internalTransfer":
            delta = {"type": "internalTransfer", "usdc": usdc, "user": event.sender,
                     "destination": event.destination, "fee": fmt_usdc(event.fee)}  # fmt: skip
        elif kind == "subAccountTransfer":
            delta = {"type": "subAccountTransfer", "usdc": usdc, "user": event.sender,
                     "destination": event.destination}  # fmt: skip
        elif kind == "spotTransfer":
            delta = {"type": "spotTransfer", "token": "USDC", "amount": usdc, "usdcValue": usdc,
                     "user": event.sender, "destination": event.destination,
                     "fee": fmt_usdc(event.fee), "nativeTokenFee": "0.0", "nonce": event.nonce,
                     "feeToken": ""}  # fmt: skip
        elif kind == "accountClassTransfer":
            delta = {"type": "accountClassTransfer", "usdc": usdc, "toPerp": event.to_perp}
        else:
            delta = {"type": kind, "usdc": usdc}
        self._publish_ledger(event.user, event.ts, event.action, delta, net)

    def _liquidated(self, event: ev.Liquidated) -> None:
        views = self.views
        user = event.user
        self.hub.publish_lazy(
            ("userEvents", user), "user",
            lambda: {"liquidation": {
                "lid": event.lid, "liquidator": event.liquidator, "liquidated_user": user,
                "liquidated_ntl_pos": fmt_usdc(event.notional),
                "liquidated_account_value": fmt_usdc(event.account_value),
            }},
        )  # fmt: skip
        delta = {
            "type": "liquidation",
            "liquidatedNtlPos": fmt_usdc(event.notional),
            "accountValue": fmt_usdc(event.account_value),
            "leverageType": "Isolated" if event.isolated else "Cross",
            "liquidatedPositions": [
                {"coin": views.coins[a], "szi": views.sz(a, szi)} for a, szi in event.positions
            ],
        }
        self._publish_ledger(user, event.ts, self.exchange.action_seq, delta)
        self._dirty_users[user] = None

    def _publish_ledger(self, user: str, ts: int, action: int, delta: dict, net: int = 0) -> None:
        entry = self.history.record_ledger(user, ts, action, delta, net)
        self.hub.publish_lazy(
            ("userNonFundingLedgerUpdates", user), "userNonFundingLedgerUpdates",
            lambda: {"user": user, "nonFundingLedgerUpdates": [entry]},
        )  # fmt: skip

    # -- the block -------------------------------------------------------------------------

    def flush(self) -> None:
        """Publish the market data and user state changed since the last block, each
        message encoded once for all of its subscribers, and the state the venue pushes
        again at its cadence, changed or not."""
        views, hub, ex = self.views, self.hub, self.exchange
        if not hub.sessions:  # nobody to tell: what changed is news to no one
            self._dirty_books.clear()
            self._trades.clear()
            self._dirty_users.clear()
            self._books_held.clear()
            self._marks_moved = False
            self._last_mids, self._last_bbo = {}, {}
            return
        books, self._dirty_books = self._dirty_books, set()
        trades, self._trades = self._trades, {}
        users, self._dirty_users = self._dirty_users, {}
        moved, self._marks_moved = self._marks_moved, False
        now = self.now()
        try:
            # books whose change waits for their feed's cadence: only their l2Book goes
            # out later, nothing else of their asset is published again for it
            held, self._books_held = self._books_held, set()
            book_keys = hub.keys("l2Book")
            for asset in sorted(books | held):
                coin = views.coins[asset]
                for key in book_keys:
                    if key[1] == coin and (asset in books or not key[4]):
                        if self._may_push(key, now):
                            hub.publish(key, "l2Book", feeds.book(self, key))
                        else:
                            self._books_held.add(asset)
                if asset not in books:
                    continue
                if hub.wanted(("bbo", coin)):
                    bbo = views.bbo(asset)
                    if bbo.bbo != self._last_bbo.get(asset):
                        self._last_bbo[asset] = bbo.bbo
                        hub.publish(("bbo", coin), "bbo", bbo)
                hub.publish_lazy(
                    ("activeAssetCtx", coin), "activeAssetCtx",
                    lambda a=asset, c=coin: {"coin": c, "ctx": views.asset_ctx(a, self.history)},
                )  # fmt: skip
            for asset, batch in sorted(trades.items()):
                coin = views.coins[asset]
                hub.publish_lazy(
                    ("trades", coin), "trades", lambda b=batch: [views.trade(t) for t in b]
                )
                for key in hub.keys("candle"):
                    if key[1] == coin:
                        candle = self.history.current_candle(asset, key[2], ex.ts)
                        if candle is not None:
                            hub.publish(key, "candle", candle)
            if books:
                if hub.wanted(("allMids",)):
                    mids = views.mids()
                    if mids != self._last_mids:
                        self._last_mids = mids
                        hub.publish(("allMids",), "allMids", {"mids": mids})
                for kind in ("assetCtxs", "allDexsAssetCtxs"):
                    if hub.wanted((kind,)) and self._may_push((kind,), now):
                        hub.publish((kind,), kind, feeds.market_feed(self, kind))
            self._flush_user_state(users, moved)
            self._repush(now)
        finally:
            hub.deliver()  # what was built goes out, whatever failed after it

    def _may_push(self, key: tuple, now: int) -> bool:
        """May a change of `key`'s feed go out now, given its cadence? (Notes it if so.)"""
        least = self.cadence.get(key[0], (0, 0))[0]
        if not least or (key[0] == "l2Book" and key[4]):  # a `fast` book: every block
            return True
        last = self._last_push.get(key)
        if last is not None and 0 <= now - last < least:
            return False
        self._last_push[key] = now
        return True

    def _repush(self, now: int) -> None:
        """Push every feed whose cadence has come round again, changed or not, as the venue
        re-pushes its books, mids, contexts and users' state."""
        hub = self.hub
        for kind, (_, again) in self.cadence.items():
            if not again or kind not in hub.by_kind:
                continue
            due = self._repush_due.get(kind)
            if due is None or due > now + again:  # new, or the clock went back (a restore)
                self._repush_due[kind] = now + again
                continue
            if now < due:
                continue
            self._repush_due[kind] = now + again
            for key in hub.keys(kind):
                hub.publish(key, kind, self._feed(key))
                if key in self._last_push:
                    self._last_push[key] = now

    def _feed(self, key: tuple):
        """The whole of a feed now, as it is pushed."""
        kind = key[0]
        if kind == "l2Book":
            return feeds.book(self, key)
        if kind == "allMids":
            return {"mids": self.views.mids()}
        if kind == "activeAssetCtx":
            asset = self.exchange.by_name[key[1]].asset
            return {"coin": key[1], "ctx": self.views.asset_ctx(asset, self.history)}
        if kind in ("assetCtxs", "allDexsAssetCtxs"):
            return feeds.market_feed(self, kind)
        return feeds.state_feed(self, key)

    def _flush_user_state(self, users: dict[str, None], moved: bool) -> None:
        """State feeds of the users whose state changed, and, while marks move, those
        priced at mark (clearinghouseState, activeAssetData, ...) of everyone holding
        positions."""
        hub, accounts = self.hub, self.exchange.accounts
        for kind in feeds.STATE_FEEDS:
            priced = kind in feeds.PRICED_FEEDS
            for key in hub.keys(kind):
                user = key[1]
                if user in users or (moved and priced and user in accounts
                                     and accounts[user].positions):  # fmt: skip
                    hub.publish(key, kind, feeds.state_feed(self, key))
