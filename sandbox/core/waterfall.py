"""The loss waterfall: market liquidation, backstop vault, auto-deleveraging.

After every command that moved a mark or changed an account's margin, `_settle_risk` finds
the accounts (and isolated positions) whose value is below maintenance margin, through the
trigger-price index of `liquidation`, and takes each through the waterfall, most
underwater first:

1. **Market liquidation** (value >= 2/3 of maintenance): the account's open orders are
   cancelled (`liquidatedCanceled`, `nonUserCancel`), then for each position, largest first,
   an IOC "LiquidationMarket" order closes it into the book, no worse than the price that
   would leave the account at zero. Above `partial_liquidation_threshold` only 20% goes at
   once and a 30 s cooldown starts, during which orders are for the whole position. It
   stops as soon as the account is back above maintenance; what is left stays with the
   trader. An account the book could not help stays pending and is retried at the next mark.
2. **Backstop** (value < 2/3 of maintenance): the liquidator vault takes over the positions
   at mark with all of their margin (cross: the whole cross pool; isolated: the position's
   pool), including any shortfall, if it stays above its own maintenance margin after.
3. **ADL** (the vault cannot take it, or its loss has passed its threshold): the bankrupt
   positions are closed against the opposite side's ranked positions (`adl`), one ranking
   snapshot per asset and side for the whole batch.

Liquidations make fills, which change other accounts' margin: rounds repeat until nothing
is left to liquidate. Every stage emits an audit record (`WaterfallStep`).
"""

from __future__ import annotations

from fractions import Fraction

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.book import Order
from sandbox.core.deleverage import DeleverageMixin
from sandbox.core.health import HealthMixin
from sandbox.core.ids import trade_id
from sandbox.core.liquidation import CROSS, Key
from sandbox.core.settlement import settle
from sandbox.core.units import fmt_usdc

NEVER = 1 << 62  # a time that never comes


class WaterfallMixin(HealthMixin, DeleverageMixin):
    """Part of `Exchange`: liquidation detection (`health`) and the three stages (stage 3 in
    `deleverage`)."""

    # -- the loop ------------------------------------------------------------------------------

    def _settle_risk(self) -> None:
        """Liquidate whatever needs it, in rounds, until nothing does.

        An account whose margin changed is checked at once (is it below maintenance now?),
        but its triggers are only recomputed when a mark next moves: until then no trigger
        can be reached, and a busy account is re-indexed once per mark, not once per fill."""
        stale = self._stale
        if not self._moved and not self._pending and not self.vault.positions:
            # the common case: fills, and no mark moved; one pass, usually nothing to do
            candidates: dict[Key, None] = {}
            dirty, self._dirty = self._dirty, {}
            for acct in dirty.values():
                self._check_now(acct, candidates)
            stale.update(dirty)
            if not candidates:
                return
            self._liquidate_round(candidates)
        while self._dirty or self._moved or self._pending:
            candidates = {}
            dirty, self._dirty = self._dirty, {}
            moved, self._moved = self._moved, []
            if moved:
                stale.update(dirty)
                for acct in stale.values():
                    self._reindex(acct, candidates)
                stale.clear()
                for asset in moved:
                    for key in self.liq_index.due(asset, self.marks[asset]):
                        candidates[key] = None
            else:
                for acct in dirty.values():
                    self._check_now(acct, candidates)
                stale.update(dirty)
            for key, tried in self._pending.items():
                if tried < self.ts:  # a new block: the book may have changed
                    candidates[key] = None
            if candidates:
                self._liquidate_round(candidates)
            elif (moved or dirty) and self._vault_over_threshold():
                self._adl([self.vault_key], solvent=True)
            if not self._dirty and not self._moved:
                return

    def _liquidate_round(self, candidates: dict[Key, None]) -> None:
        num, den = self.config.backstop_ratio
        below = []
        for key in candidates:
            health = self.health(key)
            if health is None:
                self._pending.pop(key, None)
                continue
            value, maintenance = health
            if value >= maintenance:
                self._pending.pop(key, None)
                self._touch(self.accounts[key[0]])  # healthy: fresh triggers
            elif self._pending.get(key) == self.ts and value * den >= maintenance * num:
                continue  # tried in this block already; not yet for the backstop
            else:
                below.append((Fraction(value, maintenance), key))
        below.sort()
        bankrupt: list[Key] = []
        for _, key in below:
            health = self.health(key)  # earlier liquidations in this round may have moved it
            if health is None:
                continue
            self._liquidate(key, health[0], health[1], bankrupt)
        if bankrupt:
            self._adl(bankrupt, solvent=False)
        if self._vault_over_threshold():
            self._adl([self.vault_key], solvent=True)

    def _liquidate(self, key: Key, value: int, maintenance: int, bankrupt: list[Key]) -> None:
        acct = self.accounts[key[0]]
        if value >= maintenance:
            self._touch(acct)
            return
        self._pending.pop(key, None)
        self._cancel_for_liquidation(acct, key)
        num, den = self.config.backstop_ratio
        if value * den >= maintenance * num:
            self._market_liquidation(acct, key)
            health = self.health(key)
            if health is None or health[0] >= health[1]:
                self._touch(acct)
                return
            value, maintenance = health
            if value * den >= maintenance * num:
                self._pending[key] = self.ts  # not enough yet: again in the next block
                return
        if self._vault_can_absorb(acct, key, value):
            self._backstop(acct, key, value)
        else:
            bankrupt.append(key)

    def _cancel_for_liquidation(self, acct: Account, key: Key) -> None:
        orders = sorted(acct.orders.values(), key=lambda o: o.oid)
        if key[1] != CROSS:
            orders = [o for o in orders if o.asset == key[1]]
        cancelled = []
        for order in orders:
            if order.oid in acct.orders:
                cancelled.append((order.asset, order.oid))
                self._cancel(order, ev.LIQUIDATED_CANCELED)
        if cancelled:
            self._events.append(ev.NonUserCancel(acct.address, tuple(cancelled), self.ts))

    # -- stage 1 ---------------------------------------------------------------------------------

    def _market_liquidation(self, acct: Account, key: Key) -> None:
        config = self.config
        positions = self._positions_of(acct, key)
        positions.sort(key=lambda p: (-abs(p.size) * self.marks[p.asset], p.asset))
        partial = False
        for pos in positions:
            health = self.health(key)
            if health is None or health[0] >= health[1]:
                break
            if pos.asset in self.halted:
                continue  # matching is paused: the book cannot take it now
            value = health[0]
            mark = self.marks[pos.asset]
            held = abs(pos.size)
            q = held
            if (
                held * mark > config.partial_liquidation_threshold
                and self.ts >= acct.liq_cooldown_until
            ):
                q = max(1, -(-held * config.partial_liquidation_pct // 100))
                partial = True
            # never worse than the price at which the account would be left with nothing
            limit = mark - value // q if pos.size > 0 else mark + value // q
            self._liquidation_order(
                acct, key, pos, q, limit, value,
                "value below maintenance margin, at or above the backstop level",
            )  # fmt: skip
        if partial:
            acct.liq_cooldown_until = self.ts + config.liquidation_cooldown_ms

    def _liquidation_order(self, acct: Account, key: Key, pos, q: int, limit: int, value: int,
                           reason: str) -> int:  # fmt: skip
        """Close `q` lots of `pos` into the book with an IOC "LiquidationMarket" order no
        worse than `limit`; returns the lots filled."""
        isolated = key[1] != CROSS
        asset, size = pos.asset, pos.size
        mark = self.marks[asset]
        self.next_oid += 1
        order = Order(
            self.next_oid, acct, asset, size < 0, max(1, limit), q, q, "LiquidationMarket",
            True, None, self.ts,
        )  # fmt: skip
        # The liquidated user's fills read as ordinary closes ("Close Long") carrying the
        # `liquidation` object, as the venue tags market liquidations; the "Liquidated ..."
        # dirs are its backstop takeovers (see docs/server.md).
        liquidation = ev.Liquidation(acct.address, mark, "market")
        filled, notional = self._match(order, self.books[asset], liquidation)
        self._touch(acct)
        self._update(order, ev.FILLED if not order.sz else ev.CANCELED)
        if not filled:
            return 0
        lid = self._next_lid()
        positions_closed = ((asset, filled if size > 0 else -filled),)
        self._events.append(
            ev.Liquidated(
                acct.address, lid, self.vault.address, "market", isolated, filled * mark,
                value, positions_closed, self.ts,
            )
        )  # fmt: skip
        vault_value = self._vault_value()
        self._events.append(
            ev.WaterfallStep(
                "market", acct.address, asset, size, filled, notional // filled, 0,
                vault_value, vault_value, self.ts, lid, reason=reason,
            )
        )  # fmt: skip
        inst = self.instruments[asset]
        self._notify(
            acct,
            f"Liquidation: {inst.units.fmt_sz(filled)} {inst.name} of your "
            f"{'isolated' if isolated else 'cross'} {'long' if size > 0 else 'short'} was "
            f"{'sold' if size > 0 else 'bought'} in the market at "
            f"{inst.units.fmt_avg_px(notional, filled)} (mark {inst.units.fmt_px(mark)}).",
        )
        return filled

    # -- stage 2 ---------------------------------------------------------------------------------

    def _vault_value(self) -> int:
        vault = self.vault
        value = vault.raw
        for pos in vault.positions.values():
            value += pos.size * self.marks[pos.asset]
        return value

    def _vault_can_absorb(self, acct: Account, key: Key, value: int) -> bool:
        """Would the vault, with these positions and this margin, stay above its own
        maintenance margin?"""
        sizes = {a: p.size for a, p in self.vault.positions.items()}
        for pos in self._positions_of(acct, key):
            sizes[pos.asset] = sizes.get(pos.asset, 0) + pos.size
        maintenance = sum(
            self.instruments[a].maintenance_margin(abs(s) * self.marks[a]) for a, s in sizes.items()
        )
        after = self._vault_value() + value
        return after > 0 and after >= maintenance

    def _backstop(self, acct: Account, key: Key, value: int,
                  reason: str = "value below the backstop level (2/3 of maintenance margin)",
                  ) -> None:  # fmt: skip
        vault = self.vault
        isolated = key[1] != CROSS
        before = self._vault_value()
        lid = self._next_lid()
        closed = []
        for pos in sorted(self._positions_of(acct, key), key=lambda p: p.asset):
            asset, size, mark = pos.asset, pos.size, self.marks[pos.asset]
            label = ev.liquidated_dir(isolated, size > 0)
            liquidation = ev.Liquidation(acct.address, mark, "backstop")
            self._transfer(acct, vault, asset, size < 0, mark, abs(size), "backstop", label, label,
                           liquidation)  # fmt: skip
            closed.append((asset, size))
        # the margin goes with the positions: cross, the whole pool; isolated, what the
        # position's pool released when it closed
        moved = acct.raw if not isolated else value
        acct.raw -= moved
        vault.raw += moved
        self._touch(acct)
        self._start_unwinding()
        after = self._vault_value()
        notional = sum(abs(s) * self.marks[a] for a, s in closed)
        self._events.append(
            ev.Liquidated(
                acct.address, lid, vault.address, "backstop", isolated, notional, value,
                tuple(closed), self.ts,
            )
        )  # fmt: skip
        for asset, size in closed:
            self._events.append(
                ev.WaterfallStep(
                    "backstop", acct.address, asset, size, abs(size), self.marks[asset],
                    max(0, -value), before, after, self.ts, lid, reason=reason,
                )
            )  # fmt: skip
        names = ", ".join(
            f"{self.instruments[a].units.fmt_sz(s)} {self.instruments[a].name}" for a, s in closed
        )
        self._notify(
            acct,
            f"Backstop liquidation: your {'isolated' if isolated else 'cross'} positions "
            f"({names}) and their margin ({fmt_usdc(value)} USDC) were taken over by the "
            f"liquidator vault at the mark price.",
        )

    def _transfer(self, taker: Account, maker: Account, asset: int, taker_buys: bool,
                  px: int, q: int, kind: str, taker_dir: str, maker_dir: str,
                  liquidation: ev.Liquidation) -> None:  # fmt: skip
        """A forced trade between two accounts, outside the book, with no fees."""
        self.trade_seq += 1
        tid = trade_id(self.trade_seq)
        t_start, t_pnl = settle(taker, asset, taker_buys, px, q, 0, self)
        m_start, m_pnl = settle(maker, asset, not taker_buys, px, q, 0, self)
        self._open_interest_moved(asset, taker_buys, q, t_start, m_start)
        for acct, start in ((taker, t_start), (maker, m_start)):
            if start == 0 or asset not in acct.positions:
                self._track_holder(acct, asset, start)
        self.next_oid += 2
        self._events.append(
            ev.Trade(
                asset, px, q, self.ts, tid, self.action_seq, taker_buys, taker.address,
                self.next_oid - 1, t_start, t_pnl, 0, maker.address, self.next_oid, m_start,
                m_pnl, 0, liquidation=liquidation, taker_dir=taker_dir, maker_dir=maker_dir,
                kind=kind,
            )
        )  # fmt: skip
        self._position_changed(taker, asset)
        self._position_changed(maker, asset)

    # -- on demand ------------------------------------------------------------------------------

    def _force_liquidation(self, c: cmd.ForceLiquidation, acct: Account) -> ev.ActionResult:
        """Liquidate a position (or every position) of `acct` now, whatever its margin, by
        the stage asked for. Everything is checked before anything changes."""
        reason = "forced from the control plane"
        if c.stage not in ("market", "backstop"):
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_LIQUIDATION_STAGE)
        if c.asset is None:
            positions = [p for _, p in sorted(acct.positions.items()) if p.size]
        else:
            pos = acct.positions.get(c.asset)
            positions = [pos] if pos is not None and pos.size else []
        if not positions or acct.address in self.system_accounts:
            return ev.ActionResult(acct.address, "err", error=errors.NO_POSITION_TO_LIQUIDATE)
        keys = list(dict.fromkeys((acct.address, p.asset if p.isolated else CROSS)
                                  for p in positions))  # fmt: skip
        if c.stage == "backstop":
            for key in keys:
                if not self._vault_can_absorb(acct, key, self.health(key)[0]):
                    return ev.ActionResult(acct.address, "err", error=errors.VAULT_CANNOT_ABSORB)
            for key in keys:
                self._cancel_for_liquidation(acct, key)
                self._backstop(acct, key, self.health(key)[0], reason)
            return ev.ActionResult(acct.address, "default")
        for pos in positions:
            if pos.asset in self.halted:
                return ev.ActionResult(acct.address, "err", error=errors.TRADING_HALTED)
            value = self.health((acct.address, pos.asset if pos.isolated else CROSS))[0]
            if not self._reachable(acct, pos, self._forced_limit(pos, value)):
                return ev.ActionResult(acct.address, "err", error=errors.MARKET_NO_LIQUIDITY)
        for key in keys:
            self._cancel_for_liquidation(acct, key)
        for pos in sorted(positions, key=lambda p: (-abs(p.size) * self.marks[p.asset], p.asset)):
            if pos.size:
                key = (acct.address, pos.asset if pos.isolated else CROSS)
                value = self.health(key)[0]  # after the positions before it went
                limit = self._forced_limit(pos, value)
                self._liquidation_order(acct, key, pos, abs(pos.size), limit, value, reason)
        return ev.ActionResult(acct.address, "default")

    def _forced_limit(self, pos, value: int) -> int:
        """A forced liquidation's price for `pos`, whose margin pool is worth `value`: no
        worse than the bankruptcy price, nor than a market order's slippage from the mark."""
        mark, q = self.marks[pos.asset], abs(pos.size)
        units = self.instruments[pos.asset].units
        slip = self.config.trigger_market_slippage_pct
        if pos.size > 0:
            return max(mark - value // q, units.round_px(mark * (100 - slip), 100, up=True))
        return min(mark + value // q, units.round_px(mark * (100 + slip), 100, up=False))

    def _reachable(self, acct: Account, pos, limit: int) -> bool:
        """Does the book hold someone else's order that `pos`'s liquidation could take?"""
        book = self.books[pos.asset]
        for level in (book.bids if pos.size > 0 else book.asks).iter_levels():
            if (level.px < limit) if pos.size > 0 else (level.px > limit):
                return False
            if any(o.account is not acct for o in level.orders.values()):
                return True
        return False

    # -- the vault unwinds ---------------------------------------------------------------------

    def _start_unwinding(self) -> None:
        """The vault has taken positions: it starts unwinding them, if not already."""
        if self._next_unwind == NEVER:
            self._next_unwind = self.ts + self.config.vault_unwind_interval_ms
            self._set_next_timer()

    def _unwind_vault(self) -> None:
        """Sell (or buy back) a slice of each position the vault holds into the book, no
        further than `vault_unwind_slippage_bps` from the mark; again every interval until
        the vault is flat."""
        config = self.config
        vault = self.vault
        if not vault.positions:
            self._next_unwind = NEVER
            return
        self._next_unwind = self.ts + config.vault_unwind_interval_ms
        for asset in sorted(vault.positions):
            pos = vault.positions.get(asset)
            if pos is None or asset in self.halted:
                continue
            mark = self.marks[asset]
            held = abs(pos.size)
            q = max(1, -(-held * config.vault_unwind_pct // 100))
            if q * mark < self._min_order_value:
                q = min(held, -(-self._min_order_value // mark))
            is_buy = pos.size < 0
            slip = config.vault_unwind_slippage_bps
            units = self.instruments[asset].units
            if is_buy:
                limit = units.round_px(mark * (10_000 + slip), 10_000, up=False)
            else:
                limit = units.round_px(mark * (10_000 - slip), 10_000, up=True)
            self.next_oid += 1
            order = Order(self.next_oid, vault, asset, is_buy, limit, q, q, "Ioc", True, None,
                          self.ts)  # fmt: skip
            filled, _ = self._match(order, self.books[asset])
            if filled:
                self._update(order, ev.FILLED if not order.sz else ev.CANCELED)

    # -- helpers -----------------------------------------------------------------------------

    def _next_lid(self) -> int:
        self.liquidation_seq += 1
        return self.liquidation_seq

    def _notify(self, acct: Account, text: str) -> None:
        self._events.append(ev.Notification(acct.address, text, self.ts))
