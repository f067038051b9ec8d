"""Configuration of the server around the exchange."""

from __future__ import annotations

import msgspec

from sandbox.core.config import ExchangeConfig

DAY_MS = 86_400_000


class ServerConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 3001
    admin_token: str | None = None  # None: a fresh random token at start
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
    ws_buffer_limit: int = 8 * 1_048_576  # bytes waiting for a slow client before it is cut off
    ws_idle_timeout_s: float = 60.0  # the venue closes a socket it has sent nothing to
    ws_greeting: bool = True  # "Websocket connection established." on connect
    max_body_bytes: int = 1_048_576
    max_subscriptions: int = 1_000  # per connection
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
