"""Scenarios: a market, its accounts and bots, a price path and timed events, in a TOML file,
read and checked once, at the edge, into typed values with their units converted
(milliseconds, micro-USDC, lots): `load(name_or_path)` or `parse(text)` gives a `Scenario`,
which `sandbox.sim.build` turns into a venue and `sandbox.sim.player` plays; neither reads
the file's text again.

    scenario = load("cascade")            # a built-in name, or a path to a .toml file
    venue = build(scenario)               # sandbox.sim.build: a Venue in virtual time

The format (every table and field is checked; an unknown one is an error with where):

    name = "cascade"
    base = "calm"               # optional: start from another scenario (a built-in name, or
                                # a file beside this one): its markets, makers, flow and the
                                # rest, with this file's tables merged in and its makers,
                                # flow, accounts, bots and events added
    description = "..."
    seed = 1010                 # seeds the random walks, the other venues' noise, the flow
                                # of background takers and the wallets
    start = "2025-10-10T20:50:00Z"
    duration = "6m"             # how long `scenario run` plays: "500ms", "90s", "6m", "1h",
                                # "1d"
    step = "1s"                 # how often the bots get a turn
    universe = "compact"        # "compact" (BTC, ETH, SOL, kPEPE) or "mainnet" (the 22 most
                                # traded perps of a recorded mainnet meta)

    [exchange]                  # ExchangeConfig fields; money as USDC strings
    adl_policy = "hyperliquid"
    vault_capital = "300000"

    [other_venues]              # the mark's third input, derived from the price path
    basis_bps = 2.0
    noise_bps = 2.0
    lag_ms = 0

    [markets.BTC]
    price = "60000"
    feed = "path"               # "constant" | "walk" | "path" | "replay"
    path = [["hold", "60s"], ["ramp", "30s", "57000"], ["gap", "52000"]]
    volatility = 0.03           # feed = "walk": per square root of a day
    csv = "prices.csv"          # feed = "replay", relative to the scenario file
    basis_bps = 0.5             # where the perp trades against the oracle: a mean, how far
    basis_sd_bps = 3            # it wanders and how fast it returns (the makers quote
    basis_halflife = "4h"       # around it: the premium, and funding, move with it)

    [[makers]]                  # background liquidity (sandbox.sim.makers.MarketMaker)
    name = "mm1"
    coins = ["BTC"]
    level_usdc = "100000"

    [[flow]]                    # background takers (sandbox.sim.flow.TakerFlow)
    name = "flow"
    trades_per_minute = 6

    [[accounts]]                # passive accounts, with positions opened at the price
    name = "alice"
    usdc = "10000"
    positions = [{ coin = "BTC", size = "-0.5", leverage = 5 }]

    [[bots]]                    # bots.samples kinds; `count` makes name-1, name-2, ...
    kind = "whale"
    name = "long"
    count = 10
    usdc = "5000"
    coin = "BTC"
    side = "long"
    notional = "100000"
    leverage = [10, 20, 40]     # one value, or one per bot (cycled)

    [[bots]]                    # your own bot: a command run with the sandbox's URL, its
    name = "mine"               # key and address in ADL_SANDBOX_URL, ADL_SANDBOX_KEY and
    cmd = "python mybot.py"     # ADL_SANDBOX_ADDRESS; or `class = "package.module:Class"`,
    usdc = "20000"              # a bots.Bot subclass taking (name, key, **options)

    [[events]]
    at = "60s"
    do = "pull_liquidity"       # see EVENTS ("note" only narrates its `say`)
    say = "market makers pull their quotes"
"""

from __future__ import annotations

import datetime
import re
import shlex
import tomllib
from importlib import resources
from pathlib import Path as FilePath
from typing import Any

import msgspec

from protocol import signing
from protocol.numbers import to_scaled
from sandbox.core.config import ExchangeConfig
from sandbox.core.instruments import UNIVERSES
from sandbox.core.units import PERP_MAX_DECIMALS, parse_usdc
from sandbox.server.config import OtherVenuesConfig
from sandbox.sim.oracle import MAX_SHOCK_MS, MAX_SHOCK_PCT, price_error

BUILT_IN = ("calm", "cascade", "crash")
EVENTS = (
    "pull_liquidity", "restore_liquidity", "set_price", "shock", "pause", "resume",
    "liquidate", "adl", "deposit", "note",
)  # fmt: skip
# ExchangeConfig fields a scenario may set, and which of them are USDC amounts.
_EXCHANGE_USDC = ("vault_capital", "partial_liquidation_threshold", "min_order_value")
_EXCHANGE_FIELDS = (
    *_EXCHANGE_USDC, "adl_policy", "adl_price", "mark_rule", "hyperliquid_short_index",
    "default_leverage", "vault_loss_threshold_pct", "partial_liquidation_pct",
    "liquidation_cooldown_ms", "vault_unwind_interval_ms", "vault_unwind_pct",
    "vault_unwind_slippage_bps", "taker_fee", "maker_fee", "schedule_cancel_min_volume",
)  # fmt: skip


class ScenarioError(ValueError):
    """The scenario cannot be read or does not make sense; the text says where."""


# -- the file, as written ----------------------------------------------------------------------

Duration = int | str


class _Market(msgspec.Struct, forbid_unknown_fields=True):
    price: str
    feed: str = "constant"
    path: list[list[Any]] = []
    volatility: float = 0.03
    csv: str | None = None
    basis_bps: float = 0.0
    basis_sd_bps: float = 0.0
    basis_halflife: Duration = "4h"


class _Maker(msgspec.Struct, forbid_unknown_fields=True):
    name: str = "mm1"
    coins: list[str] | None = None
    levels: int = 5
    spread_bps: float = 5
    step_bps: float = 5
    level_usdc: str = "50000"
    growth_pct: float = 0
    requote: Duration = "1s"
    requote_bps: float = 0.0
    capital: str = "10000000"


class _Flow(msgspec.Struct, forbid_unknown_fields=True):
    name: str = "flow"
    coins: list[str] | None = None
    trades_per_minute: float = 6.0
    order_usdc: str = "2000"
    traders: int = 20
    leverage: int = 5
    usdc: str = "50000"


class _Position(msgspec.Struct, forbid_unknown_fields=True):
    coin: str
    size: str  # signed: negative is short
    leverage: int | None = None
    cross: bool = True


class _Account(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    usdc: str = "0"
    positions: list[_Position] = []


class _Bot(msgspec.Struct, forbid_unknown_fields=True, rename={"cls": "class"}):
    name: str
    kind: str | None = None
    cmd: str | None = None
    cls: str | None = None
    count: int = 1
    usdc: str = "10000"
    coin: str = "BTC"
    side: str = "long"
    notional: str = "100000"
    leverage: int | list[int] = 10
    slices: int = 5
    on_adl: str = "stand_down"
    options: dict[str, Any] = {}  # more of the bot's own parameters


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    at: Duration
    do: str
    say: str | None = None
    coin: str | None = None
    coins: list[str] | None = None
    px: str | None = None
    pct: float | None = None
    over: Duration = 0
    makers: list[str] | None = None
    account: str | None = None
    stage: str = "market"
    sz: str | None = None
    usdc: str | None = None


class _OtherVenues(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool = True
    basis_bps: float = 0.0
    noise_bps: float = 2.0
    lag_ms: int = 0


class _File(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    markets: dict[str, _Market]
    description: str = ""
    seed: int = 0
    start: str = "2025-10-10T20:50:00Z"
    duration: Duration = "5m"
    step: Duration = "1s"
    universe: str = "compact"
    exchange: dict[str, Any] = {}
    other_venues: _OtherVenues = msgspec.field(default_factory=_OtherVenues)
    makers: list[_Maker] = []
    flow: list[_Flow] = []
    accounts: list[_Account] = []
    bots: list[_Bot] = []
    events: list[_Event] = []


# -- the scenario, decoded ---------------------------------------------------------------------


class Segment(msgspec.Struct, frozen=True):
    """A scripted path's segment: hold `ms`, ramp over `ms` to `px`, or gap to `px`."""

    kind: str
    ms: int = 0
    px: float = 0.0


class Market(msgspec.Struct, frozen=True):
    coin: str
    price: float
    feed: str  # "constant" | "walk" | "path" | "replay"
    volatility: float = 0.03
    segments: tuple[Segment, ...] = ()
    csv: str | None = None  # an absolute path
    basis_bps: float = 0.0  # where the perp trades against the oracle, on average
    basis_sd_bps: float = 0.0  # how far it wanders (sandbox.sim.oracle.Basis)
    basis_halflife_ms: int = 4 * 3_600_000


class Maker(msgspec.Struct, frozen=True):
    name: str
    coins: tuple[str, ...]
    levels: int
    spread_bps: float
    step_bps: float
    level_usdc: int  # micro-USDC
    growth_pct: float  # each level this much larger than the one before
    requote_ms: int
    requote_bps: float  # move of the price that makes it requote (0: any)
    capital: int  # micro-USDC


class Flow(msgspec.Struct, frozen=True):
    name: str
    coins: tuple[str, ...]
    trades_per_minute: float  # per coin
    order_usdc: int  # micro-USDC, the mean order
    traders: int
    leverage: int
    usdc: int  # each trader's, micro-USDC


class Position(msgspec.Struct, frozen=True):
    coin: str
    size: int  # lots, signed
    leverage: int | None
    cross: bool


class Account(msgspec.Struct, frozen=True):
    name: str
    usdc: int
    positions: tuple[Position, ...]


class Bot(msgspec.Struct, frozen=True):
    """One bot: a sample kind (`kind`), your command (`cmd`, as a list of arguments) or
    your class (`cls`, "module:Class"); `options` are what its constructor takes."""

    name: str
    usdc: int
    kind: str | None = None
    cmd: tuple[str, ...] | None = None
    cls: str | None = None
    options: dict[str, Any] = {}


class Event(msgspec.Struct, frozen=True):
    at_ms: int
    do: str
    say: str | None = None
    coin: str | None = None
    coins: tuple[str, ...] = ()
    px: float | None = None
    pct: float | None = None
    over_ms: int = 0
    makers: tuple[str, ...] = ()
    account: str | None = None
    stage: str = "market"
    sz: int | None = None  # lots
    usdc: int | None = None

    def describe(self) -> str:
        """What the event does, in words (its `say`, when it has one)."""
        if self.say:
            return self.say
        kind = self.do
        if kind in ("pull_liquidity", "restore_liquidity"):
            who = ", ".join(self.makers) if self.makers else "the market makers"
            return f"{who} {'pull their quotes' if kind == 'pull_liquidity' else 'quote again'}"
        if kind == "set_price":
            return f"the {self.coin} oracle is set to {self.px:g}"
        if kind == "shock":
            over = f" over {_span(self.over_ms)}" if self.over_ms else ""
            return f"{self.coin} is shocked {self.pct:+g}%{over}"
        if kind in ("pause", "resume"):
            where = f" in {', '.join(self.coins)}" if self.coins else ""
            return f"matching {'pauses' if kind == 'pause' else 'resumes'}{where}"
        if kind == "liquidate":
            return f"{self.account} is liquidated ({self.stage})"
        if kind == "adl":
            return f"{self.account}'s {self.coin} position is auto-deleveraged"
        if kind == "deposit":
            return f"{self.account} deposits {self.usdc / 1_000_000:g} USDC"
        return ""


class Scenario(msgspec.Struct, frozen=True):
    name: str
    description: str
    source: str
    seed: int
    start_ms: int
    duration_ms: int
    step_ms: int
    exchange: ExchangeConfig
    other_venues: OtherVenuesConfig
    markets: tuple[Market, ...]
    makers: tuple[Maker, ...]
    flows: tuple[Flow, ...]
    accounts: tuple[Account, ...]
    bots: tuple[Bot, ...]
    events: tuple[Event, ...]  # in time order

    def with_overrides(self, *, seed: int | None = None, policy: str | None = None) -> Scenario:
        """The same scenario with another seed or ADL policy."""
        out = self
        if seed is not None:
            venues = msgspec.structs.replace(self.other_venues, seed=seed)
            out = msgspec.structs.replace(out, seed=seed, other_venues=venues)
        if policy is not None:
            try:
                config = msgspec.structs.replace(self.exchange, adl_policy=policy)
            except ValueError as exc:
                raise ScenarioError(f"policy: {exc}") from None
            out = msgspec.structs.replace(out, exchange=config)
        return out

    def wallets(self) -> dict[str, str]:
        """The address of every account and bot, by name."""
        names = [a.name for a in self.accounts] + [b.name for b in self.bots]
        return {name: signing.address_of(wallet_key(self.seed, name)) for name in names}

    def market(self, coin: str) -> Market:
        return next(m for m in self.markets if m.coin == coin)


def _span(ms: int) -> str:
    """A short length of time in words: 10 min, 90 s, 1.5 h."""
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1_000)):
        if ms >= size and (ms % size == 0 or unit == "s"):
            return f"{ms / size:g} {unit}"
    return f"{ms} ms"


def wallet_key(seed: int, name: str) -> bytes:
    """The private key of a scenario's account or bot: fixed by the seed and the name."""
    return signing.keccak(f"adl-sandbox scenario {seed} {name}".encode())


# -- reading ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(value: Duration) -> int:
    """Milliseconds from an int (ms) or a string: "500ms", "90s", "6m", "1h", "1d"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ScenarioError(f"not a duration: {value!r} (e.g. 500ms, 90s, 6m, 1h, 1d)")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)])


def load(name_or_path: str, *, seed: int | None = None, policy: str | None = None) -> Scenario:
    """A built-in scenario by name, or a scenario file."""
    if name_or_path in BUILT_IN:
        files = resources.files("sandbox.sim.scenarios")
        text = files.joinpath(f"{name_or_path}.toml").read_text()
        source = f"built-in {name_or_path}"
    else:
        path = FilePath(name_or_path)
        if not path.is_file():
            raise ScenarioError(
                f"no scenario {name_or_path!r}: not a file, nor one of {', '.join(BUILT_IN)}"
            )
        text, source = path.read_text(), str(path.resolve())
    return parse(text, source, seed=seed, policy=policy)


def parse(text: str, source: str = "<string>", *, seed: int | None = None,
          policy: str | None = None) -> Scenario:  # fmt: skip
    data = _read(text, source)
    try:
        raw = msgspec.convert(data, _File)
    except msgspec.ValidationError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return _Decoder(raw, source).scenario().with_overrides(seed=seed, policy=policy)


# the lists a scenario adds to its base's; every other key replaces the base's
_ADDED = ("makers", "flow", "accounts", "bots", "events")


def _read(text: str, source: str, depth: int = 0) -> dict:
    """The file's tables, with those of its `base` (a built-in name or a path relative to
    the file) beneath them: its tables are merged into the base's key by key (a market it
    names replaces the base's market of that coin), its makers, flow, accounts, bots and
    events are added to the base's, and anything else it says replaces the base's."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str) or depth >= 4:
        raise ScenarioError(f"{source}: base: a built-in name or a file (at most 4 deep)")
    if base in BUILT_IN:
        files = resources.files("sandbox.sim.scenarios")
        base_text, base_source = files.joinpath(f"{base}.toml").read_text(), f"built-in {base}"
    else:
        path = FilePath(base)
        if not path.is_absolute() and not source.startswith(("built-in", "<")):
            path = FilePath(source).parent / path
        if not path.is_file():
            raise ScenarioError(f"{source}: base: no scenario {base!r}: not a file, nor one "
                                f"of {', '.join(BUILT_IN)}")  # fmt: skip
        base_text, base_source = path.read_text(), str(path.resolve())
    merged = _read(base_text, base_source, depth + 1)
    for key, value in data.items():
        if key in _ADDED and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


class _Decoder:
    """Checks the file and converts every value to the units the rest works in."""

    def __init__(self, raw: _File, source: str) -> None:
        self.raw = raw
        self.source = source
        here = not source.startswith(("built-in", "<"))
        self.folder = FilePath(source).parent if here else None

    def scenario(self) -> Scenario:
        raw = self.raw
        exchange = self.exchange()
        self.sz_decimals = {spec.name: spec.sz_decimals for spec in exchange.instruments}
        markets = tuple(self.market(coin, m) for coin, m in raw.markets.items())
        self.coins = tuple(m.coin for m in markets)
        makers = tuple(self.maker(m) for m in raw.makers)
        accounts = tuple(self.account(a, bool(makers)) for a in raw.accounts)
        bots = tuple(bot for spec in raw.bots for bot in self.bots(spec))
        names = [a.name for a in accounts] + [b.name for b in bots]
        if len(set(names)) != len(names):
            raise ScenarioError("accounts and bots need names of their own")
        events = tuple(sorted((self.event(e, set(names), {m.name for m in makers})
                               for e in raw.events), key=lambda e: e.at_ms))  # fmt: skip
        step = self.duration("step", raw.step)
        if step <= 0:
            raise ScenarioError("step must be more than 0")
        venues = raw.other_venues
        try:
            other_venues = OtherVenuesConfig(enabled=venues.enabled, basis_bps=venues.basis_bps,
                                             noise_bps=venues.noise_bps, lag_ms=venues.lag_ms,
                                             seed=raw.seed)  # fmt: skip
        except ValueError as exc:
            raise ScenarioError(f"other_venues: {exc}") from None
        return Scenario(
            raw.name, raw.description, self.source, raw.seed, self.start_ms(),
            self.duration("duration", raw.duration), step, exchange, other_venues, markets, makers,
            tuple(self.flow(f) for f in raw.flow), accounts, bots, events,
        )  # fmt: skip

    # -- pieces --------------------------------------------------------------------------------

    @staticmethod
    def duration(where: str, value: Duration) -> int:
        try:
            return duration_ms(value)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None

    def start_ms(self) -> int:
        start = self.raw.start
        try:
            when = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"start: not an ISO time: {start!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return int(when.timestamp() * 1000)

    def exchange(self) -> ExchangeConfig:
        raw = self.raw
        if raw.universe not in UNIVERSES:
            raise ScenarioError(f"universe: one of {', '.join(UNIVERSES)}")
        instruments, tables = UNIVERSES[raw.universe]
        fields: dict[str, Any] = {"instruments": instruments, "margin_tables": tables}
        for field, value in raw.exchange.items():
            if field not in _EXCHANGE_FIELDS:
                raise ScenarioError(f"exchange.{field}: not a setting (settings: "
                                    f"{', '.join(_EXCHANGE_FIELDS)})")  # fmt: skip
            fields[field] = usdc_amount(value, f"exchange.{field}") if field in _EXCHANGE_USDC \
                else value  # fmt: skip
        try:
            return msgspec.convert(fields, ExchangeConfig)
        except (msgspec.ValidationError, ValueError) as exc:
            raise ScenarioError(f"exchange: {exc}") from None

    def known(self, coin: str | None, where: str) -> str:
        if coin not in self.coins:
            raise ScenarioError(f"{where}: {coin} is not among the markets")
        return coin

    def market(self, coin: str, m: _Market) -> Market:
        where = f"markets.{coin}"
        if coin not in self.sz_decimals:
            coins = ", ".join(sorted(self.sz_decimals))
            raise ScenarioError(f"{where}: no such coin in the {self.raw.universe} universe "
                                f"(coins: {coins})")  # fmt: skip
        if m.feed not in ("constant", "walk", "path", "replay"):
            raise ScenarioError(f"{where}.feed: constant, walk, path or replay")
        price = positive(m.price, f"{where}.price")
        if m.volatility < 0:
            raise ScenarioError(f"{where}.volatility: must not be negative")
        csv = None
        if m.feed == "replay":
            if not m.csv:
                raise ScenarioError(f'{where}: feed = "replay" needs csv')
            path = FilePath(m.csv)
            if not path.is_absolute() and self.folder is not None:
                path = self.folder / path
            csv = str(path)
        segments = tuple(self.segment(s, f"{where}.path") for s in m.path)
        if m.basis_sd_bps < 0:
            raise ScenarioError(f"{where}.basis_sd_bps: must not be negative")
        halflife = duration_ms(m.basis_halflife)
        if halflife <= 0:
            raise ScenarioError(f"{where}.basis_halflife: must be more than 0")
        return Market(coin, price, m.feed, m.volatility, segments, csv, m.basis_bps,
                      m.basis_sd_bps, halflife)  # fmt: skip

    def segment(self, segment: list, where: str) -> Segment:
        if not segment or segment[0] not in ("hold", "ramp", "gap"):
            raise ScenarioError(f"{where}: segments are hold, ramp or gap: {segment}")
        try:
            if segment[0] == "hold":
                return Segment("hold", duration_ms(segment[1]))
            if segment[0] == "ramp":
                return Segment("ramp", duration_ms(segment[1]), positive(segment[2], where))
            return Segment("gap", 0, positive(segment[1], where))
        except IndexError:
            raise ScenarioError(f"{where}: {segment}: missing a value") from None

    def maker(self, m: _Maker) -> Maker:
        where = f"makers {m.name}"
        coins = tuple(self.known(c, where) for c in m.coins) if m.coins else self.coins
        if m.levels < 1 or not m.spread_bps > 0 or not m.step_bps > 0 or m.growth_pct < 0:
            raise ScenarioError(f"{where}: levels at least 1, spread_bps and step_bps above "
                                "0, growth_pct not negative")  # fmt: skip
        if m.requote_bps < 0:
            raise ScenarioError(f"{where}: requote_bps must not be negative")
        requote = duration_ms(m.requote)
        if requote <= 0:
            raise ScenarioError(f"{where}: requote must be more than 0")
        return Maker(m.name, coins, m.levels, m.spread_bps, m.step_bps,
                     usdc_amount(m.level_usdc, f"{where}: level_usdc"), m.growth_pct, requote,
                     m.requote_bps, usdc_amount(m.capital, f"{where}: capital"))  # fmt: skip

    def flow(self, f: _Flow) -> Flow:
        where = f"flow {f.name}"
        coins = tuple(self.known(c, where) for c in f.coins) if f.coins else self.coins
        if f.trades_per_minute < 0 or f.traders < 1 or f.leverage < 1:
            raise ScenarioError(f"{where}: trades_per_minute not negative, traders and "
                                "leverage at least 1")  # fmt: skip
        return Flow(f.name, coins, f.trades_per_minute,
                    usdc_amount(f.order_usdc, f"{where}: order_usdc"), f.traders, f.leverage,
                    usdc_amount(f.usdc, f"{where}: usdc"))  # fmt: skip

    def account(self, a: _Account, has_makers: bool) -> Account:
        where = f"accounts {a.name}"
        positions = []
        for pos in a.positions:
            self.known(pos.coin, where)
            if not has_makers:
                raise ScenarioError(f"{where}: positions are opened against the first market "
                                    "maker; the scenario has none")  # fmt: skip
            negative = pos.size.strip().startswith("-")
            lots = coin_size(pos.coin, pos.size.strip().lstrip("-"), self.sz_decimals,
                             f"{where}: {pos.coin} size")  # fmt: skip
            positions.append(Position(pos.coin, -lots if negative else lots, pos.leverage,
                                      pos.cross))  # fmt: skip
        return Account(a.name, usdc_amount(a.usdc, f"{where}: usdc"), tuple(positions))

    def bots(self, b: _Bot) -> list[Bot]:
        from bots.samples import KINDS

        where = f"bots {b.name}"
        given = [x for x in (b.kind, b.cmd, b.cls) if x is not None]
        if len(given) != 1:
            raise ScenarioError(f"{where}: give one of kind (a sample bot), cmd (a command) "
                                "or class (module:Class)")  # fmt: skip
        if b.kind is not None and b.kind not in KINDS:
            raise ScenarioError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if b.cls is not None and not re.fullmatch(r"[\w.]+:\w+", b.cls):
            raise ScenarioError(f"{where}: class is module:Class, e.g. mybots.grid:GridBot")
        cmd = None
        if b.cmd is not None:
            try:
                cmd = tuple(shlex.split(b.cmd))
            except ValueError as exc:
                raise ScenarioError(f"{where}: cmd: {exc}") from None
            if not cmd:
                raise ScenarioError(f"{where}: cmd is empty")
        if b.count < 1:
            raise ScenarioError(f"{where}: count must be at least 1")
        if b.kind is not None:
            self.known(b.coin, where)
        usdc = usdc_amount(b.usdc, f"{where}: usdc")
        levers = b.leverage if isinstance(b.leverage, list) else [b.leverage]
        out = []
        for i in range(b.count):
            name = b.name if b.count == 1 else f"{b.name}-{i + 1}"
            options: dict[str, Any] = {}
            if b.kind is not None:
                options["coin"] = b.coin
                if b.kind in ("whale", "adl_aware"):
                    options |= {"side": b.side, "notional": b.notional,
                                "leverage": levers[i % len(levers)], "slices": b.slices}  # fmt: skip
                if b.kind == "adl_aware":
                    options["on_adl"] = b.on_adl
            options |= b.options
            out.append(Bot(name, usdc, b.kind, cmd, b.cls, options))
        return out

    def event(self, e: _Event, accounts: set[str], makers: set[str]) -> Event:
        where = f"events at {e.at}"
        at = duration_ms(e.at)
        if e.do not in EVENTS:
            raise ScenarioError(f"{where}: do must be one of {', '.join(EVENTS)}")
        if e.do in ("set_price", "shock", "adl") and e.coin not in self.coins:
            raise ScenarioError(f"{where}: {e.do} needs a coin among the markets")
        if e.coin is not None:
            self.known(e.coin, where)
        coins = tuple(self.known(c, where) for c in e.coins or ())
        if e.do == "set_price" and e.px is None:
            raise ScenarioError(f"{where}: set_price needs px")
        if e.do == "shock" and e.pct is None:
            raise ScenarioError(f"{where}: shock needs pct")
        if e.do == "shock" and not -100 < e.pct <= MAX_SHOCK_PCT:
            raise ScenarioError(f"{where}: pct must be above -100 and at most {MAX_SHOCK_PCT:,}")
        if e.do == "shock" and duration_ms(e.over) > MAX_SHOCK_MS:
            raise ScenarioError(f"{where}: over must be a year or less")
        if e.do == "set_price":
            reason = price_error(positive(e.px, f"{where}: px"),
                                 10 ** (PERP_MAX_DECIMALS - self.sz_decimals[e.coin]))  # fmt: skip
            if reason is not None:
                raise ScenarioError(f"{where}: px {reason}")
        if e.do in ("liquidate", "adl", "deposit") and e.account not in accounts:
            raise ScenarioError(f"{where}: {e.do} needs the name of an account or bot")
        if e.stage not in ("market", "backstop"):
            raise ScenarioError(f'{where}: stage must be "market" or "backstop"')
        for maker in e.makers or ():
            if maker not in makers:
                raise ScenarioError(f"{where}: no market maker {maker!r}")
        sz = None
        if e.sz is not None:
            sz = coin_size(e.coin, e.sz, self.sz_decimals, f"{where}: sz")
        return Event(
            at, e.do, e.say, e.coin, coins,
            positive(e.px, f"{where}: px") if e.px is not None else None, e.pct,
            duration_ms(e.over), tuple(e.makers or ()), e.account, e.stage, sz,
            usdc_amount(e.usdc, f"{where}: usdc") if e.usdc is not None else None,
        )  # fmt: skip


def coin_size(coin: str, text: str, sz_decimals: dict[str, int], where: str) -> int:
    """A size of `coin` in lots."""
    try:
        return to_scaled(text, sz_decimals[coin])
    except ValueError:
        raise ScenarioError(f"{where} {text!r} is not a size of {coin}") from None


def positive(text: Any, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ScenarioError(f"{where}: must be positive")
    return value


def usdc_amount(text: Any, where: str) -> int:
    try:
        return parse_usdc(str(text))
    except ValueError:
        raise ScenarioError(f"{where}: not an amount of USDC: {text!r}") from None
