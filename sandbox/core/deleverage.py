"""Stage 3 of the loss waterfall: auto-deleveraging.

The bankrupt positions the vault cannot take are closed against the opposite side's ranked
positions (`adl` ranks them under the configured policy), one ranking snapshot per asset and
side for the whole batch; `adl_ranks` exposes every position's place in the queue.
"""

from __future__ import annotations

from sandbox.core import adl, errors
from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.liquidation import CROSS, Key


class DeleverageMixin:
    """Part of `Exchange`: the ADL stage and the ranking it uses."""

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
                    solvent, self.config.adl_price,
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
                    ((asset, closed if size > 0 else -closed),), self.ts,
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
        # the bankrupt side's fill reads as its liquidation; its counterparties' as ADL
        own_dir = (
            ev.AUTO_DELEVERAGING
            if acct is self.vault
            else ev.liquidated_dir(key[1] != CROSS, is_long)
        )
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
                           own_dir, ev.AUTO_DELEVERAGING, liquidation)  # fmt: skip
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

    def _force_adl(self, c: cmd.ForceAdl, acct: Account) -> ev.ActionResult:
        """The vault takes `acct`'s position (or `c.sz` of it) at the mark, by ADL."""
        pos = acct.positions.get(c.asset) if 0 <= c.asset < len(self.instruments) else None
        if pos is None or not pos.size or acct is self.vault:
            return ev.ActionResult(acct.address, "err", error=errors.NO_POSITION_TO_ADL)
        q = abs(pos.size) if c.sz is None else min(c.sz, abs(pos.size))
        if q <= 0:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_SIZE_TO_ADL)
        asset, price = c.asset, self.marks[c.asset]
        # the vault stands in for a bankrupt position opposite the user's
        vault_size = q if pos.size < 0 else -q
        vault_before = self._vault_value()
        entry = next((e for e in self._ranking(asset, pos.size > 0, set())
                      if e.user == acct.address), None)  # fmt: skip
        used = self._adl_position(self.vault, self.vault_key, asset, vault_size, price,
                                  [(acct.address, q)])  # fmt: skip
        self._start_unwinding()
        self._events.append(
            ev.WaterfallStep(
                "adl", self.vault.address, asset, vault_size, q, price, 0, vault_before,
                self._vault_value(), self.ts, self._next_lid(), self.config.adl_policy,
                (entry,) if entry is not None else (), tuple(used), "forced from the control plane",
            )
        )  # fmt: skip
        return ev.ActionResult(acct.address, "default")

    def adl_queue(self, asset: int, longs: bool) -> list[ev.RankEntry]:
        """The ADL queue of one side of `asset` right now, first to be closed first."""
        return self._ranking(asset, longs, set())

    def adl_ranks(self, asset: int) -> dict[str, int]:
        """Every position's place in the ADL queue of `asset` right now, as a 0-4 quantile
        (4: among the first fifth to be closed), under the exchange's policy."""
        ranks = {}
        for longs in (True, False):
            ranks.update(adl.quantiles(self._ranking(asset, longs, set())))
        return ranks
