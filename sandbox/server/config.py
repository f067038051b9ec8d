"""Configuration of the server around the exchange."""

from __future__ import annotations

import msgspec

from sandbox.core.config import ExchangeConfig
from sandbox.server.limits import RateLimitConfig

DAY_MS = 86_400_000

# How often feeds go out: (kind, least ms between two pushes of a change, ms after which the
# whole state is pushed again unchanged; 0: never). The venue's cadences as measured on its
# live API (a public probe, 2026-08; oppenxyz/oppen's captures, 2026-09): state feeds about
# every 4-5 s, activeAssetCtx about every second, allMids about every 5 s, l2Book at most
# every 0.5 s (docs) and about every 5 s unchanged, allDexsAssetCtxs about every 15 s.
CADENCE = (
    ("l2Book", 500, 5_000),
    ("allMids", 0, 5_000),
    ("activeAssetCtx", 0, 1_000),
    ("assetCtxs", 0, 5_000),
    ("allDexsAssetCtxs", 15_000, 15_000),
    ("clearinghouseState", 0, 5_000),
    ("openOrders", 0, 5_000),
    ("webData3", 0, 5_000),
    ("spotState", 0, 5_000),
    ("twapStates", 0, 5_000),
    ("allDexsClearinghouseState", 0, 5_000),
    ("activeAssetData", 0, 5_000),
    ("webData2", 0, 15_000),  # throttled to 15 s before the venue dropped it
)


class OtherVenuesConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The other venues' perp mids posted with the oracle (the mark's third input): the
    oracle `lag_ms` ago, `basis_bps` away, with `noise_bps` of seeded noise. `enabled`
    false posts none, and the mark falls back to the book's EMA as its third input, as the
    venue does when the other venues are missing."""

    enabled: bool = True
    basis_bps: float = 0.0
    noise_bps: float = 2.0
    lag_ms: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.noise_bps < 0 or self.lag_ms < 0:
            raise ValueError("other venues: noise_bps and lag_ms must not be negative")


class ServerConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 3001
    admin_token: str | None = None  # None: a fresh random token at start
    # Browser pages that may use the control plane and the websocket besides the sandbox's
    # own and any on this machine (http://localhost:5173, say): other sites' pages are
    # refused, so that a page the developer visits cannot drive their sandbox.
    allowed_origins: tuple[str, ...] = ()
    # Which phantom-agent source L1 signatures are recovered with: "testnet" ("b", what
    # every client pointed at a local server uses), "mainnet" ("a"), or "auto" (try both,
    # keep the one that recovers a known account or agent).
    chain: str = "auto"
    # "realtime": the wall clock; "virtual": time moves only when told (`Venue.advance`,
    # `POST /sandbox/clock/advance`), and everything due in between runs in order.
    time: str = "realtime"
    start_ms: int | None = None  # virtual time's start (default: the wall clock at start)
    # Market data (books, trades, mids, candles, contexts) is coalesced per block.
    block_ms: int = 100
    # How often the clock lets time pass in the core (funding, scheduled cancels, the
    # vault's unwinding) when no command does.
    tick_ms: int = 250
    oracle_ms: int = 3_000  # how often the price feeds post the oracle (the venue: ~3 s)
    other_venues: OtherVenuesConfig = msgspec.field(default_factory=OtherVenuesConfig)
    ws_buffer_limit: int = 8 * 1_048_576  # bytes waiting for a slow client before it is cut off
    ws_idle_timeout_s: float = 60.0  # the venue closes a socket it has sent nothing to
    # "Websocket connection established." on connect: the live venue sends none (measured
    # 2026-08); older clients expected it.
    ws_greeting: bool = False
    # webData2: refused, as the live venue refuses it (2026-08); True serves it for older
    # clients (hyperliquid-python-sdk 0.24.0 still offers it).
    ws_webdata2: bool = False
    # A subscription naming an unknown coin: "close" drops the connection without a close
    # frame, as the venue was measured to (2026-09); "error" answers an error frame.
    ws_unknown_coin: str = "close"
    cadence: tuple[tuple[str, int, int], ...] = CADENCE
    # The venue's rate limits (per IP, per address, websocket). Off unless asked: the CLI
    # serves with them on; tests and scenarios, whose clients share one IP, run without.
    rate_limits: RateLimitConfig = msgspec.field(
        default_factory=lambda: RateLimitConfig(enabled=False)
    )
    max_body_bytes: int = 1_048_576
    # HTTP connections: one that has sent no complete request for this long after it opened
    # or after its last answer is closed (idle keep-alive, and headers sent a byte at a time);
    # a body still not read this long after its headers is answered 408
    http_idle_timeout_s: float = 30.0
    http_body_timeout_s: float = 30.0
    # Subscriptions per connection, limits or not (the venue's 1000 per IP when they are on).
    max_subscriptions: int = 1_000
    max_batch: int = 200  # orders or cancels in one action (the venue's weight limit)
    nonce_past_ms: int = 2 * DAY_MS  # nonces must lie within (now - past, now + future)
    nonce_future_ms: int = DAY_MS
    history_fills: int = 10_000  # per user, as far back as the venue serves
    history_orders: int = 2_000
    history_ledger: int = 2_000
    # Check every invariant of the core after every command (for tests: a broken one raises
    # InvariantError out of the request and is kept in `Venue.invariant_failures`).
    validate_each_command: bool = False
    exchange: ExchangeConfig = msgspec.field(default_factory=ExchangeConfig)

    def __post_init__(self) -> None:
        if self.time not in ("realtime", "virtual"):
            raise ValueError('time must be "realtime" or "virtual"')
        if self.chain not in ("testnet", "mainnet", "auto"):
            raise ValueError('chain must be "testnet", "mainnet" or "auto"')
        if self.ws_unknown_coin not in ("close", "error"):
            raise ValueError('ws_unknown_coin must be "close" or "error"')
