"""Where the server's time comes from. The core takes time as an input; the server asks a
clock, which never goes backwards."""

from __future__ import annotations

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

    def now(self) -> int:
        now = time.time_ns() // 1_000_000
        if now < self._last:
            return self._last
        self._last = now
        return now
