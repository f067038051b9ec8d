"""`python -m sandbox` as a user runs it: a real process, the official SDK against it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import eth_account
import pytest
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from sandbox.__main__ import demo_key, main


@pytest.fixture
def served():
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--admin-token", "letmein",
         "--price", "BTC=50000", "--feed", "constant"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    banner = []
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Ctrl-C"):
            break
    yield process, "".join(banner)
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_serve_prints_what_a_user_needs_and_the_sdk_trades_on_it(served):
    process, banner = served
    url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner).group(1)
    assert "admin token (Authorization: Bearer ...): letmein" in banner
    key = "0x" + demo_key(1).hex()
    assert key in banner  # the demo wallets and the snippet use fixed keys
    wallet = eth_account.Account.from_key(key)

    info = Info(url, skip_ws=True)
    assert info.all_mids()["BTC"] == "50000.0"  # the --price opening
    assert info.user_state(wallet.address)["marginSummary"]["accountValue"] == "100000.0"
    result = Exchange(wallet, url).order("BTC", True, 0.01, 49000, {"limit": {"tif": "Gtc"}})
    assert "resting" in result["response"]["data"]["statuses"][0]

    created = requests.post(f"{url}/sandbox/accounts", json={"usdc": "10"},
                            headers={"Authorization": "Bearer letmein"}, timeout=5)  # fmt: skip
    assert created.status_code == 200 and created.json()["address"].startswith("0x")

    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopping" in out


def test_bad_flags_are_refused_with_a_message():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--price", "DOGE=1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no coin 'DOGE'" in result.stderr


def test_walkthrough_plays_the_core_session(capsys):
    main(["walkthrough"])
    out = capsys.readouterr().out
    assert "60,000" in out and "backstop" in out.lower()
