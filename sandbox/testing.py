"""A sandbox for a test: served in-process on a free port, in virtual time, with helpers that
steer it through its control plane. The pytest plugin (`sandbox.pytest_plugin`) hands one
to each test that asks for `adl_sandbox`; any script can use it too:

    with Sandbox() as sb:
        wallet = sb.wallet("10000")              # funded; .address, .key
        Exchange(wallet.account(), sb.url)       # the official SDK, unmodified
        sb.set_price("ETH", "2700")
        watch = sb.watch(wallet.address)         # the user's events, on a socket
        sb.adl(wallet.address, "ETH")            # an ADL of the position, now
        watch.wait("adl")                        # the venue's Auto-Deleveraging fill

Every helper is a plain HTTP call to `/sandbox/...` (the same routes a curl would use); the
server runs on its own thread, so blocking helpers and the SDK's threads both work.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import msgspec

from protocol import signing
from sandbox.core.config import ExchangeConfig
from sandbox.server.config import ServerConfig
from sandbox.server.limits import RateLimitConfig
from sandbox.server.thread import ServerThread

OPENING_PRICES = {"BTC": "60000", "ETH": "3000", "SOL": "150", "kPEPE": "0.012"}
MARK_RULES = {"oracle": "oracle", "venue": "hyperliquid"}  # the `mark` option -> mark_rule
START_MS = 1_760_000_000_000


class ControlError(Exception):
    """The control plane refused a request; the text is its `error`."""


class Wallet(msgspec.Struct, frozen=True):
    address: str
    key: str  # 0x-prefixed hex

    def account(self):
        """An `eth_account` LocalAccount, as the official SDK's `Exchange` takes it."""
        import eth_account

        return eth_account.Account.from_key(self.key)


class Sandbox:
    """A served sandbox in virtual time. `makers` starts a market maker quoting every coin
    (5 levels a side) so that market orders fill; `prices` are the oracle's opening prices
    (constant until moved); `rate_limits` enforces the venue's rate limits (off by
    default: a test's clients share one IP, and a test of its own 429 handling asks; a
    `RateLimitConfig` sets every number, e.g. a small address budget). `mark` is how the
    mark moves: "oracle" (the default: the mark is the oracle, so that a test sets it
    exactly) or "venue" (the venue's median of the oracle, the book and the other venues);
    it holds whatever `exchange` says."""

    def __init__(self, *, prices: dict[str, str] | None = None, makers: bool = True,
                 exchange: ExchangeConfig | None = None, validate: bool = True,
                 rate_limits: bool | RateLimitConfig = False, mark: str = "oracle") -> None:  # fmt: skip
        if mark not in MARK_RULES:
            raise ValueError(f"mark must be one of {', '.join(MARK_RULES)}")
        self.prices = dict(OPENING_PRICES if prices is None else prices)
        self.makers = makers
        exchange = exchange if exchange is not None else ExchangeConfig()
        # the mark's rule is the sandbox's own option: an ExchangeConfig given to change
        # something else (the ADL policy, say) leaves it as it was
        exchange = msgspec.structs.replace(exchange, mark_rule=MARK_RULES[mark])
        self.config = ServerConfig(
            port=0, time="virtual", start_ms=START_MS, validate_each_command=validate,
            exchange=exchange,
            rate_limits=rate_limits if isinstance(rate_limits, RateLimitConfig)
            else RateLimitConfig(enabled=rate_limits),
        )  # fmt: skip
        self.thread: ServerThread | None = None
        self._watches: list[Watch] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        prices, makers = self.prices, self.makers

        def setup(venue) -> None:
            from sandbox.sim.makers import MarketMaker
            from sandbox.sim.oracle import Constant

            for coin, px in prices.items():
                venue.oracle.set_path(coin, Constant(float(px)), venue.now())
            venue.oracle.tick(venue.now())
            if makers:
                venue.liquidity.makers.append(MarketMaker(venue, "mm1", tuple(prices)))
                venue.liquidity.start()

        self.thread = ServerThread(self.config, setup=setup).start()
        return self

    def stop(self) -> None:
        for watch in self._watches:
            watch.close()
        if self.thread is not None:
            self.thread.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.thread.url

    @property
    def admin_token(self) -> str:
        return self.thread.admin_token

    @property
    def venue(self):
        """The venue itself (for reading; change it through the helpers or `apply`)."""
        return self.thread.venue

    def apply(self, command) -> list:
        """Apply a core command on the server's loop; its events."""
        return self.thread.apply(command)

    # -- the control plane -------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        url = self.url + "/sandbox/" + path.lstrip("/")
        data = None
        if method == "GET" and body:
            url += "?" + urllib.parse.urlencode(body)
        elif method == "POST":
            data = json.dumps(body or {}).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json",
        })  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ControlError(json.loads(exc.read()).get("error", str(exc))) from None

    def wallet(self, usdc: str | int = "100000") -> Wallet:
        """A new funded account."""
        created = self.control("POST", "accounts", {"usdc": str(usdc)})
        return Wallet(created["address"], created["privateKey"])

    def wallet_from_key(self, key: str, usdc: str | int = "100000") -> Wallet:
        """The account of a key you already have, funded."""
        address = signing.address_of(bytes.fromhex(key.removeprefix("0x")))
        self.deposit(address, usdc)
        return Wallet(address, key if key.startswith("0x") else "0x" + key)

    def deposit(self, user: str, usdc: str | int) -> dict:
        return self.control("POST", "deposit", {"user": user, "usdc": str(usdc)})

    def waive(self, user: str, *, schedule_cancel: bool | None = None,
              rate_limits: bool | None = None) -> dict:  # fmt: skip
        """Waive (or, with False, restore) a venue limit for `user`: `schedule_cancel`, the
        $1,000,000 of traded volume the venue wants before a dead man's switch
        (`scheduleCancel`) may be set; `rate_limits`, its request budget. The waivers."""
        body: dict[str, Any] = {"user": user}
        if schedule_cancel is not None:
            body["scheduleCancelVolume"] = schedule_cancel
        if rate_limits is not None:
            body["rateLimits"] = rate_limits
        return self.control("POST", "waive", body)

    def rate_limits(self, enabled: bool | None = None) -> dict:
        """Switch the venue's rate limits on or off (None: leave them); their state."""
        body = {} if enabled is None else {"enabled": enabled}
        return self.control("POST", "rate-limits", body)

    def delist(self, coin: str) -> dict:
        """Delist `coin`: its orders cancelled, its positions settled at the mark."""
        return self.control("POST", "delist", {"coin": coin})

    def set_oi_cap(self, coin: str, notional: str | float | None) -> dict:
        """Cap `coin`'s open interest at `notional` USDC at mark (None lifts the cap)."""
        value = None if notional is None else str(notional)
        return self.control("POST", "oi-cap", {"coin": coin, "notional": value})

    def set_price(self, coin: str, px: str | float) -> dict:
        """Move the oracle (and, at once, the mark) to `px`."""
        return self.control("POST", "oracle", {"coin": coin, "px": str(px)})

    def shock(self, coin: str, pct: float, ms: int = 0) -> dict:
        """Move the oracle by `pct` percent, at once or spread over `ms` of virtual time."""
        return self.control("POST", "oracle/shock", {"coin": coin, "pct": pct, "ms": ms})

    def advance(self, ms: int) -> int:
        """Let `ms` of virtual time pass (oracle posts, funding, the waterfall, a block of
        market data every 100 ms); returns the new time."""
        return self.control("POST", "clock/advance", {"ms": ms})["time"]

    def now(self) -> int:
        return self.control("GET", "clock")["time"]

    def pull_liquidity(self) -> dict:
        return self.control("POST", "liquidity/pull")

    def restore_liquidity(self) -> dict:
        return self.control("POST", "liquidity/restore")

    def pause(self, *coins: str) -> dict:
        return self.control("POST", "pause", {"coins": list(coins)} if coins else {})

    def resume(self, *coins: str) -> dict:
        return self.control("POST", "resume", {"coins": list(coins)} if coins else {})

    def liquidate(self, user: str, coin: str | None = None, stage: str = "market") -> list[dict]:
        """Liquidate `user`'s position in `coin` (every position without it) now: into the
        book ("market") or to the vault ("backstop"). The audit records."""
        body = {"user": user, "stage": stage} | ({"coin": coin} if coin else {})
        return self.control("POST", "liquidate", body)["steps"]

    def adl(self, user: str, coin: str, sz: str | float | None = None) -> dict:
        """Auto-deleverage `user`'s position in `coin` (or `sz` of it) now. The audit record."""
        body = {"user": user, "coin": coin} | ({"sz": str(sz)} if sz is not None else {})
        return self.control("POST", "adl/force", body)["step"]

    def snapshot(self) -> int:
        return self.control("POST", "snapshot")["id"]

    def restore(self, snapshot_id: int) -> dict:
        return self.control("POST", "restore", {"id": snapshot_id})

    def audit(self, since: int = 0) -> list[dict]:
        return self.control("GET", "audit", {"since": since})["steps"]

    def adl_queue(self, coin: str) -> list[dict]:
        return self.control("GET", "adl", {"coin": coin})["positions"]

    def invariants(self) -> dict:
        return self.control("GET", "invariants")

    def position(self, user: str, coin: str) -> float:
        """`user`'s signed size in `coin` (0.0 without a position)."""
        state = self.thread.call(self.venue.views.clearinghouse,
                                 self.venue.exchange.accounts.get(user))  # fmt: skip
        for entry in state.assetPositions:
            if entry.position.coin == coin:
                return float(entry.position.szi)
        return 0.0

    # -- waiting -----------------------------------------------------------------------------

    def watch(self, user: str) -> Watch:
        """Start listening to `user`'s events (fills, ADL, liquidation, order updates) on a
        websocket of its own; closed with the sandbox."""
        watch = Watch(self.url, user)
        self._watches.append(watch)
        return watch

    def subscribed(self, user: str, channel: str = "userEvents") -> bool:
        """Does someone listen to `user`'s `channel` (userEvents, userFills, orderUpdates,
        ...) on a websocket now?"""
        return self.thread.subscribed(user, channel)

    def wait_subscribed(self, user: str, channel: str = "userEvents", timeout: float = 5.0) -> None:
        """Wait until a client (your bot) listens to `user`'s `channel`: what happens after
        this reaches it. A bot that subscribes in the background (the SDK's `Info` does)
        would otherwise miss what a test makes happen at once."""
        self.wait_for(lambda: self.subscribed(user, channel), timeout, advance_ms=0,
                      what=f"a subscription to {channel} of {user}")  # fmt: skip

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *,
                 advance_ms: int = 100, what: str = "the condition") -> Any:  # fmt: skip
        """Poll `predicate()` until it is truthy, letting `advance_ms` of virtual time pass
        between polls (so that blocks of market data go out); return its value."""
        between = (lambda: self.advance(advance_ms)) if advance_ms else None
        return poll(predicate, timeout, what=what, between=between)


def poll(predicate: Callable[[], Any], timeout: float = 5.0, *, what: str = "the condition",
         between: Callable[[], Any] | None = None) -> Any:  # fmt: skip
    """Call `predicate()` until it is truthy (then return its value), running `between()`
    and sleeping a little between calls; `TimeoutError` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        if between is not None:
            between()
        time.sleep(0.005)


class Watch:
    """A user's events as they arrive: `kind` is "fill", "adl" (a fill with dir
    Auto-Deleveraging), "liquidation", "nonUserCancel", "funding" or "orderUpdate"."""

    def __init__(self, url: str, user: str) -> None:
        from websockets.sync.client import connect

        self.events: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        self._ws = connect(url.replace("http://", "ws://") + "/ws").__enter__()
        for kind in ("userEvents", "orderUpdates"):
            self._ws.send(json.dumps({"method": "subscribe",
                                      "subscription": {"type": kind, "user": user}}))  # fmt: skip
        acks = 0
        while acks < 2:  # both answered: whatever happens from now on is heard
            acks += '"subscriptionResponse"' in self._ws.recv(timeout=10)
        self._thread = threading.Thread(target=self._read, daemon=True, name="sandbox-watch")
        self._thread.start()

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in self._ws:
                if not raw.startswith("{"):
                    continue
                message = json.loads(raw)
                channel, data = message.get("channel"), message.get("data")
                found = []
                if channel == "user":
                    for fill in data.get("fills", ()):
                        found.append(("adl" if fill.get("dir") == "Auto-Deleveraging" else "fill",
                                      fill))  # fmt: skip
                    for kind in ("liquidation", "nonUserCancel", "funding"):
                        if kind in data:
                            found.append((kind, data[kind]))
                elif channel == "orderUpdates":
                    found.extend(("orderUpdate", update) for update in data)
                if found:
                    with self._cond:
                        self.events.extend(found)
                        self._cond.notify_all()
        except ConnectionClosed:
            pass

    def of(self, kind: str) -> list:
        """Every event of `kind` so far."""
        with self._cond:
            return self._of(kind)

    def wait(self, kind: str, timeout: float = 5.0) -> Any:
        """The first event of `kind` (waiting for it if it has not come yet)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._of(kind), timeout):
                raise TimeoutError(f"no {kind} event within {timeout} s")
            return self._of(kind)[0]

    def _of(self, kind: str) -> list:
        return [data for k, data in self.events if k == kind]

    def close(self) -> None:
        self._ws.close()
        self._thread.join(timeout=5)


__all__ = ["ControlError", "Sandbox", "Wallet", "Watch", "poll"]
