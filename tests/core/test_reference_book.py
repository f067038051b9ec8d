"""The matching engine against a naive reference book, on random order streams.

The reference keeps every resting order in a flat list and, for each incoming order, sorts
the crossing ones by price then arrival; it cancels the taker's own orders on the way
(expire maker). Both must agree on every status, every fill and the resting book."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange

USERS = ["0x" + f"{i:040x}" for i in range(1, 5)]
ASSET = 1  # ETH: sizes in 1e-4, prices in 1e-2
MID = 300000  # 3000.00


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[dict] = []  # every resting order, arrival order
        self.next_oid = 0

    def place(self, user, is_buy, px, sz, tif):
        """Return (status kind, oid, fills as (taker, maker, px, q), cancelled own oids)."""
        crossing = [
            o
            for o in self.resting
            if o["is_buy"] != is_buy and (o["px"] <= px if is_buy else o["px"] >= px)
        ]
        self.next_oid += 1  # a refused post-only order gets an oid too (badAloPxRejected)
        oid = self.next_oid
        if tif == "Alo" and crossing:
            return "error", None, [], []
        crossing.sort(key=lambda o: (o["px"] if is_buy else -o["px"], o["seq"]))
        fills, expired = [], []
        remaining = sz
        for maker in crossing:
            if remaining == 0:
                break
            if maker["user"] == user:
                expired.append(maker["oid"])
                self.resting.remove(maker)
                continue
            q = min(remaining, maker["sz"])
            fills.append((oid, maker["oid"], maker["px"], q))
            maker["sz"] -= q
            remaining -= q
            if maker["sz"] == 0:
                self.resting.remove(maker)
        if remaining == 0:
            return "filled", oid, fills, expired
        if tif == "Ioc":
            return ("filled" if fills else "error"), oid, fills, expired
        self.resting.append(
            {"oid": oid, "user": user, "is_buy": is_buy, "px": px, "sz": remaining, "seq": oid}
        )
        return "resting", oid, fills, expired

    def cancel(self, user, oid) -> bool:
        for o in self.resting:
            if o["oid"] == oid and o["user"] == user:
                self.resting.remove(o)
                return True
        return False

    def levels(self, is_buy):
        prices = sorted({o["px"] for o in self.resting if o["is_buy"] == is_buy}, reverse=is_buy)
        out = []
        for px in prices:
            orders = [o for o in self.resting if o["is_buy"] == is_buy and o["px"] == px]
            out.append((px, [o["oid"] for o in orders], sum(o["sz"] for o in orders)))
        return out


class BookVersusReference(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        config = ExchangeConfig(mark_rule="oracle", min_order_value=0, taker_fee=0, maker_fee=0)
        self.ex = Exchange(config, start_ms=0)
        self.ref = ReferenceBook()
        self.now = 0
        for user in USERS:
            self.apply(cmd.Deposit(user, 10**15))
        self.apply(cmd.SetOracle(((ASSET, MID),)))

    def apply(self, command):
        self.now += 1
        return self.ex.apply(command, self.now)

    @rule(
        user=st.sampled_from(USERS),
        is_buy=st.booleans(),
        ticks=st.integers(-8, 8),
        sz=st.integers(1, 30),
        tif=st.sampled_from(["Gtc", "Gtc", "Ioc", "Alo"]),
    )
    def place(self, user, is_buy, ticks, sz, tif):
        px = MID + ticks * 100  # a dollar per tick step, a few levels each side
        events = self.apply(cmd.PlaceOrders(user, (cmd.OrderSpec(ASSET, is_buy, px, sz, tif=tif),)))
        kind, oid, fills, expired = self.ref.place(user, is_buy, px, sz, tif)
        (result,) = [e for e in events if isinstance(e, ev.ActionResult)]
        (status,) = result.statuses
        got_kind = {ev.Resting: "resting", ev.Filled: "filled", ev.Error: "error"}[type(status)]
        assert got_kind == kind, (status, kind)
        if kind != "error":
            assert status.oid == oid
        got_fills = [
            (t.taker_oid, t.maker_oid, t.px, t.sz) for t in events if isinstance(t, ev.Trade)
        ]
        assert got_fills == fills
        got_expired = [
            e.order.oid
            for e in events
            if isinstance(e, ev.OrderUpdate) and e.status == ev.SELF_TRADE_CANCELED
        ]
        assert got_expired == expired

    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 40))
    def cancel(self, user, pick):
        oid = pick if pick else self.ref.next_oid
        events = self.apply(cmd.Cancel(user, ((ASSET, oid),)))
        (result,) = [e for e in events if isinstance(e, ev.ActionResult)]
        assert (result.statuses[0] == ev.SUCCESS) == self.ref.cancel(user, oid)

    @invariant()
    def same_book(self):
        book = self.ex.books[ASSET]
        for side, is_buy in ((book.bids, True), (book.asks, False)):
            real = [(lv.px, list(lv.orders), lv.total) for lv in side.iter_levels()]
            assert real == self.ref.levels(is_buy)
        self.ex.validate()


TestBookVersusReference = BookVersusReference.TestCase
TestBookVersusReference.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
