"""Signing and signer recovery, against the official SDK's published vectors and its own
signing functions."""

import json

import eth_account
import pytest
from hyperliquid.utils import signing as sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import signing

KEY = bytes.fromhex("0123456789012345678901234567890123456789012345678901234567890123")
ADDRESS = "0x14791697260e4c9a71f18484c9f997b308e59325"


def test_address_of_the_sdk_test_key():
    assert signing.address_of(KEY) == ADDRESS


@pytest.mark.parametrize(
    ("vault", "mainnet", "expected"),
    [
        (None, True, {"r": "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
                      "s": "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8", "v": 27}),
        (None, False, {"r": "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510",
                       "s": "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613", "v": 28}),
        ("0x1719884eb866cb12b2287399b15f7db5e7d775ea", True,
         {"r": "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239",
          "s": "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c", "v": 28}),
    ],
)  # fmt: skip
def test_the_sdks_published_l1_vectors(vault, mainnet, expected):
    action = {"type": "dummy", "num": 100000000000}
    assert signing.sign_l1_action(KEY, action, vault, 0, None, mainnet) == expected
    digest = signing.l1_digest(signing.action_hash(action, vault, 0, None), "a" if mainnet else "b")
    assert signing.recover(digest, signing.parse_signature(expected)) == ADDRESS


def test_order_connection_id_vector():
    action = {
        "type": "order",
        "orders": [
            {
                "a": 4,
                "b": True,
                "p": "1670.1",
                "s": "0.0147",
                "r": False,
                "t": {"limit": {"tif": "Ioc"}},
            }
        ],
        "grouping": "na",
    }
    assert signing.action_hash(action, None, 1677777606040, None).hex() == (
        "0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908"
    )


def test_a_wrong_source_recovers_someone_else():
    action = {"type": "dummy", "num": 1}
    sig = signing.parse_signature(signing.sign_l1_action(KEY, action, None, 5, None, False))
    connection = signing.action_hash(action, None, 5, None)
    assert signing.recover(signing.l1_digest(connection, "b"), sig) == ADDRESS
    assert signing.recover(signing.l1_digest(connection, "a"), sig) != ADDRESS


def test_key_order_matters_and_json_round_trip_keeps_it():
    action = {"type": "order", "orders": [], "grouping": "na"}
    reordered = {"grouping": "na", "type": "order", "orders": []}
    assert signing.action_hash(action, None, 1, None) != signing.action_hash(
        reordered, None, 1, None
    )
    assert signing.action_hash(
        json.loads(json.dumps(action)), None, 1, None
    ) == signing.action_hash(action, None, 1, None)


addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
nonces = st.integers(0, 2**63 - 1)


@settings(max_examples=30, deadline=None)
@given(
    px=st.decimals(min_value=1, max_value=100000, places=2).map(str),
    vault=st.none() | addresses,
    nonce=nonces,
    expires=st.none() | nonces,
    mainnet=st.booleans(),
)
def test_same_signatures_as_the_sdk_for_l1_actions(px, vault, nonce, expires, mainnet):
    wallet = eth_account.Account.from_key(KEY)
    order = sdk.order_request_to_order_wire(
        {
            "coin": "ETH",
            "is_buy": True,
            "sz": 0.5,
            "limit_px": float(px),
            "order_type": {"limit": {"tif": "Gtc"}},
            "reduce_only": False,
        },
        1,
    )
    action = sdk.order_wires_to_order_action([order])
    theirs = sdk.sign_l1_action(wallet, action, vault, nonce, expires, mainnet)
    assert signing.sign_l1_action(KEY, action, vault, nonce, expires, mainnet) == theirs


@settings(max_examples=20, deadline=None)
@given(
    destination=addresses,
    amount=st.decimals(min_value=0, max_value=10**6, places=2).map(str),
    time=nonces,
)
def test_same_signatures_as_the_sdk_for_user_signed_actions(destination, amount, time):
    wallet = eth_account.Account.from_key(KEY)
    action = {"destination": destination, "amount": amount, "time": time, "type": "usdSend"}
    theirs = sdk.sign_user_signed_action(
        wallet, action, sdk.USD_SEND_SIGN_TYPES, "HyperliquidTransaction:UsdSend", False
    )
    assert signing.sign_user_signed_action(KEY, action) == theirs
    assert (
        signing.recover(signing.user_signed_digest(action), signing.parse_signature(theirs))
        == ADDRESS
    )


def test_unnamed_approve_agent_is_signed_with_an_empty_name():
    wallet = eth_account.Account.from_key(KEY)
    agent = "0x" + "ab" * 20
    action = {"type": "approveAgent", "agentAddress": agent, "agentName": "", "nonce": 7}
    theirs = sdk.sign_user_signed_action(
        wallet, action, sdk.APPROVE_AGENT_SIGN_TYPES if hasattr(sdk, "APPROVE_AGENT_SIGN_TYPES") else [
            {"name": "hyperliquidChain", "type": "string"},
            {"name": "agentAddress", "type": "address"},
            {"name": "agentName", "type": "string"},
            {"name": "nonce", "type": "uint64"},
        ], "HyperliquidTransaction:ApproveAgent", False,
    )  # fmt: skip
    del action["agentName"]  # as the SDK does before sending
    assert (
        signing.recover(signing.user_signed_digest(action), signing.parse_signature(theirs))
        == ADDRESS
    )


@pytest.mark.parametrize(
    "bad",
    [None, "sig", {"r": "0x1", "s": "0x2"}, {"r": "zz", "s": "0x2", "v": 27}, {"r": "0x1", "s": "0x2", "v": 30},
     {"r": "0x0", "s": "0x2", "v": 27}, {"r": "0x1", "s": "0x2", "v": True}],
)  # fmt: skip
def test_bad_signatures_are_refused(bad):
    with pytest.raises(signing.SignatureError):
        signing.parse_signature(bad)


def test_unrecoverable_signature():
    sig = signing.parse_signature({"r": "0x" + "ff" * 32, "s": "0x1", "v": 27})
    with pytest.raises(signing.SignatureError, match="Unable to recover signer"):
        signing.recover(b"\x01" * 32, sig)


@pytest.mark.parametrize(
    "action",
    [
        {"type": "usdSend", "destination": "0xab", "amount": "1", "time": 1},  # no chain id
        {"type": "usdSend", "signatureChainId": "0x66eee", "destination": "0xab", "amount": 1, "time": 1, "hyperliquidChain": "Testnet"},
        {"type": "order", "signatureChainId": "0x66eee"},
        {"type": "approveAgent", "signatureChainId": "0x66eee", "hyperliquidChain": "Testnet", "agentAddress": "0x12", "nonce": 1},
        {"type": "usdClassTransfer", "signatureChainId": "0x66eee", "hyperliquidChain": "Testnet", "amount": "1", "toPerp": "yes", "nonce": 1},
        {"type": "usdSend", "signatureChainId": "0x66eee", "hyperliquidChain": "Testnet", "destination": "0xab", "amount": "1", "time": -1},
    ],
)  # fmt: skip
def test_malformed_user_signed_actions_are_refused(action):
    with pytest.raises(signing.SignatureError):
        signing.user_signed_digest(action)
