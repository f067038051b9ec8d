"""Property-based fuzzing of a served sandbox: `/info`, `/exchange` (unsigned junk and signed
actions of every type with fields of every JSON type), the websocket and the control plane.

Whatever is sent, nothing answers 5xx, the websocket never sends an internal-error frame,
the server keeps serving, and every invariant holds: checked by the venue after every command
it applies (`validate_each_command`) and read over HTTP after every example.

The number of examples per test is `FUZZ_EXAMPLES` (default 60, a few seconds each); the
figures in docs/reliability.md come from a run with more, counted by `TALLY`.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import time

import msgspec
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from protocol import signing
from sandbox.server import info
from sandbox.server.control_routes import ROUTES
from sandbox.testing import Sandbox

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
# the suite's run is the same every time (a fixed seed per test); a longer run asked for with
# FUZZ_EXAMPLES explores afresh
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
TALLY: collections.Counter = collections.Counter()  # (surface, status) -> requests sent

COINS = ["BTC", "ETH", "SOL", "kPEPE"]
INFO_TYPES = sorted(info.HANDLERS)
ACTION_TYPES = [
    "order", "cancel", "cancelByCloid", "modify", "batchModify", "scheduleCancel",
    "updateLeverage", "updateIsolatedMargin", "twapOrder", "twapCancel", "usdClassTransfer",
    "usdSend", "withdraw3", "approveAgent", "approveBuilderFee", "setReferrer",
    "createSubAccount", "subAccountTransfer", "vaultTransfer", "noop", "spotSend", "evmUserModify",
]  # fmt: skip
WS_TYPES = ["allMids", "l2Book", "trades", "bbo", "candle", "userFills", "userEvents",
            "orderUpdates", "notification", "webData3", "clearinghouseState", "openOrders",
            "activeAssetCtx", "activeAssetData", "userFundings", "sandboxWaterfall"]  # fmt: skip

# -- values -----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(),  # bigger than any field takes
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "1e400", "NaN", "0.00000001", "60000", "1e-30", "0x",
                     "0x" + "0" * 40, "0x" + "f" * 32, "BTC", "1m", "Gtc", "Alo", "Ioc"]),
)  # fmt: skip
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)  # fmt: skip
# a number as the venue writes one, or not
_decimal_texts = st.sampled_from(["60000", "0.001", "3000.5", "0", "-5", "1e3", "0.1"])
numbers = st.one_of(_decimal_texts, _decimal_texts, _decimal_texts,
                    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
                    json_values)  # fmt: skip
addresses = st.one_of(st.sampled_from(["0x" + "1" * 40, "0x" + "A" * 40]), json_values)


def maybe(strategy):
    return st.one_of(strategy, json_values)


info_requests = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(INFO_TYPES)}, optional={
        "user": addresses, "coin": maybe(st.sampled_from(COINS)), "oid": maybe(st.integers()),
        "startTime": maybe(st.integers(min_value=0, max_value=2**62)),
        "endTime": maybe(st.integers(min_value=0, max_value=2**62)),
        "nSigFigs": maybe(st.integers(2, 5)), "mantissa": maybe(st.sampled_from([1, 2, 5])),
        "aggregateByTime": json_values, "dex": json_values,
        "req": maybe(st.fixed_dictionaries({}, optional={
            "coin": maybe(st.sampled_from(COINS)), "interval": maybe(st.just("1m")),
            "startTime": maybe(st.integers(0, 2**62)), "endTime": maybe(st.integers(0, 2**62)),
        })),
    }),
    json_values,
)  # fmt: skip

PRICES = {0: ["59000", "60000", "61000", "60010", "54000"], 1: ["3000", "2990.5", "3100"],
          2: ["150", "149.55", "160"], 3: ["0.012", "0.011999", "0.0125"]}
SIZES = {0: ["0.001", "0.01", "0.5"], 1: ["0.01", "1", "20"], 2: ["0.1", "10"],
         3: ["1000", "100000"]}
assets = st.integers(0, 3)


@st.composite
def orders(draw, numbers=numbers):
    """An order as the SDK writes it: mostly one the venue could take, at times not."""
    a = draw(assets)
    kind = draw(st.sampled_from(["limit", "limit", "trigger"]))
    if kind == "limit":
        t = {"limit": {"tif": draw(st.sampled_from(["Gtc", "Ioc", "Alo", "FrontendMarket"]))}}
    else:
        t = {"trigger": {"isMarket": draw(st.booleans()), "tpsl": draw(st.sampled_from(["tp", "sl"])),
                         "triggerPx": draw(st.one_of(st.sampled_from(PRICES[a]), numbers))}}
    order = {"a": a, "b": draw(st.booleans()),
             "p": draw(st.one_of(st.sampled_from(PRICES[a]), numbers)),
             "s": draw(st.one_of(st.sampled_from(SIZES[a]), numbers)),
             "r": draw(st.booleans()), "t": t}
    if draw(st.booleans()):
        order["c"] = "0x" + draw(st.binary(min_size=16, max_size=16)).hex()
    return order


oids = st.integers(0, 400)  # the venue's own oids run from 1
cloids = st.binary(min_size=16, max_size=16).map(lambda b: "0x" + b.hex())
amounts = st.one_of(st.sampled_from(["1", "10.5", "0.000001", "100000000", "0"]), numbers)

def l1_actions_with(numbers) -> st.SearchStrategy:
    """The L1 actions of every type, their numbers drawn from `numbers`."""
    return st.one_of(
        st.builds(lambda os, g: {"type": "order", "orders": os, "grouping": g},
                  st.lists(orders(numbers), min_size=1, max_size=3),
                  st.sampled_from(["na", "na", "normalTpsl", "positionTpsl"])),
        st.builds(lambda cs: {"type": "cancel", "cancels": cs},
                  st.lists(st.fixed_dictionaries({"a": assets, "o": oids}), min_size=1, max_size=3)),
        st.builds(lambda cs: {"type": "cancelByCloid", "cancels": cs},
                  st.lists(st.fixed_dictionaries({"asset": assets, "cloid": cloids}), max_size=2)),
        st.builds(lambda o, order: {"type": "modify", "oid": o, "order": order}, oids, orders(numbers)),
        st.builds(lambda ms: {"type": "batchModify", "modifies": ms}, st.lists(
            st.fixed_dictionaries({"oid": st.one_of(oids, cloids), "order": orders(numbers)}), max_size=3)),
        st.builds(lambda t: {"type": "scheduleCancel", **({} if t is None else {"time": t})},
                  st.one_of(st.none(), st.integers(0, 2**62))),
        st.builds(lambda a, c, lev: {"type": "updateLeverage", "asset": a, "isCross": c,
                                     "leverage": lev}, assets, st.booleans(), st.integers(0, 60)),
        st.builds(lambda a, b, n: {"type": "updateIsolatedMargin", "asset": a, "isBuy": b,
                                   "ntli": n}, assets, st.booleans(),
                  st.integers(-(10**12), 10**12)),
        st.builds(lambda a, b, sz, r, m, t: {"type": "twapOrder", "twap": {
            "a": a, "b": b, "s": sz, "r": r, "m": m, "t": t}}, assets, st.booleans(),
            st.one_of(st.sampled_from(["0.01", "1", "100"]), numbers), st.booleans(),
            st.integers(0, 20_000), st.booleans()),
        st.builds(lambda a, t: {"type": "twapCancel", "a": a, "t": t}, assets, st.integers(0, 50)),
        st.just({"type": "noop"}),
    )  # fmt: skip


well_formed_numbers = st.one_of(_decimal_texts, st.decimals(allow_nan=False, allow_infinity=False,
                                                            places=6).map(str))
l1_actions = l1_actions_with(numbers)
well_formed_actions = l1_actions_with(well_formed_numbers)

user_actions = st.one_of(
    st.builds(lambda amount, to_perp: {"type": "usdClassTransfer", "amount": amount,
                                       "toPerp": to_perp}, amounts, st.booleans()),
    st.builds(lambda d, amount: {"type": "usdSend", "destination": d, "amount": amount},
              st.sampled_from(["0x" + "1" * 40, "0x" + "2" * 40]), amounts),
    st.builds(lambda d, amount: {"type": "withdraw3", "destination": d, "amount": amount},
              st.just("0x" + "1" * 40), amounts),
)  # fmt: skip


@st.composite
def corrupted(draw, strategy):
    """A value of `strategy`, and one time in four with one of its fields (at any depth)
    replaced by any JSON value."""
    value = draw(strategy)
    if draw(st.integers(0, 3)) != 0:
        return value
    value = msgspec.json.decode(msgspec.json.encode(value))
    spots = []

    def walk(node):
        if isinstance(node, dict):
            for key in node:
                spots.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for i in range(len(node)):
                spots.append((node, i))
                walk(node[i])

    walk(value)
    if spots:
        node, key = draw(st.sampled_from(spots))
        node[key] = draw(json_values)
    return value


actions = st.one_of(*[corrupted(l1_actions)] * 4, json_values)


def _plain(value):
    """`value` as msgpack can sign it (ints within 64 bits, as JSON would carry them)."""
    return msgspec.json.decode(msgspec.json.encode(value))


# -- the served sandbox ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    sandbox = Sandbox(validate=True)
    sandbox.start()
    wallet = sandbox.wallet("100000")
    yield sandbox, wallet
    try:
        assert sandbox.venue.invariant_failures == []
    finally:
        sandbox.stop()
        if os.environ.get("FUZZ_TALLY"):  # the figures of docs/reliability.md
            with open(os.environ["FUZZ_TALLY"], "a") as out:
                for (surface, status), n in sorted(TALLY.items()):
                    out.write(f"{surface}\t{status}\t{n}\n")


def _served_and_whole(sandbox) -> None:
    """Still serving, and every invariant holds."""
    answer = requests.get(sandbox.url + "/sandbox/invariants", timeout=30,
                          headers={"Authorization": f"Bearer {sandbox.admin_token}"})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["ok"], answer.text
    assert sandbox.venue.invariant_failures == []


def _post(sandbox, path: str, data: bytes, **headers) -> requests.Response:
    response = requests.post(sandbox.url + path, data=data, timeout=30,
                             headers={"Content-Type": "application/json", **headers})  # fmt: skip
    TALLY[path.split("/")[1] or path, response.status_code] += 1
    assert response.status_code < 500, (path, data[:300], response.text[:300])
    return response


# -- the properties ---------------------------------------------------------------------------


@FUZZ
@given(body=info_requests)
def test_info_never_fails(served, body):
    sandbox, _ = served
    response = _post(sandbox, "/info", json.dumps(body).encode())
    assert response.status_code in (200, 422)
    _served_and_whole(sandbox)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_bodies_that_are_not_json_never_fail(served, raw):
    sandbox, _ = served
    for path in ("/info", "/exchange"):
        assert _post(sandbox, path, raw).status_code in (200, 400, 422)


_nonce = [0]


def _next_nonce() -> int:
    _nonce[0] = max(int(time.time() * 1000), _nonce[0] + 1)
    return _nonce[0]


def _key(wallet) -> bytes:
    return bytes.fromhex(wallet.key.removeprefix("0x"))


@FUZZ
@given(action=well_formed_actions)
def test_well_formed_signed_actions_never_fail(served, action):
    """Actions as a client library writes them, numbers of every kind (tick errors, sizes
    too small or too large, prices far off), signed: they reach the venue's checks."""
    sandbox, wallet = served
    nonce = _next_nonce()
    body = {"action": action, "nonce": nonce, "vaultAddress": None,
            "signature": signing.sign_l1_action(_key(wallet), action, None, nonce, None, False)}
    response = _post(sandbox, "/exchange", msgspec.json.encode(body))
    assert response.status_code == 200, response.text
    _served_and_whole(sandbox)


@FUZZ
@given(action=actions, signed=st.sampled_from([True, True, True, False]),
       vault=st.one_of(st.none(), st.none(), st.none(), addresses),
       envelope=st.one_of(st.just({}), st.just({}), st.just({}), st.just({}), st.dictionaries(
           st.sampled_from(["expiresAfter", "nonce", "signature", "action"]), json_values,
           max_size=2)))  # fmt: skip
def test_signed_actions_never_fail(served, action, signed, vault, envelope):
    """L1 actions of every type, mostly well formed and signed by a funded account, at
    times with a field of any type; the envelope at times wrong too."""
    sandbox, wallet = served
    action = _plain(action)
    nonce = _next_nonce()
    body = {"action": action, "nonce": nonce, "vaultAddress": vault}
    body["signature"] = {"r": "0x" + "1" * 64, "s": "0x" + "2" * 64, "v": 27}  # a stranger's
    if signed and isinstance(action, dict) and (vault is None or isinstance(vault, str)):
        # (a vault address that is not hex cannot be signed: the stranger's signature stays)
        with contextlib.suppress(ValueError, TypeError, OverflowError, msgspec.EncodeError):
            body["signature"] = signing.sign_l1_action(_key(wallet), action, vault, nonce,
                                                       None, False)  # fmt: skip
    body.update(envelope)
    response = _post(sandbox, "/exchange", msgspec.json.encode(body))
    assert response.status_code in (200, 422)
    _served_and_whole(sandbox)


@FUZZ
@given(action=corrupted(user_actions))
def test_user_signed_actions_never_fail(served, action):
    sandbox, wallet = served
    action = _plain(action)
    nonce = _next_nonce()
    if isinstance(action, dict):
        action = {**action, "hyperliquidChain": "Testnet", "signatureChainId": "0x66eee"}
        field = "nonce" if action.get("type") == "usdClassTransfer" else "time"
        action[field] = nonce
    body = {"action": action, "nonce": nonce}
    try:
        body["signature"] = signing.sign_user_signed_action(_key(wallet), action)
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError):
        body["signature"] = {"r": "0x" + "1" * 64, "s": "0x" + "2" * 64, "v": 27}
    response = _post(sandbox, "/exchange", msgspec.json.encode(body))
    assert response.status_code in (200, 422)
    _served_and_whole(sandbox)


ws_messages = st.one_of(
    st.fixed_dictionaries({
        "method": st.sampled_from(["subscribe", "unsubscribe"]),
        "subscription": st.one_of(st.fixed_dictionaries(
            {"type": maybe(st.sampled_from(WS_TYPES))}, optional={
                "coin": maybe(st.sampled_from(COINS)), "user": addresses,
                "interval": maybe(st.sampled_from(["1m", "1h"])), "nSigFigs": json_values,
                "mantissa": json_values, "dex": json_values}), json_values),
    }),
    st.fixed_dictionaries({"method": st.just("post"), "id": json_values, "request": st.one_of(
        st.fixed_dictionaries({"type": st.just("info"), "payload": info_requests}),
        st.fixed_dictionaries({"type": maybe(st.just("action")), "payload": json_values}),
        json_values)}),
    st.fixed_dictionaries({"method": json_values}),
    json_values,
)  # fmt: skip


@FUZZ
@given(messages=st.lists(ws_messages, min_size=1, max_size=4))
def test_the_websocket_never_fails(served, messages):
    sandbox, _ = served
    url = sandbox.url.replace("http", "ws") + "/ws"
    with connect(url, open_timeout=10) as ws:
        try:
            for message in messages:
                ws.send(json.dumps(message))
                TALLY["ws", "sent"] += 1
            ws.send('{"method": "ping"}')
            while True:  # every answer up to the pong
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("channel") == "error":
                    assert not frame["data"].startswith("Internal"), frame
                if frame.get("channel") == "pong":
                    break
        except ConnectionClosed:
            TALLY["ws", "dropped"] += 1  # the venue drops a socket asking for an unknown coin
    _served_and_whole(sandbox)


SAFE_ROUTES = [r for r in ROUTES if r.path not in ("/sandbox/reset",)]


@FUZZ
@given(route=st.sampled_from(SAFE_ROUTES), body=maybe(st.fixed_dictionaries({}, optional={
    "coin": maybe(st.sampled_from(COINS)), "px": numbers, "pct": numbers, "ms": numbers,
    "user": addresses, "usdc": numbers, "sz": numbers, "stage": json_values, "id": json_values,
    "notional": numbers, "coins": json_values, "enabled": json_values, "ip": json_values,
    "rateLimits": json_values, "scheduleCancelVolume": json_values})))  # fmt: skip
def test_the_control_plane_never_fails(served, route, body):
    sandbox, _ = served
    if route.method == "GET":
        response = requests.get(sandbox.url + route.path, timeout=60,
                                params=body if isinstance(body, dict) else None,
                                headers={"Authorization": f"Bearer {sandbox.admin_token}"})  # fmt: skip
        TALLY["sandbox", response.status_code] += 1
        assert response.status_code < 500, (route.path, body, response.text[:300])
    else:
        if route.path == "/sandbox/clock/advance" and isinstance(body, dict):
            body = {**body, "ms": 1000}  # (time itself is not what is fuzzed here)
        _post(sandbox, route.path, msgspec.json.encode(_plain(body)),
              Authorization=f"Bearer {sandbox.admin_token}")
    _served_and_whole(sandbox)
