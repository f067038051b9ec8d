"""The Exchange state machine: `apply(command, ts_ms) -> list[Event]`.

One Exchange is one venue: instruments, books, accounts, prices, funding, clocks of its
own (`ts`, never going backwards) and counters for ids. Applying a command first lets time
pass up to `ts` (premium samples, funding on the hour, scheduled cancels, in time order),
then applies the command. The result is deterministic: the same commands at the same
timestamps give the same events and the same `state_hash()`.

The work is split by concern into mixins over the same state: `MatchingMixin` (the
matching engine), `TriggersMixin` (TP/SL), `TradingMixin` (order actions), `TwapMixin`
(TWAP orders), `FundsMixin` (balances, leverage), `MarketMixin` (oracle, mark, funding),
`WaterfallMixin` (liquidation, the backstop vault, ADL).
"""

from __future__ import annotations

import heapq

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.book import OrderBook
from sandbox.core.config import ExchangeConfig
from sandbox.core.delisting import DelistingMixin
from sandbox.core.funds import FundsMixin
from sandbox.core.instruments import Instrument, build_instruments
from sandbox.core.invariants import validate
from sandbox.core.liquidation import CROSS, Key, LiquidationIndex
from sandbox.core.market import FundingState, MarketMixin
from sandbox.core.matching import MatchingMixin
from sandbox.core.prices import MarkState
from sandbox.core.statehash import state_hash
from sandbox.core.trading import TradingMixin
from sandbox.core.triggers import TriggerBook, TriggersMixin
from sandbox.core.twap import Twap, TwapMixin
from sandbox.core.waterfall import NEVER, WaterfallMixin


class Exchange(MatchingMixin, TriggersMixin, TradingMixin, TwapMixin, FundsMixin, MarketMixin,
               WaterfallMixin, DelistingMixin):  # fmt: skip
    def __init__(self, config: ExchangeConfig | None = None, start_ms: int | None = None) -> None:
        """`start_ms` starts the clock; by default it starts at the first command's time."""
        self.config = config = config if config is not None else ExchangeConfig()
        self.instruments: tuple[Instrument, ...] = build_instruments(
            config.instruments, config.margin_tables
        )
        self._n_assets = n = len(self.instruments)
        self.by_name = {inst.name: inst for inst in self.instruments}
        self.books = [OrderBook(a) for a in range(n)]
        self.triggers = [TriggerBook() for _ in range(n)]
        self.oracles = [0] * n
        self.other_venue_mids = [0] * n  # the other venues' perp mids (0: none known)
        self.marks = [0] * n
        self._band = [(0, 1 << 62)] * n  # orders' price band, per asset (none before a mark)
        self.last_trade_px: list[int | None] = [None] * n
        self.funding_rates = [0] * n
        self.holders: list[dict[str, Account]] = [{} for _ in range(n)]
        self.open_interest = [0] * n  # total long size, per asset
        # Open-interest caps, notional at mark in micro-USDC (None: no cap), per asset.
        self.oi_caps: list[int | None] = [None] * n
        for coin, cap in config.open_interest_caps:
            if coin not in self.by_name:
                raise ValueError(f"open_interest_caps: no instrument {coin}")
            self.oi_caps[self.by_name[coin].asset] = cap
        self._capped = [a for a, cap in enumerate(self.oi_caps) if cap is not None]
        self._mark_state = [MarkState() for _ in range(n)]
        self._funding = [FundingState() for _ in range(n)]
        self._default_leverage = [
            min(config.default_leverage, i.max_leverage) for i in self.instruments
        ]
        self._taker_fee = config.taker_fee
        self._maker_fee = config.maker_fee
        self._fees_plain = config.taker_fee >= 0 and config.maker_fee >= 0  # no rebates
        self._min_order_value = config.min_order_value
        self._max_open_orders = config.max_open_orders
        self._price_band = config.price_band_pct
        self._mark_is_oracle = config.mark_rule == "oracle"
        self._batch = self._batch_free = None  # see TradingMixin._place_orders
        self.halted: set[int] = set()  # assets whose matching is paused
        self.delisted: set[int] = set()  # assets delisted (halted for good)

        self.accounts: dict[str, Account] = {}
        self.fee_sink = self.account(config.fee_sink)
        self.vault = self.account(config.vault_address)
        self.vault_key = (self.vault.address, CROSS)
        self.system_accounts = frozenset((self.fee_sink.address, self.vault.address))
        self.vault.raw = self.vault_funding = config.vault_capital
        self.net_deposits = config.vault_capital
        self.ts = 0
        self.started = False
        self.next_oid = 0
        self.trade_seq = 0
        self.action_seq = 0
        self._last_sample = 0  # index of the last premium sampling instant taken
        self._next_funding = 0
        self._next_timer = 0
        self._scheduled: list[tuple[int, str]] = []  # heap of (time, address)
        self.twaps: dict[int, Twap] = {}  # running TWAPs by id
        self.twap_seq = 0
        self._twap_due: list[tuple[int, int]] = []  # heap of (time, TWAP id)
        self._events: list = []
        self._checked_margin: int | None = None  # order margin after the order last checked
        # The loss waterfall
        self.liq_index = LiquidationIndex(n)
        self.prev_marks = [0] * n
        self.liquidation_seq = 0
        self._dirty: dict[str, Account] = {}  # accounts whose margin changed
        self._stale: dict[str, Account] = {}  # ... whose triggers wait for the next mark
        self._moved: list[int] = []  # assets whose mark changed
        self._pending: dict[Key, int] = {}  # market liquidations the book could not finish
        self._next_unwind = NEVER  # set while the vault holds positions
        self._handlers = {
            cmd.PlaceOrders: self._place_orders,
            cmd.Cancel: self._cancel_orders,
            cmd.CancelByCloid: self._cancel_by_cloid,
            cmd.ModifyOrders: self._modify_orders,
            cmd.ScheduleCancel: self._schedule_cancel,
            cmd.UpdateLeverage: self._update_leverage,
            cmd.UpdateIsolatedMargin: self._update_isolated_margin,
            cmd.Withdraw: self._withdraw,
            cmd.UsdSend: self._usd_send,
            cmd.SpotSend: self._spot_send,
            cmd.ClassTransfer: self._class_transfer,
            cmd.ForceAdl: self._force_adl,
            cmd.ForceLiquidation: self._force_liquidation,
            cmd.WaiveScheduleCancelGate: self._waive_schedule_cancel_gate,
            cmd.PlaceTwap: self._place_twap,
            cmd.CancelTwap: self._cancel_twap,
        }
        if start_ms is not None:
            self._start(start_ms)

    def _start(self, ts: int) -> None:
        config = self.config
        self.started = True
        self.ts = ts
        self._last_sample = ts // config.premium_sample_ms
        self._next_funding = (ts // config.funding_interval_ms + 1) * config.funding_interval_ms
        self._set_next_timer()

    # -- the contract ----------------------------------------------------------------------

    def apply(self, command: cmd.Command, ts: int) -> list:
        """Apply `command` at `ts` (ms); return the events it caused, in order."""
        if ts < self.ts:
            raise errors.CoreError(f"time went backwards: {ts} < {self.ts}")
        events = self._events = []
        if ts >= self._next_timer:  # something falls due (or the clock starts)
            if not self.started:
                self._start(ts)
            self._advance(ts)
        else:
            self.ts = ts
        kind = type(command)
        handler = self._handlers.get(kind)
        self.action_seq += 1
        if handler is not None:
            acct = self.accounts.get(command.user)
            if acct is None:
                text = errors.USER_MISSING.format(user=command.user)
                events.append(ev.ActionResult(command.user, "err", error=text))
            else:
                events.append(handler(command, acct))
        elif kind is cmd.SetOracle:
            result = self._set_oracle(command)
            if result is not None:
                events.append(result)
        elif kind is cmd.Deposit:
            events.append(self._deposit(command))
        elif kind is cmd.SetHalted:
            result = self._set_halted(command)
            if result is not None:
                events.append(result)
        elif kind is cmd.SetOpenInterestCap:
            self._set_open_interest_cap(command)
        elif kind is cmd.Delist:
            result = self._delist(command)
            if result is not None:
                events.append(result)
        elif kind is not cmd.Tick:
            raise errors.CoreError(f"unknown command {command!r}")
        if self._dirty or self._moved or self._pending:
            self._settle_risk()
        if self._capped:
            self._cancel_aggressive_at_cap()
        return events

    def validate(self) -> None:
        """Check every invariant; raise `errors.InvariantError` on the first broken one."""
        validate(self)

    def state_hash(self) -> str:
        return state_hash(self)

    # -- accounts --------------------------------------------------------------------------

    def account(self, address: str) -> Account:
        """The account at `address`, created empty if it does not exist yet."""
        acct = self.accounts.get(address)
        if acct is None:
            acct = self.accounts[address] = Account(address)
        return acct

    # -- time ------------------------------------------------------------------------------

    def _advance(self, ts: int) -> None:
        """Run everything due in (self.ts, ts], in time order."""
        scheduled = self._scheduled
        interval = self.config.funding_interval_ms
        twaps = self._twap_due
        while True:
            due = min(self._next_funding, self._next_unwind)
            if scheduled and scheduled[0][0] < due:
                due = scheduled[0][0]
            if twaps and twaps[0][0] < due:
                due = twaps[0][0]
            if due > ts:
                break
            self._sample_premiums(due)
            self.ts = due
            while scheduled and scheduled[0][0] == due:
                _, address = heapq.heappop(scheduled)
                acct = self.accounts[address]
                if acct.scheduled_cancel == due:
                    self._fire_scheduled_cancel(acct)
            if twaps and twaps[0][0] == due:
                self._run_due_twaps(due)
            if due == self._next_unwind:
                self._unwind_vault()
            if due == self._next_funding:
                self._pay_funding()
                self._next_funding += interval
            if self._dirty or self._moved:
                self._settle_risk()
        self._sample_premiums(ts)
        self.ts = ts
        self._set_next_timer()

    def _set_next_timer(self) -> None:
        """The earliest time at which something falls due: the next premium sample, the next
        funding or the next scheduled cancel."""
        interval = self.config.premium_sample_ms
        due = (self._last_sample + 1) * interval
        if self._next_funding < due:
            due = self._next_funding
        if self._next_unwind < due:
            due = self._next_unwind
        if self._scheduled and self._scheduled[0][0] < due:
            due = self._scheduled[0][0]
        if self._twap_due and self._twap_due[0][0] < due:
            due = self._twap_due[0][0]
        self._next_timer = due

    def _schedule(self, time: int, acct: Account) -> None:
        heapq.heappush(self._scheduled, (time, acct.address))
        if time < self._next_timer:
            self._next_timer = time

    def _unschedule(self, acct: Account) -> None:
        # The heap entry stays; it is skipped when it no longer matches the account.
        acct.scheduled_cancel = None
