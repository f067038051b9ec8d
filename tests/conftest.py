"""The suite's options: `--soak` also runs the soak tests (marked `soak`: whole virtual days
of the built-in scenarios, a few minutes of wall time), which a plain `pytest` skips. The
README's test command, which CI runs, passes it.

The official SDK signs each action with the wall clock's millisecond as its nonce, and the
venue (and so the sandbox) refuses a nonce it has seen: two actions of one wallet within a
millisecond, which a test on a fast machine sends, would have the second refused. The suite
gives the SDK's clock the habit of a careful client (`bots.client` has it too): a nonce is
never repeated, the next is at least one more than the last."""

from __future__ import annotations

import threading

import pytest


def pytest_configure(config: pytest.Config) -> None:
    try:
        from hyperliquid import exchange
        from hyperliquid.utils import signing
    except ImportError:  # the SDK is a test extra
        return
    clock = signing.get_timestamp_ms
    lock = threading.Lock()  # (servers and clients of a test may run in threads)
    last = [0]

    def unique_timestamp_ms() -> int:
        with lock:
            last[0] = max(clock(), last[0] + 1)
            return last[0]

    signing.get_timestamp_ms = exchange.get_timestamp_ms = unique_timestamp_ms


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="run the soak tests too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="a soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
