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

from sandbox.core import adl
from sandbox.core import events as ev
from sandbox.core.accounts import Account, Position
from sandbox.core.book import Order
from sandbox.core.ids import trade_id
from sandbox.core.liquidation import CROSS, Key, allocate, position_trigger, trigger_in_tier
from sandbox.core.settlement import settle
from sandbox.core.units import fmt_usdc

NEVER = 1 << 62  # a time that never comes


class WaterfallMixin:
    """Part of `Exchange`: liquidation detection and the three stages."""

    # -- health ----------------------------------------------------------------------------

    def _positions_of(self, acct: Account, key: Key) -> list[Position]:
        if key[1] == CROSS:
            return [p for p in acct.positions.values() if not p.isolated]
        pos = acct.positions.get(key[1])
        return [pos] if pos is not None and pos.isolated else []

    def health(self, key: Key) -> tuple[int, int] | None:
        """(value, maintenance margin) of a cross account or isolated position at mark;
        None when it holds nothing."""
        acct = self.accounts[key[0]]
        positions = self._positions_of(acct, key)
        if not positions:
            return None
        marks = self.marks
        instruments = self.instruments
        value = acct.raw if key[1] == CROSS else positions[0].iso_raw
        maintenance = 0
        for pos in positions:
            mark = marks[pos.asset]
            value += pos.size * mark
            maintenance += instruments[pos.asset].maintenance_margin(abs(pos.size) * mark)
        return value, maintenance

    def _touch(self, acct: Account) -> None:
        """Note that `acct`'s margin changed: it is looked at before the command ends."""
        self._dirty[acct.address] = acct

    def _reindex(self, acct: Account, candidates: dict[Key, None]) -> None:
        """Give the account's cross positions and each isolated position fresh triggers, or
        make them candidates when they are already below maintenance."""
        address = acct.address
        if address in self.system_accounts:
            return
        positions = acct.positions
        if len(positions) == 1 and not acct.liq_isolated:  # the common case, quickly
            for pos in positions.values():
                if not pos.isolated:
                    self._index_one((address, CROSS), pos, acct.raw, candidates)
                    return
        cross = []
        isolated = []
        for pos in acct.positions.values():
            (isolated if pos.isolated else cross).append(pos)
        index = self.liq_index
        if acct.liq_isolated:
            still = {pos.asset for pos in isolated}
            for asset in acct.liq_isolated:
                if asset not in still:
                    index.clear((address, asset))
        acct.liq_isolated = tuple(pos.asset for pos in isolated)
        for pos in isolated:
            self._index_one((address, pos.asset), pos, pos.iso_raw, candidates)
        if len(cross) == 1:
            self._index_one((address, CROSS), cross[0], acct.raw, candidates)
        elif cross:
            self._index_many((address, CROSS), cross, acct.raw, candidates)
        else:
            index.clear((address, CROSS))

    def _check_now(self, acct: Account, candidates: dict[Key, None]) -> None:
        """Make the account's cross positions, or any isolated one, candidates if they are
        below maintenance margin right now."""
        positions = acct.positions
        if not positions or acct.address in self.system_accounts:
            return
        if len(positions) == 1:  # the common case, quickly
            for asset, pos in positions.items():
                size = pos.size
                mark = self.marks[asset]
                maintenance = self.instruments[asset].margin_table.maintenance_margin(
                    (size if size > 0 else -size) * mark
                )
                raw = pos.iso_raw if pos.isolated else acct.raw
                if raw + size * mark < maintenance:
                    candidates[acct.address, asset if pos.isolated else CROSS] = None
            return
        marks = self.marks
        instruments = self.instruments
        cross_value = acct.raw
        cross_maintenance = 0
        has_cross = False
        for asset, pos in acct.positions.items():
            mark = marks[asset]
            maintenance = instruments[asset].maintenance_margin(abs(pos.size) * mark)
            if pos.isolated:
                if pos.iso_raw + pos.size * mark < maintenance:
                    candidates[acct.address, asset] = None
            else:
                has_cross = True
                cross_value += pos.size * mark
                cross_maintenance += maintenance
        if has_cross and cross_value < cross_maintenance:
            candidates[acct.address, CROSS] = None

    def _index_one(self, key: Key, pos: Position, raw: int, candidates) -> None:
        """Index a key holding one position: its trigger is its liquidation price."""
        asset = pos.asset
        size = pos.size
        mark = self.marks[asset]
        table = self.instruments[asset].margin_table
        tier, maintenance, factor, scale = table.describe((size if size > 0 else -size) * mark)
        buffer = raw + size * mark - maintenance
        if buffer < 0:
            self.liq_index.clear(key)
            candidates[key] = None
            return
        trigger = trigger_in_tier(table, tier, factor, scale, size, mark, buffer)
        if trigger is None:
            self.liq_index.clear(key)
        else:
            self.liq_index.set_one(key, asset, size > 0, trigger)

    def _index_many(self, key: Key, positions: list[Position], raw: int, candidates) -> None:
        """Index a cross account holding several positions: the buffer is shared out pro
        rata to notional, each position's share giving its trigger."""
        marks = self.marks
        instruments = self.instruments
        value = raw
        maintenance = 0
        notionals = []
        for pos in positions:
            mark = marks[pos.asset]
            ntl = abs(pos.size) * mark
            value += pos.size * mark
            maintenance += instruments[pos.asset].maintenance_margin(ntl)
            notionals.append(ntl)
        buffer = value - maintenance
        if buffer < 0:
            self.liq_index.clear(key)
            candidates[key] = None
            return
        triggers = []
        for pos, share in zip(positions, allocate(buffer, notionals), strict=True):
            trigger = position_trigger(instruments[pos.asset], pos.size, marks[pos.asset], share)
            if trigger is not None:
                triggers.append((pos.asset, pos.size > 0, trigger))
        self.liq_index.set(key, triggers)

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
        isolated = key[1] != CROSS
        positions = self._positions_of(acct, key)
        positions.sort(key=lambda p: (-abs(p.size) * self.marks[p.asset], p.asset))
        partial = False
        for pos in positions:
            health = self.health(key)
            if health is None or health[0] >= health[1]:
                break
            value = health[0]
            asset = pos.asset
            mark = self.marks[asset]
            size = pos.size
            held = abs(size)
            q = held
            if (
                held * mark > config.partial_liquidation_threshold
                and self.ts >= acct.liq_cooldown_until
            ):
                q = max(1, -(-held * config.partial_liquidation_pct // 100))
                partial = True
            # never worse than the price at which the account would be left with nothing
            limit = mark - value // q if size > 0 else mark + value // q
            self.next_oid += 1
            order = Order(
                self.next_oid, acct, asset, size < 0, max(1, limit), q, q, "LiquidationMarket",
                True, None, self.ts,
            )  # fmt: skip
            liquidation = ev.Liquidation(acct.address, mark, "market")
            label = ev.liquidated_dir(isolated, size > 0)
            filled, notional = self._match(order, self.books[asset], liquidation, label)
            self._touch(acct)
            self._update(order, ev.FILLED if not order.sz else ev.CANCELED)
            if not filled:
                continue
            lid = self._next_lid()
            positions_closed = ((asset, -filled if size > 0 else filled),)
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
                    vault_value, vault_value, self.ts, lid,
                    reason="value below maintenance margin, at or above the backstop level",
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
        if partial:
            acct.liq_cooldown_until = self.ts + config.liquidation_cooldown_ms

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

    def _backstop(self, acct: Account, key: Key, value: int) -> None:
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
        if self._next_unwind == NEVER:
            self._next_unwind = self.ts + self.config.vault_unwind_interval_ms
            self._set_next_timer()
        after = self._vault_value()
        notional = sum(abs(s) * self.marks[a] for a, s in closed)
        self._events.append(
            ev.Liquidated(
                acct.address, lid, vault.address, "backstop", isolated, notional, value,
                tuple((a, -s) for a, s in closed), self.ts,
            )
        )  # fmt: skip
        for asset, size in closed:
            self._events.append(
                ev.WaterfallStep(
                    "backstop", acct.address, asset, size, abs(size), self.marks[asset],
                    max(0, -value), before, after, self.ts, lid,
                    reason="value below the backstop level (2/3 of maintenance margin)",
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

    # -- stage 3 ---------------------------------------------------------------------------------

    def _vault_over_threshold(self) -> bool:
        vault = self.vault
        if not vault.positions:
            return False
        value = self._vault_value()
        maintenance = sum(
            self.instruments[a].maintenance_margin(abs(p.size) * self.marks[a])
            for a, p in vault.positions.items()
        )
        loss = self.vault_funding - value
        return (
            value < maintenance
            or loss * 100 > self.vault_funding * self.config.vault_loss_threshold_pct
        )

    def _adl(self, keys: list[Key], solvent: bool) -> None:
        """Close the positions of `keys` (bankrupt accounts, or the vault past its loss
        threshold when `solvent`) against ranked opposite positions."""
        policy = self.config.adl_policy
        vault_before = self._vault_value()
        # The snapshot: every price and every ranking before any ADL fill.
        items = []  # (asset, is_long, account, key, size, price, value)
        for key in keys:
            acct = self.accounts[key[0]]
            health = self.health(key)
            if health is None:
                continue
            value = health[0]
            positions = sorted(self._positions_of(acct, key), key=lambda p: p.asset)
            prices = adl.bankruptcy_prices(
                value, [(p.size, self.marks[p.asset]) for p in positions]
            )
            for pos, bankruptcy in zip(positions, prices, strict=True):
                asset = pos.asset
                price = adl.adl_price(
                    policy, pos.size > 0, bankruptcy, self.prev_marks[asset], self.marks[asset],
                    solvent,
                )  # fmt: skip
                items.append((asset, pos.size > 0, acct, key, pos.size, price, value))
        excluded = {key[0] for key in keys}
        raw_before = {address: self.accounts[address].raw for address in excluded}
        rankings = {}
        for asset, is_long, *_ in items:
            if (asset, is_long) not in rankings:
                rankings[asset, is_long] = tuple(self._ranking(asset, not is_long, excluded))
        steps = []
        for (asset, is_long), ranking in sorted(rankings.items()):
            group = [item for item in items if item[0] == asset and item[1] == is_long]
            allocations = adl.plan(policy, list(ranking), sum(abs(item[4]) for item in group))
            for _, _, acct, key, size, price, value in group:
                used = self._adl_position(acct, key, asset, size, price, allocations)
                steps.append((acct, key, asset, size, price, value, used, ranking))
        for key in keys:
            if key[0] != self.vault.address:
                self._forfeit(self.accounts[key[0]], key, raw_before[key[0]])
        vault_after = self._vault_value()
        reason = (
            "the liquidator vault lost more than its threshold"
            if solvent
            else "value below the backstop level and the vault cannot take it"
        )
        for acct, key, asset, size, price, value, used, ranking in steps:
            lid = self._next_lid()
            closed = sum(take for _, take in used)
            self._events.append(
                ev.Liquidated(
                    acct.address, lid, self.vault.address, "adl", key[1] != CROSS,
                    closed * self.marks[asset], value,
                    ((asset, -closed if size > 0 else closed),), self.ts,
                )
            )  # fmt: skip
            self._events.append(
                ev.WaterfallStep(
                    "adl", acct.address, asset, size, closed, price, max(0, -value),
                    vault_before, vault_after, self.ts, lid, policy, ranking, tuple(used),
                    reason,
                )
            )  # fmt: skip

    def _forfeit(self, acct: Account, key: Key, raw_before: int) -> None:
        """A bankrupt account closed by ADL ends at zero: what is left of its margin (the
        rounding of its bankruptcy prices, or what a better ADL price left it) goes to the
        vault, as a backstop's margin would. For an isolated position that is what its pool
        released into the cross pool when it closed."""
        left = acct.raw if key[1] == CROSS else acct.raw - raw_before
        if left > 0 and not self._positions_of(acct, key):
            acct.raw -= left
            self.vault.raw += left
        self._touch(acct)

    def _adl_position(self, acct, key, asset, size, price, allocations) -> list[tuple[str, int]]:
        """Close one bankrupt position at `price` against the planned counterparties, in
        order; return what each gave up. Should the plan fall short (every opposite position
        belongs to an account in the same batch), the vault takes the rest at that price."""
        mark = self.marks[asset]
        inst = self.instruments[asset]
        is_long = size > 0
        liquidation = ev.Liquidation(acct.address, mark, "backstop")
        remaining = abs(size)
        used = []
        while remaining:
            if allocations:
                user, available = allocations[0]
                take = available if available < remaining else remaining
                if take == available:
                    allocations.pop(0)
                else:
                    allocations[0] = (user, available - take)
                counterparty = self.accounts[user]
            elif acct is not self.vault:
                counterparty, take = self.vault, remaining
            else:
                break
            self._transfer(acct, counterparty, asset, not is_long, price, take, "adl",
                           ev.AUTO_DELEVERAGING, ev.AUTO_DELEVERAGING, liquidation)  # fmt: skip
            self._touch(counterparty)
            used.append((counterparty.address, take))
            remaining -= take
            self._notify(
                counterparty,
                f"Auto-deleveraging: {inst.units.fmt_sz(take)} {inst.name} of your "
                f"{'short' if is_long else 'long'} was closed at {inst.units.fmt_px(price)} "
                f"against a bankrupt position.",
            )
        if acct is not self.vault:
            self._notify(
                acct,
                f"Your {inst.name} {'long' if is_long else 'short'} of "
                f"{inst.units.fmt_sz(abs(size))} was closed by auto-deleveraging at "
                f"{inst.units.fmt_px(price)}.",
            )
        return used

    def _ranking(self, asset: int, longs: bool, excluded: set[str]) -> list[ev.RankEntry]:
        """The policy's ranking of the positions on one side of `asset`."""
        return adl.rank(
            self.config.adl_policy,
            self._candidates(asset, longs, excluded),
            self.config.hyperliquid_short_index,
        )

    def _candidates(self, asset: int, longs: bool, excluded: set[str]) -> list[adl.Candidate]:
        marks = self.marks
        out = []
        for address, acct in self.holders[asset].items():
            if address in excluded:
                continue
            pos = acct.positions[asset]
            if (pos.size > 0) != longs:
                continue
            mark = marks[asset]
            upnl = pos.unrealized_pnl(mark)
            if pos.isolated:
                value = pos.iso_raw + pos.size * mark
                wallet = value - upnl
            else:
                value = acct.raw
                total_upnl = 0
                for other in acct.positions.values():
                    if not other.isolated:
                        value += other.size * marks[other.asset]
                        total_upnl += other.unrealized_pnl(marks[other.asset])
                wallet = value - total_upnl
            maintenance = self.instruments[asset].maintenance_margin(abs(pos.size) * mark)
            out.append(adl.Candidate(address, pos.size, pos.entry_ntl, mark, upnl, value,
                                     wallet, maintenance))  # fmt: skip
        return out

    def adl_ranks(self, asset: int) -> dict[str, int]:
        """Every position's place in the ADL queue of `asset` right now, as a 0-4 quantile
        (4: among the first fifth to be closed), under the exchange's policy."""
        ranks = {}
        for longs in (True, False):
            ranks.update(adl.quantiles(self._ranking(asset, longs, set())))
        return ranks

    # -- the vault unwinds ---------------------------------------------------------------------

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
            if pos is None:
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
