"""Finding liquidatable accounts without scanning them: a trigger-price index.

An account is liquidatable when its value at mark falls below its maintenance margin (for
an isolated position: the position's value below the position's maintenance margin). Its
*buffer* is value minus maintenance margin. Only its positions' marks move the buffer, and
each position has one adverse direction: for a long, a falling mark costs
`|size| * (1 - mmr)` per tick (its maintenance margin falls too); for a short, a rising mark
costs `|size| * (1 + mmr)`.

So each position gets a share of the buffer (pro rata to notional) and a *trigger price*:
how far its mark can move against it before its share is used up. While every mark stays on
the safe side of its trigger, the account cannot be liquidatable. A trigger is rounded
towards the current mark and never crosses a margin-tier boundary (where the rate changes),
so it fires no later than it must. For a single position the trigger is the venue's
liquidation price. When a mark crosses a trigger, the account is evaluated exactly: either
it is liquidatable, or it gets fresh triggers.

The index keeps, per asset, a max-heap of long triggers (fire when mark <= trigger) and a
min-heap of short triggers (fire when mark >= trigger). Re-indexing an account bumps its
version; entries of older versions are skipped when they surface and swept out when they
pile up. A mark tick that fires nothing costs a look at two heap tops.
"""

from __future__ import annotations

import heapq

from sandbox.core.instruments import Instrument

Key = tuple[str, int]  # (address, asset of the isolated position, or CROSS)
CROSS = -1


def position_trigger(inst: Instrument, size: int, mark: int, share: int) -> int | None:
    """The trigger price of a position of signed `size` at `mark` given `share` micro-USDC
    of buffer (>= 0); None when no positive price can use it up."""
    held = size if size > 0 else -size
    tier, _, factor, scale = inst.margin_table.describe(held * mark)
    return trigger_in_tier(inst.margin_table, tier, factor, scale, size, mark, share)


def trigger_in_tier(table, tier: int, factor: int, scale: int, size: int, mark: int,
                    share: int) -> int | None:  # fmt: skip
    """`position_trigger` with the position's margin tier and rate already known."""
    held = size if size > 0 else -size
    if size > 0:
        # mark may fall by share * scale / (held * (scale - factor)) ticks
        move = share * scale // (held * (scale - factor))
        trigger = mark - move
        if tier > 0:  # do not cross into the tier below without a fresh look
            bound = -(-table.tiers[tier].lower_bound // held)
            trigger = max(trigger, bound)
        return trigger if trigger > 0 else None
    move = share * scale // (held * (scale + factor))
    trigger = mark + move
    if tier + 1 < len(table.tiers):
        bound = (table.tiers[tier + 1].lower_bound - 1) // held
        trigger = min(trigger, bound)
    return trigger


def allocate(buffer: int, notionals: list[int]) -> list[int]:
    """Split `buffer` pro rata to `notionals`, rounded down (the shares never exceed it)."""
    total = sum(notionals)
    if len(notionals) == 1 or not total:
        return [buffer] + [0] * (len(notionals) - 1)
    return [buffer * n // total for n in notionals]


class LiquidationIndex:
    """Per asset, the trigger prices of every position that could be liquidated."""

    __slots__ = ("_entries", "_live", "_longs", "_seq", "_shorts", "_version")

    def __init__(self, n_assets: int) -> None:
        self._longs: list[list] = [[] for _ in range(n_assets)]  # (-trigger, seq, key)
        self._shorts: list[list] = [[] for _ in range(n_assets)]  # (trigger, seq, key)
        self._live = [[0, 0] for _ in range(n_assets)]  # live entries: [longs, shorts]
        self._version: dict[Key, int] = {}
        self._entries: dict[Key, list[tuple[int, bool]]] = {}  # key -> [(asset, is_long)]
        self._seq = 0

    def set(self, key: Key, triggers: list[tuple[int, bool, int]]) -> None:
        """Replace the triggers of `key` by (asset, is_long, trigger price) entries."""
        self.clear(key)
        if not triggers:
            return
        self._seq += 1
        seq = self._seq
        self._version[key] = seq
        entries = []
        for asset, is_long, trigger in triggers:
            if is_long:
                heapq.heappush(self._longs[asset], (-trigger, seq, key))
                self._live[asset][0] += 1
            else:
                heapq.heappush(self._shorts[asset], (trigger, seq, key))
                self._live[asset][1] += 1
            entries.append((asset, is_long))
        self._entries[key] = entries

    def set_one(self, key: Key, asset: int, is_long: bool, trigger: int) -> None:
        """`set` for a key with one trigger (a single cross position or an isolated one)."""
        if key in self._entries:
            self.clear(key)
        self._seq += 1
        seq = self._seq
        self._version[key] = seq
        if is_long:
            heapq.heappush(self._longs[asset], (-trigger, seq, key))
            self._live[asset][0] += 1
        else:
            heapq.heappush(self._shorts[asset], (trigger, seq, key))
            self._live[asset][1] += 1
        self._entries[key] = [(asset, is_long)]

    def clear(self, key: Key) -> None:
        entries = self._entries.pop(key, None)
        if entries is None:
            return
        del self._version[key]
        for asset, is_long in entries:
            live = self._live[asset]
            live[0 if is_long else 1] -= 1
            heap = self._longs[asset] if is_long else self._shorts[asset]
            if len(heap) > 2 * live[0 if is_long else 1] + 64:
                self._sweep(heap)

    def _sweep(self, heap: list) -> None:
        version = self._version
        heap[:] = [e for e in heap if version.get(e[2]) == e[1]]
        heapq.heapify(heap)

    def due(self, asset: int, mark: int) -> list[Key]:
        """Remove and return the keys whose trigger in `asset` the mark has reached, in
        the order they surface (furthest past their trigger first)."""
        fired: list[Key] = []
        version = self._version
        longs = self._longs[asset]
        while longs and -longs[0][0] >= mark:
            _, seq, key = heapq.heappop(longs)
            if version.get(key) == seq:
                fired.append(key)
                self.clear(key)
        shorts = self._shorts[asset]
        while shorts and shorts[0][0] <= mark:
            _, seq, key = heapq.heappop(shorts)
            if version.get(key) == seq:
                fired.append(key)
                self.clear(key)
        return fired

    def indexed(self, key: Key) -> bool:
        return key in self._entries

    def all_triggers(self) -> dict[Key, dict[int, int]]:
        """The live trigger prices of every key, by asset: `triggers` of all keys at once,
        in one pass over the heaps (what `validate()` reads)."""
        version = self._version
        found: dict[tuple[Key, int], int] = {}
        for asset, (longs, shorts) in enumerate(zip(self._longs, self._shorts, strict=True)):
            for price, seq, key in longs:
                if version.get(key) == seq:
                    found[key, asset] = -price
            for price, seq, key in shorts:
                if version.get(key) == seq:
                    found[key, asset] = price
        out: dict[Key, dict[int, int]] = {}
        for key, entries in self._entries.items():  # each key's assets in `triggers`' order
            prices = out[key] = {}
            for asset, _ in entries:
                price = found.get((key, asset))
                if price is not None:
                    prices[asset] = price
        return out

    def triggers(self, key: Key) -> dict[int, int]:
        """The live trigger prices of `key`, by asset (for inspection and tests; scans the
        heaps of its assets)."""
        seq = self._version.get(key)
        out = {}
        for asset, is_long in self._entries.get(key, ()):
            heap = self._longs[asset] if is_long else self._shorts[asset]
            for price, s, k in heap:
                if s == seq and k == key:
                    out[asset] = -price if is_long else price
        return out

    def __len__(self) -> int:
        return len(self._entries)
