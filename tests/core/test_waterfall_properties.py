"""The loss waterfall under random leveraged accounts and random price paths with gaps.

After every step: every invariant (`validate()`: longs == shorts, exact conservation across
users, vault and fee sink, no negative equity after the waterfall, no liquidation missed),
and the waterfall's own promises: a user with no position never pays for anyone's loss, and
ADL never closes more than its policy allows."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import ExchangeConfig
from sandbox.core.exchange import Exchange

START = 1_700_000_000_000
TRADERS = tuple("0x" + f"{i:02x}" * 20 for i in range(1, 9))
BYSTANDER = "0x" + "ee" * 20  # holds cash and nothing else, ever
MAKER = "0x" + "99" * 20
ASSETS = (0, 1, 3)  # BTC, ETH, kPEPE
START_PX = {0: 600000, 1: 300000, 3: 12000}


class Waterfall(RuleBasedStateMachine):
    @initialize(
        policy=st.sampled_from(["hyperliquid", "binance", "bitmex", "pro_rata"]),
        vault=st.sampled_from([0, 2_000, 50_000, 5_000_000]),
        threshold=st.sampled_from([10, 50, 100]),
        partial=st.sampled_from([1_000, 100_000]),
        mark_rule=st.sampled_from(["oracle", "hyperliquid"]),
        accounts=st.lists(
            st.tuples(
                st.sampled_from(ASSETS), st.booleans(), st.sampled_from([3, 10, 20, 40]),
                st.booleans(), st.integers(50, 98),
            ),
            min_size=len(TRADERS), max_size=len(TRADERS),
        ),
    )  # fmt: skip
    def setup(self, policy, vault, threshold, partial, mark_rule, accounts):
        self.policy = policy
        self.ex = Exchange(
            ExchangeConfig(
                adl_policy=policy, vault_capital=vault * 10**6, vault_loss_threshold_pct=threshold,
                partial_liquidation_threshold=partial * 10**6, mark_rule=mark_rule,
            ),
            start_ms=START,
        )  # fmt: skip
        self.now = START
        self.events: list = []
        for user in (*TRADERS, BYSTANDER):
            self.apply(cmd.Deposit(user, 20_000 * 10**6))
        self.apply(cmd.Deposit(MAKER, 50_000_000 * 10**6))
        self.apply(cmd.SetOracle(tuple(START_PX.items())))
        for asset in ASSETS:
            self.quote(asset, 20)
        # every trader starts with a leveraged position
        for user, (asset, is_buy, leverage, isolated, use) in zip(TRADERS, accounts, strict=True):
            self.open_position(user, asset, is_buy, leverage, isolated, use)
        for asset in ASSETS:
            self.requote(asset, 20)

    def apply(self, command, dt: int = 1):
        self.now += dt
        self.events = self.ex.apply(command, self.now)
        return self.events

    def px(self, asset: int, bps: int) -> int:
        units = self.ex.instruments[asset].units
        return units.nearest_px(max(1, self.ex.marks[asset] * (10_000 + bps) // 10_000))

    def quote(self, asset: int, levels: int) -> None:
        """The maker quotes `levels` levels each side, $30k each, 0.2% apart."""
        orders = []
        for i in range(1, levels + 1):
            for is_buy in (True, False):
                px = self.px(asset, -20 * i if is_buy else 20 * i)
                orders.append(cmd.OrderSpec(asset, is_buy, px, max(1, 30_000 * 10**6 // px)))
        self.apply(cmd.PlaceOrders(MAKER, tuple(orders)))

    @rule(
        user=st.sampled_from(TRADERS), asset=st.sampled_from(ASSETS), is_buy=st.booleans(),
        leverage=st.sampled_from([2, 5, 10, 20, 40, 40]), isolated=st.booleans(),
        use=st.integers(30, 98),
    )  # fmt: skip
    def open_position(self, user, asset, is_buy, leverage, isolated, use):
        """Open (or add to) a position using `use`% of what the account can still margin."""
        inst = self.ex.instruments[asset]
        leverage = min(leverage, inst.max_leverage)
        self.apply(cmd.UpdateLeverage(user, asset, not isolated, leverage))
        limit = self.px(asset, 100 if is_buy else -100)
        free = self.ex.available_margin(self.ex.accounts[user])
        size = max(1, free * leverage * use // 100 // limit)
        spec = cmd.OrderSpec(asset, is_buy, limit, size, tif="Ioc")
        self.apply(cmd.PlaceOrders(user, (spec,)))

    @rule(a=st.sampled_from(TRADERS), b=st.sampled_from(TRADERS), asset=st.sampled_from(ASSETS),
          usd=st.integers(1_000, 100_000))  # fmt: skip
    def trade_between_traders(self, a, b, asset, usd):
        px = self.px(asset, 0)
        size = max(1, usd * 10**6 // px)
        self.apply(cmd.PlaceOrders(a, (cmd.OrderSpec(asset, True, px, size),)))
        self.apply(cmd.PlaceOrders(b, (cmd.OrderSpec(asset, False, px, size, tif="Ioc"),)))
        self.apply(cmd.Cancel(a, tuple((asset, oid) for oid in self.ex.accounts[a].orders)))

    @rule(asset=st.sampled_from(ASSETS), bps=st.integers(-300, 300), dt=st.sampled_from([1, 3_000]))
    def drift(self, asset, bps, dt):
        self.move(asset, bps, dt)

    @rule(asset=st.sampled_from(ASSETS), down=st.booleans(), steps=st.integers(2, 25),
          bps=st.sampled_from([30, 80, 150]))  # fmt: skip
    def trend(self, asset, down, steps, bps):
        """A run of small moves one way: the path that leads through market liquidation."""
        for _ in range(steps):
            self.move(asset, -bps if down else bps, 3_000)
            self.ex.validate()

    @rule(asset=st.sampled_from(ASSETS), pct=st.sampled_from([-45, -30, -15, -8, 8, 15, 30, 60]))
    def gap(self, asset, pct):
        self.move(asset, pct * 100, 3_000)

    def move(self, asset: int, bps: int, dt: int) -> None:
        self.check_bystander(lambda: self.apply(cmd.SetOracle(((asset, self.px(asset, bps)),)), dt))

    @rule(asset=st.sampled_from(ASSETS), levels=st.integers(1, 20))
    def requote(self, asset, levels):
        self.apply(
            cmd.Cancel(MAKER, tuple((a, oid) for oid, a in self.maker_orders() if a == asset))
        )
        self.quote(asset, levels)

    @rule(asset=st.sampled_from(ASSETS))
    def pull_liquidity(self, asset):
        self.apply(
            cmd.Cancel(MAKER, tuple((a, oid) for oid, a in self.maker_orders() if a == asset))
        )

    @rule(dt=st.sampled_from([10_000, 60_000, 3_600_000]))
    def time_passes(self, dt):
        self.check_bystander(lambda: self.apply(cmd.Tick(), dt))

    def maker_orders(self):
        return [(oid, o.asset) for oid, o in self.ex.accounts[MAKER].orders.items()]

    def check_bystander(self, step) -> None:
        """A user without positions or orders is untouched by anything the market does."""
        before = self.ex.accounts[BYSTANDER].raw
        step()
        assert self.ex.accounts[BYSTANDER].raw == before

    @invariant()
    def invariants_hold(self):
        self.ex.validate()

    @invariant()
    def the_index_read_at_once_agrees_with_each_key(self):
        """`validate()` reads every trigger in one pass (`all_triggers`): the same prices, in
        the same order, as asking key by key."""
        index = self.ex.liq_index
        every = index.all_triggers()
        assert len(every) == len(index)
        for key, prices in every.items():
            assert list(prices.items()) == list(index.triggers(key).items())

    @invariant()
    def adl_closes_no_more_than_its_policy_allows(self):
        for step in self.events:
            if not isinstance(step, ev.WaterfallStep) or step.stage != "adl":
                continue
            assert sum(take for _, take in step.counterparties) == step.closed <= abs(step.size)
            ranked = [entry.user for entry in step.ranking]
            users = [user for user, _ in step.counterparties if user != self.ex.vault.address]
            assert all(user in ranked for user in users)
            if self.policy != "pro_rata":
                # a queue: each position taken is the best-ranked one not used up before it
                positions = [ranked.index(user) for user in users]
                assert positions == sorted(positions)
            else:
                sizes = {entry.user: abs(entry.size) for entry in step.ranking}
                for user, take in step.counterparties:
                    if user in sizes:
                        assert take <= sizes[user]


TestWaterfall = Waterfall.TestCase
TestWaterfall.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
