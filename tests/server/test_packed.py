"""`PackedLog` serves what a `deque(maxlen=...)` of the same items would, in both orders,
through pickling (snapshots and checkpoints), whatever the number of items appended."""

from __future__ import annotations

import pickle
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.server import packed
from sandbox.server.packed import BLOCK, PackedLog

packed.register("test-entry", dict)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(maxlen=st.integers(1, 3 * BLOCK), appended=st.integers(0, 8 * BLOCK),
       pickle_at=st.integers(0, 8 * BLOCK))  # fmt: skip
def test_a_packed_log_serves_what_a_bounded_deque_would(maxlen, appended, pickle_at):
    log, plain = PackedLog("test-entry", maxlen), deque(maxlen=maxlen)
    for i in range(appended):
        entry = {"time": i, "usdc": str(i * 7), "nested": {"i": i, "none": None}}
        log.append(entry)
        plain.append(entry)
        if i == pickle_at:
            log = pickle.loads(pickle.dumps(log))
    assert len(log) == len(plain)
    assert list(log) == list(plain)
    assert list(reversed(log)) == list(reversed(plain))
    # it never holds more than a block beyond what it serves
    assert log._kept + len(log._tail) < maxlen + 2 * BLOCK


def test_an_unknown_kind_is_refused():
    with pytest.raises(KeyError):
        PackedLog("never-registered", 10)
