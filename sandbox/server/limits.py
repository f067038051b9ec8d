"""Hyperliquid's rate limits, on the venue's clock.

Owns three kinds of limit and the state behind them. Sources: the venue's docs, "Rate
limits and user limits" (hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/
rate-limits-and-user-limits, the version with 10 websocket connections); the websocket
refusal texts quoted in nktkas/hyperliquid issue #78 (NKTKAS-78); a public testnet probe of
the address budget, MarcosACH/tickwright docs/research/
hyperliquid-rate-limit-window-probe.md (TICKWRIGHT); and the HTTP 429 with body `null`
quoted by the official SDK's users (`ClientError(429, None, 'null', ...)`).

1. **REST weight per IP**: a token bucket of 1200 weight refilled at 1200 per minute.
   `charge_ip(ip, weight)` before answering refuses (False: the server answers HTTP 429,
   body `null`) or charges; `charge_extra(ip, extra)` after answering charges the weight
   that depends on the answer's size and may leave the bucket in debt.
2. **Actions per address**: 10,000 requests plus 1 per USDC traded, then one request per
   10 s. `check_address` refuses with the venue's text or counts; `address_usage` is
   `userRateLimit`'s answer. This is the only state a snapshot needs (`addresses`).
3. **Websocket per IP**: open and new connections, subscriptions, unique users, messages
   and in-flight posts. Counters are paired calls (`ws_connect`/`ws_disconnect`,
   `ws_subscribe`/`ws_unsubscribe`, `post_begin`/`post_end`) and are kept even while limits
   are off or waived, so that enforcement can be switched on at any moment.

The module does no I/O and never reads the wall clock: `now()` (int milliseconds) is
injected, so limits run on virtual time in virtual-time sandboxes. A request costs a dict
lookup and a few integer operations; memory is per IP and per address only (the rolling
windows are deques bounded by their limit).

Choices where the sources are silent:
- The REST weight is a token bucket (not a fixed minute window) in exact integers: one
  weight is `window / gcd(capacity, window)` units and each millisecond adds
  `capacity / gcd` units (1200 per 60,000 ms: 50 units a weight, 1 unit a ms), so 30 s
  give back exactly 600. A refused request charges nothing. A request passes when the bucket
  holds at least its weight, so after a debt the next requests wait until the bucket has
  refilled past the debt and their own weight.
- Extra info weight is floor(items / 20) (floor(items / 60) for candleSnapshot): +1 per
  full page, as clients implement it (2000 fills cost 20 + 100).
- Address budget: a request of n (orders or cancels in the batch) is within budget when
  used + n <= cap, so a fresh address gets exactly 10,000. Past it, a request passes when
  10,000 ms have gone by since the address's last allowed request (any request, in budget
  or not); refused requests count nothing and do not move that time (TICKWRIGHT probe:
  40 refusals left nRequestsUsed alone, passes kept coming every ~11 s at 1 req/s).
- The refusal prints `(used + n > limit - 1)`: in the capture `(97460 > 97456)` the account
  had nRequestsUsed 97459 and nRequestsCap 97457; the left number rose by one per pass and
  the right one stayed at cap - 1. The capture was taken deep past the cap, so it cannot
  place the boundary itself; we keep the docs' count (exactly `cap` requests) and print the
  numbers as the venue does. For cancels, `limit` is the cancel cap.
- The volume in that text is truncated to cents and printed without trailing zeros or a bare
  dot: `$87457.46`, and `$4643` (the second capture reads `... traded $4643. Place ...`:
  the dot ends the sentence, as after `$87457.46`). Truncation keeps the printed whole
  dollars equal to the ones the cap counts.
- Websocket windows (new connections, messages) are exact rolling minutes: at most N in
  any 60,000 ms, a refused attempt not counted. Connection refusals have no captured text or
  status; the texts below are ours (the server should refuse the upgrade, e.g. HTTP 429).
- The clock going back (a virtual-time snapshot restored) is never held against a client:
  buckets keep their level and refill from the new time on, rolling windows start over, and
  an address whose last request lies in the future is not held to the 10 s wait.
- Waivers and the `enabled` switch never stop counting: a waived or disabled limit counts
  as usual and refuses nothing. Waivers are control-plane settings, not snapshot state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from math import gcd

import msgspec

from protocol.numbers import fmt_wire
from sandbox.core.units import USDC, fmt_usdc

# The venue's texts (NKTKAS-78 for the websocket frames, TICKWRIGHT probe for the address
# refusal, client code for the posts).
ADDRESS_REFUSED = (
    "Too many cumulative requests sent ({sent} > {limit}) for cumulative volume traded "
    "${volume}. Place taker orders to free up {per_usdc} request per USDC traded."
)
TOO_MANY_SUBSCRIPTIONS = "Cannot subscribe to more than {n} channels."
TOO_MANY_USERS = "Cannot track more than {n} total users."
TOO_MANY_MESSAGES = "Cannot send more than {n} messages per minute."
TOO_MANY_POSTS = "too many pending post requests id={id}"
# Not captured anywhere public; ours, in the venue's style.
TOO_MANY_CONNECTIONS = "Cannot open more than {n} websocket connections."
TOO_MANY_NEW_CONNECTIONS = "Cannot open more than {n} new websocket connections per minute."

# /info weights by request type (the docs' rate-limit page). Others weigh 20.
LIGHT_INFO = frozenset(
    ("l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState",
     "exchangeStatus")
)  # fmt: skip
HEAVY_INFO = frozenset(("userRole",))
# Types whose answer adds weight per page of items (the docs name the ledger
# `nonUserFundingUpdates`; the request type is `userNonFundingLedgerUpdates`).
PAGED_INFO = frozenset(
    ("recentTrades", "historicalOrders", "userFills", "userFillsByTime", "fundingHistory",
     "userFunding", "userNonFundingLedgerUpdates", "nonUserFundingUpdates", "twapHistory",
     "userTwapSliceFills", "userTwapSliceFillsByTime", "delegatorHistory", "delegatorRewards",
     "validatorStats")
)  # fmt: skip
CANDLE_INFO = "candleSnapshot"

_NEVER = -(1 << 62)  # the time of "no request yet": any now is long after it


class RateLimitConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Every number of the limits; the defaults are the venue's."""

    enabled: bool = True  # False: nothing is refused, everything is still counted
    # REST weight per IP (docs: "1200 weight per minute", aggregated over REST requests)
    ip_weight_per_minute: int = 1_200
    ip_window_ms: int = 60_000
    exchange_batch_per_weight: int = 40  # /exchange: 1 + floor(batch length / 40) (docs)
    info_weight_light: int = 2  # LIGHT_INFO (docs)
    info_weight_default: int = 20  # every other info type (docs)
    info_weight_heavy: int = 60  # userRole (docs)
    info_items_per_weight: int = 20  # PAGED_INFO: +1 per 20 items returned (docs)
    candle_items_per_weight: int = 60  # candleSnapshot: +1 per 60 items (docs)
    # Actions per address (docs; nRequestsCap = 10000 + floor(cumVlm), TICKWRIGHT probe)
    address_initial_requests: int = 10_000
    address_requests_per_usdc: int = 1
    address_trickle_ms: int = 10_000  # when exhausted: 1 request per 10 s (docs, probe)
    cancel_extra_requests: int = 100_000  # cancels: min(cap + 100000, cap * 2) (docs)
    cancel_cap_factor: int = 2
    # Websocket per IP (docs' newest version; older docs said 100 connections)
    max_connections: int = 10
    new_connections_per_minute: int = 30
    max_subscriptions: int = 1_000
    max_users: int = 10  # unique users across user-specific subscriptions
    messages_per_minute: int = 2_000
    max_pending_posts: int = 100
    ws_window_ms: int = 60_000

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name != "enabled" and (type(value) is not int or value < 1):
                raise ValueError(f"{name} must be a positive integer")


class AddressCount:
    """What an address has used: `used` requests, the last allowed at `last` (ms)."""

    __slots__ = ("last", "used")

    def __init__(self, used: int = 0, last: int = _NEVER) -> None:
        self.used = used
        self.last = last

    def __getstate__(self):
        return (self.used, self.last)

    def __setstate__(self, state) -> None:
        self.used, self.last = state


class _Bucket:
    """An IP's REST weight, in units (see the module docstring); negative: in debt."""

    __slots__ = ("last", "level")

    def __init__(self, level: int, last: int) -> None:
        self.level = level
        self.last = last


class _WsIp:
    """An IP's websocket counters and rolling windows."""

    __slots__ = ("connects", "messages", "open", "posts", "subscriptions", "users")

    def __init__(self, config: RateLimitConfig) -> None:
        self.open = 0
        self.connects: deque[int] = deque(maxlen=config.new_connections_per_minute)
        self.messages: deque[int] = deque(maxlen=config.messages_per_minute)
        self.subscriptions = 0
        self.users: dict[str, int] = {}  # user -> its subscriptions on this IP
        self.posts = 0

    def idle(self) -> bool:
        return not (self.open or self.subscriptions or self.posts or self.connects
                    or self.messages)  # fmt: skip


def _admit(window: deque[int], now: int, span: int, limit: int) -> bool:
    """Record an event at `now` in a rolling window of `span` ms holding at most `limit`;
    False (nothing recorded) when it is full."""
    if window and window[-1] > now:  # the clock went back: the window starts over
        window.clear()
    cutoff = now - span
    while window and window[0] <= cutoff:
        window.popleft()
    if len(window) >= limit:
        return False
    window.append(now)
    return True


class RateLimits:
    """The venue's rate limits. `now()` gives the venue's time in milliseconds."""

    def __init__(self, now: Callable[[], int], config: RateLimitConfig | None = None) -> None:
        self.config = config = config if config is not None else RateLimitConfig()
        self.now = now
        self.enabled = config.enabled  # the control plane may switch it at run time
        self.waived_addresses: set[str] = set()
        self.waived_ips: set[str] = set()
        self.addresses: dict[str, AddressCount] = {}  # the snapshot's part
        self._buckets: dict[str, _Bucket] = {}
        self._ws: dict[str, _WsIp] = {}
        g = gcd(config.ip_weight_per_minute, config.ip_window_ms)
        self._unit = config.ip_window_ms // g  # units per weight
        self._rate = config.ip_weight_per_minute // g  # units per millisecond
        self._full = config.ip_weight_per_minute * self._unit
        self._info_base = dict.fromkeys(LIGHT_INFO, config.info_weight_light)
        self._info_base.update(dict.fromkeys(HEAVY_INFO, config.info_weight_heavy))
        self._info_page = dict.fromkeys(PAGED_INFO, config.info_items_per_weight)
        self._info_page[CANDLE_INFO] = config.candle_items_per_weight

    # -- weights ---------------------------------------------------------------------------

    def exchange_weight(self, n: int) -> int:
        """An /exchange request's weight for a batch of `n` (1 for an unbatched action)."""
        return 1 + n // self.config.exchange_batch_per_weight

    def info_base_weight(self, info_type: str) -> int:
        """An /info request's weight before its answer is known."""
        return self._info_base.get(info_type, self.config.info_weight_default)

    def info_extra_weight(self, info_type: str, n_items: int) -> int:
        """The weight an answer of `n_items` adds: one per full page (floor)."""
        per_page = self._info_page.get(info_type)
        return 0 if per_page is None else n_items // per_page

    def info_weight(self, info_type: str, n_items: int) -> int:
        """An /info request's whole weight, for an answer of `n_items`."""
        return self.info_base_weight(info_type) + self.info_extra_weight(info_type, n_items)

    # -- REST weight per IP ----------------------------------------------------------------

    def _refill(self, ip: str) -> _Bucket:
        now = self.now()
        bucket = self._buckets.get(ip)
        if bucket is None:
            bucket = self._buckets[ip] = _Bucket(self._full, now)
            return bucket
        elapsed = now - bucket.last
        if elapsed > 0:
            level = bucket.level + elapsed * self._rate
            bucket.level = level if level < self._full else self._full
        bucket.last = now  # a clock gone back refills from the new time on
        return bucket

    def charge_ip(self, ip: str, weight: int) -> bool:
        """Charge a REST request's weight to `ip`: False (nothing charged) when the bucket
        holds less than `weight` (the server answers HTTP 429, body `null`)."""
        if not self.enabled or ip in self.waived_ips:
            return True
        bucket = self._refill(ip)
        need = weight * self._unit
        if bucket.level < need:
            return False
        bucket.level -= need
        return True

    def charge_extra(self, ip: str, extra: int) -> None:
        """Charge weight known only after answering; the bucket may go into debt."""
        if extra <= 0 or not self.enabled or ip in self.waived_ips:
            return
        self._refill(ip).level -= extra * self._unit

    def ip_available(self, ip: str) -> int:
        """The whole weight `ip` could spend now (negative: its debt)."""
        if ip not in self._buckets:
            return self.config.ip_weight_per_minute
        return self._refill(ip).level // self._unit

    # -- actions per address ---------------------------------------------------------------

    def address_cap(self, volume_micro_usdc: int) -> int:
        """nRequestsCap: the initial budget plus 1 per whole USDC traded."""
        config = self.config
        per_usdc = config.address_requests_per_usdc
        return config.address_initial_requests + volume_micro_usdc * per_usdc // USDC

    def cancel_cap(self, cap: int) -> int:
        config = self.config
        return min(cap + config.cancel_extra_requests, cap * config.cancel_cap_factor)

    def check_address(
        self, user: str, n: int, is_cancel: bool, volume_micro_usdc: int
    ) -> str | None:
        """Count an action of `n` requests (orders or cancels in its batch, 1 otherwise) for
        `user`: None when allowed and counted, else the venue's refusal text (nothing counted).
        `volume_micro_usdc` is the user's cumulative traded volume."""
        count = self.addresses.get(user)
        if count is None:
            count = self.addresses[user] = AddressCount()
        used = count.used + n
        now = self.now()
        limit = self.address_cap(volume_micro_usdc)
        if is_cancel:
            limit = self.cancel_cap(limit)
        if (
            used > limit
            and 0 <= now - count.last < self.config.address_trickle_ms
            and self.enabled
            and user not in self.waived_addresses
        ):
            return ADDRESS_REFUSED.format(
                sent=used, limit=limit - 1, volume=fmt_volume(volume_micro_usdc),
                per_usdc=self.config.address_requests_per_usdc,
            )  # fmt: skip
        count.used = used
        count.last = now
        return None

    def count_address(self, user: str, n: int) -> None:
        """Count `n` requests for `user` without checking (enforcement off elsewhere)."""
        count = self.addresses.get(user)
        if count is None:
            count = self.addresses[user] = AddressCount()
        count.used += n
        count.last = self.now()

    def address_usage(self, user: str, volume_micro_usdc: int) -> dict:
        """`userRateLimit`'s answer (nRequestsSurplus: reserveRequestWeight not modelled)."""
        count = self.addresses.get(user)
        return {
            "cumVlm": fmt_usdc(volume_micro_usdc),
            "nRequestsUsed": 0 if count is None else count.used,
            "nRequestsCap": self.address_cap(volume_micro_usdc),
            "nRequestsSurplus": 0,
        }

    # -- websocket per IP ------------------------------------------------------------------

    def _ws_ip(self, ip: str) -> _WsIp:
        state = self._ws.get(ip)
        if state is None:
            state = self._ws[ip] = _WsIp(self.config)
        return state

    def _enforced(self, ip: str) -> bool:
        return self.enabled and ip not in self.waived_ips

    def ws_connect(self, ip: str) -> str | None:
        """A new connection from `ip`: None when accepted (counted), else why not."""
        state = self._ws_ip(ip)
        config = self.config
        if self._enforced(ip):
            if state.open >= config.max_connections:
                return TOO_MANY_CONNECTIONS.format(n=config.max_connections)
            limit = config.new_connections_per_minute
            if not _admit(state.connects, self.now(), config.ws_window_ms, limit):
                return TOO_MANY_NEW_CONNECTIONS.format(n=limit)
        state.open += 1
        return None

    def ws_disconnect(
        self, ip: str, subscription_users: Iterable[str | None] = (), pending_posts: int = 0
    ) -> None:
        """A connection accepted by `ws_connect` closed, with its accepted subscriptions
        (the user of each, None for market data) and its posts still unanswered."""
        state = self._ws[ip]
        state.open -= 1
        for user in subscription_users:
            self._release(state, user)
        state.posts -= pending_posts
        if state.open < 0 or state.posts < 0:
            raise ValueError(f"unpaired websocket release for {ip}")

    def ws_message(self, ip: str) -> str | None:
        """A message received from `ip`: None when within the rate, else the error text."""
        if not self._enforced(ip):
            return None
        config = self.config
        limit = config.messages_per_minute
        if _admit(self._ws_ip(ip).messages, self.now(), config.ws_window_ms, limit):
            return None
        return TOO_MANY_MESSAGES.format(n=limit)

    def ws_subscribe(self, ip: str, user: str | None) -> str | None:
        """A new subscription from `ip` (`user`: the address it tracks, None for market
        data): None when accepted (counted), else the venue's error text."""
        state = self._ws_ip(ip)
        config = self.config
        if self._enforced(ip):
            if state.subscriptions >= config.max_subscriptions:
                return TOO_MANY_SUBSCRIPTIONS.format(n=config.max_subscriptions)
            if (
                user is not None
                and user not in state.users
                and len(state.users) >= config.max_users
            ):
                return TOO_MANY_USERS.format(n=config.max_users)
        state.subscriptions += 1
        if user is not None:
            state.users[user] = state.users.get(user, 0) + 1
        return None

    def ws_unsubscribe(self, ip: str, user: str | None) -> None:
        """A subscription accepted by `ws_subscribe` ended."""
        self._release(self._ws[ip], user)

    def _release(self, state: _WsIp, user: str | None) -> None:
        state.subscriptions -= 1
        if state.subscriptions < 0:
            raise ValueError("unpaired websocket unsubscribe")
        if user is not None:
            left = state.users[user] - 1
            if left:
                state.users[user] = left
            else:
                del state.users[user]

    def post_begin(self, ip: str, post_id: object) -> str | None:
        """A `post` from `ip` starts: None when accepted (counted), else the error text."""
        state = self._ws_ip(ip)
        limit = self.config.max_pending_posts
        if state.posts >= limit and self._enforced(ip):
            return TOO_MANY_POSTS.format(id=post_id)
        state.posts += 1
        return None

    def post_end(self, ip: str) -> None:
        """A `post` accepted by `post_begin` was answered."""
        state = self._ws[ip]
        state.posts -= 1
        if state.posts < 0:
            raise ValueError(f"unpaired post_end for {ip}")

    def ws_usage(self, ip: str) -> dict:
        """What `ip` holds now (for the control plane and tests)."""
        state = self._ws.get(ip)
        if state is None:
            return {"connections": 0, "subscriptions": 0, "users": 0, "pendingPosts": 0}
        return {"connections": state.open, "subscriptions": state.subscriptions,
                "users": len(state.users), "pendingPosts": state.posts}  # fmt: skip

    # -- waivers and housekeeping ----------------------------------------------------------

    def waive_address(self, user: str, waived: bool = True) -> None:
        """Exempt `user` (an address, lowercased) from its budget, or end the exemption."""
        if waived:
            self.waived_addresses.add(user.lower())
        else:
            self.waived_addresses.discard(user.lower())

    def waive_ip(self, ip: str, waived: bool = True) -> None:
        """Exempt `ip` from every IP limit (REST and websocket), or end the exemption."""
        if waived:
            self.waived_ips.add(ip)
        else:
            self.waived_ips.discard(ip)

    def prune(self) -> int:
        """Forget the IPs whose state is as a fresh IP's would be (a full bucket, nothing
        open or recent); returns how many. Linear in the IPs: call it now and then."""
        full = [ip for ip in self._buckets if self._refill(ip).level >= self._full]
        for ip in full:
            del self._buckets[ip]
        now, span = self.now(), self.config.ws_window_ms
        idle = []
        for ip, state in self._ws.items():
            for window in (state.connects, state.messages):
                if window and (window[-1] > now or window[-1] <= now - span):
                    window.clear()
            if state.idle():
                idle.append(ip)
        for ip in idle:
            del self._ws[ip]
        return len(full) + len(idle)

    def validate(self) -> None:
        """Every invariant of the state; raises AssertionError on a broken one."""
        for user, count in self.addresses.items():
            assert count.used >= 0, (user, count.used)
        for ip, bucket in self._buckets.items():
            assert bucket.level <= self._full, (ip, bucket.level)
        config = self.config
        for ip, state in self._ws.items():
            assert state.open >= 0 and state.posts >= 0, ip
            assert all(n > 0 for n in state.users.values()), (ip, state.users)
            assert sum(state.users.values()) <= state.subscriptions, ip
            for window, limit in ((state.connects, config.new_connections_per_minute),
                                  (state.messages, config.messages_per_minute)):  # fmt: skip
                assert len(window) <= limit and list(window) == sorted(window), ip


def fmt_volume(volume_micro_usdc: int) -> str:
    """Cumulative volume as the address refusal prints it: truncated to cents, no trailing
    zeros, no bare dot (`87457.46`, `4643`)."""
    return fmt_wire(volume_micro_usdc // (USDC // 100), 2)
