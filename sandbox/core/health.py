"""Who needs liquidating: account health and the trigger-price index kept up to date.

Part of the loss waterfall (`waterfall`): an account touched by a command is checked at
once; every account's liquidation trigger prices are indexed per coin (`liquidation`), so
that a mark move finds exactly the accounts it put below maintenance.
"""

from __future__ import annotations

from sandbox.core.accounts import Account, Position
from sandbox.core.liquidation import CROSS, Key, allocate, trigger_in_tier


class HealthMixin:
    """Part of `Exchange`: account health and the liquidation trigger index."""

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
        looks = []  # (asset, size, mark, table, tier, factor, scale) of each position
        for pos in positions:
            asset = pos.asset
            size = pos.size
            mark = marks[asset]
            ntl = size * mark if size > 0 else -size * mark
            value += size * mark
            table = instruments[asset].margin_table
            tier, margin, factor, scale = table.describe(ntl)
            maintenance += margin
            notionals.append(ntl)
            looks.append((asset, size, mark, table, tier, factor, scale))
        buffer = value - maintenance
        if buffer < 0:
            self.liq_index.clear(key)
            candidates[key] = None
            return
        triggers = []
        for look, share in zip(looks, allocate(buffer, notionals), strict=True):
            asset, size, mark, table, tier, factor, scale = look
            trigger = trigger_in_tier(table, tier, factor, scale, size, mark, share)
            if trigger is not None:
                triggers.append((asset, size > 0, trigger))
        self.liq_index.set(key, triggers)
