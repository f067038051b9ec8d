"""`python -m bots` as a user runs it: a real process against a served sandbox."""

from __future__ import annotations

import subprocess
import sys


def test_run_a_sample_bot_live(adl_sandbox):
    wallet = adl_sandbox.wallet("50000")
    done = subprocess.run(
        [sys.executable, "-m", "bots", "run", "whale", "--url", adl_sandbox.url,
         "--key", wallet.key, "--coin", "SOL", "--interval", "0.01", "--turns", "4",
         "--option", "notional=30000", "--option", "leverage=3", "--option", "slices=2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert wallet.address in done.stdout and "whale: holds" in done.stdout
    assert 195 <= adl_sandbox.position(wallet.address, "SOL") <= 200  # about $30,000 at 150


def test_list_and_bad_options():
    listed = subprocess.run([sys.executable, "-m", "bots", "list"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert "market_maker" in listed.stdout and "skew_bps=20" in listed.stdout
    bad = subprocess.run([sys.executable, "-m", "bots", "run", "momentum", "--key", "0x" + "11" * 32,
                          "--option", "speed=9"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 1 and "momentum takes coin, lookback" in bad.stderr
