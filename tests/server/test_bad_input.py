"""Bad input of every class gets the venue's answer, changes nothing, and the server keeps
serving."""

from __future__ import annotations

import json
import time

import eth_account
import pytest
import requests
from hyperliquid.utils import signing as sdk

from protocol import signing

UNREADABLE = "Failed to deserialize the JSON body into the target type"


def post(sandbox, path: str, body) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        sandbox.url + path, data=data, headers={"Content-Type": "application/json"}, timeout=10
    )


def still_serving(sandbox) -> None:
    response = post(sandbox, "/info", {"type": "allMids"})
    assert response.status_code == 200 and "BTC" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'"meta"',
        b'{"type": "nope"}',
        b'{"type": "clearinghouseState"}',
        b'{"type": "clearinghouseState", "user": 5}',
        b'{"type": "clearinghouseState", "user": "0x123"}',
        b'{"type": "userFillsByTime", "user": "0x' + b"ab" * 20 + b'", "startTime": "yesterday"}',
        b'{"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "7m", "startTime": 0}}',
        b"[" * 5_000 + b"]" * 5_000,
    ],
)
def test_unreadable_info_requests_get_422_in_plain_text(sandbox, body):
    response = post(sandbox, "/info", body)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith(UNREADABLE)
    still_serving(sandbox)


def signed(key: str, action: dict, nonce: int | None = None, vault=None, expires=None) -> dict:
    wallet = eth_account.Account.from_key(key)
    nonce = nonce if nonce is not None else int(time.time() * 1000)
    signature = sdk.sign_l1_action(wallet, action, vault, nonce, expires, False)
    return {
        "action": action,
        "nonce": nonce,
        "signature": signature,
        "vaultAddress": vault,
        "expiresAfter": expires,
    }


ORDER = {
    "type": "order",
    "orders": [
        {"a": 1, "b": True, "p": "2900", "s": "1", "r": False, "t": {"limit": {"tif": "Gtc"}}}
    ],
    "grouping": "na",
}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("signature"),
        lambda b: b.update(nonce="soon"),
        lambda b: b.update(action="order"),
        lambda b: b["action"].update(type="selfDestruct"),
        lambda b: b["action"]["orders"][0].update(a="ETH"),
        lambda b: b["action"]["orders"][0].pop("t"),
        lambda b: b.update(vaultAddress="0xnotanaddress"),
    ],
)
def test_unreadable_exchange_requests_get_422(sandbox, trader, mutate):
    alice = trader()
    body = signed(alice.key, json.loads(json.dumps(ORDER)))
    mutate(body)
    response = post(sandbox, "/exchange", body)
    assert response.status_code == 422 and response.text.startswith(UNREADABLE)
    still_serving(sandbox)


def test_deeply_nested_exchange_bodies_get_422(sandbox):
    deep = b"[" * 5_000 + b"]" * 5_000
    for body in (
        b'{"action": {"type": "noop"}, "nonce": 1, "signature": ' + deep + b"}",
        b'{"action": {"type": "order", "orders": ' + deep + b'}, "nonce": 1, "signature": {}}',
    ):
        response = post(sandbox, "/exchange", body)
        assert response.status_code == 422 and response.text.startswith(UNREADABLE)
    still_serving(sandbox)


def test_oversized_bodies_are_refused(sandbox):
    response = post(sandbox, "/info", b'{"type": "meta", "pad": "' + b"x" * 2_000_000 + b'"}')
    assert response.status_code == 413
    still_serving(sandbox)


def test_bad_signatures(sandbox, trader):
    alice = trader()
    body = signed(alice.key, json.loads(json.dumps(ORDER)))
    body["signature"] = {"r": "0xzz", "s": "0x1", "v": 27}
    response = post(sandbox, "/exchange", body)
    assert response.status_code == 422 and response.text.startswith(UNREADABLE)
    body["signature"] = {"r": "0x" + "ff" * 32, "s": "0x1", "v": 27}
    assert post(sandbox, "/exchange", body).json() == {
        "status": "err",
        "response": "Unable to recover signer.",
    }
    # a valid signature over a different action recovers somebody unknown
    tampered = signed(alice.key, json.loads(json.dumps(ORDER)))
    tampered["action"]["orders"][0]["s"] = "100"
    response = post(sandbox, "/exchange", tampered).json()
    assert response["status"] == "err" and response["response"].startswith("User or API Wallet 0x")
    assert response["response"].endswith("does not exist.")
    assert alice.address not in response["response"]
    still_serving(sandbox)


def test_replayed_and_stale_nonces(sandbox, trader, info):
    alice = trader()
    body = signed(alice.key, json.loads(json.dumps(ORDER)))
    first = post(sandbox, "/exchange", body).json()
    assert first["status"] == "ok"
    assert post(sandbox, "/exchange", body).json() == {
        "status": "err", "response": f"Invalid nonce: duplicate nonce {body['nonce']}"
    }  # fmt: skip
    assert len(info.open_orders(alice.address)) == 1  # the replay placed nothing
    old = signed(
        alice.key, json.loads(json.dumps(ORDER)), nonce=int(time.time() * 1000) - 3 * 86_400_000
    )
    assert post(sandbox, "/exchange", old).json()["response"].startswith("Invalid nonce:")
    expired = signed(alice.key, json.loads(json.dumps(ORDER)), expires=int(time.time() * 1000) - 1)
    assert post(sandbox, "/exchange", expired).json() == {
        "status": "err",
        "response": "Action already expired",
    }


def test_nobody_acts_on_anyone_elses_orders(sandbox, trader, info):
    alice, mallory = trader(), trader()
    (resting,) = alice.exchange.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}})[
        "response"
    ]["data"]["statuses"]
    oid = resting["resting"]["oid"]
    assert mallory.exchange.cancel("ETH", oid)["response"]["data"]["statuses"] == [
        {"error": "Order was never placed, already canceled, or filled. asset=1"}
    ]
    assert mallory.exchange.modify_order(oid, "ETH", True, 1.0, 2950.0, {"limit": {"tif": "Gtc"}})[
        "response"
    ]["data"]["statuses"] == [{"error": "Cannot modify canceled or filled order"}]
    (order,) = info.open_orders(alice.address)
    assert (order["oid"], order["limitPx"]) == (oid, "2900.0")


def test_a_refused_request_changes_nothing(sandbox, trader, info):
    alice = trader()
    alice.exchange.order("ETH", True, 1.0, 2900.0, {"limit": {"tif": "Gtc"}})
    before = (
        info.user_state(alice.address),
        info.open_orders(alice.address),
        info.l2_snapshot("ETH")["levels"],
    )
    assert alice.exchange.update_leverage(100, "ETH")["status"] == "err"
    assert alice.exchange.usd_transfer(10**9, alice.address)["status"] == "err"
    big = alice.exchange.order("ETH", True, 10_000.0, 2900.0, {"limit": {"tif": "Gtc"}})
    assert big["response"]["data"]["statuses"][0]["error"].startswith("Insufficient margin")
    after = (
        info.user_state(alice.address),
        info.open_orders(alice.address),
        info.l2_snapshot("ETH")["levels"],
    )
    for b, a in zip(before, after, strict=True):
        if isinstance(b, dict):
            b, a = dict(b, time=0), dict(a, time=0)
        assert a == b


def test_batches_over_the_weight_limit(sandbox, trader):
    alice = trader()
    cancels = {"type": "cancel", "cancels": [{"a": 0, "o": i} for i in range(201)]}
    assert post(sandbox, "/exchange", signed(alice.key, cancels)).json() == {
        "status": "err", "response": "Signed action over weight limit of 200."
    }  # fmt: skip


def test_user_signed_action_recovery_checks_the_chain_and_nonce(sandbox, trader):
    alice = trader()
    wallet = eth_account.Account.from_key(alice.key)
    now = int(time.time() * 1000)
    action = {"destination": alice.address, "amount": "1", "time": now, "type": "usdSend"}
    signature = sdk.sign_user_signed_action(
        wallet, action, sdk.USD_SEND_SIGN_TYPES, "HyperliquidTransaction:UsdSend", False
    )
    body = {"action": action, "nonce": now + 1, "signature": signature, "vaultAddress": None}
    assert post(sandbox, "/exchange", body).json()["response"].startswith("Invalid nonce")
    body["nonce"] = now
    assert post(sandbox, "/exchange", body).json() == {
        "status": "ok",
        "response": {"type": "default"},
    }
    wrong_chain = dict(action, hyperliquidChain="Moonnet", time=now + 5)
    assert (
        post(
            sandbox, "/exchange", {"action": wrong_chain, "nonce": now + 5, "signature": signature}
        ).json()["status"]
        == "err"
    )
    assert signing.user_signed_digest(action)


def user_signed(key: str, action: dict) -> dict:
    """A user-signed request as a client would send it (whatever the action holds)."""
    now = int(time.time() * 1000)
    action = {"signatureChainId": "0x66eee", "hyperliquidChain": "Testnet", **action, "time": now}
    try:
        signature = signing.sign_user_signed_action(bytes.fromhex(key[2:]), action)
    except signing.SignatureError:  # what cannot be hashed cannot be signed: any signature
        signature = {"r": "0x1", "s": "0x1", "v": 27}
    return {"action": action, "nonce": now, "signature": signature, "vaultAddress": None}


@pytest.mark.parametrize(
    "action",
    [
        {"type": "usdSend", "destination": "0x+" + "a" * 39, "amount": "7"},
        {"type": "usdSend", "destination": "0x" + "٣" * 40, "amount": "7"},  # Unicode digits
        {"type": "approveAgent", "agentAddress": "0xzz", "agentName": None},
        {"type": "approveBuilderFee", "builder": "0xnothex", "maxFeeRate": "0.01%"},
        {"type": "usdSend", "destination": "0x" + "ab" * 20, "amount": "7",
         "signatureChainId": "0x" + "f" * 80},
    ],
)  # fmt: skip
def test_malformed_user_signed_actions_are_refused_and_move_nothing(sandbox, trader, info, action):
    alice = trader("1000")
    response = post(sandbox, "/exchange", user_signed(alice.key, action))
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json()["status"] == "err"
    assert info.user_state(alice.address)["marginSummary"]["accountValue"] == "1000.0"
    still_serving(sandbox)


@pytest.mark.parametrize(
    "kind", ["vaultTransfer", "topUpIsolatedOnlyMargin", "tokenDelegate", "sendAsset", "borrowLend"]
)
def test_venue_actions_the_sandbox_lacks_get_an_error_not_a_422(sandbox, trader, kind):
    alice = trader()
    response = post(sandbox, "/exchange", signed(alice.key, {"type": kind, "x": 1}))
    assert response.status_code == 200
    assert response.json() == {
        "status": "err",
        "response": f"{kind} is not supported by this sandbox.",
    }


@pytest.mark.parametrize(
    "precision",
    [{"nSigFigs": 5.0}, {"nSigFigs": 2.0}, {"nSigFigs": True}, {"nSigFigs": 5, "mantissa": True},
     {"nSigFigs": 4, "mantissa": 2}, {"nSigFigs": 1}, {"nSigFigs": "5"}],
)  # fmt: skip
def test_book_precision_must_be_the_venues_integers(sandbox, precision):
    for coin in ("BTC", "kPEPE"):
        response = post(sandbox, "/info", {"type": "l2Book", "coin": coin, **precision})
        assert response.status_code == 422
    still_serving(sandbox)
