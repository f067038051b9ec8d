"""The corpus of the venue's examples (venue_examples.py) is usable as a reference: every
example names its source (a docs URL or a repository and path), every item without one says
why, the examples are plain JSON, their marks point at paths the examples have, and the
items the official SDK and ccxt use are all there."""

from __future__ import annotations

import json
import re

import pytest

from tests.conformance.venue_examples import EXAMPLES, Example

ALL = [e for variants in (v for kind in EXAMPLES.values() for v in kind.values()) for e in variants]
WITH_EXAMPLE = [e for e in ALL if e.has_example]
SOURCE = re.compile(r"https://\S+|[\w.-]+/[\w.-]+ \S+")  # a URL, or "owner/repo path"
# what the official Python SDK 0.24.0 and ccxt send (hyperliquid-api.md §4.13, §9; venue-audit)
SDK_AND_CCXT = {
    "info": {"meta", "spotMeta", "metaAndAssetCtxs", "spotMetaAndAssetCtxs", "allMids", "l2Book",
             "clearinghouseState", "spotClearinghouseState", "openOrders", "frontendOpenOrders",
             "userFills", "userFillsByTime", "orderStatus", "historicalOrders", "candleSnapshot",
             "fundingHistory", "userFunding", "userNonFundingLedgerUpdates", "userFees",
             "userRateLimit", "perpDexs", "referral", "userRole", "extraAgents", "subAccounts",
             "portfolio", "delegatorSummary", "delegations", "delegatorHistory",
             "delegatorRewards", "userVaultEquities", "userTwapSliceFills",
             "userToMultiSigSigners", "perpDeployAuctionStatus", "spotDeployState",
             "userDexAbstraction", "userAbstraction", "exchangeStatus", "activeAssetData"},
    "exchange": {"order", "cancel", "cancelByCloid", "batchModify", "scheduleCancel",
                 "updateLeverage", "updateIsolatedMargin", "usdSend", "spotSend", "withdraw3",
                 "usdClassTransfer", "sendAsset", "subAccountTransfer", "subAccountSpotTransfer",
                 "vaultTransfer", "createSubAccount", "setReferrer", "approveAgent",
                 "approveBuilderFee", "tokenDelegate", "noop", "twapOrder", "twapCancel",
                 "createVault", "reserveRequestWeight", "userSetAbstraction",
                 "agentSetAbstraction", "userDexAbstraction", "agentEnableDexAbstraction"},
    "ws": {"allMids", "l2Book", "trades", "bbo", "candle", "userEvents", "userFills",
           "orderUpdates", "userFundings", "userNonFundingLedgerUpdates", "webData2",
           "activeAssetCtx", "activeAssetData"},
}  # fmt: skip


def _id(example: Example) -> str:
    return f"{example.kind}:{example.name}" + (f":{example.variant}" if example.variant else "")


@pytest.mark.parametrize("kind", sorted(SDK_AND_CCXT))
def test_every_item_the_sdk_and_ccxt_use_is_in_the_corpus(kind):
    assert SDK_AND_CCXT[kind] <= set(EXAMPLES[kind])


@pytest.mark.parametrize("example", WITH_EXAMPLE, ids=_id)
def test_an_example_names_its_source_and_is_json(example):
    assert SOURCE.search(example.source), example.source
    assert json.loads(json.dumps(example.response)) == example.response


@pytest.mark.parametrize("example", [e for e in ALL if not e.has_example], ids=_id)
def test_an_item_without_example_says_why(example):
    assert example.response is None and example.missing


def _patterns(value, path="$"):
    """Every path of `value`, with [*] for list elements and [i] for positions."""
    yield path
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _patterns(sub, f"{path}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _patterns(sub, f"{path}[*]")
            yield from _patterns(sub, f"{path}[{i}]")


@pytest.mark.parametrize("example", WITH_EXAMPLE, ids=_id)
def test_marks_point_at_the_example_or_at_optional_keys(example):
    known = set(_patterns(example.response))
    marks = example.marks
    strict = marks.nullable | marks.maps | marks.tuples | marks.literals | set(marks.formats)
    unknown = strict - known - marks.optional  # a mark may also name an optional key
    assert not unknown, sorted(unknown)
    parents = {p.rsplit(".", 1)[0] for p in marks.optional}
    assert parents <= known | marks.optional, sorted(parents - known - marks.optional)
