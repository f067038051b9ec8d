"""The suite's options: `--soak` also runs the soak tests (marked `soak`: whole virtual days
of the built-in scenarios, a few minutes of wall time), which a plain `pytest` skips. The
README's test command, which CI runs, passes it."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="run the soak tests too")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="a soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
