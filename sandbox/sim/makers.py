"""Background liquidity: in-process market makers quoting around the oracle, so that a fresh
sandbox has a live book. Scenarios and the control plane pull their quotes and restore them.

A maker is an ordinary account (its address is derived from its name; funded at start):
every `requote_ms` it replaces, per coin, its quotes when the oracle has moved or a quote
has filled: `levels` bids and asks, the first `spread_bps` from the oracle, then every
`step_bps`, each of about `level_usdc` notional: the quotes of the `market_maker` sample
bot (`bots.samples.ladder`), driven in-process on the venue's timeline rather than over a
socket, so that virtual time stays deterministic and the control plane can pull them. Its fills are real trades, its position is
real risk: it can be liquidated or ADL'd like anyone.
"""

from __future__ import annotations

from decimal import Decimal

from bots.samples import ladder
from sandbox.core import commands as cmd
from sandbox.core.units import USDC


def maker_address(name: str) -> str:
    from protocol.signing import keccak

    return "0x" + keccak(f"adl-sandbox market maker {name}".encode())[12:].hex()


class MarketMaker:
    def __init__(self, venue, name: str = "mm1", coins: tuple[str, ...] | None = None, *,
                 levels: int = 5, spread_bps: int = 5, step_bps: int = 5,
                 level_usdc: int = 50_000, requote_ms: int = 1_000,
                 capital_usdc: int = 10_000_000) -> None:  # fmt: skip
        if levels < 1 or spread_bps < 1 or step_bps < 1 or level_usdc <= 0 or requote_ms <= 0:
            raise ValueError("a market maker needs levels, spread, step, size and period > 0")
        self.venue = venue
        self.name = name
        self.address = maker_address(name)
        ex = venue.exchange
        self.coins = tuple(coins) if coins is not None else tuple(ex.by_name)
        for coin in self.coins:
            if coin not in ex.by_name:
                raise ValueError(f"unknown coin {coin!r}")
        self.levels, self.spread_bps, self.step_bps = levels, spread_bps, step_bps
        self.level_usdc, self.requote_ms, self.capital_usdc = level_usdc, requote_ms, capital_usdc
        self.quoted: dict[int, tuple[int, int]] = {}  # asset -> (oracle, open orders) quoted
        self.handle = None
        self.funded = False

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
        self.requote()
        self.handle = self.venue.timeline.every(self.requote_ms, self.requote)

    def pull(self) -> None:
        """Cancel every quote and stop quoting."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        self._cancel_all()
        self.quoted.clear()

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

    def _resting(self, asset: int) -> int:
        acct = self.venue.exchange.accounts.get(self.address)
        return sum(1 for o in acct.orders.values() if o.asset == asset) if acct else 0

    def requote(self) -> None:
        ex = self.venue.exchange
        for coin in self.coins:
            inst = ex.by_name[coin]
            asset = inst.asset
            oracle = ex.oracles[asset]
            if not oracle:
                continue
            if self.quoted.get(asset) == (oracle, self._resting(asset)):
                continue  # nothing moved, nothing filled
            self._cancel_all(asset)
            units = inst.units
            center = Decimal(oracle) / units.px_one
            quotes = ladder(center, inst.sz_decimals, levels=self.levels,
                            spread_bps=self.spread_bps, step_bps=self.step_bps,
                            level_usdc=Decimal(self.level_usdc))  # fmt: skip
            specs = [cmd.OrderSpec(asset, is_buy, units.parse_px(format(px, "f")),
                                   units.parse_sz(format(sz, "f"))) for is_buy, px, sz in quotes]  # fmt: skip
            if specs:
                self.venue.apply(cmd.PlaceOrders(self.address, tuple(specs)))
            self.quoted[asset] = (oracle, self._resting(asset))


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
