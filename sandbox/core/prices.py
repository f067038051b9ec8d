"""Oracle, mark and impact prices, as pure integer functions (adl-mechanics.md §1.1).

Mark price (Hyperliquid's rule): the median of
  1. oracle + 150 s EMA of (book mid - oracle),
  2. median(best bid, best ask, last trade),
  3. the other venues' perp mids (on the venue, a weighted median of Binance, OKX, Bybit,
     Gate and MEXC; here a feed the sandbox derives from the price path, given with each
     oracle post),
and when exactly two of them exist, a 30 s EMA of input 2 as a third, as the venue adds it;
rounded to a valid price. So a pulled or stale book cannot hold the mark away from the
oracle: the oracle and the other venues outvote it. The EMA is the venue's:
`num <- num * exp(-t/tau) + sample * t`, `den <- den * exp(-t/tau) + t`, `ema = num / den`,
with exp computed in fixed point by integer arithmetic so it is exact and deterministic;
it starts empty, as at an asset's listing, so that its first sample weighs no more than the
time it held.

Impact prices: the average price of trading `impact_notional` against each side of the book
(None when the side is too thin). The premium is the venue's
`(max(impact_bid - oracle, 0) - max(oracle - impact_ask, 0)) / oracle`, in RATE_SCALE.
"""

from __future__ import annotations

from fractions import Fraction

from sandbox.core.book import BookSide
from sandbox.core.units import RATE_SCALE

FP_BITS = 40
FP_ONE = 1 << FP_BITS
EMA_150S = 150_000
EMA_30S = 30_000


_DECAY: dict[tuple[int, int], int] = {}  # exp_neg_fp's answers: the same few gaps recur


def exp_neg_fp(t: int, tau: int) -> int:
    """floor(exp(-t/tau) * 2^40), to within a few units, by integer arithmetic only.
    Remembered by (t, tau): the gaps between samples are few (the oracle's cadence)."""
    key = (t, tau)
    found = _DECAY.get(key)
    if found is None:
        found = _exp_neg_fp(t, tau)
        if len(_DECAY) < 100_000:
            _DECAY[key] = found
    return found


def _exp_neg_fp(t: int, tau: int) -> int:
    if t <= 0:
        return FP_ONE
    if t >= 40 * tau:
        return 0
    guard = 20
    one = 1 << (FP_BITS + guard)
    num, den, halvings = t, tau, 0
    while num * 16 > den:  # reduce: exp(-x) = exp(-x / 2^k) ^ (2^k)
        den *= 2
        halvings += 1
    total = term = one
    n = 1
    while term:
        term = -term * num // (den * n)
        total += term
        n += 1
    for _ in range(halvings):
        total = (total * total) >> (FP_BITS + guard)
    return total >> guard


class Ema:
    """The venue's time-weighted EMA of integer samples, in fixed point."""

    __slots__ = ("_decay", "_gap", "den", "last_ts", "num", "tau")

    def __init__(self, tau_ms: int) -> None:
        self.tau = tau_ms
        self.num = 0
        self.den = 0
        self.last_ts: int | None = None
        self._gap = self._decay = 0  # the last gap between samples and its decay

    def update(self, sample: int, ts: int) -> None:
        if self.last_ts is None:
            # As at listing: nothing before it, so the first sample weighs a millisecond and
            # the next ones by the time they held.
            self.num, self.den, self.last_ts = sample * FP_ONE, FP_ONE, ts
            return
        t = ts - self.last_ts
        if t <= 0:
            return
        if t == self._gap:  # the common case: samples at the oracle's cadence
            decay = self._decay
        else:
            decay = self._decay = exp_neg_fp(t, self.tau)
            self._gap = t
        self.num = ((self.num * decay) >> FP_BITS) + sample * t * FP_ONE
        self.den = ((self.den * decay) >> FP_BITS) + t * FP_ONE
        self.last_ts = ts

    def value(self) -> int | None:
        """The EMA rounded toward negative infinity, or None before any sample."""
        if not self.den:
            return None
        return self.num // self.den

    def state(self) -> tuple[int, int, int | None]:
        return self.num, self.den, self.last_ts

    def __getstate__(self):
        return self.tau, self.num, self.den, self.last_ts

    def __setstate__(self, state) -> None:
        self.tau, self.num, self.den, self.last_ts = state
        self._gap = self._decay = 0


def median(values: list[int]) -> int:
    """The median; for an even count, the mean of the middle two rounded down."""
    values = sorted(values)
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) // 2


class MarkState:
    """The EMAs behind one instrument's mark price."""

    __slots__ = ("book_ema", "spread_ema")

    def __init__(self) -> None:
        self.spread_ema = Ema(EMA_150S)  # of 2 * (mid - oracle), in half ticks
        self.book_ema = Ema(EMA_30S)  # of median(bid, ask, last)


def _median3(a: int, b: int, c: int) -> int:
    if a > b:
        a, b = b, a
    return a if c < a else (b if c > b else c)


def mark_price(
    state: MarkState,
    oracle: int,
    bid: int | None,
    ask: int | None,
    last: int | None,
    ts: int,
    other_venues: int | None = None,
) -> int:
    """Update the EMAs with this moment's book and return the raw mark (in ticks).
    `other_venues` is the other venues' perp mid, when known. (The EMAs' `update` and
    `value` are written out here: this runs for every asset at every oracle post.)"""
    spread_ema = state.spread_ema
    if bid is not None and ask is not None:
        sample = bid + ask - 2 * oracle
        since = spread_ema.last_ts
        if since is None:
            spread_ema.num, spread_ema.den, spread_ema.last_ts = sample * FP_ONE, FP_ONE, ts
        elif ts > since:
            t = ts - since
            if t == spread_ema._gap:
                decay = spread_ema._decay
            else:
                decay = spread_ema._decay = exp_neg_fp(t, spread_ema.tau)
                spread_ema._gap = t
            spread_ema.num = ((spread_ema.num * decay) >> FP_BITS) + sample * t * FP_ONE
            spread_ema.den = ((spread_ema.den * decay) >> FP_BITS) + t * FP_ONE
            spread_ema.last_ts = ts
        # the book's price: the median of bid, ask and the last trade (the mean of two)
        if last is None:
            book_px = (bid + ask) // 2
        else:
            low, high = (bid, ask) if bid <= ask else (ask, bid)
            book_px = low if last < low else (high if last > high else last)
    elif bid is not None or ask is not None or last is not None:
        book_px = median([p for p in (bid, ask, last) if p is not None])
    else:
        book_px = None
    den = spread_ema.den
    first = oracle + (spread_ema.num // den // 2 if den else 0)
    if book_px is None:
        return _two(state, first, other_venues) if other_venues else first
    state.book_ema.update(book_px, ts)
    if other_venues:
        if first > book_px:
            return book_px if other_venues < book_px else (first if other_venues > first
                                                            else other_venues)
        return first if other_venues < first else (book_px if other_venues > book_px
                                                   else other_venues)
    return _two(state, first, book_px)


def _two(state: MarkState, a: int, b: int) -> int:
    """The mark from two inputs: the venue adds the book's 30 s EMA as a third."""
    ema = state.book_ema.value()
    return (a + b) // 2 if ema is None else _median3(a, b, ema)


def impact_ratio(side: BookSide, notional: int) -> tuple[int, int] | None:
    """The average price, in ticks, of trading `notional` micro-USDC against `side`, as an
    exact (numerator, denominator) of integers; None when the side is too thin."""
    remaining = notional
    size = 0
    levels = side.levels
    sign = 1 if side.is_bid else -1
    for key in reversed(side.keys):  # from the best price outwards
        px = sign * key
        total = levels[px].total
        level_ntl = px * total
        if level_ntl >= remaining:  # notional / (size + remaining / px)
            return notional * px, size * px + remaining
        remaining -= level_ntl
        size += total
    return None


def impact_price(side: BookSide, notional: int) -> Fraction | None:
    """`impact_ratio` as a Fraction."""
    ratio = impact_ratio(side, notional)
    return Fraction(*ratio) if ratio is not None else None


Ratio = tuple[int, int] | Fraction


def premium(oracle: int, impact_bid: Ratio | None, impact_ask: Ratio | None) -> int:
    """The venue's premium in RATE_SCALE, rounded toward zero, from the impact prices as
    `impact_ratio` (or `impact_price`) gives them: `(max(bid - oracle, 0) - max(oracle -
    ask, 0)) / oracle`, in integers only (it is sampled for every asset every few seconds)."""
    if isinstance(impact_bid, Fraction):
        impact_bid = impact_bid.numerator, impact_bid.denominator
    if isinstance(impact_ask, Fraction):
        impact_ask = impact_ask.numerator, impact_ask.denominator
    num, den = 0, 1  # the difference, as num / den
    if impact_bid is not None:
        b_num, b_den = impact_bid
        if b_num > oracle * b_den:
            num, den = b_num - oracle * b_den, b_den
    if impact_ask is not None:
        a_num, a_den = impact_ask
        if a_num < oracle * a_den:
            num, den = num * a_den - (oracle * a_den - a_num) * den, den * a_den
    if not num:
        return 0
    scaled = abs(num) * RATE_SCALE // (den * oracle)  # toward zero
    return scaled if num > 0 else -scaled


def hourly_funding_rate(avg_premium: int, interest_8h: int, clamp_8h: int, cap_hourly: int) -> int:
    """The venue's rate: F = P + clamp(r - P, -c, c) per 8 hours, paid 1/8 each hour, capped.
    Rounded toward zero."""
    gap = interest_8h - avg_premium
    gap = max(-clamp_8h, min(clamp_8h, gap))
    rate_8h = avg_premium + gap
    hourly = rate_8h // 8 if rate_8h >= 0 else -(-rate_8h // 8)
    return max(-cap_hourly, min(cap_hourly, hourly))
