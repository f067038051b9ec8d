"""Background liquidity: in-process market makers quoting around the fair price, so that a
sandbox has a live book. Scenarios and the control plane pull their quotes and restore them.

A maker is an ordinary account (its address is derived from its name; funded at start).
Every `requote_ms` it looks at each of its coins and moves its quotes there when a quote
has filled or the fair price (the oracle, moved by the perp's basis: `Oracle.basis`) has
moved `requote_bps` or more since it quoted (0: any move): `levels` bids and asks on a grid
of prices `step_bps` apart, the best `spread_bps` from the fair price, the first of about
`level_usdc` of notional and each next `growth_pct` larger, as books deepen away from the
mid. The grid is anchored, so a move of the price replaces only the quotes at its edges
(a cancel and a new order a side per step of the grid) and the rest keep their place in
the queue. Driven in-process on the venue's timeline rather than over a socket, so that
virtual time stays deterministic and the control plane can pull them. Several makers with their own spreads and sizes make a
book shaped like a real one. Their fills are real trades, their positions real risk: a
maker can be liquidated or ADL'd like anyone.
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.units import USDC


def maker_address(name: str) -> str:
    from protocol.signing import keccak

    return "0x" + keccak(f"adl-sandbox market maker {name}".encode())[12:].hex()


class MarketMaker:
    def __init__(self, venue, name: str = "mm1", coins: tuple[str, ...] | None = None, *,
                 levels: int = 5, spread_bps: float = 5, step_bps: float = 5,
                 level_usdc: int = 50_000, growth_pct: float = 0, requote_ms: int = 1_000,
                 requote_bps: float = 0.0, capital_usdc: int = 10_000_000) -> None:  # fmt: skip
        if (levels < 1 or spread_bps <= 0 or step_bps <= 0 or level_usdc <= 0
                or requote_ms <= 0 or growth_pct < 0 or requote_bps < 0):  # fmt: skip
            raise ValueError("a market maker needs levels, spread, step, size and period > 0, "
                             "growth and requote threshold >= 0")  # fmt: skip
        self.venue = venue
        self.name = name
        self.address = maker_address(name)
        ex = venue.exchange
        self.coins = tuple(coins) if coins is not None else tuple(ex.by_name)
        for coin in self.coins:
            if coin not in ex.by_name:
                raise ValueError(f"unknown coin {coin!r}")
        self.levels = levels
        self.spread_bps, self.step_bps = float(spread_bps), float(step_bps)
        self.growth_pct = float(growth_pct)
        self.level_usdc, self.requote_ms, self.capital_usdc = level_usdc, requote_ms, capital_usdc
        self.requote_bps = requote_bps
        self.quoted: dict[int, tuple] = {}  # asset -> (center, bought, sold) when it quoted
        self.grids: dict[int, tuple] = {}  # asset -> the grid it quotes on (see `_grid`)
        self.live: dict[int, dict[tuple[bool, int], int]] = {}  # asset -> level -> oid
        self.handle = None
        self.funded = False
        self._sizes: tuple[float, ...] | None = None  # see `_levels`

    @property
    def active(self) -> bool:
        return self.handle is not None

    def fund(self) -> None:
        """Deposit the maker's capital (once)."""
        if not self.funded:
            self.venue.apply(cmd.Deposit(self.address, self.capital_usdc * USDC))
            self.funded = True

    def start(self) -> None:
        """Fund the account (once) and quote now and every `requote_ms`."""
        if self.active:
            return
        self.fund()
        self.quoted.clear()
        self.grids.clear()
        self.live.clear()
        self.requote()
        self.handle = self.venue.timeline.every(self.requote_ms, self.requote)

    def pull(self) -> None:
        """Cancel every quote and stop quoting."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        self._cancel_all()
        self.quoted.clear()
        self.live.clear()

    restore = start

    def _cancel_all(self, asset: int | None = None) -> None:
        acct = self.venue.exchange.accounts.get(self.address)
        if acct is None:
            return
        cancels = tuple(
            (o.asset, oid) for oid, o in acct.orders.items() if asset is None or o.asset == asset
        )
        if cancels:
            self.venue.apply(cmd.Cancel(self.address, cancels))

    def requote(self) -> None:
        """Look at every coin; move the quotes of those whose price moved a step of the grid
        or whose quotes filled: one cancel and one batch of new orders for all of them."""
        venue = self.venue
        ex = venue.exchange
        acct = ex.accounts.get(self.address)
        bases = venue.oracle.bases
        now = venue.now()
        threshold = self.requote_bps / 10_000
        moving = []
        grids, quoted, oracles = self.grids, self.quoted, ex.oracles
        totals = acct.order_totals if acct is not None else {}
        by_name = ex.by_name
        for coin in self.coins:
            inst = by_name[coin]
            asset = inst.asset
            oracle = oracles[asset]
            if not oracle:
                continue
            basis = bases.get(coin)
            # the fair price, in ticks
            center = round(oracle * (1.0 + basis.at(now))) if basis is not None else oracle
            t = totals.get(asset)
            buy, sell = (t.buy_sz, t.sell_sz) if t is not None else (0, 0)
            # (center, bought, sold) when it last quoted: a fill changes what rests
            last = quoted.get(asset)
            unfilled = last is not None and last[1] == buy and last[2] == sell
            if unfilled:
                grid = grids.get(asset)
                if grid is not None and abs(center - grid[0]) * 2 < grid[1]:
                    continue  # nothing filled, and the grid's nearest step is where it was
                if center == last[0] or abs(center - last[0]) < threshold * last[0]:
                    continue  # nothing filled, and the price has not moved enough
            grid = self._grid(inst, center)
            if unfilled and grid == grids.get(asset):
                quoted[asset] = (center, buy, sell)
                continue  # the grid has not moved a step
            grids[asset] = grid
            moving.append((inst, center))
        if not moving:
            return
        self._quote([(inst, grids[inst.asset]) for inst, _ in moving], acct)
        acct = ex.accounts.get(self.address)
        totals = acct.order_totals if acct is not None else {}
        for inst, center in moving:
            t = totals.get(inst.asset)
            quoted[inst.asset] = (center, t.buy_sz, t.sell_sz) if t is not None else (center, 0, 0)

    def _grid(self, inst, center: int) -> tuple[int, int, int]:
        """(anchor, step, spread) in ticks of the grid the quotes of `inst` sit on for the
        fair price `center`: the quotes are at anchor - spread - k step (bids) and anchor +
        spread + k step (asks). Step and spread are set when the coin is first quoted (and
        again when the price's scale changes); the anchor then moves by whole steps, to the
        step nearest the fair price, so a move of the price changes only the quotes at the
        edges, and the rest keep their place in the queue. A jump past the whole ladder
        starts the grid again at the fair price."""
        old = self.grids.get(inst.asset)
        tick = _valid_step(inst.units, center)
        if old is not None and old[3] == tick:
            anchor, step, spread, _ = old
            moved = round((center - anchor) / step)
            if abs(moved) < self.levels:  # a move within the ladder: shift it whole steps
                return (anchor + moved * step, step, spread, tick) if moved else old
            # a jump past every quote: they all change anyway; the grid starts again here
        step = max(1, round(center * self.step_bps / 10_000 / tick)) * tick
        spread = max(1, round(center * self.spread_bps / 10_000 / tick)) * tick
        return (round(center / tick) * tick, step, spread, tick)

    def _quote(self, grids: list[tuple], acct) -> None:
        """Move the quotes of each (instrument, grid): cancel what is no longer wanted (off
        the grid's levels now, or filled to less than half its size) and place what is
        missing, in one cancel and one batch; a quote already at a wanted level stays, as a
        real maker's would. The maker keeps its own quotes by level (`live`), so this costs
        the ladders' size, not the number of orders it has across coins."""
        orders = acct.orders if acct is not None else {}
        cancels = []
        keys: list[tuple[int, tuple[bool, int]]] = []
        specs = []
        every_live = self.live
        spec = cmd.OrderSpec
        for inst, grid in grids:
            asset = inst.asset
            wanted = self._levels(inst, grid)
            kept = {}
            for key, oid in every_live.get(asset, {}).items():
                order = orders.get(oid)
                if order is None:  # filled, or cancelled by the venue
                    continue
                sz = wanted.get(key)
                if sz is not None and 2 * order.sz >= sz:
                    del wanted[key]  # already quoted there
                    kept[key] = oid
                else:
                    cancels.append((asset, oid))
            every_live[asset] = kept
            for key, sz in wanted.items():
                keys.append((asset, key))
                specs.append(spec(asset, key[0], key[1], sz))
        venue = self.venue
        if cancels:
            venue.apply(cmd.Cancel(self.address, tuple(cancels)))
        if specs:
            for event in venue.apply(cmd.PlaceOrders(self.address, tuple(specs))):
                if type(event) is ev.ActionResult:
                    live = self.live
                    for (asset, key), status in zip(keys, event.statuses, strict=False):
                        if type(status) is ev.Resting:
                            live[asset][key] = status.oid
                    break

    def _levels(self, inst, grid: tuple) -> dict[tuple[bool, int], int]:
        """{(is_buy, px): size} of the quotes wanted on `grid`, the nearest first."""
        anchor, step, spread, _ = grid
        sizes = self._sizes
        if sizes is None:  # micro-USDC (price in ticks times lots) by level
            growth = 1 + self.growth_pct / 100
            usdc = float(self.level_usdc) * USDC
            sizes = self._sizes = tuple(usdc * growth**k for k in range(self.levels))
        out: dict[tuple[bool, int], int] = {}
        reach = spread + (self.levels - 1) * step
        # every price of the ladder is a multiple of the valid step at the anchor's scale;
        # only a ladder that reaches across a power of ten needs each price checked
        if anchor - reach > 0 and len(str(anchor - reach)) == len(str(anchor + reach)):
            away = spread
            for size_usdc in sizes:
                px = anchor - away
                sz = int(size_usdc / px)
                if sz > 0:
                    out[True, px] = sz
                px = anchor + away
                sz = int(size_usdc / px)
                if sz > 0:
                    out[False, px] = sz
                away += step
            return out
        units = inst.units
        for k, size_usdc in enumerate(sizes):
            away = spread + k * step
            for is_buy, px in ((True, anchor - away), (False, anchor + away)):
                if px <= 0 or units.price_error(px) is not None:
                    continue
                sz = int(size_usdc / px)
                if sz > 0:
                    out[is_buy, px] = sz
        return out


def _valid_step(units, center: int) -> int:
    """The step between valid prices near `center` (ticks): 5 significant figures, or
    whole dollars."""
    digits = len(str(center))
    return min(10 ** (digits - 5), units.px_one) if digits > 5 else 1


class Liquidity:
    """The venue's market makers, pulled and restored together."""

    def __init__(self, makers: list[MarketMaker] | None = None) -> None:
        self.makers = makers or []

    def start(self) -> None:
        for maker in self.makers:
            maker.start()

    def pull(self) -> None:
        for maker in self.makers:
            maker.pull()

    def restore(self) -> None:
        for maker in self.makers:
            maker.restore()

    @property
    def active(self) -> bool:
        return any(m.active for m in self.makers)
