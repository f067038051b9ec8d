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

    assert "rate limits: the venue's" in banner  # served, the venue's limits are on
    limits = requests.get(f"{url}/sandbox/rate-limits", params={"ip": "127.0.0.1"},
                          headers={"Authorization": "Bearer letmein"}, timeout=5).json()  # fmt: skip
    assert limits["enabled"] and limits["usage"]["weightAvailable"] < 1200  # this test's calls

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


def test_demo_runs_the_cascade_and_ends_with_the_summary():
    done = subprocess.run([sys.executable, "-m", "sandbox", "demo", "--speed", "0"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "stage 3 (hyperliquid)" in out and "noticed its ADL" in out
    assert re.search(r"stage 1, market\s+\d+", out) and "conservation: pools" in out
    assert "invariants: held, after every command (0 failures)" in out


def test_scenario_run_and_list(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "sandbox", "scenario", "list"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.stdout.split()[0] == "calm" and "cascade" in listed.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[markets.BTC]\nprice = "abc"\n')
    done = subprocess.run([sys.executable, "-m", "sandbox", "scenario", "run", str(bad)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert "markets.BTC.price: not a number: 'abc'" in done.stderr
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'name = "mine"\nduration = "20s"\n[markets.SOL]\nprice = "150"\n[[makers]]\n'
        '[[bots]]\nkind = "whale"\nname = "w"\ncoin = "SOL"\nnotional = "90000"\n'
        '[[events]]\nat = "10s"\ndo = "shock"\ncoin = "SOL"\npct = -30\n'
    )
    done = subprocess.run([sys.executable, "-m", "sandbox", "scenario", "run", str(mine),
                           "--policy", "binance"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ADL policy binance" in done.stdout and "SOL is shocked -30%" in done.stdout
    assert "w: was liquidated" in done.stdout
