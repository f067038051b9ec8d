"""Small builders for readable core tests: prices and sizes as the venue writes them."""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange
from sandbox.core.units import USDC, parse_usdc

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
CAROL = "0x" + "c0" * 20
DAVE = "0x" + "d0" * 20


class Scene:
    """An exchange plus a clock, driven with wire-style strings.

    >>> s = Scene(); s.deposit(ALICE, 1000); s.oracle("BTC", "60000")
    """

    def __init__(self, start_ms: int = 1_700_000_000_000, validate: bool = True, **config):
        config.setdefault("mark_rule", "oracle")
        self.ex = Exchange(ExchangeConfig(**config), start_ms=start_ms)
        self.now = start_ms
        self.events: list = []
        self.validate = validate

    # -- plumbing ----------------------------------------------------------------------------

    def apply(self, command, dt: int = 0) -> list:
        self.now += dt
        self.events = self.ex.apply(command, self.now)
        if self.validate:
            self.ex.validate()
        return self.events

    def result(self) -> ev.ActionResult:
        results = [e for e in self.events if isinstance(e, ev.ActionResult)]
        assert len(results) == 1, self.events
        return results[0]

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def asset(self, coin: str) -> int:
        return self.ex.by_name[coin].asset

    def px(self, coin: str, text: str) -> int:
        return self.ex.by_name[coin].units.parse_px(text)

    def sz(self, coin: str, text: str) -> int:
        return self.ex.by_name[coin].units.parse_sz(text)

    # -- commands ------------------------------------------------------------------------------

    def deposit(self, user: str, usd: int | str) -> None:
        self.apply(cmd.Deposit(user, parse_usdc(str(usd))))

    def oracle(self, coin: str, px: str, dt: int = 0) -> list:
        return self.apply(cmd.SetOracle(((self.asset(coin), self.px(coin, px)),)), dt)

    def spec(
        self, coin, side, px, sz, tif="Gtc", reduce_only=False, cloid=None, trigger=None
    ) -> cmd.OrderSpec:
        trig = None
        if trigger is not None:
            tpsl, trigger_px, is_market = trigger
            trig = cmd.Trigger(self.px(coin, trigger_px), is_market, tpsl)
        return cmd.OrderSpec(
            self.asset(coin),
            side == "B",
            self.px(coin, px),
            self.sz(coin, sz),
            reduce_only,
            tif,
            trig,
            cloid,
        )

    def order(self, user, coin, side, px, sz, dt: int = 0, **kw) -> ev.Status:
        self.apply(cmd.PlaceOrders(user, (self.spec(coin, side, px, sz, **kw),)), dt)
        result = self.result()
        assert result.ok, result
        return result.statuses[0]

    def orders(self, user, specs, grouping="na") -> ev.ActionResult:
        self.apply(cmd.PlaceOrders(user, tuple(specs), grouping))
        return self.result()

    def cancel(self, user, coin, oid) -> ev.Status:
        self.apply(cmd.Cancel(user, ((self.asset(coin), oid),)))
        return self.result().statuses[0]

    def leverage(self, user, coin, lev, cross=True) -> ev.ActionResult:
        self.apply(cmd.UpdateLeverage(user, self.asset(coin), cross, lev))
        return self.result()

    # -- reading -------------------------------------------------------------------------------

    def account(self, user):
        return self.ex.accounts[user]

    def size(self, user, coin) -> int:
        return self.ex.accounts[user].position_size(self.asset(coin))

    def position(self, user, coin):
        return self.ex.accounts[user].positions.get(self.asset(coin))

    def fills(self, user=None) -> list[ev.Fill]:
        """Every side of every trade in the last events, taker first, as users see them."""
        fills = [f for t in self.of(ev.Trade) for f in t.fills()]
        return [f for f in fills if user is None or f.user == user]

    def book(self, coin) -> tuple[list, list]:
        book = self.ex.books[self.asset(coin)]
        return book.bids.depth(100), book.asks.depth(100)

    def value(self, user) -> int:
        """Total account value at mark: cross pool, isolated pools, positions."""
        acct = self.ex.accounts[user]
        total = acct.raw
        for pos in acct.positions.values():
            total += pos.size * self.ex.marks[pos.asset] + (pos.iso_raw if pos.isolated else 0)
        return total


def usd(amount: str | int) -> int:
    return parse_usdc(str(amount))


__all__ = ["ALICE", "BOB", "CAROL", "DAVE", "USDC", "Scene", "usd"]
