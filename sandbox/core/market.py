"""Prices and funding: oracle updates, the mark, premium samples and hourly funding.

Funding follows the venue (hyperliquid-api.md §7.2): a premium sample every 5 s from the
impact prices, averaged over the hour; at each hour the rate `P + clamp(r - P, ±0.05%)` per
8 hours is paid one eighth at a time, capped at 4% an hour, on `size * oracle`. Longs pay
shorts when the rate is positive. Payers pay their amount rounded up, receivers get theirs
rounded down, and the difference goes to the fee sink, so funding is exactly zero-sum.
Payments are made position by position in the order the positions were opened.
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.prices import hourly_funding_rate, impact_ratio, mark_price, premium
from sandbox.core.units import RATE_SCALE


class FundingState:
    __slots__ = ("premium_sum", "samples")

    def __init__(self) -> None:
        self.premium_sum = 0
        self.samples = 0


class MarketMixin:
    """Part of `Exchange`: oracle, mark and funding."""

    def _set_oracle(self, c: cmd.SetOracle) -> ev.ActionResult | None:
        n = len(self.instruments)
        for asset, px in c.prices:
            if not 0 <= asset < n:
                return ev.ActionResult("", "err", error=errors.UNKNOWN_ASSET_ACTION)
            if px <= 0:
                return ev.ActionResult("", "err", error=errors.INVALID_PRICE_UPDATE)
        for asset, px in c.other_venues:
            if not 0 <= asset < n:
                return ev.ActionResult("", "err", error=errors.UNKNOWN_ASSET_ACTION)
            if px <= 0:
                return ev.ActionResult("", "err", error=errors.INVALID_PRICE_UPDATE)
        for asset, px in c.other_venues:
            self.other_venue_mids[asset] = px
        oracle: list[int | None] = [None] * n
        for asset, px in c.prices:
            self.oracles[asset] = px
            oracle[asset] = px
        self._refresh_marks(oracle)
        return None

    def _set_halted(self, c: cmd.SetHalted) -> ev.ActionResult | None:
        n = len(self.instruments)
        if any(not 0 <= asset < n for asset in c.assets):
            return ev.ActionResult("", "err", error=errors.UNKNOWN_ASSET_ACTION)
        assets = c.assets or range(n)
        if c.halted:
            self.halted.update(assets)
            return None
        for asset in sorted((set(assets) & self.halted) - self.delisted):
            self.halted.discard(asset)
            self._check_triggers(asset)  # what the mark crossed while paused fires now
        return None

    def _refresh_marks(self, oracle: list[int | None]) -> None:
        """Recompute the mark of every asset whose oracle was just set, then let the
        consequences of each changed mark run (triggers), asset by asset. (`compute_mark`
        written out: this runs for every asset at every oracle post.)"""
        mark: list[int | None] = [None] * len(self.instruments)
        marks, moved, prev = self.marks, self._moved, self.prev_marks
        changed = []
        if self._mark_is_oracle:
            fresh = [(asset, px) for asset, px in enumerate(oracle) if px is not None]
        else:
            books, states, last = self.books, self._mark_state, self.last_trade_px
            others, instruments, ts = self.other_venue_mids, self.instruments, self.ts
            fresh = []
            for asset, px in enumerate(oracle):
                if px is None:
                    continue
                book = books[asset]
                bids, asks = book.bids.keys, book.asks.keys
                raw = mark_price(states[asset], px, bids[-1] if bids else None,
                                 -asks[-1] if asks else None, last[asset], ts, others[asset])  # fmt: skip
                fresh.append((asset, instruments[asset].units.nearest_px(raw)))
        for asset, new in fresh:
            old = marks[asset]
            if new != old:
                prev[asset] = old
                self.set_mark(asset, new)
                moved.append(asset)
                mark[asset] = new
                changed.append(asset)
        self._events.append(ev.Prices(tuple(oracle), tuple(mark), self.ts))
        for asset in changed:
            self._on_mark(asset)

    def set_mark(self, asset: int, mark: int) -> None:
        """Set the mark and the price band it allows orders in (`price_band_pct` around it)."""
        self.marks[asset] = mark
        band = self._price_band
        low = -(-mark * (100 - band) // 100)
        high = mark * (100 + band) // 100
        self._band[asset] = (low, high)

    def compute_mark(self, asset: int) -> int:
        oracle = self.oracles[asset]
        if self._mark_is_oracle:
            return oracle
        book = self.books[asset]
        bids, asks = book.bids.keys, book.asks.keys
        raw = mark_price(
            self._mark_state[asset],
            oracle,
            bids[-1] if bids else None,
            -asks[-1] if asks else None,
            self.last_trade_px[asset],
            self.ts,
            self.other_venue_mids[asset],
        )
        return self.instruments[asset].units.nearest_px(raw)

    def _on_mark(self, asset: int) -> None:
        self._check_triggers(asset)

    # -- time ------------------------------------------------------------------------------

    def _sample_premiums(self, until: int) -> None:
        """Take the premium samples due at every sampling instant up to `until`."""
        interval = self.config.premium_sample_ms
        due = until // interval - self._last_sample
        if due <= 0:
            return
        self._last_sample += due
        for asset, inst in enumerate(self.instruments):
            oracle = self.oracles[asset]
            if not oracle:
                continue
            book = self.books[asset]
            notional = inst.impact_notional
            sample = premium(
                oracle, impact_ratio(book.bids, notional), impact_ratio(book.asks, notional)
            )
            state = self._funding[asset]
            state.premium_sum += sample * due
            state.samples += due

    def current_premium(self, asset: int) -> int:
        oracle = self.oracles[asset]
        if not oracle:
            return 0
        book = self.books[asset]
        notional = self.instruments[asset].impact_notional
        return premium(oracle, impact_ratio(book.bids, notional), impact_ratio(book.asks, notional))

    def predicted_funding_rate(self, asset: int) -> int:
        """The hourly rate the next funding would apply, given the samples so far."""
        state = self._funding[asset]
        avg = state.premium_sum // state.samples if state.samples else self.current_premium(asset)
        config = self.config
        return hourly_funding_rate(
            avg, config.funding_interest_8h, config.funding_clamp_8h, config.funding_cap_hourly
        )

    def _pay_funding(self) -> None:
        config = self.config
        ts = self.ts
        events = self._events
        for asset in range(len(self.instruments)):
            state = self._funding[asset]
            avg = state.premium_sum // state.samples if state.samples else 0
            state.premium_sum = state.samples = 0
            oracle = self.oracles[asset]
            if not oracle:
                continue
            rate = hourly_funding_rate(
                avg, config.funding_interest_8h, config.funding_clamp_8h, config.funding_cap_hourly
            )
            self.funding_rates[asset] = rate
            events.append(ev.FundingRate(asset, rate, avg, ts))
            if rate:
                self._apply_funding(asset, oracle, rate)

    def _apply_funding(self, asset: int, oracle: int, rate: int) -> None:
        """Pay `asset`'s funding at `rate` on `size * oracle`, holder by holder in the order
        the positions were opened. Each payment goes through the fee sink: a payer pays its
        amount rounded up, a receiver gets its own rounded down, and the sink keeps the
        rounding. The hot loop of a funding hour, once per position: locals only, no call
        but the event's; the sink is credited once with the sum of the payments, and the
        holders are noted as touched in one update (in the same order, holder by holder)."""
        ts = self.ts
        per_lot = oracle * rate  # owed per lot held (positive: longs pay), times RATE_SCALE
        append = self._events.append
        funding = ev.Funding
        through_sink = 0
        holders = self.holders[asset]
        for address, acct in holders.items():
            pos = acct.positions[asset]
            size = pos.size
            paid = -(-size * per_lot // RATE_SCALE)  # rounded up: receivers get less
            if pos.isolated:
                pos.iso_raw -= paid
            else:
                acct.raw -= paid
            pos.funding_open += paid
            pos.funding_change += paid
            paid_all = acct.funding_all
            paid_all[asset] = paid_all.get(asset, 0) + paid
            through_sink += paid
            append(funding(address, asset, -paid, size, rate, ts))
        self.fee_sink.raw += through_sink
        self._dirty.update(holders)
