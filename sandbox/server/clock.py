"""Where the server's time comes from. The core takes time as an input; the server asks a
clock, which never goes backwards."""

from __future__ import annotations

import contextlib
import time


class VirtualClock:
    """The time of a `Timeline`: it moves only when the timeline is run forward."""

    def __init__(self, timeline) -> None:
        self.timeline = timeline

    def now(self) -> int:
        return self.timeline.now


class RealtimeClock:
    """Wall-clock milliseconds, never going backwards (two calls in the same millisecond
    return the same time)."""

    def __init__(self) -> None:
        self._last = 0
        self._held: int | None = None

    def now(self) -> int:
        if self._held is not None:
            return self._held
        now = time.time_ns() // 1_000_000
        if now < self._last:
            return self._last
        self._last = now
        return now

    @contextlib.contextmanager
    def held(self, ms: int):
        """The clock reads `ms` meanwhile: one input handled at one time (and handled again
        at the same time when a journal is replayed)."""
        before = self._held
        self._held = ms
        self._last = max(self._last, ms)
        try:
            yield
        finally:
            self._held = before
