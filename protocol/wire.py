"""Hyperliquid's wire messages as msgspec Structs: field names as on the wire, in the
venue's order; numbers the venue sends as strings are strings here.

Outgoing messages omit optional fields that are absent (`cloid`, `liquidation`,
`builderFee`), as the venue does; fields the venue always sends, even as null, have no
default. Incoming requests are decoded into tagged unions (`InfoRequest`, `Action`,
`WsRequest`) by decoders built once; an unknown `type` or a wrong field type is a decode
error that names the field.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import Struct

# ------------------------------------------------------------------------------------------
# Outgoing: market data
# ------------------------------------------------------------------------------------------


class Level(Struct, array_like=False, gc=False):
    px: str
    sz: str
    n: int


class L2Book(Struct, gc=False):
    coin: str
    time: int
    levels: tuple[list[Level], list[Level]]


class WsTrade(Struct, gc=False):
    coin: str
    side: str
    px: str
    sz: str
    time: int
    hash: str
    tid: int
    users: tuple[str, str]


class Bbo(Struct, gc=False):
    coin: str
    time: int
    bbo: tuple[Level | None, Level | None]


class Candle(Struct, gc=False, rename={"close_time": "T"}):
    t: int
    close_time: int
    s: str
    i: str
    o: str
    c: str
    h: str
    l: str  # noqa: E741 - the venue's name
    v: str
    n: int


class PerpAssetCtx(Struct, gc=False):
    funding: str
    openInterest: str
    prevDayPx: str
    dayNtlVlm: str
    premium: str | None
    oraclePx: str
    markPx: str
    midPx: str | None
    impactPxs: list[str] | None
    dayBaseVlm: str


# ------------------------------------------------------------------------------------------
# Outgoing: fills and orders
# ------------------------------------------------------------------------------------------


class WsLiquidation(Struct, gc=False):
    liquidatedUser: str
    markPx: str
    method: str


class WsFill(Struct, omit_defaults=True, gc=False):
    # twapId is always sent: null unless the fill is a TWAP suborder's
    coin: str
    px: str
    sz: str
    side: str
    time: int
    startPosition: str
    dir: str
    closedPnl: str
    hash: str
    oid: int
    crossed: bool
    fee: str
    tid: int
    feeToken: str
    twapId: int | None
    cloid: str | None = None
    liquidation: WsLiquidation | None = None
    builderFee: str | None = None


class WsBasicOrder(Struct, omit_defaults=True, gc=False):
    """An order as orderUpdates and openOrders show it."""

    coin: str
    side: str
    limitPx: str
    sz: str
    oid: int
    timestamp: int
    origSz: str
    cloid: str | None = None
    reduceOnly: bool = False


class WsOrder(Struct, gc=False):
    order: WsBasicOrder
    status: str
    statusTimestamp: int


OpenOrder = WsBasicOrder  # an openOrders entry has the same shape


class FrontendOrder(Struct, gc=False):
    coin: str
    side: str
    limitPx: str
    sz: str
    oid: int
    timestamp: int
    triggerCondition: str
    isTrigger: bool
    triggerPx: str
    children: list[FrontendOrder]
    isPositionTpsl: bool
    reduceOnly: bool
    orderType: str
    origSz: str
    tif: str | None
    cloid: str | None


class OrderWithStatus(Struct, gc=False):
    order: FrontendOrder
    status: str
    statusTimestamp: int


# ------------------------------------------------------------------------------------------
# Outgoing: account state
# ------------------------------------------------------------------------------------------


class Leverage(Struct, omit_defaults=True, gc=False):
    type: str
    value: int
    rawUsd: str | None = None


class CumFunding(Struct, gc=False):
    allTime: str
    sinceOpen: str
    sinceChange: str


class Position(Struct, gc=False):
    coin: str
    szi: str
    leverage: Leverage
    entryPx: str
    positionValue: str
    unrealizedPnl: str
    returnOnEquity: str
    liquidationPx: str | None
    marginUsed: str
    maxLeverage: int
    cumFunding: CumFunding


class AssetPosition(Struct, gc=False):
    type: str
    position: Position


class MarginSummary(Struct, gc=False):
    accountValue: str
    totalNtlPos: str
    totalRawUsd: str
    totalMarginUsed: str


class ClearinghouseState(Struct, gc=False):
    marginSummary: MarginSummary
    crossMarginSummary: MarginSummary
    crossMaintenanceMarginUsed: str
    withdrawable: str
    assetPositions: list[AssetPosition]
    time: int


# ------------------------------------------------------------------------------------------
# Incoming: /exchange
# ------------------------------------------------------------------------------------------


class Signature(Struct):
    r: str
    s: str
    v: int


class ExchangeRequest(Struct):
    """The /exchange envelope. `action` stays raw JSON: its signature is over exactly what
    was received (decoded to a dict in the key order received), and it is decoded a second
    time into a typed `Action`."""

    action: msgspec.Raw
    nonce: int
    signature: dict[str, Any]
    vaultAddress: str | None = None
    expiresAfter: int | None = None


class LimitWire(Struct):
    tif: str


class TriggerWire(Struct):
    isMarket: bool
    triggerPx: str
    tpsl: str


class OrderTypeWire(Struct):
    limit: LimitWire | None = None
    trigger: TriggerWire | None = None


class OrderWire(Struct):
    a: int
    b: bool
    p: str
    s: str
    r: bool
    t: OrderTypeWire
    c: str | None = None


class BuilderWire(Struct):
    b: str
    f: int


class OrderAction(Struct, tag="order", tag_field="type"):
    orders: list[OrderWire]
    grouping: str | dict[str, Any] = "na"  # {"p": n} is refused as an invalid grouping
    builder: BuilderWire | None = None


class CancelWire(Struct):
    a: int
    o: int


class CancelAction(Struct, tag="cancel", tag_field="type"):
    cancels: list[CancelWire]


class CancelByCloidWire(Struct):
    asset: int
    cloid: str


class CancelByCloidAction(Struct, tag="cancelByCloid", tag_field="type"):
    cancels: list[CancelByCloidWire]


class ModifyWire(Struct):
    oid: int | str
    order: OrderWire


class ModifyAction(Struct, tag="modify", tag_field="type"):
    oid: int | str
    order: OrderWire


class BatchModifyAction(Struct, tag="batchModify", tag_field="type"):
    modifies: list[ModifyWire]


class TwapWire(Struct):
    a: int
    b: bool
    s: str
    r: bool
    m: int
    t: bool


class TwapOrderAction(Struct, tag="twapOrder", tag_field="type"):
    twap: TwapWire


class TwapCancelAction(Struct, tag="twapCancel", tag_field="type"):
    a: int
    t: int


class ScheduleCancelAction(Struct, tag="scheduleCancel", tag_field="type"):
    time: int | None = None


class UpdateLeverageAction(Struct, tag="updateLeverage", tag_field="type"):
    asset: int
    isCross: bool
    leverage: int


class UpdateIsolatedMarginAction(Struct, tag="updateIsolatedMargin", tag_field="type"):
    asset: int
    isBuy: bool
    ntli: int


class SetReferrerAction(Struct, tag="setReferrer", tag_field="type"):
    code: str


class CreateSubAccountAction(Struct, tag="createSubAccount", tag_field="type"):
    name: str


class SubAccountTransferAction(Struct, tag="subAccountTransfer", tag_field="type"):
    subAccountUser: str
    isDeposit: bool
    usd: int


class NoopAction(Struct, tag="noop", tag_field="type"):
    pass


class UsdSendAction(Struct, tag="usdSend", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    destination: str
    amount: str
    time: int


class SpotSendAction(Struct, tag="spotSend", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    destination: str
    token: str
    amount: str
    time: int


class WithdrawAction(Struct, tag="withdraw3", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    destination: str
    amount: str
    time: int


class UsdClassTransferAction(Struct, tag="usdClassTransfer", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    amount: str
    toPerp: bool
    nonce: int


class ApproveAgentAction(Struct, tag="approveAgent", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    agentAddress: str
    nonce: int
    agentName: str | None = None


class ApproveBuilderFeeAction(Struct, tag="approveBuilderFee", tag_field="type"):
    hyperliquidChain: str
    signatureChainId: str
    maxFeeRate: str
    builder: str
    nonce: int


Action = (
    OrderAction
    | CancelAction
    | CancelByCloidAction
    | ModifyAction
    | BatchModifyAction
    | TwapOrderAction
    | TwapCancelAction
    | ScheduleCancelAction
    | UpdateLeverageAction
    | UpdateIsolatedMarginAction
    | SetReferrerAction
    | CreateSubAccountAction
    | SubAccountTransferAction
    | NoopAction
    | UsdSendAction
    | SpotSendAction
    | WithdrawAction
    | UsdClassTransferAction
    | ApproveAgentAction
    | ApproveBuilderFeeAction
)
# Actions the venue has that this sandbox does not: answered with an error, not a 422.
VENUE_ONLY = frozenset((
    "vaultTransfer", "sendAsset", "subAccountSpotTransfer",
    "tokenDelegate", "cDeposit", "cWithdraw", "spotUser", "spotDeploy", "perpDeploy",
    "createVault", "vaultModify", "vaultDistribute", "convertToMultiSigUser", "multiSig",
    "evmUserModify", "setDisplayName", "CValidatorAction", "CSignerAction",
    "agentEnableDexAbstraction", "userDexAbstraction", "userPortfolioMargin",
    "reserveRequestWeight", "linkStakingUser", "perpDexClassTransfer", "claimRewards",
    "topUpIsolatedOnlyMargin", "agentSetAbstraction", "userSetAbstraction",
    "gossipPriorityBid", "registerReferrer", "subAccountModify", "sendToEvmWithData",
    "validatorL1Stream", "borrowLend", "agentSendAsset", "userOutcome", "hip3LiquidatorTransfer",
))  # fmt: skip
USER_SIGNED = frozenset(
    ("usdSend", "spotSend", "withdraw3", "usdClassTransfer", "approveAgent", "approveBuilderFee")
)


action_decoder = msgspec.json.Decoder(Action)


def to_action(action: dict[str, Any]) -> Action:
    """The typed action of a decoded dict; raises msgspec.ValidationError naming the
    offending field."""
    return msgspec.convert(action, Action)


# ------------------------------------------------------------------------------------------
# Incoming: websocket
# ------------------------------------------------------------------------------------------


class WsSubscribe(Struct, tag="subscribe", tag_field="method"):
    subscription: dict[str, Any]


class WsUnsubscribe(Struct, tag="unsubscribe", tag_field="method"):
    subscription: dict[str, Any]


class WsPing(Struct, tag="ping", tag_field="method"):
    pass


class WsPostRequest(Struct):
    type: Literal["info", "action"]
    payload: msgspec.Raw


class WsPost(Struct, tag="post", tag_field="method"):
    id: int
    request: WsPostRequest


WsRequest = WsSubscribe | WsUnsubscribe | WsPing | WsPost
ws_request_decoder = msgspec.json.Decoder(WsRequest)
exchange_request_decoder = msgspec.json.Decoder(ExchangeRequest)
any_decoder = msgspec.json.Decoder()
encoder = msgspec.json.Encoder()
