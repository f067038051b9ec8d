"""Hypothesis drives the exchange with commands of every kind, drawn (and shrunk) by
hypothesis itself; every invariant is checked after every step."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange
from tests.core.streams import USERS, CommandMaker, seed_exchange

START = 1_700_000_000_000
users = st.sampled_from(USERS)
assets = st.integers(0, 3)
bps = st.integers(-200, 200)
usd = st.sampled_from([5, 15, 100, 1_000, 10_000, 60_000])
tifs = st.sampled_from(["Gtc", "Ioc", "Alo"])
triggers = st.none() | st.tuples(
    st.sampled_from(["tp", "sl"]), st.integers(-400, 400), st.booleans()
)


class CommandMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(ExchangeConfig(mark_rule="hyperliquid"), start_ms=START)
        self.now = seed_exchange(self.ex, START)
        self.make = CommandMaker(self.ex)

    def apply(self, command, dt: int = 1) -> None:
        self.now += dt
        self.ex.apply(command, self.now)

    @rule(
        user=users, asset=assets, is_buy=st.booleans(), at=bps, size=usd, tif=tifs,
        reduce_only=st.booleans(), cloid=st.integers(0, 20), trigger=triggers,
        grouping=st.sampled_from(["na", "na", "na", "positionTpsl"]),
    )  # fmt: skip
    def place(self, user, asset, is_buy, at, size, tif, reduce_only, cloid, trigger, grouping):
        spec = self.make.order(asset, is_buy, at, size, tif, reduce_only, cloid, trigger)
        self.apply(cmd.PlaceOrders(user, (spec,), grouping))

    @rule(user=users, asset=assets, is_buy=st.booleans(), at=st.integers(-30, 30), size=usd)
    def place_with_tpsl(self, user, asset, is_buy, at, size):
        m = self.make
        parent = m.order(asset, is_buy, at, size, "Gtc", False, 0, None)
        away = 1 if is_buy else -1
        tp = m.order(asset, not is_buy, 150 * away, size, "Gtc", True, 0, ("tp", 100 * away, False))
        sl = m.order(
            asset, not is_buy, -250 * away, size, "Gtc", True, 0, ("sl", -150 * away, True)
        )
        self.apply(cmd.PlaceOrders(user, (parent, tp, sl), "normalTpsl"))

    @rule(user=users, asset=assets, pick=st.integers(0, 200))
    def cancel(self, user, asset, pick):
        self.apply(cmd.Cancel(user, ((asset, self.make.oid(user, pick)),)))

    @rule(user=users, asset=assets, cloid=st.integers(1, 20))
    def cancel_by_cloid(self, user, asset, cloid):
        self.apply(cmd.CancelByCloid(user, ((asset, self.make.cloid(cloid) or "0x1"),)))

    @rule(
        user=users, asset=assets, pick=st.integers(0, 200), at=bps, size=usd, single=st.booleans()
    )
    def modify(self, user, asset, pick, at, size, single):
        spec = self.make.order(asset, pick % 2 == 0, at, size, "Gtc", False, pick, None)
        self.apply(cmd.ModifyOrders(user, (cmd.Modify(self.make.oid(user, pick), spec),), single))

    @rule(user=users, asset=assets, cross=st.booleans(), lev=st.integers(0, 50))
    def leverage(self, user, asset, cross, lev):
        self.apply(cmd.UpdateLeverage(user, asset, cross, lev))

    @rule(user=users, asset=assets, amount=st.integers(-2_000, 2_000))
    def isolated_margin(self, user, asset, amount):
        self.apply(cmd.UpdateIsolatedMargin(user, asset, amount * 10**6))

    @rule(asset=assets, move=st.integers(-1_500, 1_500), dt=st.sampled_from([0, 1_000, 3_000]))
    def oracle(self, asset, move, dt):
        self.apply(cmd.SetOracle(((asset, self.make.price(asset, move)),)), dt)

    @rule(dt=st.sampled_from([5_000, 60_000, 3_600_000, 7_200_000]))
    def time_passes(self, dt):
        self.apply(cmd.Tick(), dt)

    @rule(user=users, amount=st.integers(1, 100_000))
    def deposit(self, user, amount):
        self.apply(cmd.Deposit(user, amount * 10**6))

    @rule(user=users, amount=st.integers(1, 100_000))
    def withdraw(self, user, amount):
        self.apply(cmd.Withdraw(user, amount * 10**6, fee=10**6))

    @rule(user=users, to=users, amount=st.integers(1, 50_000))
    def send(self, user, to, amount):
        self.apply(cmd.UsdSend(user, to, amount * 10**6))

    @rule(user=users, amount=st.integers(1, 50_000), to_perp=st.booleans())
    def class_transfer(self, user, amount, to_perp):
        self.apply(cmd.ClassTransfer(user, amount * 10**6, to_perp))

    @rule(user=users, asset=assets, sz=st.none() | st.integers(-5, 5_000))
    def force_adl(self, user, asset, sz):
        self.apply(cmd.ForceAdl(user, asset, sz))

    @rule(user=users, asset=st.none() | assets, stage=st.sampled_from(["market", "backstop", "x"]))
    def force_liquidation(self, user, asset, stage):
        self.apply(cmd.ForceLiquidation(user, asset, stage))

    @rule(halted=st.booleans(), which=st.sampled_from([(), (0,), (1, 3), (7,)]))
    def halt(self, halted, which):
        self.apply(cmd.SetHalted(halted, which))

    @rule(asset=assets, cap=st.none() | st.sampled_from([0, 10_000, 1_000_000]))
    def open_interest_cap(self, asset, cap):
        self.apply(cmd.SetOpenInterestCap(asset, None if cap is None else cap * 10**6))

    @rule(user=users, asset=assets, is_buy=st.booleans(), sz=st.integers(1, 5_000),
          reduce_only=st.booleans(), minutes=st.sampled_from([4, 5, 6]), randomize=st.booleans())
    def twap(self, user, asset, is_buy, sz, reduce_only, minutes, randomize):
        self.apply(cmd.PlaceTwap(user, asset, is_buy, sz, reduce_only, minutes, randomize))

    @rule(user=users, asset=assets, twap_id=st.integers(1, 6))
    def cancel_twap(self, user, asset, twap_id):
        self.apply(cmd.CancelTwap(user, asset, twap_id))

    @rule(asset=st.sampled_from([2, 3]))  # SOL and kPEPE may go; BTC and ETH stay listed
    def delist(self, asset):
        self.apply(cmd.Delist(asset))

    @rule(user=users, waived=st.booleans())
    def waive_schedule_cancel_gate(self, user, waived):
        self.apply(cmd.WaiveScheduleCancelGate(user, waived))

    @rule(user=users, delay=st.none() | st.sampled_from([1_000, 5_000, 30_000]))
    def schedule_cancel(self, user, delay):
        self.apply(cmd.ScheduleCancel(user, None if delay is None else self.now + 1 + delay))

    @invariant()
    def invariants_hold(self):
        self.ex.validate()


TestCommandMachine = CommandMachine.TestCase
TestCommandMachine.settings = settings(
    max_examples=60,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
