"""The timeline runs what is due in (time, sequence) order, and only when told."""

from __future__ import annotations

import pytest

from sandbox.sim.timeline import Timeline


def test_items_run_in_time_then_sequence_order_with_now_at_their_time():
    tl = Timeline(1_000)
    seen = []
    tl.at(1_500, lambda: seen.append(("b", tl.now)))
    tl.at(1_200, lambda: seen.append(("a", tl.now)))
    tl.at(1_500, lambda: seen.append(("c", tl.now)))
    every = tl.every(400, lambda: seen.append(("tick", tl.now)))
    assert tl.next_due() == 1_200
    assert tl.run_until(1_300) == 1 and tl.now == 1_300
    assert tl.run_until(2_300) == 5
    assert seen == [("a", 1_200), ("tick", 1_400), ("b", 1_500), ("c", 1_500),
                    ("tick", 1_800), ("tick", 2_200)]  # fmt: skip
    every.cancel()
    assert tl.run_until(10_000) == 0 and tl.now == 10_000
    assert tl.next_due() is None


def test_nothing_runs_in_the_past_and_items_may_schedule_items():
    tl = Timeline(0)
    seen = []
    tl.run_until(500)
    tl.at(100, lambda: seen.append(tl.now))  # already past: runs at once, at now
    tl.at(600, lambda: tl.after(50, lambda: seen.append(tl.now)))
    tl.run_until(1_000)
    assert seen == [500, 650]
    with pytest.raises(ValueError):
        tl.every(0, lambda: None)


def test_a_repeating_item_can_cancel_itself():
    tl = Timeline(0)
    runs = []

    def step():
        runs.append(tl.now)
        if len(runs) == 3:
            handle.cancel()

    handle = tl.every(10, step)
    tl.run_until(1_000)
    assert runs == [10, 20, 30]
