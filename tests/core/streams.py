"""Random command streams over every kind of command, for invariant and replay tests.

`CommandMaker` turns small random choices into commands that are mostly valid (prices near
the current mark, sizes above the $10 minimum, existing oids and cloids), with a share of
invalid ones mixed in, so that a stream exercises both acceptance and rejection paths."""

from __future__ import annotations

import random

from sandbox.core import commands as cmd
from sandbox.core.exchange import Exchange

USERS = tuple("0x" + f"{i:02x}" * 20 for i in range(1, 7))
BASE_PRICES = {0: 600000, 1: 300000, 2: 1500000, 3: 12000}  # BTC 60k, ETH 3k, SOL 150, kPEPE 0.012


class CommandMaker:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def ref_px(self, asset: int) -> int:
        return self.ex.marks[asset] or BASE_PRICES[asset]

    def price(self, asset: int, bps: int) -> int:
        """A valid price `bps` basis points away from the mark."""
        units = self.ex.instruments[asset].units
        return units.nearest_px(max(1, self.ref_px(asset) * (10_000 + bps) // 10_000))

    def size(self, asset: int, usd: int) -> int:
        """A size worth about `usd` dollars at the mark (at least one lot)."""
        return max(1, usd * 1_000_000 // self.ref_px(asset))

    def oid(self, user: str, pick: int) -> int:
        orders = sorted(self.ex.accounts[user].orders) if user in self.ex.accounts else []
        if orders and pick % 4:
            return orders[pick % len(orders)]
        return pick  # sometimes an oid that is not (or no longer) this user's

    def cloid(self, pick: int) -> str | None:
        return None if pick % 3 == 0 else f"0x{pick % 7:032x}"

    def order(self, asset, is_buy, bps, usd, tif, reduce_only, cloid, trigger) -> cmd.OrderSpec:
        trig = None
        if trigger is not None:
            tpsl, trigger_bps, is_market = trigger
            trig = cmd.Trigger(self.price(asset, trigger_bps), is_market, tpsl)
        return cmd.OrderSpec(
            asset, is_buy, self.price(asset, bps), self.size(asset, usd), reduce_only, tif,
            trig, self.cloid(cloid),
        )  # fmt: skip

    def random(self, rng: random.Random) -> tuple[cmd.Command, int]:
        """One random command and the time step (ms) before it."""
        user = rng.choice(USERS)
        asset = rng.randrange(4)
        roll = rng.random()
        dt = rng.choice((0, 1, 10, 250, 1_000, 5_000))
        if roll < 0.30:
            tif = rng.choice(("Gtc", "Gtc", "Ioc", "Alo"))
            trigger = None
            if rng.random() < 0.15:
                trigger = (rng.choice(("tp", "sl")), rng.randint(-300, 300), rng.random() < 0.5)
            spec = self.order(
                asset, rng.random() < 0.5, rng.randint(-150, 150), rng.choice((5, 20, 200, 2_000, 20_000)),
                tif, rng.random() < 0.2, rng.randrange(50), trigger,
            )  # fmt: skip
            grouping = "na"
            if rng.random() < 0.05:
                grouping = "positionTpsl"
            return cmd.PlaceOrders(user, (spec,), grouping), dt
        if roll < 0.36:
            is_buy = rng.random() < 0.5
            parent = self.order(
                asset, is_buy, rng.randint(-50, 50), 500, "Gtc", False, rng.randrange(50), None
            )
            tp = self.order(
                asset,
                not is_buy,
                200 if is_buy else -200,
                500,
                "Gtc",
                True,
                0,
                ("tp", 150 if is_buy else -150, False),
            )
            sl = self.order(
                asset,
                not is_buy,
                -300 if is_buy else 300,
                500,
                "Gtc",
                True,
                0,
                ("sl", -200 if is_buy else 200, True),
            )
            return cmd.PlaceOrders(user, (parent, tp, sl), "normalTpsl"), dt
        if roll < 0.46:
            return cmd.Cancel(user, ((asset, self.oid(user, rng.randrange(1000))),)), dt
        if roll < 0.49:
            return cmd.CancelByCloid(
                user, ((asset, self.cloid(rng.randrange(1, 50)) or "0x0"),)
            ), dt
        if roll < 0.55:
            spec = self.order(
                asset,
                rng.random() < 0.5,
                rng.randint(-100, 100),
                300,
                "Gtc",
                False,
                rng.randrange(50),
                None,
            )
            modify = cmd.Modify(self.oid(user, rng.randrange(1000)), spec)
            return cmd.ModifyOrders(user, (modify,), single=rng.random() < 0.3), dt
        if roll < 0.60:
            lev = rng.choice((1, 3, 5, 10, 20, 25, 40, 50))
            return cmd.UpdateLeverage(user, asset, rng.random() < 0.7, lev), dt
        if roll < 0.63:
            return cmd.UpdateIsolatedMargin(
                user, asset, rng.choice((-1, 1)) * rng.randint(1, 500) * 10**6
            ), dt
        if roll < 0.78:
            bps = rng.choice((-500, -100, -20, -5, 0, 5, 20, 100, 500))
            px = self.price(asset, bps)
            return cmd.SetOracle(((asset, px),)), dt
        if roll < 0.82:
            return cmd.Tick(), rng.choice((5_000, 60_000, 900_000, 3_600_000))
        if roll < 0.86:
            return cmd.Deposit(user, rng.randint(1, 50_000) * 10**6), dt
        if roll < 0.89:
            return cmd.Withdraw(user, rng.randint(1, 5_000) * 10**6, fee=10**6), dt
        if roll < 0.92:
            return cmd.UsdSend(user, rng.choice(USERS), rng.randint(1, 2_000) * 10**6), dt
        if roll < 0.95:
            return cmd.ClassTransfer(user, rng.randint(1, 2_000) * 10**6, rng.random() < 0.5), dt
        if roll < 0.98:
            when = None if rng.random() < 0.3 else self.ex.ts + rng.choice((1_000, 6_000, 60_000))
            return cmd.ScheduleCancel(user, when), dt
        spec = self.order(
            asset, rng.random() < 0.5, rng.randint(-20, 20), 100, "Ioc", False, 0, None
        )
        return cmd.PlaceOrders(user, (spec,)), dt


def seed_exchange(ex: Exchange, now: int) -> int:
    """Fund the users and set the first prices; return the time after."""
    for user in USERS:
        ex.apply(cmd.Deposit(user, 100_000 * 10**6), now)
        ex.apply(cmd.WaiveScheduleCancelGate(user), now)  # so the stream reaches the switch
    ex.apply(cmd.SetOracle(tuple(BASE_PRICES.items())), now)
    return now
