"""TWAP orders: a size executed in slices, one every 30 seconds, over 5 minutes to 7 days.

The venue's rules (docs, order types; its error texts from captures of the live API):
- A TWAP of `minutes` sends `minutes * 2` suborders, the first when it is placed and one
  every 30 s after. Each aims at the TWAP's schedule (elapsed time over the whole time,
  times the size): a suborder is the size still behind schedule, at most 3 times the
  normal suborder (size / number of suborders), so a TWAP whose slices went unfilled
  catches up, though it may end short.
- A suborder is an immediate-or-cancel market order limited to 3% slippage from the mark;
  it pays the taker fee, its fills carry the TWAP's id (and no transaction hash), and it
  is exempt from the $10 order minimum (a TWAP's own minimum is $100).
- A reduce-only TWAP only reduces: with no position to reduce, its suborders are skipped.
- A suborder refused for margin (or any other check of the account) ends the TWAP with
  status `error` and the refusal's text; a cancel ends it `terminated`; the last suborder
  ends it `finished`.
- `randomize` varies each suborder's size by up to 20% either way (the venue's docs say
  only "randomize timing"; the size jitter is the sandbox's reading), from a hash of the
  TWAP's id and the suborder's number, so that runs stay deterministic.

While an asset is paused, its suborders are skipped (and caught up later, within the 3x).
"""

from __future__ import annotations

import heapq
from hashlib import blake2b

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.book import Order

SLICE_MS = 30_000
SLIPPAGE_PCT = 3
CATCH_UP = 3  # a suborder is at most 3 normal ones
MIN_MINUTES = 5
MAX_MINUTES = 7 * 24 * 60  # 7 days (the docs; older SDK schemas still say 1440)
MIN_VALUE = 100_000_000  # $100 (live text: "TWAP order value too small. Min is $100.")
MAX_ACTIVE = 100  # per account; "Exceeded max number of active TWAP orders."
JITTER_PCT = 20

TOO_SHORT_OR_LONG = "Invalid TWAP duration: {minutes} min(s)"
TOO_SMALL = "TWAP order value too small. Min is $100."
REDUCE_ONLY = "Reduce-only TWAP order would increase position."
TOO_MANY = "Exceeded max number of active TWAP orders."
MISSING = "TWAP was never placed, already canceled, or filled."

ACTIVATED = "activated"
FINISHED = "finished"
TERMINATED = "terminated"
ERROR = "error"


class Twap:
    """A running TWAP. `executed_sz` lots have filled for `executed_ntl` micro-USDC."""

    __slots__ = (
        "account", "asset", "executed_ntl", "executed_sz", "id", "is_buy", "minutes",
        "randomize", "reduce_only", "slices", "slices_done", "start", "sz",
    )  # fmt: skip

    def __init__(self, twap_id: int, account: Account, asset: int, is_buy: bool, sz: int,
                 reduce_only: bool, minutes: int, randomize: bool, start: int) -> None:  # fmt: skip
        self.id = twap_id
        self.account = account
        self.asset = asset
        self.is_buy = is_buy
        self.sz = sz
        self.reduce_only = reduce_only
        self.minutes = minutes
        self.randomize = randomize
        self.start = start
        self.slices = minutes * 2
        self.slices_done = 0
        self.executed_sz = 0
        self.executed_ntl = 0

    def next_slice_at(self) -> int:
        return self.start + self.slices_done * SLICE_MS

    def view(self) -> ev.TwapView:
        return ev.TwapView(
            self.id, self.account.address, self.asset, self.is_buy, self.sz, self.executed_sz,
            self.executed_ntl, self.minutes, self.reduce_only, self.randomize, self.start,
        )  # fmt: skip


def jitter(twap_id: int, k: int) -> int:
    """A deterministic factor in percent, 100 +- JITTER_PCT, for suborder `k` of a TWAP."""
    digest = blake2b(f"{twap_id}:{k}".encode(), digest_size=4).digest()
    return 100 - JITTER_PCT + int.from_bytes(digest, "big") % (2 * JITTER_PCT + 1)


class TwapMixin:
    """Part of `Exchange`: TWAP orders and their suborders on the clock."""

    def _place_twap(self, c: cmd.PlaceTwap, acct: Account) -> ev.ActionResult:
        def refused(text: str) -> ev.ActionResult:
            return ev.ActionResult(acct.address, "twapOrder", (ev.Error(text),))

        if not 0 <= c.asset < self._n_assets:
            return refused(errors.with_asset(errors.UNKNOWN_ASSET, c.asset))
        if not MIN_MINUTES <= c.minutes <= MAX_MINUTES:
            return refused(TOO_SHORT_OR_LONG.format(minutes=c.minutes))
        if c.sz <= 0:
            return refused(errors.with_asset(errors.ZERO_SIZE, c.asset))
        if c.asset in self.halted:
            return refused(errors.DELISTED if c.asset in self.delisted else errors.TRADING_HALTED)
        if c.sz * self.marks[c.asset] < MIN_VALUE:
            return refused(TOO_SMALL)
        size = acct.position_size(c.asset)
        if c.reduce_only and (size == 0 or (size > 0) == c.is_buy):
            return refused(REDUCE_ONLY)
        if sum(1 for t in self.twaps.values() if t.account is acct) >= MAX_ACTIVE:
            return refused(TOO_MANY)
        self.twap_seq += 1
        twap = Twap(self.twap_seq, acct, c.asset, c.is_buy, c.sz, c.reduce_only, c.minutes,
                    c.randomize, self.ts)  # fmt: skip
        self.twaps[twap.id] = twap
        self._twap_status(twap, ACTIVATED)
        self._run_twap_slice(twap)  # the first suborder goes at once
        return ev.ActionResult(acct.address, "twapOrder", (ev.TwapRunning(twap.id),))

    def _cancel_twap(self, c: cmd.CancelTwap, acct: Account) -> ev.ActionResult:
        twap = self.twaps.get(c.twap_id)
        if twap is None or twap.account is not acct or twap.asset != c.asset:
            return ev.ActionResult(acct.address, "twapCancel", (ev.Error(MISSING),))
        self._end_twap(twap, TERMINATED)
        return ev.ActionResult(acct.address, "twapCancel", (ev.SUCCESS,))

    def _twap_status(self, twap: Twap, status: str, description: str = "") -> None:
        self._events.append(ev.TwapStatus(twap.view(), status, description, self.ts))

    def _end_twap(self, twap: Twap, status: str, description: str = "") -> None:
        del self.twaps[twap.id]  # its entry in the schedule is skipped when it comes up
        self._twap_status(twap, status, description)

    def _schedule_twap(self, twap: Twap) -> None:
        due = twap.next_slice_at()
        heapq.heappush(self._twap_due, (due, twap.id))
        if due < self._next_timer:
            self._next_timer = due

    def _run_due_twaps(self, now: int) -> None:
        """Run the suborders due at `now` (the clock stands at it), in TWAP order."""
        due = self._twap_due
        while due and due[0][0] == now:
            _, twap_id = heapq.heappop(due)
            twap = self.twaps.get(twap_id)
            if twap is not None and twap.next_slice_at() == now:
                self._run_twap_slice(twap)

    def _run_twap_slice(self, twap: Twap) -> None:
        k = twap.slices_done
        twap.slices_done += 1
        normal = max(1, twap.sz // twap.slices)
        target = twap.sz * twap.slices_done // twap.slices
        q = min(target - twap.executed_sz, CATCH_UP * normal)
        if twap.randomize and q > 0:
            q = min(twap.sz - twap.executed_sz, q * jitter(twap.id, k) // 100)
        if q > 0 and twap.asset not in self.halted:
            error = self._twap_suborder(twap, q)
            if error is not None:
                self._end_twap(twap, ERROR, error)
                return
        if twap.slices_done >= twap.slices or twap.executed_sz >= twap.sz:
            self._end_twap(twap, FINISHED)
        else:
            self._schedule_twap(twap)

    def _twap_suborder(self, twap: Twap, q: int) -> str | None:
        """Send one suborder of `q` lots; the refusal's text when the account cannot."""
        acct, asset = twap.account, twap.asset
        inst = self.instruments[asset]
        if twap.reduce_only:
            size = acct.position_size(asset)
            if size == 0 or (size > 0) == twap.is_buy:
                return None  # nothing to reduce: no suborder
            q = min(q, abs(size))
        mark = self.marks[asset]
        factor = 100 + SLIPPAGE_PCT if twap.is_buy else 100 - SLIPPAGE_PCT
        px = inst.units.round_px(mark * factor, 100, up=not twap.is_buy)
        try:
            q = self._check_order(acct, inst, twap.is_buy, px, q, twap.reduce_only,
                                  min_value=False)  # fmt: skip
        except errors.Rejected as rejection:
            return rejection.text
        self.next_oid += 1
        order = Order(self.next_oid, acct, asset, twap.is_buy, px, q, q, "Ioc",
                      twap.reduce_only, None, self.ts, twap=twap.id)  # fmt: skip
        filled, notional = self._match(order, self.books[asset])
        twap.executed_sz += filled
        twap.executed_ntl += notional
        return None
