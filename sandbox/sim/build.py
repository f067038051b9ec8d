"""The venue a scenario describes: `build(scenario)` sets up the exchange's configuration,
each market's oracle path and basis, the market makers, the taker flow, funded accounts with
their opening positions, the bots' funded wallets, and the timed events on the venue's
timeline. It reads the decoded `Scenario` only (`sandbox.sim.scenario`), whose values are
already checked and in the core's units. The bots themselves connect over the network
(`sandbox.sim.player`).

    venue = build(load("calm"))                                  # virtual time, from start
    venue = build(load("calm"), server=ServerConfig(time="realtime", port=3001))
"""

from __future__ import annotations

import msgspec

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import LIQUIDATOR_VAULT
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue
from sandbox.sim.flow import TakerFlow, trader_address
from sandbox.sim.makers import MarketMaker, maker_address
from sandbox.sim.oracle import Basis, Constant, RandomWalk, Replay, Scripted
from sandbox.sim.scenario import Event, Market, Position, Scenario, ScenarioError

MILLION = 1_000_000


def build(s: Scenario, *, server: ServerConfig | None = None) -> Venue:
    """A venue with everything the scenario declares set up and scheduled. `server` gives
    the rest of the server's configuration (host, port, time, ...); without one the venue
    runs in virtual time from the scenario's start. In real time the scenario starts now."""
    base = server if server is not None else ServerConfig(time="virtual")
    config = msgspec.structs.replace(
        base, start_ms=s.start_ms, exchange=s.exchange, other_venues=s.other_venues
    )
    venue = Venue(config)
    venue.names.update(names(s))
    now = venue.now()
    for i, market in enumerate(s.markets):
        venue.oracle.set_path(market.coin, _path(market, s.seed * 1_000 + i), now)
        if market.basis_sd_bps or market.basis_bps:
            basis = Basis(market.basis_bps, market.basis_sd_bps, market.basis_halflife_ms,
                          seed=f"{s.seed}:basis:{market.coin}")  # fmt: skip
            venue.oracle.set_basis(market.coin, basis, now)
    venue.oracle.tick(now)

    makers: dict[str, MarketMaker] = {}
    for spec in s.makers:
        maker = MarketMaker(
            venue, spec.name, spec.coins, levels=spec.levels, spread_bps=spec.spread_bps,
            step_bps=spec.step_bps, level_usdc=spec.level_usdc // MILLION,
            growth_pct=spec.growth_pct, requote_ms=spec.requote_ms,
            requote_bps=spec.requote_bps, capital_usdc=spec.capital // MILLION,
        )  # fmt: skip
        maker.fund()
        makers[spec.name] = maker
        venue.liquidity.makers.append(maker)

    addresses = s.wallets()
    for account in s.accounts:
        address = addresses[account.name]
        if account.usdc:
            venue.apply(cmd.Deposit(address, account.usdc))
        for pos in account.positions:  # against the first market maker
            _open(venue, makers[s.makers[0].name].address, address, pos,
                  f"accounts {account.name}")  # fmt: skip
    for bot in s.bots:
        if bot.usdc:
            venue.apply(cmd.Deposit(addresses[bot.name], bot.usdc))
    venue.liquidity.start()
    for spec in s.flows:
        flow = TakerFlow(
            venue, spec.name, spec.coins, trades_per_minute=spec.trades_per_minute,
            order_usdc=spec.order_usdc // MILLION, traders=spec.traders,
            leverage=spec.leverage, usdc=spec.usdc // MILLION, seed=s.seed,
        )  # fmt: skip
        venue.flows.append(flow)
        flow.start()
    start = venue.now()
    for event in s.events:
        venue.timeline.at(start + event.at_ms, _Event(venue, event, makers, addresses))
    venue.flush()
    return venue


def names(s: Scenario) -> dict[str, str]:
    """Who each address of the scenario is: its accounts, bots, market makers, the flow's
    traders and the vault."""
    out = {LIQUIDATOR_VAULT: "the vault"}
    for maker in s.makers:
        out[maker_address(maker.name)] = maker.name
    for flow in s.flows:
        for i in range(1, flow.traders + 1):
            out[trader_address(flow.name, i)] = f"{flow.name}-{i}"
    out.update({address: name for name, address in s.wallets().items()})
    return out


def _path(market: Market, seed: int):
    if market.feed == "constant":
        return Constant(market.price)
    if market.feed == "walk":
        return RandomWalk(market.price, market.volatility, seed=seed)
    if market.feed == "replay":
        try:
            return Replay.from_csv(market.csv)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"markets.{market.coin}.csv: {exc}") from None
    segments = []
    for seg in market.segments:
        if seg.kind == "hold":
            segments.append(("hold", seg.ms))
        elif seg.kind == "ramp":
            segments.append(("ramp", seg.ms, seg.px))
        else:
            segments.append(("gap", seg.px))
    try:
        return Scripted(market.price, segments)
    except ValueError as exc:
        raise ScenarioError(f"markets.{market.coin}.path: {exc}") from None


def _open(venue: Venue, counterparty: str, address: str, pos: Position, where: str) -> None:
    """Open `pos` for `address` at the oracle price, against `counterparty`."""
    ex = venue.exchange
    inst = ex.by_name[pos.coin]
    if not pos.size:
        return
    is_buy = pos.size > 0
    size = abs(pos.size)
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
        shown = inst.units.fmt_sz(pos.size)
        raise ScenarioError(f"{where}: cannot open {shown} {pos.coin}: {text}")


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

    def __init__(self, venue: Venue, event: Event, makers: dict, addresses: dict) -> None:
        self.venue, self.event, self.makers, self.addresses = venue, event, makers, addresses

    def __call__(self) -> None:
        venue, event = self.venue, self.event
        ex = venue.exchange
        kind = event.do
        if kind in ("pull_liquidity", "restore_liquidity"):
            chosen = [self.makers[m] for m in event.makers] or venue.liquidity.makers
            for maker in chosen:
                maker.pull() if kind == "pull_liquidity" else maker.restore()
        elif kind in ("set_price", "shock"):
            try:  # (refused when it would take the price out of range: nothing changes)
                if kind == "set_price":
                    venue.oracle.set_price(event.coin, event.px, venue.now())
                else:
                    venue.oracle.shock(event.coin, event.pct, event.over_ms, venue.now())
            except ValueError as refused:
                raise ScenarioError(f"the event at {event.at_ms} ms ({kind}): {refused}") from None
        elif kind in ("pause", "resume"):
            assets = tuple(ex.by_name[c].asset for c in event.coins)
            venue.apply(cmd.SetHalted(kind == "pause", assets))
        elif kind == "liquidate":
            asset = ex.by_name[event.coin].asset if event.coin else None
            venue.apply(cmd.ForceLiquidation(self.addresses[event.account], asset, event.stage))
        elif kind == "adl":
            inst = ex.by_name[event.coin]
            venue.apply(cmd.ForceAdl(self.addresses[event.account], inst.asset, event.sz))
        elif kind == "deposit":
            venue.apply(cmd.Deposit(self.addresses[event.account], event.usdc or 0))
        # "note": nothing happens; the narration says it
