"""`python -m sandbox` as a user runs it: a real process, the official SDK against it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading

import eth_account
import pytest
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from websockets.sync.client import connect

from sandbox.__main__ import _parser, demo_key, main
from tests.server.conftest import wait_for


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


@pytest.fixture
def served_with_log():
    """`python -m sandbox --log-requests`: its banner, then its log lines as they come."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--admin-token", "letmein",
         "--price", "BTC=50000", "--feed", "constant", "--log-requests"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    banner, log = [], []
    for line in process.stdout:
        banner.append(line)
        if line.startswith("Ctrl-C"):
            break
    reader = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)
    reader.start()
    yield process, "".join(banner), log
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_serve_logs_the_waterfall_and_each_request_in_single_lines(served_with_log):
    """Demo wallet 1 goes long; the control plane liquidates it into the market maker's bids:
    one line for the liquidation, one per request and websocket connection."""
    process, banner, log = served_with_log
    url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner).group(1)
    wallet = eth_account.Account.from_key("0x" + demo_key(1).hex())
    bought = Exchange(wallet, url).order("BTC", True, 0.01, 51000, {"limit": {"tif": "Ioc"}})
    assert "filled" in bought["response"]["data"]["statuses"][0]
    with connect(url.replace("http", "ws") + "/ws") as ws:
        ws.send('{"method": "ping"}')
        ws.recv(timeout=5)
    liquidated = requests.post(f"{url}/sandbox/liquidate",
                               json={"user": wallet.address, "coin": "BTC"},
                               headers={"Authorization": "Bearer letmein"}, timeout=5)  # fmt: skip
    assert liquidated.status_code == 200
    requests.get(f"{url}/sandbox/%0Aforged", timeout=5)  # an encoded line break stays encoded

    stamp = r"\d\d:\d\d:\d\d\.\d{3}"
    step = wait_for(lambda: [line for line in log if "liquidation, stage 1" in line],
                    what="the liquidation's line")  # fmt: skip
    assert re.fullmatch(stamp + r" liquidation, stage 1 \(market\): demo-1's 0\.01 BTC long: "
                        r"0\.01 sold into the book at [\d,.]+\n", step[0])  # fmt: skip
    wait_for(lambda: any("/sandbox/%0Aforged 404" in line for line in log), what="the 404")
    requests_logged = [line for line in log if "liquidation" not in line]
    line_shape = stamp + r" 127\.0\.0\.1 (GET|POST) /\S* (\d{3}) [\d.]+ m?s( \(websocket\))?\n"
    assert all(re.fullmatch(line_shape, line) for line in requests_logged), requests_logged
    text = "".join(requests_logged)
    assert " POST /exchange 200 " in text and " POST /sandbox/liquidate 200 " in text
    assert re.search(r" GET /ws 101 [\d.]+ m?s \(websocket\)", text)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    assert process.returncode == 0


def test_help_lists_the_commands_and_the_serve_options(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "demo", "scenario", "walkthrough"):
        assert re.search(rf"^    {command} ", out, re.M), command
    for option in ("--port", "--admin-token", "--time", "--feed", "--seed", "--policy",
                   "--price COIN=PX", "--demo-usdc", "--no-rate-limits",
                   "--no-schedule-cancel-gate", "--log-requests"):  # fmt: skip
        assert option in out, option
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "--price COIN=PX" in capsys.readouterr().out
    # shown at the top, parsed by the commands: each with its own defaults
    assert _parser().parse_args(["demo"]).port == 0
    assert _parser().parse_args(["serve"]).port == 3001


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--price", "ETH=abc"], "argument --price: not a positive price: 'ETH=abc'"),
        (["--price", "ETH=-3"], "argument --price: not a positive price: 'ETH=-3'"),
        (["--price", "ETH=inf"], "argument --price: not a positive price: 'ETH=inf'"),
        (["--price", "ETH"], "argument --price: takes COIN=PX, e.g. BTC=60000, not 'ETH'"),
        (["--price", "WOW=1"], "argument --price: no coin 'WOW' (coins: BTC, ETH, SOL, kPEPE, "),
        (["--demo-usdc", "lots"], "argument --demo-usdc: not an amount of USDC"),
        (["--demo-usdc", "-5"], "argument --demo-usdc: not an amount of USDC"),
        (["--volatility", "nan"], "argument --volatility: not a number of 0 or more: 'nan'"),
        (["--volatility", "-0.1"], "argument --volatility: not a number of 0 or more"),
        (["--block-ms", "0"], "argument --block-ms: not a whole number of milliseconds above 0"),
        (["--block-ms", "1.5"], "argument --block-ms: not a whole number of milliseconds"),
        (["--port", "70000"], "argument --port: not a port (0 to 65535; 0: any free one)"),
        (["--port", "http"], "argument --port: not a port"),
        (["demo", "--speed", "-1"], "argument --speed: not a number of 0 or more"),
        (["scenario", "run", "cascade", "--port", "-1"], "argument --port: not a port"),
    ],
)
def test_a_bad_flag_value_is_refused_in_one_line(capsys, flags, expected):
    with pytest.raises(SystemExit) as done:
        main(flags)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m sandbox") and err.count("\n") == 1, err
    assert expected in err and "(--help lists the options)" in err


def test_bad_flags_are_refused_with_a_message():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--price", "WOW=1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no coin 'WOW'" in result.stderr
    # a coin of the mainnet universe that the served scenario does not list
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--scenario", "cascade",
         "--price", "DOGE=1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--price DOGE: not among the scenario's markets (BTC)" in result.stderr


def test_walkthrough_plays_the_core_session(capsys):
    main(["walkthrough"])
    out = capsys.readouterr().out
    assert "60,000" in out and "backstop" in out.lower()


def test_demo_runs_the_cascade_and_ends_with_the_summary(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sandbox", "demo", "--speed", "0"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "stage 3 (hyperliquid)" in out and "noticed its ADL" in out
    assert re.search(r"stage 1, market\s+\d+", out) and "conservation: pools" in out
    assert "invariants: held, after every command (0 failures)" in out
    (results,) = (tmp_path / "runs").iterdir()  # the results folder, named by the run
    assert results.name.startswith("cascade-") and f"results: {results.relative_to(tmp_path)}" in out
    assert {"fills.csv", "waterfall.csv", "summary.json", "accounts.json"} <= {
        p.name for p in results.iterdir()
    }


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
                           "--policy", "binance", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ADL policy binance" in done.stdout and "SOL is shocked -30%" in done.stdout
    assert "w: was liquidated" in done.stdout


def test_the_mark_flag_sets_the_rule_it_names():
    """`--mark venue` is the venue's median rule and `--mark oracle` the oracle, in the
    exchange the served scenario builds (a rule the core does not know is refused)."""
    from sandbox.__main__ import served_scenario

    for flag, rule in (("venue", "hyperliquid"), ("oracle", "oracle")):
        args = _parser().parse_args(["serve", "--mark", flag])
        assert served_scenario(args).exchange.mark_rule == rule
    with pytest.raises(ValueError, match="mark_rule must be"):
        from sandbox.core.config import ExchangeConfig

        ExchangeConfig(mark_rule="venue")
