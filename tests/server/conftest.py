"""A real server on a free port, driven by the official SDK over real sockets."""

from __future__ import annotations

from collections.abc import Callable

import eth_account
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.server.config import ServerConfig
from sandbox.server.thread import ServerThread
from sandbox.testing import poll

PRICES = {"BTC": "60000", "ETH": "3000", "SOL": "150", "kPEPE": "0.012"}


def set_prices(venue, prices: dict[str, str]) -> None:
    ex = venue.exchange
    venue.apply(
        cmd.SetOracle(
            tuple((ex.by_name[c].asset, ex.by_name[c].units.parse_px(p)) for c, p in prices.items())
        )
    )


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """Poll until `predicate()` is truthy; return its value."""
    return poll(predicate, timeout, what=what)


class Trader:
    """An SDK wallet on the sandbox."""

    def __init__(self, sandbox: ServerThread, usdc: str = "100000") -> None:
        self.address, self.key = sandbox.create_account(usdc)
        self.wallet = eth_account.Account.from_key(self.key)
        self.exchange = Exchange(self.wallet, sandbox.url)


def start(**exchange) -> ServerThread:
    exchange.setdefault("mark_rule", "oracle")
    config = ServerConfig(port=0, block_ms=20, tick_ms=50, validate_each_command=True,
                          exchange=ExchangeConfig(**exchange))  # fmt: skip
    return ServerThread(config, setup=lambda venue: set_prices(venue, PRICES)).start()


def finish(sandbox: ServerThread) -> None:
    """Stop the server; every invariant held after every command it applied."""
    try:
        assert sandbox.venue.invariant_failures == []
        sandbox.call(sandbox.venue.exchange.validate)
    finally:
        sandbox.stop()


@pytest.fixture
def sandbox():
    server = start()
    yield server
    finish(server)


@pytest.fixture
def info(sandbox):
    info = Info(sandbox.url, skip_ws=True)
    yield info


@pytest.fixture
def trader(sandbox):
    return lambda usdc="100000": Trader(sandbox, usdc)


def oracle(sandbox: ServerThread, **prices: str) -> None:
    sandbox.call(set_prices, sandbox.venue, prices)
