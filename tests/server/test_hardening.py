"""Bad input against a served sandbox: each gets the venue's error or a clear one, nothing is
half-applied, nothing answers 500, and the server keeps serving (and stops when told)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from websockets.sync.client import connect

from sandbox.testing import Sandbox
from tests.server.test_control import call, finish, ok, virtual


@pytest.fixture
def vsandbox():
    server = virtual()
    yield server
    finish(server)


def oracle_state(sandbox) -> tuple:
    venue = sandbox.venue
    return (tuple(venue.exchange.oracles), tuple(venue.exchange.marks),
            {coin: len(shocks) for coin, shocks in venue.oracle.shocks.items()},
            dict(venue.oracle.scale))  # fmt: skip


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/sandbox/oracle", {"coin": "ETH", "px": "1e400"}, "at most 1,000,000,000"),
    ("/sandbox/oracle", {"coin": "ETH", "px": "1e30"}, "at most 1,000,000,000"),
    ("/sandbox/oracle", {"coin": "ETH", "px": 1e300}, "at most 1,000,000,000"),
    ("/sandbox/oracle", {"coin": "ETH", "px": "1e-30"}, "at least one tick (0.01)"),
    ("/sandbox/oracle", {"coin": "kPEPE", "px": "0.0000001"}, "at least one tick (0.000001)"),
    ("/sandbox/oracle/shock", {"coin": "ETH", "pct": 1e300}, "pct must be at most"),
    ("/sandbox/oracle/shock", {"coin": "ETH", "pct": "1e400", "ms": 1000}, "pct must be at most"),
    ("/sandbox/oracle/shock", {"coin": "ETH", "pct": 10, "ms": 1e30}, "ms must be at most"),
    ("/sandbox/oracle/shock", {"coin": "ETH", "pct": 10, "ms": 1.5}, "whole number"),
    # within the pct bound, but below one tick: 0.012 x 0.00001
    ("/sandbox/oracle/shock", {"coin": "kPEPE", "pct": -99.999}, "out of range"),
])  # fmt: skip
def test_prices_and_shocks_out_of_range_are_refused_and_change_nothing(vsandbox, path, body,
                                                                       expected):  # fmt: skip
    before = oracle_state(vsandbox)
    response = call(vsandbox, "POST", path, body)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]
    assert oracle_state(vsandbox) == before
    ok(vsandbox, "POST", "/sandbox/clock/advance", {"ms": 10_000})  # the oracle still posts
    assert ok(vsandbox, "GET", "/sandbox/invariants")["ok"]


def test_a_shock_past_the_top_of_the_range_is_refused(vsandbox):
    ok(vsandbox, "POST", "/sandbox/oracle", {"coin": "BTC", "px": "500000"})
    before = oracle_state(vsandbox)
    response = call(vsandbox, "POST", "/sandbox/oracle/shock", {"coin": "BTC", "pct": 999_900})
    assert response.status_code == 400
    assert response.json()["error"] == ("the shock would take BTC's price out of range: it "
                                        "must be positive and at most 1,000,000,000")  # fmt: skip
    assert oracle_state(vsandbox) == before


def test_an_extreme_price_the_coin_can_take_leaves_the_market_able_to_recover():
    """The top of the range: the makers cannot quote a lot there, and quote again as soon as
    the price is back."""
    with Sandbox() as sandbox:
        book = sandbox.venue.exchange.books[sandbox.venue.exchange.by_name["ETH"].asset]
        sandbox.set_price("ETH", "1000000000")
        sandbox.advance(5_000)
        sandbox.set_price("ETH", "3000")
        sandbox.advance(5_000)
        assert book.best_bid() is not None and book.best_ask() is not None
        assert sandbox.invariants()["ok"]


def test_the_clock_advances_a_week_at_most_per_call(vsandbox):
    before = ok(vsandbox, "GET", "/sandbox/clock")["time"]
    for ms in (1e12, 7 * 86_400_000 + 1):
        response = call(vsandbox, "POST", "/sandbox/clock/advance", {"ms": ms})
        assert response.status_code == 400
        assert "at most 604800000 (7 days) a call" in response.json()["error"]
    assert ok(vsandbox, "GET", "/sandbox/clock")["time"] == before


INFO_BAD = [
    {"type": []},
    {"type": {}},
    {"type": 7},
    {"type": None},
    {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": [], "startTime": 0,
                                       "endTime": 1}},
    {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": {}, "startTime": 0,
                                       "endTime": 1}},
    {"type": "candleSnapshot", "req": {"coin": [], "interval": "1m", "startTime": 0}},
    {"type": "candleSnapshot", "req": []},
    {"type": "l2Book", "coin": {"a": 1}},
    {"type": "l2Book", "coin": "BTC", "nSigFigs": "x"},
    {"type": "clearinghouseState", "user": []},
    {"type": "orderStatus", "user": "0x" + "1" * 40, "oid": []},
    {"type": "userFillsByTime", "user": "0x" + "1" * 40, "startTime": []},
    {"type": "fundingHistory", "coin": "BTC", "startTime": {}},
    {"type": "fundingHistory", "coin": [], "startTime": 0},
]  # fmt: skip


@pytest.mark.parametrize("body", INFO_BAD)
def test_info_of_the_wrong_shape_is_unreadable_not_an_error(vsandbox, body):
    response = requests.post(vsandbox.url + "/info", json=body, timeout=10)
    assert response.status_code in (200, 422), (response.status_code, response.text)
    if response.status_code == 422:
        assert response.text.startswith("Failed to deserialize the JSON body")


def test_info_with_null_times_answers(vsandbox):
    user = "0x" + "1" * 40
    for body in ({"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m",
                                                    "startTime": None}},
                 {"type": "userFillsByTime", "user": user, "startTime": None},
                 {"type": "fundingHistory", "coin": "BTC", "startTime": None}):  # fmt: skip
        response = requests.post(vsandbox.url + "/info", json=body, timeout=10)
        assert response.status_code in (200, 422), response.text


def test_the_same_over_the_websocket_gets_an_error_frame_and_the_socket_stays(vsandbox):
    url = vsandbox.url.replace("http", "ws") + "/ws"
    with connect(url) as ws:
        for i, body in enumerate(INFO_BAD):
            ws.send(json.dumps({"method": "post", "id": i,
                                "request": {"type": "info", "payload": body}}))  # fmt: skip
            frame = json.loads(ws.recv(timeout=10))
            assert frame["channel"] in ("post", "error"), frame
            if frame["channel"] == "error":
                assert "Internal" not in frame["data"], frame
        for subscription in ({"type": []}, {"type": "l2Book", "coin": []},
                             {"type": "candle", "coin": "BTC", "interval": {}},
                             {"type": "userFills", "user": {}}):  # fmt: skip
            ws.send(json.dumps({"method": "subscribe", "subscription": subscription}))
            frame = json.loads(ws.recv(timeout=10))
            assert frame["channel"] == "error" and "Internal" not in frame["data"], frame
        ws.send(json.dumps({"method": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"channel": "pong"}


@pytest.mark.parametrize("sz", ["abc", [], {}, None, "1e400", "-1", True])
def test_a_forced_adl_with_a_bad_size_is_refused(vsandbox, sz):
    user = ok(vsandbox, "POST", "/sandbox/accounts", {"usdc": "1000"})["address"]
    response = call(vsandbox, "POST", "/sandbox/adl/force", {"user": user, "coin": "BTC",
                                                              "sz": sz})  # fmt: skip
    assert response.status_code == 400, response.text


def test_bodies_that_do_not_match_their_content_encoding(vsandbox):
    plain = b'{"type":"allMids"}'
    for path in ("/info", "/exchange"):
        response = requests.post(vsandbox.url + path, data=plain, timeout=10, headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})  # fmt: skip
        assert response.status_code == 400
        assert response.text == "the body is not gzip as its Content-Encoding says"
    response = requests.post(vsandbox.url + "/info", data=plain, timeout=10, headers={
        "Content-Type": "application/json", "Content-Encoding": "br"})  # fmt: skip
    assert response.status_code == 415
    # a body that is what its header says is read
    response = requests.post(vsandbox.url + "/info", data=gzip.compress(plain), timeout=10,
                             headers={"Content-Type": "application/json",
                                      "Content-Encoding": "gzip"})  # fmt: skip
    assert response.status_code == 200 and "BTC" in response.json()
    # and one that would inflate past the body limit is not
    bomb = gzip.compress(b" " * (vsandbox.venue.config.max_body_bytes + 10))
    response = requests.post(vsandbox.url + "/info", data=bomb, timeout=10, headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip"})  # fmt: skip
    assert response.status_code == 413
    control = requests.post(vsandbox.url + "/sandbox/clock/advance", data=b'{"ms": 1}',
                            timeout=10, headers={
                                "Authorization": f"Bearer {vsandbox.admin_token}",
                                "Content-Encoding": "gzip"})  # fmt: skip
    assert control.status_code == 400
    assert requests.post(vsandbox.url + "/info", json={"type": "allMids"}, timeout=10).ok


def test_sigterm_stops_the_server_in_the_middle_of_a_long_advance(tmp_path):
    """A day of the default market takes seconds of CPU; a SIGTERM during it ends the
    advance where it is and the process exits at once."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--time", "virtual",
         "--admin-token", "letmein"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = None
        for line in process.stdout:
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
            url = url or (found and found.group(1))
            if line.startswith("Ctrl-C"):
                break
        assert url is not None
        def advance() -> None:
            # (the server goes away mid-request: what this test does to it)
            with contextlib.suppress(requests.RequestException):
                requests.post(url + "/sandbox/clock/advance", json={"ms": 7 * 86_400_000},
                              headers={"Authorization": "Bearer letmein"}, timeout=120)  # fmt: skip

        asker = threading.Thread(target=advance, daemon=True)
        asker.start()
        time.sleep(1.0)  # well into a week of virtual time
        assert process.poll() is None
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert time.monotonic() - began < 10  # a week would take minutes
        output = process.stdout.read()
        assert "Traceback" not in output, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_pages_of_other_sites_may_not_use_the_control_plane_or_the_websocket(vsandbox):
    """A cross-origin `text/plain` POST is what a page can send without asking first; with
    the token it would be processed: refused, and nothing done. Pages of the server itself
    and of this machine may; /info and /exchange answer any page, as the venue's do."""
    url, token = vsandbox.url, vsandbox.admin_token
    before = ok(vsandbox, "GET", "/sandbox/clock")["time"]
    for origin in ("https://evil.example", "null", "http://127.0.0.1.evil.example:3001"):
        response = requests.post(url + "/sandbox/clock/advance", data='{"ms": 60000}',
                                 timeout=10, headers={
                                     "Origin": origin, "Content-Type": "text/plain",
                                     "Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 403, origin
        assert "--allow-origin" in response.json()["error"]
        with pytest.raises(Exception, match="403"):
            connect(url.replace("http", "ws") + "/ws", origin=origin, open_timeout=5)
    assert ok(vsandbox, "GET", "/sandbox/clock")["time"] == before
    host = url.split("//")[1]
    for origin in (f"http://{host}", "http://localhost:5173", "http://[::1]:8000"):
        response = requests.post(url + "/sandbox/clock/advance", json={"ms": 1000}, timeout=10,
                                 headers={"Origin": origin,
                                          "Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 200, origin
        with connect(url.replace("http", "ws") + "/ws", origin=origin, open_timeout=5) as ws:
            ws.send('{"method": "ping"}')
            assert json.loads(ws.recv(timeout=5)) == {"channel": "pong"}
    answer = requests.post(url + "/info", json={"type": "allMids"}, timeout=10,
                           headers={"Origin": "https://evil.example"})  # fmt: skip
    assert answer.status_code == 200


def test_an_origin_named_on_the_command_line_may():
    from sandbox.server.app import origin_allowed

    allowed = frozenset({"https://tools.example"})
    assert origin_allowed("https://tools.example", "127.0.0.1:3001", allowed)
    assert not origin_allowed("https://tools.example.evil", "127.0.0.1:3001", allowed)
    assert not origin_allowed("https://tools.example", "127.0.0.1:3001", frozenset())
    assert origin_allowed(None, "127.0.0.1:3001", frozenset())  # not a browser
    assert not origin_allowed("http://[bad", "127.0.0.1:3001", frozenset())


def test_the_admin_token_from_the_environment_and_a_warning_beyond_this_machine():
    env = {**os.environ, "ADL_SANDBOX_ADMIN_TOKEN": "from-the-env", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--host", "0.0.0.0",
         "--scenario", "calm", "--no-flow"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("warning:"):
                break
        output = "".join(lines)
        assert "admin token (Authorization: Bearer ...): from-the-env" in output
        assert "warning: serving on 0.0.0.0, beyond this machine" in output
        assert "from-the-env" not in " ".join(process.args)  # not in the process list
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def quick_timeouts():
    """A server that closes idle connections and gives up on bodies after a second."""
    from sandbox.server.config import ServerConfig
    from sandbox.server.thread import ServerThread

    config = ServerConfig(port=0, http_idle_timeout_s=1.0, http_body_timeout_s=1.0)
    server = ServerThread(config).start()
    yield server
    server.stop()


def _raw(url: str):
    import socket

    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_within(sock, seconds: float, drip: bytes = b"") -> bool:
    """Whether the server closes `sock` within `seconds` (sending `drip` a byte at a time,
    a tenth of a second apart, meanwhile)."""
    import select

    deadline = time.monotonic() + seconds
    dripping = iter(drip)
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.1)
        if readable:
            try:
                if sock.recv(65536) == b"":
                    return True
            except ConnectionResetError:
                return True
        byte = next(dripping, None)
        if byte is not None:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                return True
    return False


def test_idle_and_slow_connections_are_closed_and_others_are_served(quick_timeouts):
    url = quick_timeouts.url
    idle, slow = _raw(url), _raw(url)  # one says nothing; one sends headers a byte at a time
    headers = b"POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" * 20
    assert _closed_within(idle, 6)
    assert _closed_within(slow, 6, drip=headers)
    # a connection kept alive after its answer is closed once idle
    with _raw(url) as kept:
        body = b'{"type": "allMids"}'
        kept.sendall(b"POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        assert _closed_within(kept, 6)
    # a body that never comes is answered 408, and the connection closed
    with _raw(url) as partial:
        partial.sendall(b"POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                        b"\r\nContent-Length: 100\r\n\r\n{\"action\"")  # fmt: skip
        assert partial.recv(65536).startswith(b"HTTP/1.1 408")
    # meanwhile everyone else is served, over HTTP and the websocket (which stays open)
    with connect(url.replace("http", "ws") + "/ws") as ws:
        time.sleep(2.5)  # longer than the idle timeout
        ws.send(json.dumps({"method": "ping"}))
        assert json.loads(ws.recv(timeout=5)) == {"channel": "pong"}
    assert requests.post(f"{url}/info", json={"type": "meta"}, timeout=5).status_code == 200


def test_running_out_of_file_descriptors_is_one_line_every_ten_seconds(caplog):
    import asyncio
    import errno as errnos
    import logging

    from sandbox.server.app import _condense_accept_errors

    loop = asyncio.new_event_loop()
    others = []
    loop.set_exception_handler(lambda loop, context: others.append(context["message"]))
    try:
        _condense_accept_errors(loop)
        with caplog.at_level(logging.ERROR, logger="sandbox.server"):
            for _ in range(5_000):
                loop.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errnos.EMFILE, "Too many open files")})  # fmt: skip
            loop.call_exception_handler({"message": "something else"})
    finally:
        loop.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "sandbox.server"]
    assert len(lines) == 1 and "Too many open files" in lines[0]
    assert others == ["something else"]  # anything else goes where it went before
