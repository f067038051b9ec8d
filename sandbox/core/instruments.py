"""Instruments: Hyperliquid's `meta` universe and margin tables.

An instrument's asset id is its position in the universe (as on the venue, ids never
shift). A margin table is a list of tiers by notional; in tier n the maintenance margin
rate is half the initial margin rate at the tier's max leverage, with a deduction that
makes the maintenance margin continuous in the notional (adl-mechanics.md §1.2):

    MM(N) = N * mmr(n) - deduction(n)
    deduction(n) = deduction(n-1) + lowerBound(n) * (mmr(n) - mmr(n-1))

All of it in integers: rates are kept as fractions over a common denominator, and the
maintenance margin is rounded up to the micro-USDC (the conservative side).
"""

from __future__ import annotations

from math import lcm

import msgspec

from sandbox.core.units import USDC, Units


class MarginTier(msgspec.Struct, frozen=True):
    lower_bound: int  # notional, micro-USDC
    max_leverage: int


class MarginTable:
    """Tiers of maintenance margin for one `marginTableId`."""

    __slots__ = (
        "_bounds",
        "_deduction",
        "_factor",
        "_max_notional",
        "_scale",
        "description",
        "id",
        "tiers",
    )

    def __init__(self, table_id: int, tiers: tuple[MarginTier, ...], description: str = ""):
        if not tiers or tiers[0].lower_bound != 0:
            raise ValueError("a margin table starts with a tier at notional 0")
        bounds = [t.lower_bound for t in tiers]
        if bounds != sorted(set(bounds)) or any(t.max_leverage < 1 for t in tiers):
            raise ValueError("margin tiers must have increasing bounds and leverage >= 1")
        self.id = table_id
        self.description = description
        self.tiers = tiers
        self._bounds = tuple(bounds)
        # mmr(n) = 1 / (2 * maxLeverage(n)) = factor(n) / scale
        self._scale = lcm(*(2 * t.max_leverage for t in tiers))
        self._factor = tuple(self._scale // (2 * t.max_leverage) for t in tiers)
        deduction = [0]
        for n in range(1, len(tiers)):
            step = tiers[n].lower_bound * (self._factor[n] - self._factor[n - 1])
            deduction.append(deduction[-1] + step)
        self._deduction = tuple(deduction)  # times scale
        self._max_notional: dict[int, int | None] = {}

    @classmethod
    def single(cls, max_leverage: int) -> MarginTable:
        """The implicit table of ids below 50: one tier at `max_leverage`."""
        return cls(max_leverage, (MarginTier(0, max_leverage),))

    def tier_index(self, notional: int) -> int:
        bounds = self._bounds
        n = len(bounds) - 1
        while n and notional < bounds[n]:
            n -= 1
        return n

    def maintenance_margin(self, notional: int) -> int:
        """Maintenance margin for a position of `notional` micro-USDC, rounded up."""
        n = self.tier_index(notional)
        scaled = notional * self._factor[n] - self._deduction[n]
        return -(-scaled // self._scale)

    def describe(self, notional: int) -> tuple[int, int, int, int]:
        """(tier index, maintenance margin, rate numerator, rate denominator) at `notional`:
        what the liquidation index needs, with one tier lookup."""
        bounds = self._bounds
        n = len(bounds) - 1
        while n and notional < bounds[n]:
            n -= 1
        factor = self._factor[n]
        scale = self._scale
        return n, -(-(notional * factor - self._deduction[n]) // scale), factor, scale

    def maintenance_rate(self, notional: int) -> tuple[int, int]:
        """The marginal maintenance rate at `notional` as (numerator, denominator)."""
        return self._factor[self.tier_index(notional)], self._scale

    def max_leverage_at(self, notional: int) -> int:
        return self.tiers[self.tier_index(notional)].max_leverage

    def max_notional(self, leverage: int) -> int | None:
        """The largest notional a position may reach at `leverage` (None: no limit)."""
        try:
            return self._max_notional[leverage]
        except KeyError:
            limit = next((t.lower_bound for t in self.tiers if t.max_leverage < leverage), None)
            self._max_notional[leverage] = limit
            return limit


class Instrument:
    """One perp market: `meta.universe[asset]` plus what the core needs to trade it."""

    __slots__ = (
        "asset",
        "impact_notional",
        "margin_table",
        "max_leverage",
        "max_notional",
        "name",
        "only_isolated",
        "sz_decimals",
        "units",
    )

    def __init__(
        self,
        asset: int,
        name: str,
        sz_decimals: int,
        max_leverage: int,
        margin_table: MarginTable,
        only_isolated: bool = False,
        impact_notional: int = 6_000 * USDC,
    ) -> None:
        if max_leverage < 1 or max_leverage > margin_table.tiers[0].max_leverage:
            raise ValueError(f"{name}: maxLeverage must be within 1..the first tier's leverage")
        self.asset = asset
        self.name = name
        self.sz_decimals = sz_decimals
        self.max_leverage = max_leverage
        self.margin_table = margin_table
        self.only_isolated = only_isolated
        self.impact_notional = impact_notional
        self.units = Units(sz_decimals)
        # The margin-tier limit on position notional, by leverage (index 0 unused).
        self.max_notional = tuple(margin_table.max_notional(lev) for lev in range(max_leverage + 1))

    def maintenance_margin(self, notional: int) -> int:
        return self.margin_table.maintenance_margin(notional)

    def __repr__(self) -> str:
        return f"Instrument({self.asset}, {self.name!r})"


class InstrumentSpec(msgspec.Struct, frozen=True):
    """Configuration of one instrument, as a scenario or a test writes it."""

    name: str
    sz_decimals: int
    max_leverage: int
    margin_table_id: int
    only_isolated: bool = False
    impact_notional_usd: int = 6_000


class MarginTableSpec(msgspec.Struct, frozen=True):
    id: int
    description: str
    tiers: tuple[tuple[int, int], ...]  # (lowerBound in USD, maxLeverage)


# Mainnet-like defaults: BTC, ETH and SOL as listed on the venue, and a thin, volatile alt.
DEFAULT_MARGIN_TABLES: tuple[MarginTableSpec, ...] = (
    MarginTableSpec(52, "tiered 10x (2)", ((0, 10), (20_000_000, 5))),
    MarginTableSpec(54, "tiered 20x (2)", ((0, 20), (70_000_000, 10))),
    MarginTableSpec(55, "tiered 25x", ((0, 25), (100_000_000, 15))),
    MarginTableSpec(56, "tiered 40x", ((0, 40), (150_000_000, 20))),
)
DEFAULT_INSTRUMENTS: tuple[InstrumentSpec, ...] = (
    InstrumentSpec("BTC", 5, 40, 56, impact_notional_usd=20_000),
    InstrumentSpec("ETH", 4, 25, 55, impact_notional_usd=20_000),
    InstrumentSpec("SOL", 2, 20, 54),
    InstrumentSpec("kPEPE", 0, 10, 52),
)


# The venue's margin tables 51-56 as its meta lists them (the docs' margin tiers page agrees).
MAINNET_MARGIN_TABLES: tuple[MarginTableSpec, ...] = (
    MarginTableSpec(51, "tiered 10x", ((0, 10), (3_000_000, 5))),
    MarginTableSpec(52, "tiered 10x (2)", ((0, 10), (20_000_000, 5))),
    MarginTableSpec(53, "tiered 20x", ((0, 20), (40_000_000, 10))),
    MarginTableSpec(54, "tiered 20x (2)", ((0, 20), (70_000_000, 10))),
    MarginTableSpec(55, "tiered 25x", ((0, 25), (100_000_000, 15))),
    MarginTableSpec(56, "tiered 40x", ((0, 40), (150_000_000, 20))),
)
# The most traded perps of a recorded mainnet `meta` (a public SDK's recorded
# metaAndAssetCtxs response, November 2025), in the venue's order: name, szDecimals, max
# leverage and margin table as listed there. The venue lists about 220; these are the ones
# users trade most (and kPEPE). Asset ids are positions in this list, as on any venue.
MAINNET_INSTRUMENTS: tuple[InstrumentSpec, ...] = (
    InstrumentSpec("BTC", 5, 40, 56, impact_notional_usd=20_000),
    InstrumentSpec("ETH", 4, 25, 55, impact_notional_usd=20_000),
    InstrumentSpec("SOL", 2, 20, 54),
    InstrumentSpec("AVAX", 2, 10, 52),
    InstrumentSpec("BNB", 3, 10, 51),
    InstrumentSpec("LTC", 2, 10, 52),
    InstrumentSpec("DOGE", 0, 10, 52),
    InstrumentSpec("SUI", 1, 10, 52),
    InstrumentSpec("kPEPE", 0, 10, 52),
    InstrumentSpec("LINK", 1, 10, 52),
    InstrumentSpec("XRP", 0, 20, 53),
    InstrumentSpec("AAVE", 2, 10, 52),
    InstrumentSpec("ADA", 0, 10, 52),
    InstrumentSpec("NEAR", 1, 10, 52),
    InstrumentSpec("WIF", 0, 10, 52),
    InstrumentSpec("ENA", 0, 10, 52),
    InstrumentSpec("HYPE", 2, 10, 52),
    InstrumentSpec("FARTCOIN", 1, 10, 52),
    InstrumentSpec("TRUMP", 1, 10, 52),
    InstrumentSpec("PUMP", 0, 10, 52),
    InstrumentSpec("XPL", 0, 10, 51),
    InstrumentSpec("ZEC", 2, 10, 52),
)
UNIVERSES = {
    "compact": (DEFAULT_INSTRUMENTS, DEFAULT_MARGIN_TABLES),  # BTC, ETH, SOL, kPEPE
    "mainnet": (MAINNET_INSTRUMENTS, MAINNET_MARGIN_TABLES),
}


def build_margin_tables(specs: tuple[MarginTableSpec, ...]) -> dict[int, MarginTable]:
    tables = {}
    for spec in specs:
        tiers = tuple(MarginTier(bound * USDC, lev) for bound, lev in spec.tiers)
        tables[spec.id] = MarginTable(spec.id, tiers, spec.description)
    return tables


def build_instruments(
    specs: tuple[InstrumentSpec, ...] = DEFAULT_INSTRUMENTS,
    tables: tuple[MarginTableSpec, ...] = DEFAULT_MARGIN_TABLES,
) -> tuple[Instrument, ...]:
    """Instruments with asset ids by position; table ids below 50 are single-tier."""
    by_id = build_margin_tables(tables)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError("instrument names must be unique")
    out = []
    for asset, spec in enumerate(specs):
        table = by_id.get(spec.margin_table_id)
        if table is None:
            if spec.margin_table_id >= 50:
                raise ValueError(f"{spec.name}: unknown margin table {spec.margin_table_id}")
            table = MarginTable.single(spec.margin_table_id)
        out.append(
            Instrument(
                asset,
                spec.name,
                spec.sz_decimals,
                spec.max_leverage,
                table,
                spec.only_isolated,
                spec.impact_notional_usd * USDC,
            )
        )
    return tuple(out)
