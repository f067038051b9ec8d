"""pytest fixtures for testing a bot against the sandbox; installing adl-sandbox registers
them (entry point `pytest11`), nothing to import:

    def test_my_bot_survives_adl(adl_sandbox, funded_wallet):
        bot = MyBot(adl_sandbox.url, funded_wallet.key)
        ...
        adl_sandbox.adl(funded_wallet.address, "ETH")

- `adl_sandbox`: a `sandbox.testing.Sandbox` served on a free port in virtual time, with
  BTC, ETH, SOL and kPEPE at 60000, 3000, 150 and 0.012 (constant until moved) and a market
  maker quoting each; every invariant is checked after every command, and the test fails
  if one ever broke. The venue's rate limits are off unless the test asks; the mark is the
  oracle unless the test asks for the venue's rule (`mark="venue"`), whatever `exchange`
  says. Mark it `@pytest.mark.adl_sandbox(prices={...}, makers=False,
  exchange=ExchangeConfig(...), rate_limits=True, mark="venue")` to change that.
- `funded_wallet`: a wallet on it holding 100,000 USDC (`.address`, `.key`, `.account()`).
"""

from __future__ import annotations

import pytest

from sandbox.testing import Sandbox, Wallet


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "adl_sandbox(prices=None, makers=True, exchange=None, rate_limits=False, "
        "mark='oracle'): how the adl_sandbox fixture starts",
    )


@pytest.fixture
def adl_sandbox(request):
    marker = request.node.get_closest_marker("adl_sandbox")
    options = dict(marker.kwargs) if marker is not None else {}
    sandbox = Sandbox(**options).start()
    try:
        yield sandbox
        failures = sandbox.venue.invariant_failures
        assert not failures, f"an invariant broke during the test: {failures[0]}"
    finally:
        sandbox.stop()


@pytest.fixture
def funded_wallet(adl_sandbox) -> Wallet:
    return adl_sandbox.wallet("100000")
