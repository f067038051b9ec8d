"""Virtual time repeats: two fresh processes serving the same market, sent the same signed
requests and advanced the same way, end in the same state (to the state hash), whatever
their hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

RUN = textwrap.dedent("""
    import eth_account
    from hyperliquid.exchange import Exchange
    from hyperliquid.utils import signing

    from sandbox.testing import Sandbox

    last = [0]
    clock = signing.get_timestamp_ms

    def unique_ms():  # (two actions within a millisecond would share a nonce)
        last[0] = max(clock(), last[0] + 1)
        return last[0]

    import hyperliquid.exchange
    hyperliquid.exchange.get_timestamp_ms = unique_ms
    with Sandbox(mark="venue") as sandbox:
        key = "0x" + "11" * 32
        sandbox.wallet_from_key(key, "100000")
        exchange = Exchange(eth_account.Account.from_key(key), sandbox.url)
        exchange.market_open("BTC", True, 0.1)
        exchange.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}})
        exchange.update_leverage(5, "SOL", is_cross=False)
        exchange.market_open("SOL", False, 10.0)
        sandbox.advance(3_600_000)  # funding, the makers moving, the oracle posting
        sandbox.shock("BTC", -8, 60_000)
        sandbox.advance(120_000)
        exchange.market_close("BTC")
        sandbox.advance(60_000)
        print(sandbox.invariants()["stateHash"])
""")


def test_two_fresh_processes_given_the_same_inputs_end_in_the_same_state():
    hashes = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True,
                             timeout=120, env=env)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        hashes.append(run.stdout.strip().splitlines()[-1])
    assert len(hashes[0]) == 64
    assert hashes[0] == hashes[1]
