"""The sandbox's own schedule: everything that happens at a time rather than on a request
(the core's clock ticks, oracle updates, market makers' requotes, timed scenario events).

Items run in (time, sequence) order, so two runs of the same schedule do the same things in
the same order. In virtual time the timeline *is* the clock: `run_until(ts)` moves `now` to
each item's time before running it, and nothing else moves time. In real time a driver
(`sandbox.server.app`) calls `run_until(wall clock)` as items come due.

No asyncio and no wall clock here: the timeline only runs what it is told, when told.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable


class Handle:
    """A scheduled item; `cancel()` stops it (and, for a repeating one, its repeats)."""

    __slots__ = ("cancelled", "fn", "period")

    def __init__(self, fn: Callable[[], object], period: int | None) -> None:
        self.fn = fn
        self.period = period
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timeline:
    def __init__(self, start_ms: int) -> None:
        self.now = start_ms
        self._heap: list[tuple[int, int, Handle]] = []
        self._seq = 0

    def at(self, ts: int, fn: Callable[[], object]) -> Handle:
        """Run `fn()` at `ts` (now, if `ts` has passed)."""
        return self._push(max(ts, self.now), Handle(fn, None))

    def after(self, ms: int, fn: Callable[[], object]) -> Handle:
        return self.at(self.now + ms, fn)

    def every(self, period_ms: int, fn: Callable[[], object], first: int | None = None) -> Handle:
        """Run `fn()` every `period_ms`, first at `first` (default: one period from now)."""
        if period_ms <= 0:
            raise ValueError("period_ms must be positive")
        start = self.now + period_ms if first is None else first
        return self._push(max(start, self.now), Handle(fn, period_ms))

    def _push(self, ts: int, handle: Handle) -> Handle:
        self._seq += 1
        heapq.heappush(self._heap, (ts, self._seq, handle))
        return handle

    def shift(self, ms: int) -> None:
        """Move `now` and everything scheduled `ms` later (a restored real-time venue:
        what was due in a second is due a second after the restore)."""
        if ms < 0:
            raise ValueError("time never goes back")
        self.now += ms
        self._heap = [(due + ms, seq, handle) for due, seq, handle in self._heap]
        heapq.heapify(self._heap)

    def next_due(self) -> int | None:
        """When the next item is due, or None."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_until(self, ts: int) -> int:
        """Run every item due at or before `ts`, in order, with `now` at each item's time;
        then `now` is `ts` (time never goes back). Returns how many items ran."""
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= ts:
            due, _, handle = heapq.heappop(heap)
            if handle.cancelled:
                continue
            if due > self.now:
                self.now = due
            if handle.period is not None:  # rescheduled first: the item may cancel itself
                self._push(due + handle.period, handle)
            handle.fn()
            ran += 1
        if ts > self.now:
            self.now = ts
        return ran
