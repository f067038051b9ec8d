"""Websocket subscriptions: which the venue accepts, their normalized form (and the echo in
`subscriptionResponse`), the snapshot sent right after the ack, and the state feeds pushed
per block (clearinghouseState, webData2, activeAssetData, openOrders).
"""

from __future__ import annotations

from typing import Any

from sandbox.server.history import INTERVALS
from sandbox.server.registry import Denied, normalize
from sandbox.server.views import book_precision_ok

USER_FEEDS = (
    "orderUpdates", "userEvents", "userFills", "userFundings", "userNonFundingLedgerUpdates",
    "notification", "webData2", "clearinghouseState", "openOrders", "userTwapSliceFills",
    "userTwapHistory", "twapStates", "userHistoricalOrders",
)  # fmt: skip
COIN_FEEDS = ("trades", "bbo", "activeAssetCtx")
STATE_FEEDS = ("clearinghouseState", "webData2", "activeAssetData", "openOrders")
EXTENSION_FEEDS = ("sandboxWaterfall",)  # not the venue's: the waterfall's audit trail


class Invalid(Exception):
    pass


def _coin(venue, sub: dict) -> tuple[int, str]:
    coin = sub.get("coin")
    inst = venue.exchange.by_name.get(coin) if isinstance(coin, str) else None
    if inst is None:
        raise Invalid
    return inst.asset, inst.name


def _user(sub: dict) -> str:
    try:
        return normalize(sub.get("user"))
    except Denied:
        raise Invalid from None


def normalize_subscription(venue, sub: Any) -> tuple[tuple, dict]:
    """(key, echo) of a subscription; raises Invalid for bad parameters and KeyError for an
    unknown type."""
    if not isinstance(sub, dict) or not isinstance(sub.get("type"), str):
        raise KeyError("type")
    kind = sub["type"]
    if kind == "allMids":
        echo = {"type": "allMids"}
        if "dex" in sub:
            echo["dex"] = sub["dex"]
        return ("allMids",), echo
    if kind == "l2Book":
        _, coin = _coin(venue, sub)
        figs = sub.get("nSigFigs")
        mantissa = sub.get("mantissa")
        if not book_precision_ok(figs, mantissa):
            raise Invalid
        echo = {"type": "l2Book", "coin": coin, "nSigFigs": figs, "mantissa": mantissa}
        return ("l2Book", coin, figs, mantissa), echo
    if kind in COIN_FEEDS:
        _, coin = _coin(venue, sub)
        return (kind, coin), {"type": kind, "coin": coin}
    if kind == "candle":
        _, coin = _coin(venue, sub)
        interval = sub.get("interval")
        if interval not in INTERVALS:
            raise Invalid
        return ("candle", coin, interval), {"type": "candle", "coin": coin, "interval": interval}
    if kind in USER_FEEDS:
        user = _user(sub)
        echo = {"type": kind, "user": user}
        if kind == "userFills" and "aggregateByTime" in sub:
            echo["aggregateByTime"] = bool(sub["aggregateByTime"])
        return (kind, user), echo
    if kind == "activeAssetData":
        user = _user(sub)
        _, coin = _coin(venue, sub)
        return ("activeAssetData", user, coin), {"type": kind, "user": user, "coin": coin}
    if kind in EXTENSION_FEEDS:
        return (kind,), {"type": kind}
    raise KeyError(kind)


def snapshot(venue, key: tuple) -> list[tuple[str, Any]]:
    """The messages sent right after a subscription is acknowledged."""
    kind = key[0]
    views, history, ex = venue.views, venue.history, venue.exchange
    if kind == "allMids":
        return [("allMids", {"mids": views.mids()})]
    if kind == "l2Book":
        asset = ex.by_name[key[1]].asset
        return [("l2Book", views.l2_book(asset, key[2], key[3]))]
    if kind == "bbo":
        return [("bbo", views.bbo(ex.by_name[key[1]].asset))]
    if kind == "activeAssetCtx":
        asset = ex.by_name[key[1]].asset
        return [("activeAssetCtx", {"coin": key[1], "ctx": views.asset_ctx(asset, history)})]
    if kind == "candle":
        candle = history.current_candle(ex.by_name[key[1]].asset, key[2], ex.ts)
        return [("candle", candle)] if candle is not None else []
    if kind in STATE_FEEDS:
        return [(kind, state_feed(venue, key))]
    user = key[1] if len(key) > 1 else None
    if kind == "userFills":
        fills = list(reversed(history.fills(user)))[:2_000]
        return [("userFills", {"isSnapshot": True, "user": user, "fills": fills})]
    if kind == "userFundings":
        fundings = list(history.user(user).funding) if user in history.users else []
        return [("userFundings", {"isSnapshot": True, "user": user, "fundings": fundings})]
    if kind == "userNonFundingLedgerUpdates":
        updates = list(history.user(user).ledger) if user in history.users else []
        return [("userNonFundingLedgerUpdates",
                 {"isSnapshot": True, "user": user, "nonFundingLedgerUpdates": updates})]  # fmt: skip
    if kind == "userTwapSliceFills":
        return [(kind, {"isSnapshot": True, "user": user, "twapSliceFills": []})]
    if kind == "userTwapHistory":
        return [(kind, {"isSnapshot": True, "user": user, "history": []})]
    if kind == "twapStates":
        return [(kind, {"dex": "", "user": user, "states": []})]
    if kind == "userHistoricalOrders":
        orders = history.orders(user)
        return [(kind, {"isSnapshot": True, "user": user, "orderHistory": orders})]
    if kind == "sandboxWaterfall":
        from sandbox.server.audit import step_json

        return [
            (
                kind,
                {
                    "isSnapshot": True,
                    "steps": [step_json(venue, s) for s in list(venue.audit)[-100:]],
                },
            )
        ]
    return []  # event streams: orderUpdates, userEvents, notification


def state_feed(venue, key: tuple) -> Any:
    kind, user = key[0], key[1]
    from sandbox.server import info

    if kind == "clearinghouseState":
        return {"dex": "", "user": user, "clearinghouseState": info.clearinghouse(venue, user)}
    if kind == "openOrders":
        return {"dex": "", "user": user, "orders": info.frontend_open_orders(venue, user)}
    if kind == "activeAssetData":
        asset = venue.exchange.by_name[key[2]].asset
        return venue.views.active_asset_data(venue.exchange.accounts.get(user), user, asset)
    return info.web_data2(venue, user)
