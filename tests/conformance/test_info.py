"""Every /info type of the venue that has a published example is asked of a real sandbox (in
the state world.py builds) over HTTP, and each answer is compared field by field with the
venue's example (one test per info type).

The test of an info type fails when its answer differs from the venue's shape. It passes when
the answer has the venue's shape; or, for the types of features the sandbox documents it does
not model (HIP-3 dexes, spot deployment, outcomes, borrow/lend: NOT_MODELLED), when it answers
them with the venue's own refusal of an unknown type (HTTP 422 `Failed to deserialize the
JSON body into the target type`); or, for the types it documents as well-formed empty answers
(spot and spot deployment, TWAP, vaults, staking, open-interest caps: PLACEHOLDERS), when the answer is empty and
otherwise in shape.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conformance.venue_examples import EXAMPLES, items
from tests.conformance.verdict import Answers, acceptable, judge
from tests.conformance.world import ALICE_CLOID, UNREADABLE, Outcome, World

NOT_MODELLED = frozenset({
    "spotPairDeployAuctionStatus", "tokenDetails", "outcomeMeta", "perpDexLimits",
    "perpDexStatus", "allPerpMetas", "perpAnnotation", "perpCategories",
    "perpConciseAnnotations", "borrowLendUserState", "borrowLendReserveState",
    "allBorrowLendReserveStates", "approvedBuilders",
})  # fmt: skip
PLACEHOLDERS = frozenset({
    "spotMeta", "spotMetaAndAssetCtxs", "userVaultEquities", "delegations",
    "delegatorRewards", "delegatorHistory", "spotDeployState",
})  # fmt: skip

UNASKED = {
    ("referral", "ready"): "the sandbox registers no referral codes: nobody reaches stage ready",
}

Requests = list[tuple[str, dict]]  # (label, request body)


def _of(kind: str, **fields) -> Callable[[World, str], Requests]:
    return lambda world, variant: [("", {"type": kind, **fields})]


def _for(kind: str, *users: str, **fields) -> Callable[[World, str], Requests]:
    """`kind` asked for each of the world's `users` (attribute names), labelled by them."""

    def build(world: World, variant: str) -> Requests:
        return [(user, {"type": kind, "user": getattr(world, user).address, **fields})
                for user in users]  # fmt: skip

    return build


def _order_status(world: World, variant: str) -> Requests:
    user = world.alice.address
    if variant == "order":
        return [
            ("by oid", {"type": "orderStatus", "user": user, "oid": world.resting_oid}),
            ("by cloid", {"type": "orderStatus", "user": user, "oid": ALICE_CLOID.to_raw()}),
        ]
    return [("", {"type": "orderStatus", "user": user, "oid": 987_654_321_987})]


def _user_role(world: World, variant: str) -> Requests:
    users = {"user": world.alice.address, "agent": world.agent,
             "subAccount": world.sub_account, "missing": world.stranger,
             "vault": world.sandbox.venue.exchange.vault.address}  # fmt: skip
    return [("", {"type": "userRole", "user": users[variant]})]


def _candles(world: World, variant: str) -> Requests:
    req = {"coin": "BTC", "interval": "1m", "startTime": 0, "endTime": world.sandbox.now()}
    return [("", {"type": "candleSnapshot", "req": req})]


REQUESTS: dict[str, Callable[[World, str], Requests]] = {
    "meta": _of("meta", dex=""),
    "spotMeta": _of("spotMeta"),
    "metaAndAssetCtxs": _of("metaAndAssetCtxs"),
    "spotMetaAndAssetCtxs": _of("spotMetaAndAssetCtxs"),
    "allMids": _of("allMids", dex=""),
    "l2Book": _of("l2Book", coin="BTC", nSigFigs=None, mantissa=None),
    "clearinghouseState": _for("clearinghouseState", "alice", "dave", dex=""),
    "spotClearinghouseState": _for("spotClearinghouseState", "alice"),
    "openOrders": _for("openOrders", "alice", dex=""),
    "frontendOpenOrders": _for("frontendOpenOrders", "alice", dex=""),
    "userFills": _for("userFills", "alice", "carol", "erin"),
    "userFillsByTime": _for(
        "userFillsByTime", "alice", "carol", startTime=0, endTime=None, aggregateByTime=False
    ),
    "orderStatus": _order_status,
    "historicalOrders": _for("historicalOrders", "alice", "carol"),
    "candleSnapshot": _candles,
    "fundingHistory": _of("fundingHistory", coin="BTC", startTime=0),
    "userFunding": _for("userFunding", "alice", startTime=0, endTime=None),
    "userNonFundingLedgerUpdates": _for(
        "userNonFundingLedgerUpdates", "alice", "carol", startTime=0, endTime=None
    ),
    "userFees": _for("userFees", "alice"),
    "userRateLimit": _for("userRateLimit", "alice"),
    "perpDexs": _of("perpDexs"),
    "predictedFundings": _of("predictedFundings"),
    "activeAssetData": _for("activeAssetData", "alice", "dave", coin="ETH"),
    "maxBuilderFee": lambda w, v: [
        ("", {"type": "maxBuilderFee", "user": w.alice.address, "builder": w.bob.address})
    ],
    "referral": _for("referral", "alice"),
    "userRole": _user_role,
    "extraAgents": _for("extraAgents", "alice"),
    "subAccounts": _for("subAccounts", "alice"),
    "portfolio": _for("portfolio", "alice"),
    "delegatorSummary": _for("delegatorSummary", "alice"),
    "delegations": _for("delegations", "alice"),
    "delegatorHistory": _for("delegatorHistory", "alice"),
    "delegatorRewards": _for("delegatorRewards", "alice"),
    "userVaultEquities": _for("userVaultEquities", "alice"),
    "vaultDetails": lambda w, v: [  # the liquidator, the one vault here
        ("", {"type": "vaultDetails", "vaultAddress": w.sandbox.venue.exchange.vault.address,
              "user": w.alice.address})
    ],
    "userTwapSliceFills": _for("userTwapSliceFills", "bob"),
    "perpsAtOpenInterestCap": _of("perpsAtOpenInterestCap"),
    "perpDeployAuctionStatus": _of("perpDeployAuctionStatus"),
    "spotDeployState": _for("spotDeployState", "alice"),
    "userDexAbstraction": _for("userDexAbstraction", "alice"),
    "userAbstraction": _for("userAbstraction", "alice"),
    "spotPairDeployAuctionStatus": _of("spotPairDeployAuctionStatus"),
    "tokenDetails": _of("tokenDetails", tokenId="0x6d1e7cde53ba9467b783cb7c530ce054"),
    "outcomeMeta": _of("outcomeMeta"),
    "perpDexLimits": _of("perpDexLimits", dex="xyz"),
    "perpDexStatus": _of("perpDexStatus", dex=""),
    "allPerpMetas": _of("allPerpMetas"),
    "perpAnnotation": _of("perpAnnotation", coin="BTC"),
    "perpCategories": _of("perpCategories"),
    "perpConciseAnnotations": _of("perpConciseAnnotations"),
    "borrowLendUserState": _for("borrowLendUserState", "alice"),
    "borrowLendReserveState": _of("borrowLendReserveState", token=0),
    "allBorrowLendReserveStates": _of("allBorrowLendReserveStates"),
    "approvedBuilders": _for("approvedBuilders", "alice"),
}


def check(world: World, name: str) -> Outcome:
    """Ask the sandbox every variant of info type `name` and judge the answers."""
    answers = Answers()
    for example in (e for e in EXAMPLES["info"][name] if e.has_example):
        if (name, example.variant) in UNASKED:
            answers.skip(example.variant, UNASKED[name, example.variant])
            continue
        for label, body in REQUESTS[name](world, example.variant):
            reply = world.info(body)
            if reply.status != 200:
                answers.refusal = f"HTTP {reply.status}: {str(reply.body)[:160]}"
                answers.refusal_is_clear = (reply.status == 422 and isinstance(reply.body, str)
                                            and reply.body.startswith(UNREADABLE))  # fmt: skip
                return judge("info", name, answers)
            answers.add(example.variant, reply.body, label)
    return judge("info", name, answers, placeholder=name in PLACEHOLDERS)


def test_every_info_item_with_an_example_has_a_request():
    assert set(items("info")) == set(REQUESTS)


@pytest.mark.parametrize("name", items("info"))
def test_info(world, name):
    outcome = check(world, name)
    passed = acceptable(outcome, refusable=name in NOT_MODELLED)
    assert passed, outcome.report()
