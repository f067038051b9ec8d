"""`POST /info`: every request type the venue serves that a bot commonly calls, answered
in the venue's shapes (hyperliquid-api.md §4).

A request the server cannot read (not JSON, unknown `type`, a missing or mistyped field)
raises `Unreadable`; the app answers it as the venue does, with HTTP 422 and a plain-text
body. Addresses are accepted in any case and answered lowercase.
"""

from __future__ import annotations

import logging
from typing import Any

from protocol import wire
from protocol.signing import keccak
from sandbox.core.ids import ZERO_HASH
from sandbox.core.units import fmt_rate, fmt_usdc
from sandbox.server.history import INTERVALS
from sandbox.server.registry import Denied, normalize
from sandbox.server.views import SPOT_META, book_precision_ok

log = logging.getLogger("sandbox.server")
UNREADABLE = "Failed to deserialize the JSON body into the target type"
# The venue's fee tiers (docs, fees): by 14-day volume, perps taker/maker and spot; maker
# rebates by share of the venue's maker volume. The sandbox charges the base tier.
FEE_TIERS = {
    "vip": [
        {"ntlCutoff": cutoff, "cross": cross, "add": add, "spotCross": s_cross, "spotAdd": s_add}
        for cutoff, cross, add, s_cross, s_add in (
            ("5000000.0", "0.0004", "0.00012", "0.0006", "0.0003"),
            ("25000000.0", "0.00035", "0.00008", "0.0005", "0.0002"),
            ("100000000.0", "0.0003", "0.00004", "0.0004", "0.0001"),
            ("500000000.0", "0.00028", "0.0", "0.00035", "0.0"),
            ("2000000000.0", "0.00026", "0.0", "0.0003", "0.0"),
            ("7000000000.0", "0.00024", "0.0", "0.00025", "0.0"),
        )
    ],
    "mm": [
        {"makerFractionCutoff": "0.005", "add": "-0.00001"},
        {"makerFractionCutoff": "0.015", "add": "-0.00002"},
        {"makerFractionCutoff": "0.03", "add": "-0.00003"},
    ],
}
PAGE = 500  # time-range queries
FILLS_PAGE = 2_000


class Unreadable(Exception):
    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.text = UNREADABLE + (f": {detail}" if detail else "")


# -- field readers ---------------------------------------------------------------------------


def _user(req: dict, field: str = "user") -> str:
    try:
        return normalize(req.get(field))
    except Denied:
        raise Unreadable(f"{field}: expected an address") from None


def _int(req: dict, field: str, default: Any = ...) -> Any:
    value = req.get(field, default)
    if value is ... or (
        value is not None and (isinstance(value, bool) or not isinstance(value, int))
    ):
        raise Unreadable(f"{field}: expected an integer")
    return value


def _coin(venue, req: dict) -> int | None:
    coin = req.get("coin")
    if not isinstance(coin, str):
        raise Unreadable("coin: expected a string")
    inst = venue.exchange.by_name.get(coin)
    return inst.asset if inst is not None else None


# -- shapes shared with the websocket feeds ---------------------------------------------------


def clearinghouse(venue, user: str) -> wire.ClearinghouseState:
    return venue.views.clearinghouse(venue.exchange.accounts.get(user))


def frontend_open_orders(venue, user: str) -> list[wire.FrontendOrder]:
    acct = venue.exchange.accounts.get(user)
    if acct is None:
        return []
    views = venue.views
    orders = sorted(acct.orders.values(), key=lambda o: -o.oid)
    return [views.frontend_order(views.live_view(o)) for o in orders if o.parent is None]


def open_orders(venue, user: str) -> list[wire.OpenOrder]:
    acct = venue.exchange.accounts.get(user)
    if acct is None:
        return []
    return [venue.views.open_order(o) for o in sorted(acct.orders.values(), key=lambda o: -o.oid)]


def spot_state(venue, user: str) -> dict:
    acct = venue.exchange.accounts.get(user)
    total = fmt_usdc(acct.spot if acct is not None else 0)
    return {
        "balances": [{"coin": "USDC", "token": 0, "hold": "0.0", "total": total, "entryNtl": "0.0"}],
        "tokenToAvailableAfterMaintenance": [[0, total]],
    }


def asset_ctxs(venue) -> list[wire.PerpAssetCtx]:
    views, history = venue.views, venue.history
    return [views.asset_ctx(a, history) for a in range(len(views.coins))]


def _cum_ledger(venue, user: str) -> str:
    history = venue.history.users.get(user)
    return fmt_usdc(history.cum_ledger if history is not None else 0)


def perps_at_cap(venue) -> list[str]:
    ex = venue.exchange
    return [inst.name for inst in ex.instruments if ex.at_open_interest_cap(inst.asset)]


def web_data3(venue, user: str) -> dict:
    """The venue's `webData3`: the user's agent and ledger, and per perp dex its vault
    equity and the coins at their open-interest cap (the positions, orders and contexts
    now have feeds of their own)."""
    unnamed = venue.registry.agents_of.get(user, {}).get("")
    return {
        "userState": {
            "agentAddress": unnamed.address if unnamed else None,
            "agentValidUntil": unnamed.valid_until if unnamed else None,
            "cumLedger": _cum_ledger(venue, user),
            "serverTime": venue.exchange.ts,
            "isVault": user == venue.exchange.vault.address,
            "user": user,
        },
        "perpDexStates": [{
            "totalVaultEquity": "0.0", "perpsAtOpenInterestCap": perps_at_cap(venue),
            "leadingVaults": [],
        }],
    }  # fmt: skip


def web_data2(venue, user: str) -> dict:
    agents = venue.registry.agents_of.get(user, {})
    unnamed = agents.get("")
    return {
        "clearinghouseState": clearinghouse(venue, user),
        "leadingVaults": [],
        "totalVaultEquity": "0.0",
        "openOrders": frontend_open_orders(venue, user),
        "agentAddress": unnamed.address if unnamed else None,
        "agentValidUntil": unnamed.valid_until if unnamed else None,
        "cumLedger": _cum_ledger(venue, user),
        "meta": venue.views.meta(),
        "assetCtxs": asset_ctxs(venue),
        "serverTime": venue.exchange.ts,
        "isVault": False,
        "user": user,
        "twapStates": venue.views.twap_states(user),
        "spotState": spot_state(venue, user),
        "spotAssetCtxs": [],
    }


def aggregate_by_time(fills: list[wire.WsFill]) -> list[wire.WsFill]:
    """Merge the partial fills of one order at one time into one (the venue's
    aggregateByTime): sizes, fees and PnL add up, the price is the size-weighted average."""
    out: list[wire.WsFill] = []
    from decimal import Decimal

    for fill in fills:
        if (
            out
            and out[-1].oid == fill.oid
            and out[-1].time == fill.time
            and out[-1].coin == fill.coin
        ):
            prev = out[-1]
            sz = Decimal(prev.sz) + Decimal(fill.sz)
            px = (Decimal(prev.px) * Decimal(prev.sz) + Decimal(fill.px) * Decimal(fill.sz)) / sz
            out[-1] = wire.WsFill(
                prev.coin, _dec(px.quantize(Decimal("0.00000001"))), _dec(sz), prev.side, prev.time,
                prev.startPosition, prev.dir, _dec(Decimal(prev.closedPnl) + Decimal(fill.closedPnl)),
                prev.hash, prev.oid, prev.crossed, _dec(Decimal(prev.fee) + Decimal(fill.fee)),
                prev.tid, prev.feeToken, None, prev.cloid, prev.liquidation, prev.builderFee,
            )  # fmt: skip
        else:
            out.append(fill)
    return out


def _dec(value) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


# -- the handlers ----------------------------------------------------------------------------


def _meta(venue, req):
    return venue.views.meta()


def _spot_meta(venue, req):
    return SPOT_META


def _meta_and_ctxs(venue, req):
    return [venue.views.meta(), asset_ctxs(venue)]


def _spot_meta_and_ctxs(venue, req):
    return [SPOT_META, []]


def _all_mids(venue, req):
    return venue.views.mids()


def _l2_book(venue, req):
    asset = _coin(venue, req)
    if asset is None:
        return None
    figs = req.get("nSigFigs")
    mantissa = req.get("mantissa")
    if not book_precision_ok(figs, mantissa):
        raise Unreadable("nSigFigs/mantissa")
    return venue.views.l2_book(asset, figs, mantissa)


def _clearinghouse(venue, req):
    return clearinghouse(venue, _user(req))


def _spot_clearinghouse(venue, req):
    return spot_state(venue, _user(req))


def _open_orders(venue, req):
    return open_orders(venue, _user(req))


def _frontend_open_orders(venue, req):
    return frontend_open_orders(venue, _user(req))


def _order_status(venue, req):
    user = _user(req)
    oid = req.get("oid")
    history = venue.history.users.get(user)
    acct = venue.exchange.accounts.get(user)
    if isinstance(oid, str):
        cloid = oid.lower()
        oid = history.cloids.get(cloid) if history is not None else None
        if oid is None and acct is not None:  # an open order older than the statuses kept
            oid = acct.cloids.get(cloid)
    elif isinstance(oid, bool) or not isinstance(oid, int):
        raise Unreadable("oid: expected an integer or a cloid")
    record = venue.history.status(user, oid)
    live = acct.orders.get(oid) if acct is not None and oid is not None else None
    if live is not None:  # still open: as it stands now (partly filled, triggered...)
        status, ts = (record[1], record[2]) if record is not None else ("open", live.ts)
        record = (venue.views.live_view(live), status, ts)
    if record is None:
        return {"status": "unknownOid"}
    return {"status": "order", "order": venue.history.order(record)}


def _user_fills(venue, req):
    fills = venue.history.fills(_user(req))
    if req.get("aggregateByTime"):
        fills = aggregate_by_time(fills)
    return list(reversed(fills))[:FILLS_PAGE]


def _user_fills_by_time(venue, req):
    start = _int(req, "startTime")
    end = _int(req, "endTime", None)
    fills = venue.history.fills(_user(req), start, end)
    if req.get("aggregateByTime"):
        fills = aggregate_by_time(fills)
    return fills[:FILLS_PAGE] if not req.get("reversed") else list(reversed(fills))[:FILLS_PAGE]


def _historical_orders(venue, req):
    return venue.history.orders(_user(req))[:2_000]


def _candle_snapshot(venue, req):
    inner = req.get("req")
    if not isinstance(inner, dict):
        raise Unreadable("req: expected an object")
    asset = _coin(venue, inner)
    interval = inner.get("interval")
    if not isinstance(interval, str) or interval not in INTERVALS:
        raise Unreadable("interval")
    start = _int(inner, "startTime")
    end = _int(inner, "endTime", None) or venue.exchange.ts
    if asset is None:
        return []
    return venue.history.candles(asset, interval, start, end)[-5_000:]


def _funding_history(venue, req):
    asset = _coin(venue, req)
    start = _int(req, "startTime")
    end = _int(req, "endTime", None)
    if asset is None:
        return []
    rows = venue.history.coins[asset].funding
    return [r for r in rows if r["time"] >= start and (end is None or r["time"] <= end)][:PAGE]


def _page(entries, req) -> list:
    """A time-range page of `entries` (oldest first): from `startTime` on, the first 500;
    without `startTime` (clients send none to mean "lately"), the most recent 500."""
    start = _int(req, "startTime", None)
    end = _int(req, "endTime", None)
    rows = [e for e in entries if (start is None or e["time"] >= start)
            and (end is None or e["time"] <= end)]  # fmt: skip
    return rows[:PAGE] if start is not None else rows[-PAGE:]


def _user_funding(venue, req):
    history = venue.history.users.get(_user(req))
    if history is None:
        _page((), req)  # the fields are still checked
        return []
    return [
        {"delta": {"type": "funding", "coin": f["coin"], "usdc": f["usdc"], "szi": f["szi"],
                   "fundingRate": f["fundingRate"], "nSamples": None},
         "hash": ZERO_HASH, "time": f["time"]}
        for f in _page(history.funding, req)
    ]  # fmt: skip


def _ledger_updates(venue, req):
    history = venue.history.users.get(_user(req))
    return _page(history.ledger if history is not None else (), req)


def _user_fees(venue, req):
    user = _user(req)
    config = venue.exchange.config
    cross, add = fmt_rate(config.taker_fee), fmt_rate(config.maker_fee)
    return {
        "dailyUserVlm": venue.history.daily_volume(user, venue.exchange.ts),
        "feeSchedule": {
            "cross": cross, "add": add, "spotCross": "0.0007", "spotAdd": "0.0004",
            "tiers": FEE_TIERS, "referralDiscount": "0.04",
            "stakingDiscountTiers": [{"bpsOfMaxSupply": "0.0", "discount": "0.0"}],
        },
        "userCrossRate": cross, "userAddRate": add, "userSpotCrossRate": "0.0007",
        "userSpotAddRate": "0.0004", "activeReferralDiscount": "0.0", "trial": None,
        "feeTrialEscrow": "0.0", "nextTrialAvailableTimestamp": None, "stakingLink": None,
        "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"},
    }  # fmt: skip


def _user_rate_limit(venue, req):
    user = _user(req)
    acct = venue.exchange.accounts.get(user)
    return venue.limits.address_usage(user, acct.volume if acct is not None else 0)


def _perp_dexs(venue, req):
    return [None]


def _exchange_status(venue, req):
    return {"time": venue.exchange.ts, "specialStatuses": None}


def _recent_trades(venue, req):
    asset = _coin(venue, req)
    return venue.history.trades(asset)[-500:] if asset is not None else []


def _predicted_fundings(venue, req):
    ex = venue.exchange
    next_time = ex._next_funding
    return [
        [coin, [["HlPerp", {"fundingRate": fmt_rate(ex.predicted_funding_rate(a)),
                            "nextFundingTime": next_time, "fundingIntervalHours": 1}]]]
        for a, coin in enumerate(venue.views.coins)
    ]  # fmt: skip


def _active_asset_data(venue, req):
    user = _user(req)
    asset = _coin(venue, req)
    if asset is None:
        raise Unreadable("coin: unknown")
    return venue.views.active_asset_data(venue.exchange.accounts.get(user), user, asset)


def _max_builder_fee(venue, req):
    return venue.registry.builder_allowance(_user(req), _user(req, "builder"))


def _referral(venue, req):
    user = _user(req)
    acct = venue.exchange.accounts.get(user)
    code = venue.registry.referrers.get(user)
    # Codes are not registered here, so a code's owner is a stand-in address derived from it.
    referrer = "0x" + keccak(code.encode())[12:].hex() if code else None
    return {
        "referredBy": {"referrer": referrer, "code": code} if code else None,
        "cumVlm": fmt_usdc(acct.volume if acct is not None else 0),
        "unclaimedRewards": "0.0", "claimedRewards": "0.0", "builderRewards": "0.0",
        "tokenToState": [], "referrerState": {"stage": "needToTrade", "data": {"required": "10000.0"}},
        "rewardHistory": [],
    }  # fmt: skip


def _user_role(venue, req):
    user = _user(req)
    registry = venue.registry
    agent = registry.agents.get(user)
    if agent is not None:
        return {"role": "agent", "data": {"user": agent.owner}}
    if user in registry.sub_accounts:
        return {"role": "subAccount", "data": {"master": registry.sub_accounts[user][0]}}
    if user == venue.exchange.vault.address:
        return {"role": "vault"}
    if user in venue.exchange.accounts and user not in venue.exchange.system_accounts:
        return {"role": "user"}
    return {"role": "missing"}


def _extra_agents(venue, req):
    return venue.registry.extra_agents(_user(req))


def _sub_accounts(venue, req):
    user = _user(req)
    subs = venue.registry.subs_of(user)
    return [
        {"name": name, "subAccountUser": sub, "master": user,
         "clearinghouseState": clearinghouse(venue, sub), "spotState": spot_state(venue, sub)}
        for sub, name in subs
    ]  # fmt: skip


def _web_data2(venue, req):
    return web_data2(venue, _user(req))


def _web_data3(venue, req):
    return web_data3(venue, _user(req))


def _margin_table(venue, req):
    table_id = _int(req, "id")
    for inst in venue.exchange.instruments:
        table = inst.margin_table
        if table.id == table_id:
            return {"description": table.description, "marginTiers": [
                {"lowerBound": fmt_usdc(t.lower_bound), "maxLeverage": t.max_leverage} for t in table.tiers
            ]}  # fmt: skip
    return None


def _portfolio(venue, req):
    return portfolio(venue, _user(req))


def portfolio(venue, user: str) -> list:
    acct = venue.exchange.accounts.get(user)
    value = venue.views.clearinghouse(acct).marginSummary.accountValue if acct else "0.0"
    point = {"accountValueHistory": [[venue.exchange.ts, value]], "pnlHistory": [[venue.exchange.ts, "0.0"]],
             "vlm": fmt_usdc(acct.volume if acct else 0)}  # fmt: skip
    return [[period, point] for period in ("day", "week", "month", "allTime", "perpDay", "perpWeek",
                                          "perpMonth", "perpAllTime")]  # fmt: skip


def _empty_list(venue, req):
    return []


def _perps_at_cap(venue, req):
    return perps_at_cap(venue)


def _twap_history(venue, req):
    return venue.history.twap_history(_user(req))


def _twap_slice_fills(venue, req):
    return venue.history.twap_slice_fills(_user(req))[:FILLS_PAGE]


def _twap_slice_fills_by_time(venue, req):
    start = _int(req, "startTime")
    end = _int(req, "endTime", None)
    fills = venue.history.twap_slice_fills(_user(req), start, end)
    return list(reversed(fills))[:FILLS_PAGE]


def _delegator_summary(venue, req):
    return {
        "delegated": "0.0",
        "undelegated": "0.0",
        "totalPendingWithdrawal": "0.0",
        "nPendingWithdrawals": 0,
    }


def _nothing(venue, req):
    return None


HANDLERS = {
    "meta": _meta,
    "spotMeta": _spot_meta,
    "metaAndAssetCtxs": _meta_and_ctxs,
    "spotMetaAndAssetCtxs": _spot_meta_and_ctxs,
    "allMids": _all_mids,
    "l2Book": _l2_book,
    "clearinghouseState": _clearinghouse,
    "spotClearinghouseState": _spot_clearinghouse,
    "openOrders": _open_orders,
    "frontendOpenOrders": _frontend_open_orders,
    "orderStatus": _order_status,
    "userFills": _user_fills,
    "userFillsByTime": _user_fills_by_time,
    "historicalOrders": _historical_orders,
    "candleSnapshot": _candle_snapshot,
    "fundingHistory": _funding_history,
    "userFunding": _user_funding,
    "userNonFundingLedgerUpdates": _ledger_updates,
    "userFees": _user_fees,
    "userRateLimit": _user_rate_limit,
    "perpDexs": _perp_dexs,
    "exchangeStatus": _exchange_status,
    "recentTrades": _recent_trades,
    "predictedFundings": _predicted_fundings,
    "activeAssetData": _active_asset_data,
    "maxBuilderFee": _max_builder_fee,
    "referral": _referral,
    "userRole": _user_role,
    "extraAgents": _extra_agents,
    "subAccounts": _sub_accounts,
    "webData2": _web_data2,
    "webData3": _web_data3,
    "marginTable": _margin_table,
    "portfolio": _portfolio,
    "perpsAtOpenInterestCap": _perps_at_cap,
    "userTwapSliceFills": _twap_slice_fills,
    "userTwapSliceFillsByTime": _twap_slice_fills_by_time,
    "twapHistory": _twap_history,
    "userVaultEquities": _empty_list,
    "delegations": _empty_list,
    "delegatorRewards": _empty_list,
    "delegatorHistory": _empty_list,
    "delegatorSummary": _delegator_summary,
    "userToMultiSigSigners": _nothing,
}


def answer(venue, req: Any) -> Any:
    """The response to an /info request already decoded from JSON."""
    if not isinstance(req, dict):
        raise Unreadable("expected an object")
    kind = req.get("type")
    if not isinstance(kind, str):
        raise Unreadable("type: expected a string")
    handler = HANDLERS.get(kind)
    if handler is None:
        raise Unreadable(f"unknown variant {kind!r}")
    try:
        return handler(venue, req)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # a field of a type or size the handler did not expect: the venue could not have
        # deserialized the request either (a handler's own fault shows in the log)
        log.warning("/info %s: a request it could not read (%s: %s)", kind,
                    type(exc).__name__, str(exc)[:200])  # fmt: skip
        raise Unreadable(kind) from None


from sandbox.server import info_platform  # noqa: E402  (it reads the helpers above)

HANDLERS.update(info_platform.HANDLERS)
