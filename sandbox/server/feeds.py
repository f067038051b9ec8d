"""Websocket subscriptions: which the venue accepts, their key and the acknowledgement's echo,
the snapshot sent right after the ack, and the state feeds built for each push.

The echo is the subscription in the venue's canonical form: every field the client sent
that the venue knows (`dex` included), user addresses lowercased, and the options the venue
adds when they are missing (`l2Book`: `nSigFigs`, `mantissa`, `fast`; `userFills`:
`aggregateByTime`; `clearinghouseState`, `openOrders`, `twapStates`: `dex`; `spotState`:
`ignorePortfolioMargin`), as captured acks show them (a public probe of the live venue,
2026-08, and the canonical-ack defaults of gocryptotrader's hyperliquid tests).

`webData2` is refused as the live venue now refuses it (a parse error frame, measured
2026-08-19 and 2026-08-28; nktkas/hyperliquid removed it); `ServerConfig.ws_webdata2`
serves it again for older clients. Only the first perp dex exists here: a `dex` other than
`""` is an invalid subscription.
"""

from __future__ import annotations

from typing import Any

from sandbox.server.history import INTERVALS
from sandbox.server.registry import Denied, normalize
from sandbox.server.views import book_precision_ok

# Per-user feeds keyed (kind, user); the options each echoes, with the venue's defaults.
USER_FEEDS: dict[str, dict[str, Any]] = {
    "orderUpdates": {}, "userEvents": {}, "userFills": {"aggregateByTime": False},
    "userFundings": {}, "userNonFundingLedgerUpdates": {}, "notification": {},
    "clearinghouseState": {"dex": ""}, "openOrders": {"dex": ""}, "twapStates": {"dex": ""},
    "spotState": {"ignorePortfolioMargin": False}, "webData3": {},
    "allDexsClearinghouseState": {}, "userTwapSliceFills": {}, "userTwapHistory": {},
    "userHistoricalOrders": {}, "webData2": {},
}  # fmt: skip
COIN_FEEDS = ("trades", "bbo", "activeAssetCtx")
# Feeds whose whole state is pushed (on change, and again at the venue's cadence).
STATE_FEEDS = (
    "clearinghouseState", "openOrders", "activeAssetData", "webData3", "spotState",
    "twapStates", "allDexsClearinghouseState", "webData2",
)  # fmt: skip
# ... of which those valued at mark: pushed on every block the marks move.
PRICED_FEEDS = frozenset(
    ("clearinghouseState", "activeAssetData", "allDexsClearinghouseState", "webData2")
)
EXTENSION_FEEDS = ("sandboxWaterfall",)  # not the venue's: the waterfall's audit trail
TRADES_BACKFILL = 30  # the venue sends the 30 most recent trades on subscribe (measured)
FAST_BOOK_LEVELS = 5  # `l2Book` with `fast: true`: 5 levels a side


class Invalid(Exception):
    """The subscription names something that does not exist (an address, a dex, a book
    precision)."""


class UnknownCoin(Invalid):
    """The subscription names a coin the venue does not list."""


class Unknown(Exception):
    """Not a subscription the venue would parse: answered like unreadable JSON."""


def _coin(venue, sub: dict) -> tuple[int, str]:
    coin = sub.get("coin")
    if not isinstance(coin, str):  # not a coin's name at all: the venue cannot parse it
        raise Unknown
    inst = venue.exchange.by_name.get(coin)
    if inst is None:
        raise UnknownCoin
    return inst.asset, inst.name


def user_of(key: tuple) -> str | None:
    """The user a subscription key follows (the websocket limit on unique users counts
    them), or None for market data."""
    kind = key[0]
    return key[1] if kind in USER_FEEDS or kind == "activeAssetData" else None


def _user(sub: dict) -> str:
    try:
        return normalize(sub.get("user"))
    except Denied:
        raise Invalid from None


def _options(sub: dict, defaults: dict[str, Any]) -> dict[str, Any]:
    """The options of a subscription as echoed: what was sent, else the default."""
    out = {}
    for name, default in defaults.items():
        value = sub.get(name, default)
        if name == "dex":
            if not isinstance(value, str):
                raise Unknown
            if value:
                raise Invalid  # no HIP-3 dex here
        elif type(value) is not type(default):
            raise Unknown
        out[name] = value
    return out


def normalize_subscription(venue, sub: Any) -> tuple[tuple, dict]:
    """(key, echo) of a subscription; raises Invalid for parameters naming nothing and
    Unknown for a type (or a field) the venue would not parse."""
    if not isinstance(sub, dict) or not isinstance(sub.get("type"), str):
        raise Unknown
    kind = sub["type"]
    if kind == "allMids" or kind == "assetCtxs":
        echo = {"type": kind}
        if "dex" in sub:
            echo.update(_options(sub, {"dex": ""}))
        return (kind,), echo
    if kind == "allDexsAssetCtxs":
        return (kind,), {"type": kind}
    if kind == "l2Book":
        _, coin = _coin(venue, sub)
        figs, mantissa, fast = sub.get("nSigFigs"), sub.get("mantissa"), sub.get("fast", False)
        if not book_precision_ok(figs, mantissa) or not isinstance(fast, bool):
            raise Invalid
        echo = {"type": "l2Book", "coin": coin, "nSigFigs": figs, "mantissa": mantissa,
                "fast": fast}  # fmt: skip
        return ("l2Book", coin, figs, mantissa, fast), echo
    if kind in COIN_FEEDS:
        _, coin = _coin(venue, sub)
        return (kind, coin), {"type": kind, "coin": coin}
    if kind == "candle":
        _, coin = _coin(venue, sub)
        interval = sub.get("interval")
        if not isinstance(interval, str):
            raise Unknown
        if interval not in INTERVALS:
            raise Invalid
        return ("candle", coin, interval), {"type": "candle", "coin": coin, "interval": interval}
    if kind in USER_FEEDS:
        if kind == "webData2" and not venue.config.ws_webdata2:
            raise Unknown
        user = _user(sub)
        echo = {"type": kind, "user": user, **_options(sub, USER_FEEDS[kind])}
        return (kind, user), echo
    if kind == "activeAssetData":
        user = _user(sub)
        _, coin = _coin(venue, sub)
        return ("activeAssetData", user, coin), {"type": kind, "user": user, "coin": coin}
    if kind in EXTENSION_FEEDS:
        return (kind,), {"type": kind}
    raise Unknown


def snapshot(venue, key: tuple) -> list[tuple[str, Any]]:
    """The messages sent right after a subscription is acknowledged."""
    kind = key[0]
    views, history, ex = venue.views, venue.history, venue.exchange
    if kind == "allMids":
        return [("allMids", {"mids": views.mids()})]
    if kind == "l2Book":
        return [("l2Book", book(venue, key))]
    if kind == "bbo":
        return [("bbo", views.bbo(ex.by_name[key[1]].asset))]
    if kind == "trades":
        trades = history.trades(ex.by_name[key[1]].asset)[-TRADES_BACKFILL:]
        return [("trades", trades)] if trades else []
    if kind == "activeAssetCtx":
        asset = ex.by_name[key[1]].asset
        return [("activeAssetCtx", {"coin": key[1], "ctx": views.asset_ctx(asset, history)})]
    if kind in ("assetCtxs", "allDexsAssetCtxs"):
        return [(kind, market_feed(venue, kind))]
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
        fills = history.twap_slice_fills(user)
        return [(kind, {"isSnapshot": True, "user": user, "twapSliceFills": fills})]
    if kind == "userTwapHistory":
        records = history.twap_history(user)
        return [(kind, {"isSnapshot": True, "user": user, "history": records})]
    if kind == "userHistoricalOrders":
        orders = history.orders(user)
        return [(kind, {"isSnapshot": True, "user": user, "orderHistory": orders})]
    if kind == "sandboxWaterfall":
        from sandbox.server.audit import step_json

        steps = [step_json(venue, s) for s in list(venue.audit)[-100:]]
        return [(kind, {"isSnapshot": True, "steps": steps})]
    return []  # event streams: orderUpdates, userEvents, notification


def book(venue, key: tuple) -> Any:
    """The `l2Book` message of a book subscription key."""
    _, coin, figs, mantissa, fast = key
    asset = venue.exchange.by_name[coin].asset
    if not fast:
        return venue.views.l2_book(asset, figs, mantissa)
    data = venue.views.l2_book(asset, figs, mantissa, depth=FAST_BOOK_LEVELS)
    return {"coin": data.coin, "time": data.time, "levels": data.levels, "fast": True}


def market_feed(venue, kind: str) -> Any:
    """`assetCtxs` / `allDexsAssetCtxs`: every coin's context, for the one dex here."""
    from sandbox.server import info

    ctxs = info.asset_ctxs(venue)
    if kind == "assetCtxs":
        return {"dex": "", "ctxs": ctxs}
    return {"ctxs": [["", ctxs]]}


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
    if kind == "webData3":
        return info.web_data3(venue, user)
    if kind == "spotState":
        return {"user": user, "spotState": info.spot_state(venue, user)}
    if kind == "twapStates":
        return {"dex": "", "user": user, "states": venue.views.twap_states(user)}
    if kind == "allDexsClearinghouseState":
        return {"user": user, "clearinghouseStates": [["", info.clearinghouse(venue, user)]]}
    return info.web_data2(venue, user)
