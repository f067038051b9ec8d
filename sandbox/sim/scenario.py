"""Scenarios: a market, its accounts and bots, a price path and timed events, in a TOML file.

    scenario = load("cascade")            # a built-in name, or a path to a .toml file
    venue = build(scenario)               # sandbox.sim.build: a Venue in virtual time

`sandbox.sim.build.build` sets up everything that lives in the venue: the exchange's configuration (ADL
policy, the vault's capital and loss threshold, ...), each market's oracle path, the
market makers, funded accounts with their opening positions, the bots' funded wallets, and
the timed events, scheduled on the venue's timeline. The bots themselves connect over the
network (`sandbox.sim.player`). The same scenario and seed build the same venue, and a run in
virtual time is the same run every time.

The format (every table and field is checked; an unknown one is an error):

    name = "cascade"
    description = "..."
    seed = 1010                 # seeds random walks and the bots' wallets
    start = "2025-10-10T20:50:00Z"
    duration = "6m"             # how long `scenario run` plays; "500ms", "90s", "6m", "1h"
    step = "1s"                 # how often the bots get a turn

    [exchange]                  # ExchangeConfig fields; money as USDC strings
    adl_policy = "hyperliquid"
    vault_capital = "300000"

    [markets.BTC]
    price = "60000"
    feed = "path"               # "constant" | "walk" | "path" | "replay"
    path = [["hold", "60s"], ["ramp", "30s", "57000"], ["gap", "52000"]]
    volatility = 0.03           # feed = "walk"
    csv = "prices.csv"          # feed = "replay", relative to the scenario file

    [[makers]]                  # background liquidity (sandbox.sim.makers.MarketMaker)
    name = "mm1"
    coins = ["BTC"]
    level_usdc = "100000"

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

    [[events]]
    at = "60s"
    do = "pull_liquidity"       # see EVENTS ("note" only narrates its `say`)
    say = "market makers pull their quotes"
"""

from __future__ import annotations

import datetime
import re
import tomllib
from importlib import resources
from pathlib import Path as FilePath
from typing import Any

import msgspec

from protocol import signing
from protocol.numbers import to_scaled
from sandbox.core.config import ExchangeConfig
from sandbox.core.instruments import DEFAULT_INSTRUMENTS
from sandbox.core.units import parse_usdc

BUILT_IN = ("calm", "cascade")
_SZ_DECIMALS = {spec.name: spec.sz_decimals for spec in DEFAULT_INSTRUMENTS}
EVENTS = (
    "pull_liquidity", "restore_liquidity", "set_price", "shock", "pause", "resume",
    "liquidate", "adl", "deposit", "note",
)  # fmt: skip
# ExchangeConfig fields a scenario may set, and which of them are USDC amounts or durations.
_EXCHANGE_USDC = ("vault_capital", "partial_liquidation_threshold", "min_order_value")
_EXCHANGE_FIELDS = (
    *_EXCHANGE_USDC, "adl_policy", "mark_rule", "hyperliquid_short_index", "default_leverage",
    "vault_loss_threshold_pct", "partial_liquidation_pct", "liquidation_cooldown_ms",
    "vault_unwind_interval_ms", "vault_unwind_pct", "vault_unwind_slippage_bps",
    "taker_fee", "maker_fee",
)  # fmt: skip


class ScenarioError(ValueError):
    """The scenario cannot be read or does not make sense; the text says where."""


Duration = int | str


class Market(msgspec.Struct, forbid_unknown_fields=True):
    price: str
    feed: str = "constant"
    path: list[list[Any]] = []
    volatility: float = 0.03
    csv: str | None = None


class Maker(msgspec.Struct, forbid_unknown_fields=True):
    name: str = "mm1"
    coins: list[str] | None = None
    levels: int = 5
    spread_bps: int = 5
    step_bps: int = 5
    level_usdc: str = "50000"
    requote: Duration = "1s"
    capital: str = "10000000"


class PositionSpec(msgspec.Struct, forbid_unknown_fields=True):
    coin: str
    size: str  # signed: negative is short
    leverage: int | None = None
    cross: bool = True


class AccountSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    usdc: str = "0"
    positions: list[PositionSpec] = []


class BotSpec(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    name: str
    count: int = 1
    usdc: str = "10000"
    coin: str = "BTC"
    side: str = "long"
    notional: str = "100000"
    leverage: int | list[int] = 10
    slices: int = 5
    on_adl: str = "stand_down"
    options: dict[str, Any] = {}  # more of the bot's own parameters (bots.samples)


class EventSpec(msgspec.Struct, forbid_unknown_fields=True):
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


class Scenario(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    markets: dict[str, Market]
    description: str = ""
    seed: int = 0
    start: str = "2025-10-10T20:50:00Z"
    duration: Duration = "5m"
    step: Duration = "1s"
    exchange: dict[str, Any] = {}
    makers: list[Maker] = []
    accounts: list[AccountSpec] = []
    bots: list[BotSpec] = []
    events: list[EventSpec] = []
    source: str = ""  # where it was read from (set by `load`)

    @property
    def duration_ms(self) -> int:
        return duration_ms(self.duration)

    @property
    def step_ms(self) -> int:
        return duration_ms(self.step)

    @property
    def start_ms(self) -> int:
        try:
            when = datetime.datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"start: not an ISO time: {self.start!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return int(when.timestamp() * 1000)


# -- reading ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000}


def duration_ms(value: Duration) -> int:
    """Milliseconds from an int (ms) or a string: "500ms", "90s", "6m", "1h"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ScenarioError(f"not a duration: {value!r} (e.g. 500ms, 90s, 6m, 1h)")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)])


def load(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file."""
    if name_or_path in BUILT_IN:
        text = resources.files("sandbox.sim.scenarios").joinpath(f"{name_or_path}.toml").read_text()
        source = f"built-in {name_or_path}"
    else:
        path = FilePath(name_or_path)
        if not path.is_file():
            raise ScenarioError(
                f"no scenario {name_or_path!r}: not a file, nor one of {', '.join(BUILT_IN)}"
            )
        text, source = path.read_text(), str(path.resolve())
    return parse(text, source)


def parse(text: str, source: str = "<string>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    try:
        scenario = msgspec.convert(data, Scenario)
    except msgspec.ValidationError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    scenario.source = source
    check(scenario)
    return scenario


def check(s: Scenario) -> None:
    """Everything `build` will need, checked up front with a clear message."""
    from bots.samples import KINDS

    known = set(_SZ_DECIMALS)
    for coin, market in s.markets.items():
        if coin not in known:
            raise ScenarioError(f"markets.{coin}: no such coin (coins: {', '.join(sorted(known))})")
        if market.feed not in ("constant", "walk", "path", "replay"):
            raise ScenarioError(f"markets.{coin}.feed: constant, walk, path or replay")
        positive(market.price, f"markets.{coin}.price")
        if market.feed == "replay" and not market.csv:
            raise ScenarioError(f'markets.{coin}: feed = "replay" needs csv')
    for field in s.exchange:
        if field not in _EXCHANGE_FIELDS:
            raise ScenarioError(f"exchange.{field}: not a setting (settings: "
                                f"{', '.join(_EXCHANGE_FIELDS)})")  # fmt: skip
    exchange_config(s)
    duration_ms(s.duration)
    if duration_ms(s.step) <= 0:
        raise ScenarioError("step must be more than 0")
    _ = s.start_ms
    names = [m.name for m in s.makers]
    for maker in s.makers:
        for coin in maker.coins or ():
            if coin not in s.markets:
                raise ScenarioError(f"makers {maker.name}: {coin} is not among the markets")
    accounts = set()
    for account in s.accounts:
        accounts.add(account.name)
        usdc_amount(account.usdc, f"accounts {account.name}: usdc")
        for pos in account.positions:
            if pos.coin not in s.markets:
                raise ScenarioError(f"accounts {account.name}: {pos.coin} is not among the markets")
            if not names:
                raise ScenarioError(f"accounts {account.name}: positions are opened against "
                                    "the first market maker; the scenario has none")  # fmt: skip
    for bot in s.bots:
        if bot.kind not in KINDS:
            raise ScenarioError(f"bots {bot.name}: kind must be one of {', '.join(KINDS)}")
        if bot.coin not in s.markets:
            raise ScenarioError(f"bots {bot.name}: {bot.coin} is not among the markets")
        if bot.count < 1:
            raise ScenarioError(f"bots {bot.name}: count must be at least 1")
        accounts.update(name for name, _ in bot_names(bot))
    for event in s.events:
        where = f"events at {event.at}"
        duration_ms(event.at)
        if event.do not in EVENTS:
            raise ScenarioError(f"{where}: do must be one of {', '.join(EVENTS)}")
        if event.do in ("set_price", "shock") and event.coin not in s.markets:
            raise ScenarioError(f"{where}: {event.do} needs a coin among the markets")
        if event.do == "set_price" and event.px is None:
            raise ScenarioError(f"{where}: set_price needs px")
        if event.do == "shock" and event.pct is None:
            raise ScenarioError(f"{where}: shock needs pct")
        if event.do in ("liquidate", "adl", "deposit") and event.account not in accounts:
            raise ScenarioError(f"{where}: {event.do} needs the name of an account or bot")
        if event.do == "adl" and event.coin not in s.markets:
            raise ScenarioError(f"{where}: adl needs a coin among the markets")
        if event.coin is not None and event.coin not in s.markets:
            raise ScenarioError(f"{where}: {event.coin} is not among the markets")
        for coin in event.coins or ():
            if coin not in s.markets:
                raise ScenarioError(f"{where}: {coin} is not among the markets")
        if event.do == "adl" and event.sz is not None:
            coin_size(event.coin, event.sz, f"{where}: sz")
        if event.px is not None:
            positive(event.px, f"{where}: px")
        if event.usdc is not None:
            usdc_amount(event.usdc, f"{where}: usdc")
        if event.stage not in ("market", "backstop"):
            raise ScenarioError(f'{where}: stage must be "market" or "backstop"')
        for maker in event.makers or ():
            if maker not in names:
                raise ScenarioError(f"{where}: no market maker {maker!r}")


def coin_size(coin: str, text: str, where: str) -> int:
    """A size of `coin` in lots."""
    try:
        return to_scaled(text, _SZ_DECIMALS[coin])
    except ValueError:
        raise ScenarioError(f"{where} {text!r} is not a size of {coin}") from None


def positive(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{where}: not a number: {text!r}") from None
    if not value > 0:
        raise ScenarioError(f"{where}: must be positive")
    return value


def usdc_amount(text: str, where: str) -> int:
    try:
        return parse_usdc(str(text))
    except ValueError:
        raise ScenarioError(f"{where}: not an amount of USDC: {text!r}") from None


def exchange_config(s: Scenario, policy: str | None = None) -> ExchangeConfig:
    fields = dict(s.exchange)
    for field in _EXCHANGE_USDC:
        if field in fields:
            fields[field] = usdc_amount(fields[field], f"exchange.{field}")
    if policy is not None:
        fields["adl_policy"] = policy
    try:
        return msgspec.convert(fields, ExchangeConfig)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ScenarioError(f"exchange: {exc}") from None


def bot_names(bot: BotSpec) -> list[tuple[str, int]]:
    """The names of the bots a `[[bots]]` entry makes, with their index."""
    if bot.count == 1:
        return [(bot.name, 0)]
    return [(f"{bot.name}-{i + 1}", i) for i in range(bot.count)]


def wallet_key(seed: int, name: str) -> bytes:
    """The private key of a scenario's account or bot: fixed by the seed and the name."""
    return signing.keccak(f"adl-sandbox scenario {seed} {name}".encode())


def wallets(s: Scenario, seed: int | None = None) -> dict[str, str]:
    """The address of every account and bot of the scenario, by name."""
    seed = s.seed if seed is None else seed
    names = [a.name for a in s.accounts] + [n for b in s.bots for n, _ in bot_names(b)]
    return {name: signing.address_of(wallet_key(seed, name)) for name in names}


def make_bots(s: Scenario, seed: int | None = None) -> list:
    from bots.samples import KINDS

    seed = s.seed if seed is None else seed
    out = []
    for spec in s.bots:
        levers = spec.leverage if isinstance(spec.leverage, list) else [spec.leverage]
        for name, i in bot_names(spec):
            kw: dict[str, Any] = {"coin": spec.coin}
            if spec.kind in ("whale", "adl_aware"):
                kw |= {"side": spec.side, "notional": spec.notional,
                       "leverage": levers[i % len(levers)], "slices": spec.slices}  # fmt: skip
            if spec.kind == "adl_aware":
                kw["on_adl"] = spec.on_adl
            if spec.kind == "noise":
                kw["seed"] = seed * 1_000 + len(out)
            kw |= spec.options
            out.append(KINDS[spec.kind](name, wallet_key(seed, name), **kw))
    return out


def describe(event: EventSpec) -> str:
    """What an event does, in words (its `say`, when it has one)."""
    if event.say:
        return event.say
    kind = event.do
    if kind in ("pull_liquidity", "restore_liquidity"):
        who = ", ".join(event.makers) if event.makers else "the market makers"
        return f"{who} {'pull their quotes' if kind == 'pull_liquidity' else 'quote again'}"
    if kind == "set_price":
        return f"the {event.coin} oracle is set to {event.px}"
    if kind == "shock":
        over = f" over {event.over}" if duration_ms(event.over) else ""
        return f"{event.coin} is shocked {event.pct:+g}%{over}"
    if kind in ("pause", "resume"):
        return f"matching {'pauses' if kind == 'pause' else 'resumes'}" + (
            f" in {', '.join(event.coins)}" if event.coins else ""
        )
    if kind == "note":
        return ""
    if kind == "liquidate":
        return f"{event.account} is liquidated ({event.stage})"
    if kind == "adl":
        return f"{event.account}'s {event.coin} position is auto-deleveraged"
    return f"{event.account} deposits {event.usdc} USDC"
