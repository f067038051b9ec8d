"""ccxt's `hyperliquid` and `ccxt.pro.hyperliquid`, unmodified, against the sandbox over real
sockets: a ccxt user who changes nothing but configuration trades on the sandbox as on the
venue, and watches the sandbox liquidate and auto-deleverage them.

ccxt is pointed at the sandbox by its constructor config alone: `sandbox: True` (ccxt's
testnet mode, which signs L1 actions with phantom-agent source "b" and user-signed actions
with `hyperliquidChain: "Testnet"`) with `urls.test` set to the sandbox's base URL and its
`/ws`; `walletAddress` and `privateKey` are ccxt's standard credentials. One story configures
a client as mainnet instead (`urls.api`, source "a", "Mainnet"), which the sandbox's
`chain="auto"` accepts too. `enableRateLimit` is off: ccxt spaces `/info` calls 500 ms apart
for the venue's limits, which a local sandbox does not need.

Each test is a story told through ccxt alone, asserting what the user would check; the
sandbox is steered only through its control plane (`sandbox.testing.Sandbox`, the
`adl_sandbox` fixture of the project's pytest plugin), in virtual time. Where the sandbox
answers ccxt differently from the venue, the test still asserts the venue's behaviour.

ccxt's own quirks are not the sandbox's and are not asserted: it adds a fill's `builderFee`
to its `fee` again (the venue's `fee` already includes it), so fees are read from the fill
itself; and its first signed action also approves ccxt's builder fee (0.01%) and sets
referrer "CCXT1", which the sandbox accepts as the venue does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import ccxt
import ccxt.pro as ccxtpro
import pytest

from sandbox.testing import Sandbox, Wallet

BTC, ETH, SOL, KPEPE = "BTC/USDC:USDC", "ETH/USDC:USDC", "SOL/USDC:USDC", "KPEPE/USDC:USDC"
CCXT_BUILDER = "0x6530512A6c89C7cfCEbC3BA7fcD9aDa5f30827a6"  # ccxt's default `builder` option
TAKER, BUILDER_FEE = 0.00045, 0.0001  # the venue's top taker rate; ccxt's builder fee (0.01%)


# -- pointing ccxt at the sandbox ---------------------------------------------------------------


def ccxt_config(sandbox: Sandbox, wallet: Wallet, *, testnet: bool = True) -> dict:
    """The constructor config of a ccxt hyperliquid client trading on `sandbox` as `wallet`."""
    endpoints = {"public": sandbox.url, "private": sandbox.url,
                 "ws": {"public": sandbox.url.replace("http://", "ws://") + "/ws"}}  # fmt: skip
    return {
        "walletAddress": wallet.address,
        "privateKey": wallet.key,
        "enableRateLimit": False,
        "sandbox": testnet,
        "urls": {"test": endpoints} if testnet else {"api": endpoints},
    }


def rest_client(sandbox: Sandbox, wallet: Wallet, *, testnet: bool = True) -> ccxt.hyperliquid:
    return ccxt.hyperliquid(ccxt_config(sandbox, wallet, testnet=testnet))


@pytest.fixture
def ex(adl_sandbox, funded_wallet) -> ccxt.hyperliquid:
    """A ccxt REST client of `funded_wallet` (100,000 USDC), markets loaded."""
    client = rest_client(adl_sandbox, funded_wallet)
    client.load_markets()
    return client


@pytest.fixture
def poor(adl_sandbox):
    """A ccxt REST client of a wallet holding 1,000 USDC, and that wallet."""
    wallet = adl_sandbox.wallet("1000")
    client = rest_client(adl_sandbox, wallet)
    client.load_markets()
    return client, wallet


# -- small helpers ----------------------------------------------------------------------------


def market_order(exchange, symbol: str, side: str, amount: float) -> dict:
    """A market order as ccxt users place one: priced from the ticker (ccxt turns it into an
    IOC limit 5% through it)."""
    price = exchange.fetch_ticker(symbol)["last"]
    return exchange.create_order(symbol, "market", side, amount, price)


def position(exchange, symbol: str) -> dict | None:
    """The user's open position in `symbol`, as ccxt reads it (None without one)."""
    held = [p for p in exchange.fetch_positions([symbol]) if p["contracts"]]
    return held[0] if held else None


def pick(record: dict, *keys: str) -> tuple:
    """The values of `keys` in a ccxt structure, to compare in one line."""
    return tuple(record[key] for key in keys)


def approved_builder_fee(exchange, wallet: Wallet) -> int:
    """The builder fee `wallet` approved ccxt's builder for, in tenths of a basis point (the
    venue answers a bare number, which ccxt hands back as text)."""
    query = {"type": "maxBuilderFee", "user": wallet.address, "builder": CCXT_BUILDER}
    return int(exchange.publicPostInfo(query))


def best(book: dict) -> tuple[float, float]:
    return book["bids"][0][0], book["asks"][0][0]


# -- markets and market data --------------------------------------------------------------------


def test_load_markets_lists_the_sandbox_perps(ex):
    markets = ex.load_markets(reload=True)

    assert sorted(markets) == sorted([BTC, ETH, SOL, KPEPE])
    for symbol, market in markets.items():
        assert pick(market, "type", "swap", "linear") == ("swap", True, True), symbol
        assert pick(market, "quote", "settle") == ("USDC", "USDC"), symbol
        assert market["active"] and market["limits"]["cost"]["min"] == 10, symbol
    assert [markets[s]["id"] for s in (BTC, ETH, SOL, KPEPE)] == ["0", "1", "2", "3"]  # asset ids
    assert markets[KPEPE]["baseName"] == "kPEPE"
    max_leverage = {symbol: m["limits"]["leverage"]["max"] for symbol, m in markets.items()}
    assert max_leverage == {BTC: 40, ETH: 25, SOL: 20, KPEPE: 10}
    lot = {symbol: m["precision"]["amount"] for symbol, m in markets.items()}
    assert lot == {BTC: 0.00001, ETH: 0.0001, SOL: 0.01, KPEPE: 1.0}
    assert [m["symbol"] for m in ex.fetch_markets()] == [BTC, ETH, SOL, KPEPE]


def test_tickers_and_order_book_show_the_market_makers_quotes(ex):
    ticker = ex.fetch_ticker(BTC)
    book = ex.fetch_order_book(BTC)

    assert ticker["symbol"] == BTC and ticker["close"] == 60000.0
    assert ticker["info"]["markPx"] == "60000.0" and ticker["info"]["oraclePx"] == "60000.0"
    assert ticker["bid"] < 60000.0 < ticker["ask"]
    assert sorted(ex.fetch_tickers()) == sorted([BTC, ETH, SOL, KPEPE])
    assert ex.fetch_tickers([ETH])[ETH]["close"] == 3000.0

    bid, ask = best(book)
    assert book["symbol"] == BTC and len(book["bids"]) == len(book["asks"]) == 5
    assert bid < 60000.0 < ask
    prices = [level[0] for level in book["bids"]]
    assert prices == sorted(prices, reverse=True)
    assert all(size > 0 for _, size in book["bids"] + book["asks"])


def test_funding_rates_are_read_from_the_asset_contexts(ex):
    rate = ex.fetch_funding_rate(BTC)
    rates = ex.fetch_funding_rates()

    assert rate["symbol"] == BTC and rate["interval"] == "1h"
    assert pick(rate, "markPrice", "indexPrice") == (60000.0, 60000.0)
    assert rate["fundingRate"] == float(rate["info"]["funding"])
    assert sorted(rates) == sorted([BTC, ETH, SOL, KPEPE])
    assert rates[ETH]["fundingRate"] is not None


# -- the account ---------------------------------------------------------------------------------


def test_balance_of_a_funded_account(ex):
    balance = ex.fetch_balance()

    assert balance["USDC"] == {"total": 100000.0, "used": 0.0, "free": 100000.0}
    assert balance["info"]["withdrawable"] == "100000.0"


def test_balance_learns_the_account_is_not_unified(ex, funded_wallet):
    """Before reading a balance ccxt asks `userAbstraction` which account mode the user has
    (a unified account keeps its balance in spot); a new account answers "default". ccxt
    ignores a failed query (and then asks again before every balance)."""
    ex.fetch_balance()

    # the venue answers a bare JSON string, which ccxt hands back as the raw text
    answer = ex.publicPostInfo({"type": "userAbstraction", "user": funded_wallet.address})
    assert json.loads(answer) == "default"
    assert ex.options.get("enableUnifiedMargin") is False


def test_ledger_lists_the_deposit(ex):
    ledger = ex.fetch_ledger()

    assert [(e["type"], e["amount"]) for e in ledger] == [("deposit", 100000.0)]


def test_deposits_list_the_funding(ex):
    deposits = ex.fetch_deposits()

    assert [d["amount"] for d in deposits] == [100000.0]


# -- orders ----------------------------------------------------------------------------------------


def test_a_resting_limit_order_is_listed_fetched_and_cancelled(ex):
    cloid = "0x" + "c0ffee00" * 4
    created = ex.create_order(BTC, "limit", "buy", 0.01, 59000, {"clientOrderId": cloid})
    assert created["id"] and created["clientOrderId"] == cloid

    (listed,) = ex.fetch_open_orders(BTC)
    assert pick(listed, "id", "clientOrderId", "status") == (created["id"], cloid, "open")
    assert pick(listed, "side", "type", "price", "amount") == ("buy", "limit", 59000.0, 0.01)
    assert pick(listed, "filled", "remaining", "timeInForce") == (0.0, 0.01, "GTC")

    fetched = ex.fetch_order(created["id"], BTC)
    assert pick(fetched, "status", "price", "symbol") == ("open", 59000.0, BTC)
    assert ex.fetch_order(None, BTC, {"clientOrderId": cloid})["id"] == created["id"]

    assert ex.cancel_order(created["id"], BTC)["status"] == "success"
    assert ex.fetch_order(created["id"], BTC)["status"] == "canceled"
    assert ex.fetch_open_orders(BTC) == []
    assert [o["id"] for o in ex.fetch_canceled_orders(BTC)] == [created["id"]]


def test_a_market_order_fills_against_the_market_maker(ex, funded_wallet):
    ex.set_leverage(10, BTC)
    ask = best(ex.fetch_order_book(BTC))[1]

    order = market_order(ex, BTC, "buy", 0.1)

    assert pick(order, "filled", "remaining", "average") == (0.1, 0.0, ask)
    assert ex.fetch_order(order["id"], BTC)["status"] == "closed"
    (trade,) = ex.fetch_my_trades(BTC)
    assert pick(trade, "order", "side", "amount", "price") == (order["id"], "buy", 0.1, ask)
    assert pick(trade, "symbol", "takerOrMaker") == (BTC, "taker")
    assert trade["info"]["dir"] == "Open Long"
    notional = 0.1 * ask
    fee, builder_fee = float(trade["info"]["fee"]), float(trade["info"]["builderFee"])
    assert builder_fee == pytest.approx(notional * BUILDER_FEE)  # ccxt's builder code's cut
    assert 0 < fee - builder_fee <= notional * TAKER * (1 + 1e-9)  # the venue's `fee` includes it
    assert approved_builder_fee(ex, funded_wallet) == 10  # ccxt's approveBuilderFee: 0.01%

    held = position(ex, BTC)
    assert pick(held, "side", "contracts", "entryPrice") == ("long", 0.1, ask)
    assert pick(held, "leverage", "marginMode") == (10.0, "cross")
    assert held["initialMargin"] == pytest.approx(held["notional"] / 10)


def test_positions_report_side_entry_leverage_and_liquidation_price(poor):
    ex, _ = poor
    ex.set_leverage(20, ETH)
    bid = best(ex.fetch_order_book(ETH))[0]

    market_order(ex, ETH, "sell", 2)

    held = position(ex, ETH)
    assert pick(held, "side", "contracts", "entryPrice") == ("short", 2.0, bid)
    assert pick(held, "leverage", "marginMode", "isolated") == (20.0, "cross", False)
    equity = ex.fetch_balance()["USDC"]["total"]
    # a 2 ETH short on about $1,000 is liquidated a few hundred dollars up, before the
    # account's equity is gone
    assert bid < held["liquidationPrice"] < bid + equity / 2

    ex.set_leverage(10, ETH)
    assert position(ex, ETH)["leverage"] == 10.0


def test_funding_payments_show_in_the_funding_history(adl_sandbox, ex):
    market_order(ex, ETH, "buy", 1)
    opened = ex.fetch_my_trades(ETH)[0]["timestamp"]
    rate = ex.fetch_funding_rate(ETH)["fundingRate"]

    adl_sandbox.advance(60 * 60 * 1000)  # past the hour: funding is paid

    (payment,) = ex.fetch_funding_history(ETH, opened)
    assert pick(payment, "symbol", "code", "rate") == (ETH, "USDC", rate)
    assert payment["amount"] == pytest.approx(-1 * 3000.0 * rate)  # the long pays


def test_a_mainnet_configured_client_signs_with_source_a_and_trades(adl_sandbox, funded_wallet):
    ex = rest_client(adl_sandbox, funded_wallet, testnet=False)
    assert ex.options["sandboxMode"] is False and ex.urls["api"]["public"] == adl_sandbox.url

    created = ex.create_order(SOL, "limit", "buy", 1, 140)

    assert [o["id"] for o in ex.fetch_open_orders(SOL)] == [created["id"]]
    assert approved_builder_fee(ex, funded_wallet) == 10  # signed for "Mainnet", accepted
    assert ex.cancel_order(created["id"], SOL)["status"] == "success"


# -- liquidation and ADL --------------------------------------------------------------------------


def test_a_price_drop_liquidates_the_user(adl_sandbox, poor):
    ex, wallet = poor
    ex.set_leverage(20, BTC)
    market_order(ex, BTC, "buy", 0.3)
    opened = ex.fetch_my_trades(BTC)[0]["timestamp"]
    liquidation_px = position(ex, BTC)["liquidationPrice"]
    assert 50000 < liquidation_px < 60000

    adl_sandbox.shock("BTC", -6, ms=60_000)  # the oracle slides 6% over a minute
    adl_sandbox.wait_for(lambda: position(ex, BTC) is None, timeout=20, advance_ms=1_000,
                         what="the liquidation of the long")  # fmt: skip

    assert ex.fetch_positions() == []
    closing = ex.fetch_my_trades(BTC)[-1]
    assert pick(closing, "side", "amount") == ("sell", 0.3)
    liquidation = closing["info"]["liquidation"]
    assert pick(liquidation, "liquidatedUser", "method") == (wallet.address, "market")
    assert float(liquidation["markPx"]) <= liquidation_px
    (liquidated,) = ex.fetch_my_liquidations(BTC)
    assert pick(liquidated, "symbol", "contracts", "side") == (BTC, 0.3, "sell")

    entries = ex.fetch_ledger(None, opened)
    (entry,) = [e for e in entries if e["type"] == "liquidation"]
    assert entry["info"]["delta"]["leverageType"] == "Cross"
    assert [p["coin"] for p in entry["info"]["delta"]["liquidatedPositions"]] == ["BTC"]
    assert ex.fetch_balance()["USDC"]["total"] < 1000 / 2  # most of the margin is gone


def test_an_adl_closes_a_profitable_short(adl_sandbox, ex, funded_wallet):
    market_order(ex, ETH, "sell", 2)
    adl_sandbox.set_price("ETH", "2700")  # the short is in profit
    assert position(ex, ETH)["unrealizedPnl"] > 0

    adl_sandbox.adl(funded_wallet.address, "ETH")

    assert position(ex, ETH) is None
    adl = ex.fetch_my_trades(ETH)[-1]
    assert pick(adl, "side", "amount", "price") == ("buy", 2.0, 2700.0)
    assert adl["info"]["dir"] == "Auto-Deleveraging" and float(adl["info"]["closedPnl"]) > 0
    assert ex.fetch_my_liquidations(ETH) == []  # deleveraged, not liquidated
    assert ex.fetch_balance()["USDC"]["total"] > 100000


# -- websockets: ccxt.pro -----------------------------------------------------------------------


class Stream:
    """A ccxt.pro `watch_*` call repeated in the background, as a ccxt user loops on it; what
    it delivered last."""

    def __init__(self, watch: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self.latest: Any = None
        self.count = 0
        self._task = asyncio.ensure_future(self._run(watch, args))

    async def _run(self, watch, args) -> None:
        while True:
            self.latest = await watch(*args)
            self.count += 1

    async def until(self, sandbox: Sandbox, predicate: Callable[[Any], Any], *,
                    timeout: float = 10.0, what: str = "the update") -> Any:  # fmt: skip
        """Poll until the latest delivery satisfies `predicate`, letting a block of virtual
        time pass between polls (market data goes out per block)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._task.done():
                self._task.result()  # the watch failed: raise its error
            if self.count and predicate(self.latest):
                return self.latest
            if loop.time() > deadline:
                raise TimeoutError(f"timed out waiting for {what}; last: {self.latest!r:.500}")
            await asyncio.to_thread(sandbox.advance, 100)
            await asyncio.wait({self._task}, timeout=0.01)

    def close(self) -> None:
        self._task.cancel()


class Pro:
    """ccxt.pro clients on the sandbox and the Streams they run; all closed after the test."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.clients: list[ccxtpro.hyperliquid] = []
        self.streams: list[Stream] = []

    async def client(self, wallet: Wallet) -> ccxtpro.hyperliquid:
        """A ccxt.pro client of `wallet`, markets loaded."""
        exchange = ccxtpro.hyperliquid(ccxt_config(self.sandbox, wallet))
        self.clients.append(exchange)
        await exchange.load_markets()
        return exchange

    def stream(self, watch: Callable[..., Awaitable[Any]], *args: Any) -> Stream:
        self.streams.append(Stream(watch, *args))
        return self.streams[-1]

    async def close(self) -> None:
        for stream in self.streams:
            stream.close()
        for exchange in self.clients:
            await exchange.close()


@pytest.fixture
async def pro(adl_sandbox):
    clients = Pro(adl_sandbox)
    yield clients
    await clients.close()


async def listening(sandbox: Sandbox, *key: str) -> None:
    """Wait until a websocket subscribed to the feed `key` (("trades", "BTC"), ("orderUpdates",
    user), ...): what happens from then on reaches it."""

    def subscribed() -> bool:
        hub = sandbox.venue.hub
        return sandbox.thread.call(lambda: bool(hub.subscribers.get(key)))

    what = f"a subscription to {key}"
    await asyncio.to_thread(sandbox.wait_for, subscribed, advance_ms=0, what=what)


async def test_watch_order_book_shows_a_new_best_bid(adl_sandbox, pro, funded_wallet):
    ex = await pro.client(funded_wallet)
    book = pro.stream(ex.watch_order_book, BTC)
    snapshot = await book.until(adl_sandbox, lambda b: b["bids"], what="the book")
    bid, ask = best(snapshot)
    assert bid < 60000.0 < ask and len(snapshot["bids"]) == len(snapshot["asks"]) == 5

    await ex.create_order(BTC, "limit", "buy", 0.01, bid + 10)

    updated = await book.until(adl_sandbox, lambda b: b["bids"][0][0] == bid + 10, what="my bid")
    assert updated["bids"][0] == [bid + 10, 0.01] and updated["symbol"] == BTC


async def test_watch_trades_shows_the_users_market_order(adl_sandbox, pro, funded_wallet):
    ex = await pro.client(funded_wallet)
    trades = pro.stream(ex.watch_trades, BTC)
    await listening(adl_sandbox, "trades", "BTC")

    order = await ex.create_order(BTC, "market", "buy", 0.02, 60000)

    (trade,) = await trades.until(adl_sandbox, lambda t: len(t) >= 1, what="the trade")
    assert pick(trade, "symbol", "side", "amount") == (BTC, "buy", 0.02)
    assert trade["price"] == order["average"]
    assert funded_wallet.address in trade["info"]["users"]


async def test_watch_ticker_and_tickers_follow_the_oracle(adl_sandbox, pro, funded_wallet):
    ex = await pro.client(funded_wallet)
    ticker = pro.stream(ex.watch_ticker, BTC)
    tickers = pro.stream(ex.watch_tickers)
    first = await ticker.until(adl_sandbox, lambda t: t["close"], what="the ticker")
    assert pick(first, "symbol", "close") == (BTC, 60000.0) and first["info"]["markPx"] == "60000.0"
    everything = await tickers.until(adl_sandbox, lambda t: len(t) == 4, what="the tickers")
    mids = {symbol: t["last"] for symbol, t in everything.items()}
    assert mids == {BTC: 60000.0, ETH: 3000.0, SOL: 150.0, KPEPE: 0.012}

    await asyncio.to_thread(adl_sandbox.set_price, "BTC", "61000")

    moved = await ticker.until(adl_sandbox, lambda t: t["info"]["markPx"] == "61000.0",
                               what="the new mark")  # fmt: skip
    assert moved["info"]["oraclePx"] == "61000.0"
    await tickers.until(adl_sandbox, lambda t: t[BTC]["last"] == 61000.0, what="the new mid")


async def test_watch_orders_and_my_trades_see_my_order_filled(adl_sandbox, pro, funded_wallet):
    ex = await pro.client(funded_wallet)
    taker = await pro.client(adl_sandbox.wallet("100000"))
    orders = pro.stream(ex.watch_orders, BTC)
    mine = pro.stream(ex.watch_my_trades, BTC)
    await listening(adl_sandbox, "orderUpdates", funded_wallet.address)
    await listening(adl_sandbox, "userFills", funded_wallet.address)
    bid = best(await ex.fetch_order_book(BTC))[0] + 10

    resting = await ex.create_order(BTC, "limit", "buy", 0.01, bid)
    (opened,) = await orders.until(adl_sandbox, lambda o: len(o) >= 1, what="the order open")
    assert pick(opened, "id", "status", "price", "remaining") == (resting["id"], "open", bid, 0.01)

    await taker.create_order(BTC, "market", "sell", 0.01, bid)  # another user takes it

    filled = await orders.until(adl_sandbox, lambda o: o[-1]["status"] == "closed", what="the fill")
    assert pick(filled[-1], "id", "filled", "side") == (resting["id"], 0.01, "buy")
    (trade,) = await mine.until(adl_sandbox, lambda t: len(t) >= 1, what="my trade")
    assert pick(trade, "order", "side", "price", "amount") == (resting["id"], "buy", bid, 0.01)
    assert trade["info"]["crossed"] is False  # a maker fill


async def test_create_order_ws_places_and_cancels_through_ws_post(adl_sandbox, pro, funded_wallet):
    ex = await pro.client(funded_wallet)
    mine = pro.stream(ex.watch_my_trades, ETH)
    await listening(adl_sandbox, "userFills", funded_wallet.address)

    filled = await ex.create_order_ws(ETH, "market", "buy", 1, 3000)

    assert pick(filled, "filled", "remaining") == (1.0, 0.0)
    (trade,) = await mine.until(adl_sandbox, lambda t: len(t) >= 1, what="the fill")
    assert pick(trade, "order", "side", "amount") == (filled["id"], "buy", 1.0)

    resting = await ex.create_order_ws(ETH, "limit", "buy", 1, 2900)
    assert [o["id"] for o in await ex.fetch_open_orders(ETH)] == [resting["id"]]
    assert (await ex.cancel_order_ws(resting["id"], ETH))["status"] == "success"
    assert await ex.fetch_open_orders(ETH) == []


async def test_watchers_see_a_forced_liquidation(adl_sandbox, pro):
    wallet = adl_sandbox.wallet("1000")
    ex = await pro.client(wallet)
    await ex.set_leverage(20, BTC)
    positions = pro.stream(ex.watch_positions)
    balance = pro.stream(ex.watch_balance)
    liquidations = pro.stream(ex.watch_my_liquidations, BTC)
    await listening(adl_sandbox, "clearinghouseState", wallet.address)
    await listening(adl_sandbox, "userFills", wallet.address)

    await ex.create_order(BTC, "market", "buy", 0.3, 60000)
    (held,) = await positions.until(adl_sandbox, lambda p: p and p[0]["contracts"], what="the long")
    assert pick(held, "symbol", "side", "contracts", "leverage") == (BTC, "long", 0.3, 20.0)

    await asyncio.to_thread(adl_sandbox.liquidate, wallet.address, "BTC")

    await positions.until(adl_sandbox, lambda p: not any(x["contracts"] for x in p),
                          what="the position gone")  # fmt: skip
    (liquidated,) = await liquidations.until(adl_sandbox, lambda x: len(x) >= 1, what="it")
    assert pick(liquidated, "symbol", "contracts", "side") == (BTC, 0.3, "sell")
    settled = await balance.until(adl_sandbox, lambda b: b["USDC"]["total"] < 1000,
                                  what="the loss in the balance")  # fmt: skip
    assert settled["USDC"]["used"] == 0 and settled["USDC"]["free"] == settled["USDC"]["total"]
