"""The venue a scenario describes (`sandbox.sim.scenario`): `build(scenario)` sets up, in
virtual time, the exchange's configuration, each market's oracle path, the market makers,
funded accounts with their opening positions, the bots' funded wallets, and the timed
events on the venue's timeline. The bots themselves connect over the network
(`sandbox.sim.player`)."""

from __future__ import annotations

from pathlib import Path as FilePath

import msgspec

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.units import parse_usdc
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue
from sandbox.sim.makers import MarketMaker
from sandbox.sim.oracle import Constant, RandomWalk, Replay, Scripted
from sandbox.sim.scenario import (
    EventSpec,
    Market,
    PositionSpec,
    Scenario,
    ScenarioError,
    bot_names,
    coin_size,
    duration_ms,
    exchange_config,
    positive,
    usdc_amount,
    wallets,
)  # fmt: skip


def build(s: Scenario, *, seed: int | None = None, policy: str | None = None,
          server: ServerConfig | None = None) -> Venue:  # fmt: skip
    """A venue in virtual time with everything the scenario declares set up and scheduled.
    `server` gives the rest of the server's configuration (host, port, ...)."""
    seed = s.seed if seed is None else seed
    base = server if server is not None else ServerConfig()
    config = msgspec.structs.replace(
        base, time="virtual", start_ms=s.start_ms, exchange=exchange_config(s, policy)
    )
    venue = Venue(config)
    now = venue.now()
    here = FilePath(s.source).parent if s.source and not s.source.startswith("built-in") else None
    for i, (coin, market) in enumerate(s.markets.items()):
        venue.oracle.set_path(coin, _path(market, coin, seed * 1_000 + i, here), now)
    venue.oracle.tick(now)

    makers = {}
    for spec in s.makers:
        maker = MarketMaker(
            venue, spec.name, tuple(spec.coins or s.markets), levels=spec.levels,
            spread_bps=spec.spread_bps, step_bps=spec.step_bps,
            level_usdc=usdc_amount(spec.level_usdc, "level_usdc") // 1_000_000,
            requote_ms=duration_ms(spec.requote),
            capital_usdc=usdc_amount(spec.capital, "capital") // 1_000_000,
        )  # fmt: skip
        maker.fund()
        makers[spec.name] = maker
        venue.liquidity.makers.append(maker)

    addresses = wallets(s, seed)
    for account in s.accounts:
        address = addresses[account.name]
        usdc = usdc_amount(account.usdc, f"accounts {account.name}: usdc")
        if usdc:
            venue.apply(cmd.Deposit(address, usdc))
        for pos in account.positions:  # against the first market maker
            _open(venue, makers[s.makers[0].name].address, address, pos, f"accounts {account.name}")
    for spec in s.bots:
        usdc = usdc_amount(spec.usdc, f"bots {spec.name}: usdc")
        for name, _ in bot_names(spec):
            if usdc:
                venue.apply(cmd.Deposit(addresses[name], usdc))
    venue.liquidity.start()
    for event in s.events:
        venue.timeline.at(s.start_ms + duration_ms(event.at),
                          _Event(venue, event, makers, addresses))  # fmt: skip
    venue.flush()
    return venue


def _path(market: Market, coin: str, seed: int, here: FilePath | None):
    px = positive(market.price, f"markets.{coin}.price")
    if market.feed == "constant":
        return Constant(px)
    if market.feed == "walk":
        return RandomWalk(px, market.volatility, seed=seed)
    if market.feed == "replay":
        csv = FilePath(market.csv)
        if not csv.is_absolute() and here is not None:
            csv = here / csv
        try:
            return Replay.from_csv(csv)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"markets.{coin}.csv: {exc}") from None
    segments = []
    for segment in market.path:
        if not segment or segment[0] not in ("hold", "ramp", "gap"):
            raise ScenarioError(f"markets.{coin}.path: segments are hold, ramp or gap: {segment}")
        try:
            if segment[0] == "hold":
                segments.append(("hold", duration_ms(segment[1])))
            elif segment[0] == "ramp":
                segments.append(("ramp", duration_ms(segment[1]), float(segment[2])))
            else:
                segments.append(("gap", float(segment[1])))
        except (IndexError, ValueError) as exc:
            raise ScenarioError(f"markets.{coin}.path: {segment}: {exc}") from None
    try:
        return Scripted(px, segments)
    except ValueError as exc:
        raise ScenarioError(f"markets.{coin}.path: {exc}") from None


def _open(venue: Venue, counterparty: str, address: str, pos: PositionSpec, where: str) -> None:
    """Open `pos` for `address` at the oracle price, against `counterparty`."""
    ex = venue.exchange
    inst = ex.by_name[pos.coin]
    size = coin_size(pos.coin, pos.size.lstrip("-"), f"{where}: {pos.coin} size")
    if not size:
        return
    is_buy = not pos.size.startswith("-")
    acct = ex.accounts.get(address)  # None without a deposit: refused below, as on the venue
    if pos.leverage is not None or not pos.cross:
        leverage = pos.leverage or (ex.leverage_of(acct, inst.asset) if acct is not None else 1)
        _ok(venue, cmd.UpdateLeverage(address, inst.asset, pos.cross, leverage), where)
    px = ex.oracles[inst.asset]
    _ok(venue, cmd.PlaceOrders(counterparty, (cmd.OrderSpec(inst.asset, not is_buy, px, size),)),
        where)  # fmt: skip
    events = venue.apply(
        cmd.PlaceOrders(address, (cmd.OrderSpec(inst.asset, is_buy, px, size, tif="Ioc"),))
    )
    result = next(e for e in events if isinstance(e, ev.ActionResult))
    status = result.statuses[0] if result.statuses else None
    if not isinstance(status, ev.Filled):
        text = getattr(status, "text", None) or result.error
        raise ScenarioError(f"{where}: cannot open {pos.size} {pos.coin}: {text}")


def _ok(venue: Venue, command, where: str) -> None:
    for event in venue.apply(command):
        if not isinstance(event, ev.ActionResult):
            continue
        if event.kind == "err":
            raise ScenarioError(f"{where}: {event.error}")
        for status in event.statuses:
            if isinstance(status, ev.Error):
                raise ScenarioError(f"{where}: {status.text}")


class _Event:
    """A scheduled event: a plain object (not a closure), so that snapshots can copy it."""

    def __init__(self, venue: Venue, event: EventSpec, makers: dict, addresses: dict) -> None:
        self.venue, self.event, self.makers, self.addresses = venue, event, makers, addresses

    def __call__(self) -> None:
        venue, event = self.venue, self.event
        ex = venue.exchange
        kind = event.do
        makers = [self.makers[m] for m in event.makers] if event.makers else None
        if kind in ("pull_liquidity", "restore_liquidity"):
            for maker in makers if makers is not None else venue.liquidity.makers:
                maker.pull() if kind == "pull_liquidity" else maker.restore()
        elif kind == "set_price":
            venue.oracle.set_price(event.coin, float(event.px), venue.now())
        elif kind == "shock":
            venue.oracle.shock(event.coin, event.pct, duration_ms(event.over), venue.now())
        elif kind in ("pause", "resume"):
            assets = tuple(ex.by_name[c].asset for c in event.coins or ())
            venue.apply(cmd.SetHalted(kind == "pause", assets))
        elif kind == "liquidate":
            asset = ex.by_name[event.coin].asset if event.coin else None
            venue.apply(cmd.ForceLiquidation(self.addresses[event.account], asset, event.stage))
        elif kind == "adl":
            inst = ex.by_name[event.coin]
            sz = coin_size(event.coin, event.sz, "sz") if event.sz else None
            venue.apply(cmd.ForceAdl(self.addresses[event.account], inst.asset, sz))
        elif kind == "deposit":
            venue.apply(cmd.Deposit(self.addresses[event.account], parse_usdc(event.usdc or "0")))
        # "note": nothing happens; the narration says it
