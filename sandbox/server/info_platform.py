"""`/info` types about the platform around the trading: account abstraction and legal
checks, deploy auctions, perp dexes and their limits, vaults, builders, transfers. The
sandbox has one perp dex (the first, `""`), no spot tokens but USDC, no HIP-3 deployments
and one vault, the liquidator; every type answers in the venue's shape for that world.

Sources for the shapes: nktkas/hyperliquid `src/api/info/_methods/<type>.ts` (schemas
checked against the live API by its tests) and the venue's docs (info endpoint, perpetuals
page); the conformance suite compares each with the venue's example. `info` serves them
(it imports this module last, after the helpers this one reads).
"""

from __future__ import annotations

from typing import Any

from sandbox.core.units import fmt_usdc
from sandbox.server.info import Unreadable, _user, clearinghouse, portfolio, spot_state

# The venue's limits on market orders by max leverage (docs, contract specifications, the
# current version; an older one said $4M / $1M / $500k / $250k): $30M from 25x, $5M from
# 20x, $2M from 10x, $500k below.
MARKET_ORDER_NTL = ((25, 30_000_000), (20, 5_000_000), (10, 2_000_000), (0, 500_000))
# What a new account costs the first sender (docs, activation gas fee): 1 USDC.
ACTIVATION_FEE = "1.0"
VAULT_NAME = "Liquidator"
DAY_S = 86_400


def _dex(req: dict) -> str:
    dex = req.get("dex", "")
    if not isinstance(dex, str):
        raise Unreadable("dex: expected a string")
    return dex


# -- accounts ---------------------------------------------------------------------------------


def user_abstraction(venue, req) -> str:
    """The account's abstraction mode: "default" for every account here (no unified or
    portfolio margin); the venue answers the same for an account that never set one."""
    _user(req)
    return "default"


def user_dex_abstraction(venue, req) -> bool | None:
    """Whether dex abstraction is on: off for every account here (false), null for an
    address with no account, as the venue answers (nktkas/hyperliquid's test of it)."""
    return False if _user(req) in venue.exchange.accounts else None


def legal_check(venue, req) -> dict:
    _user(req)
    return {"ipAllowed": True, "acceptedTerms": True, "userAllowed": True}


def is_vip(venue, req) -> bool | None:
    user = _user(req)
    return False if user in venue.exchange.accounts else None


def pre_transfer_check(venue, req) -> dict:
    """What a transfer from `source` to `user` would meet: the activation fee when the
    destination does not exist yet."""
    destination, source = _user(req), _user(req, "source")
    exists = destination in venue.exchange.accounts
    sent = venue.registry.nonces.get(source) is not None
    return {"fee": "0.0" if exists else ACTIVATION_FEE, "isSanctioned": False,
            "userExists": exists, "userHasSentTx": sent}  # fmt: skip


def approved_builders(venue, req) -> list[str]:
    return sorted(venue.registry.builder_approvals.get(_user(req), {}))


def sub_accounts2(venue, req) -> list[dict] | None:
    """`subAccounts` with each sub-account's state per perp dex; null without any."""
    user = _user(req)
    subs = venue.registry.subs_of(user)
    if not subs:
        return None
    return [
        {"name": name, "subAccountUser": sub, "master": user,
         "dexToClearinghouseState": [["", clearinghouse(venue, sub)]],
         "spotState": spot_state(venue, sub)}
        for sub, name in subs
    ]  # fmt: skip


def liquidatable(venue, req) -> list[dict]:
    """Positions waiting for their market liquidation (the book could not take them yet):
    the waterfall handles everyone else within the command that made them liquidatable."""
    ex = venue.exchange
    out = []
    for address, asset in sorted(ex._pending):
        health = ex.health((address, asset))
        if health is None:
            continue
        value, maintenance = health
        index = {"cross": {}} if asset < 0 else {"isolated": {"asset": asset}}
        available = (value - maintenance) / 1_000_000
        out.append({"user": address, "positionIndex": index,
                    "marginAvailable": [available, available]})  # fmt: skip
    return out


# -- perp dexes and deployment -----------------------------------------------------------------


def all_perp_metas(venue, req) -> list[dict]:
    """One `meta` per perp dex, in `perpDexs` order: the first dex only, here."""
    return [venue.views.meta()]


def perp_dex_limits(venue, req) -> dict | None:
    """A HIP-3 dex's open-interest and transfer limits; the first dex (`""`) has none, which
    the venue answers with null, and there is no other dex here."""
    if "dex" not in req:
        raise Unreadable("missing field `dex`")
    _dex(req)
    return None


def perp_dex_status(venue, req) -> dict:
    if _dex(req):
        return None
    return {"totalNetDeposit": fmt_usdc(venue.exchange.net_deposits)}


def _auction(now_ms: int) -> dict:
    """A gas auction that runs every 31 hours, as the venue's deploy auctions do; nobody
    deploys here, so its price stays at the start."""
    period = 111_600
    start = now_ms // 1000 // period * period
    return {"startTimeSeconds": start, "durationSeconds": period, "startGas": "500.0",
            "currentGas": "500.0", "endGas": None}  # fmt: skip


def perp_deploy_auction_status(venue, req) -> dict:
    return _auction(venue.exchange.ts)


def spot_deploy_state(venue, req) -> dict:
    _user(req)
    return {"states": [], "gasAuction": _auction(venue.exchange.ts)}


def spot_pair_deploy_auction_status(venue, req) -> dict:
    return _auction(venue.exchange.ts)


def max_market_order_ntls(venue, req) -> list[list[Any]]:
    """The largest market order each coin takes, `[[notional, coin], ...]`, by the venue's
    rule on max leverage."""
    out = []
    for inst in venue.exchange.instruments:
        ntl = next(n for lev, n in MARKET_ORDER_NTL if inst.max_leverage >= lev)
        out.append([ntl, inst.name])
    return out


def token_details(venue, req) -> dict | None:
    """USDC, the only token here (the venue answers null for a token id it does not know)."""
    from sandbox.server.views import SPOT_META

    token_id = req.get("tokenId")
    if not isinstance(token_id, str):
        raise Unreadable("tokenId: expected a string")
    usdc = SPOT_META["tokens"][0]
    if token_id.lower() != usdc["tokenId"]:
        return None
    ex = venue.exchange
    supply = fmt_usdc(sum(a.raw + a.spot for a in ex.accounts.values()))
    return {
        "name": "USDC", "maxSupply": supply, "totalSupply": supply, "circulatingSupply": supply,
        "szDecimals": usdc["szDecimals"], "weiDecimals": usdc["weiDecimals"], "midPx": "1.0",
        "markPx": "1.0", "prevDayPx": "1.0", "genesis": None, "deployer": None,
        "deployGas": None, "deployTime": None, "seededUsdc": "0.0",
        "nonCirculatingUserBalances": [], "futureEmissions": "0.0",
    }  # fmt: skip


# -- vaults ---------------------------------------------------------------------------------------


def vault_details(venue, req) -> dict | None:
    """The liquidator vault, the one vault here; null for any other address, as the venue
    answers for a vault that does not exist."""
    ex = venue.exchange
    try:
        address = _user(req, "vaultAddress")
    except Unreadable:
        raise Unreadable("vaultAddress: expected an address") from None
    if address != ex.vault.address:
        return None
    value = venue.views.clearinghouse(ex.vault).marginSummary.accountValue
    return {
        "name": VAULT_NAME,
        "vaultAddress": address,
        "leader": address,
        "description": "The sandbox's backstop liquidator: it takes over positions the book "
        "could not absorb, and its losses past a threshold trigger auto-deleveraging.",
        "portfolio": portfolio(venue, address),
        "apr": 0.0,
        "followerState": None,  # nobody follows the liquidator here
        "leaderFraction": 1.0,
        "leaderCommission": 0,
        "followers": [{"user": address, "vaultEquity": value, "pnl": "0.0",
                       "allTimePnl": "0.0", "daysFollowing": 0, "vaultEntryTime": 0,
                       "lockupUntil": 0}],
        "maxDistributable": 0.0,
        "maxWithdrawable": 0.0,
        "isClosed": False,
        "relationship": {"type": "normal"},
        "allowDeposits": False,
        "alwaysCloseOnWithdraw": False,
    }


def leading_vaults(venue, req) -> list:
    _user(req)
    return []


def vault_summaries(venue, req) -> list:
    return []


HANDLERS = {
    "userAbstraction": user_abstraction,
    "userDexAbstraction": user_dex_abstraction,
    "legalCheck": legal_check,
    "isVip": is_vip,
    "preTransferCheck": pre_transfer_check,
    "approvedBuilders": approved_builders,
    "subAccounts2": sub_accounts2,
    "liquidatable": liquidatable,
    "allPerpMetas": all_perp_metas,
    "perpDexLimits": perp_dex_limits,
    "perpDexStatus": perp_dex_status,
    "perpDeployAuctionStatus": perp_deploy_auction_status,
    "spotDeployState": spot_deploy_state,
    "spotPairDeployAuctionStatus": spot_pair_deploy_auction_status,
    "maxMarketOrderNtls": max_market_order_ntls,
    "tokenDetails": token_details,
    "vaultDetails": vault_details,
    "leadingVaults": leading_vaults,
    "vaultSummaries": vault_summaries,
}
