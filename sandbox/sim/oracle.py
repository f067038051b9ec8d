"""Where the oracle's prices come from: a price path per coin, and the `Oracle` that posts
them to the venue on a schedule.

A `Path` answers `price(ts)` for a time in milliseconds, deterministically (a random walk
takes its seed, and is asked in increasing time order). Paths:

- `Constant(px)`
- `RandomWalk(px, volatility, seed, step_ms)`: geometric, `volatility` per square root of a
  day (0.03: about 3% a day);
- `Scripted(px, segments)`: holds, ramps and gaps, e.g. `[("hold", 60_000),
  ("ramp", 30_000, 55_000), ("gap", 48_000)]`; after the last segment it holds;
- `Replay(rows)`: timestamped prices (`Replay.from_csv(file)`), the first row at the start;
  a step function between rows, the last price after the end.

The `Oracle` keeps, per coin, a path, a basis (`Basis`: where the perp trades against the
oracle, which the market makers quote around), a scale (`set_price` moves the whole path so that it
continues from a new level) and any shocks (a move by a percentage spread over a duration);
every `oracle_ms` it posts the coins' prices in one `SetOracle`, and with them the other
venues' perp mids (`OtherVenues`): the mark's third input, which the venue takes from
Binance, OKX, Bybit, Gate and MEXC and the sandbox derives from the same path (the oracle a
little while ago, plus a basis and noise).
"""

from __future__ import annotations

import csv
import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path as FilePath

DAY_MS = 86_400_000
MAX_PRICE = 1_000_000_000  # USDC a unit: far above any asset's price, and still exact
MAX_SHOCK_MS = 365 * DAY_MS  # a shock spread over a year at most
MAX_SHOCK_PCT = 999_900  # a shock that multiplies the price by 10,000 at most


def price_error(px: float, ticks: int) -> str | None:
    """Why the oracle cannot take `px` USDC for a coin of `ticks` ticks a USDC (None: it
    can): a price is a finite number from one tick up to `MAX_PRICE`."""
    if not 0 < px <= MAX_PRICE:  # (NaN and infinities fail too)
        return f"must be positive and at most {MAX_PRICE:,}"
    if px * ticks < 1:
        return f"must be at least one tick ({1 / ticks:.{len(str(ticks)) - 1}f})"
    return None
SAMPLE_CSV = FilePath(__file__).parent.parent / "data" / "btc_sample.csv"  # see its header


class Path:
    start_ms = 0

    def price(self, ts: int) -> float:
        raise NotImplementedError

    def started(self, start_ms: int) -> Path:
        """This path with its time 0 at `start_ms`."""
        self.start_ms = start_ms
        return self


class Constant(Path):
    def __init__(self, px: float) -> None:
        self.px = float(px)

    def price(self, ts: int) -> float:
        return self.px


class RandomWalk(Path):
    def __init__(self, px: float, volatility: float = 0.03, seed: int = 0,
                 step_ms: int = 3_000) -> None:  # fmt: skip
        if px <= 0 or volatility < 0 or step_ms <= 0:
            raise ValueError("a random walk needs px > 0, volatility >= 0, step_ms > 0")
        self.rng = random.Random(seed)
        self.sigma = volatility * math.sqrt(step_ms / DAY_MS)
        self.step_ms = step_ms
        self.steps = 0
        self.px = float(px)

    def price(self, ts: int) -> float:
        target = (ts - self.start_ms) // self.step_ms
        if self.steps >= target:  # forward only: asked in increasing time order
            return self.px
        sigma = self.sigma
        drift = sigma * sigma / 2
        gauss, exp = self.rng.gauss, math.exp
        px = self.px
        for _ in range(target - self.steps):
            px *= exp(sigma * gauss(0.0, 1.0) - drift)
        self.px = px
        self.steps = target
        return px


class Scripted(Path):
    def __init__(self, px: float, segments: Iterable[tuple]) -> None:
        self.points: list[tuple[int, float, float]] = []  # (t, price before, price after)
        t, level = 0, float(px)
        self.points.append((0, level, level))
        for segment in segments:
            kind = segment[0]
            if kind == "hold":
                t += int(segment[1])
                self.points.append((t, level, level))
            elif kind == "ramp":
                t += int(segment[1])
                level = float(segment[2])
                self.points.append((t, level, level))
            elif kind == "gap":
                new = float(segment[1])
                self.points.append((t, level, new))
                level = new
            else:
                raise ValueError(f"unknown segment {kind!r} (hold, ramp, gap)")
            if level <= 0:
                raise ValueError("prices must stay positive")
        self._times = [p[0] for p in self.points]

    def price(self, ts: int) -> float:
        t = ts - self.start_ms
        points = self.points
        if t < 0:
            return points[0][1]
        i = bisect_right(self._times, t) - 1  # the last point at or before t
        t0, _, p0 = points[i]
        if i + 1 == len(points):
            return p0
        t1, before, _ = points[i + 1]  # t1 > t0
        return p0 + (before - p0) * (t - t0) / (t1 - t0)


class Replay(Path):
    def __init__(self, rows: Iterable[tuple[int, float]]) -> None:
        rows = sorted((int(t), float(px)) for t, px in rows)
        if not rows:
            raise ValueError("a replay needs at least one row")
        t0 = rows[0][0]
        self.times = [t - t0 for t, _ in rows]
        self.prices = [px for _, px in rows]

    @classmethod
    def from_csv(cls, file: str | FilePath) -> Replay:
        """Rows of `time_ms,px` (a header row and `#` comments are skipped)."""
        rows = []
        with open(file, newline="") as handle:
            for row in csv.reader(line for line in handle if not line.startswith("#")):
                if not row:
                    continue
                try:
                    rows.append((int(row[0]), float(row[1])))
                except ValueError:
                    if rows:
                        raise ValueError(f"{file}: not time_ms,px: {row}") from None
        return cls(rows)

    def price(self, ts: int) -> float:
        t = ts - self.start_ms
        times = self.times
        lo, hi = 0, len(times)
        while lo < hi:  # the last row at or before t
            mid = (lo + hi) // 2
            if times[mid] <= t:
                lo = mid + 1
            else:
                hi = mid
        return self.prices[max(0, lo - 1)]


class Shock:
    """A move of `pct` percent spread evenly over `duration_ms` from `start_ms`."""

    __slots__ = ("duration_ms", "pct", "start_ms")

    def __init__(self, start_ms: int, pct: float, duration_ms: int) -> None:
        if pct <= -100:
            raise ValueError("a shock cannot take the price to zero or below")
        self.start_ms = start_ms
        self.pct = pct
        self.duration_ms = max(0, duration_ms)

    def factor(self, ts: int) -> float:
        if ts < self.start_ms:
            return 1.0
        done = (
            1.0
            if ts >= self.start_ms + self.duration_ms
            else (ts - self.start_ms) / self.duration_ms
        )
        return 1.0 + self.pct / 100 * done


class Basis:
    """The perp's premium over the oracle, as a fraction: an Ornstein-Uhlenbeck process that
    wanders `sd_bps` (its long-run standard deviation, in basis points) around `mean_bps`
    and is pulled back with a half-life of `halflife_ms`; stepped every `step_ms`, seeded,
    asked in increasing time order. The market makers quote around the oracle moved by it,
    so the book's mid, the impact prices and with them the premium and funding move."""

    def __init__(self, mean_bps: float = 0.0, sd_bps: float = 0.0,
                 halflife_ms: int = 4 * 3_600_000, seed: int | str = 0,
                 step_ms: int = 60_000) -> None:  # fmt: skip
        if sd_bps < 0 or halflife_ms <= 0 or step_ms <= 0:
            raise ValueError("a basis needs sd_bps >= 0, halflife_ms > 0 and step_ms > 0")
        self.mean = mean_bps / 10_000
        self.keep = 0.5 ** (step_ms / halflife_ms)  # what remains of a deviation each step
        self.kick = sd_bps / 10_000 * math.sqrt(1 - self.keep * self.keep)
        self.step_ms = step_ms
        self.rng = random.Random(seed)
        self.start_ms = 0
        self.steps = 0
        self.value = self.mean
        self._until = -(1 << 62)  # the value holds until then (see `at`)

    def at(self, ts: int) -> float:
        if ts < self._until:  # within the current step (asked many times a step)
            return self.value
        target = max(0, (ts - self.start_ms) // self.step_ms)
        if self.kick:
            mean, keep, kick, gauss = self.mean, self.keep, self.kick, self.rng.gauss
            value = self.value
            while self.steps < target:
                value = mean + keep * (value - mean) + kick * gauss(0.0, 1.0)
                self.steps += 1
            self.value = value
        self._until = self.start_ms + (target + 1) * self.step_ms
        return self.value


class OtherVenues:
    """The other venues' perp mids, derived from the oracle's path: what the oracle was
    `lag_ms` ago, `basis_bps` away from it (perps trade at a basis to spot), with noise of
    `noise_bps` (a normal draw, seeded per coin, so runs repeat). With all three at 0 the
    other venues quote the oracle itself."""

    def __init__(self, basis_bps: float = 0.0, noise_bps: float = 0.0, lag_ms: int = 0,
                 seed: int = 0) -> None:  # fmt: skip
        if noise_bps < 0 or lag_ms < 0:
            raise ValueError("noise_bps and lag_ms must not be negative")
        self.basis = basis_bps / 10_000
        self.noise = noise_bps / 10_000
        self.lag_ms = lag_ms
        self.seed = seed
        self.rngs: dict[str, random.Random] = {}
        self.history: dict[str, deque[tuple[int, float]]] = {}  # coin -> (ts, oracle px)

    def mid(self, coin: str, now: int, oracle_px: float) -> float:
        """The other venues' mid of `coin` at `now`, the oracle being at `oracle_px`."""
        past = oracle_px
        if self.lag_ms:
            history = self.history.get(coin)
            if history is None:
                history = self.history[coin] = deque()
            history.append((now, oracle_px))
            until = now - self.lag_ms
            while len(history) > 1 and history[1][0] <= until:
                history.popleft()  # keep the last price at or before now - lag, and after
            past = history[0][1]
        px = past * (1.0 + self.basis)
        if self.noise:
            rng = self.rngs.get(coin)
            if rng is None:
                rng = self.rngs[coin] = random.Random(f"{self.seed}:{coin}")
            px *= 1.0 + self.noise * rng.gauss(0.0, 1.0)
        return px


class Oracle:
    """The coins' oracle prices: paths, scales and shocks, posted every `interval_ms` with
    the other venues' mids."""

    def __init__(self, post: Callable[[dict[str, int], dict[str, int]], None],
                 ticks: dict[str, int], interval_ms: int = 3_000,
                 other_venues: OtherVenues | None = None) -> None:  # fmt: skip
        """`post(prices, others)` sends {coin: px in ticks} and the other venues' mids
        ({} without `other_venues`); `ticks[coin]` is ticks per 1 USDC."""
        self.post = post
        self.ticks = ticks
        self.interval_ms = interval_ms
        self.other_venues = other_venues
        self.paths: dict[str, Path] = {}
        self.scale: dict[str, float] = {}
        self.shocks: dict[str, list[Shock]] = {}
        self.bases: dict[str, Basis] = {}

    def set_basis(self, coin: str, basis: Basis, now: int) -> None:
        """Where the perp trades against the oracle (see `Basis`), from `now`."""
        self._known(coin)
        basis.start_ms = now
        self.bases[coin] = basis

    def basis(self, coin: str, now: int) -> float:
        """The perp's premium over the oracle now, as a fraction (0 without a `Basis`)."""
        basis = self.bases.get(coin)
        return basis.at(now) if basis is not None else 0.0

    def set_path(self, coin: str, path: Path, now: int) -> None:
        self._known(coin)
        self.paths[coin] = path.started(now)
        self.scale[coin] = 1.0
        self.shocks[coin] = []

    def set_price(self, coin: str, px: float, now: int) -> int:
        """Move `coin`'s path so that it is at `px` now (and continues from there); post
        at once. Returns the price posted, in ticks."""
        self._known(coin)
        reason = price_error(px, self.ticks[coin])
        if reason is not None:
            raise ValueError(f"{coin}'s price {reason}")
        if coin not in self.paths:
            self.set_path(coin, Constant(px), now)
        raw = self.paths[coin].price(now) * self._shock(coin, now)
        self.scale[coin] = px / raw
        return self.tick(now, only=coin)[coin]

    def shock(self, coin: str, pct: float, duration_ms: int, now: int) -> None:
        """Move `coin`'s price by `pct` percent over `duration_ms` from `now`; refused
        (ValueError, nothing changed) when it would take the price out of `price_error`'s
        range, with the path held where it is now."""
        self._known(coin)
        if coin not in self.paths:
            raise ValueError(f"{coin} has no price yet")
        if not -100 < pct <= MAX_SHOCK_PCT:
            raise ValueError(f"a shock's pct must be above -100 and at most {MAX_SHOCK_PCT:,}")
        if not 0 <= duration_ms <= MAX_SHOCK_MS:
            raise ValueError(f"a shock lasts from 0 to {MAX_SHOCK_MS} ms (a year)")
        reason = price_error(self.target(coin, now, now + duration_ms, pct), self.ticks[coin])
        if reason is not None:
            raise ValueError(f"the shock would take {coin}'s price out of range: it {reason}")
        self.shocks[coin].append(Shock(now, pct, duration_ms))
        if duration_ms <= 0:
            self.tick(now, only=coin)

    def target(self, coin: str, now: int, at: int, pct: float = 0.0) -> float:
        """`coin`'s price at `at` (USDC), its path held where it is `now` and its shocks
        (and one more of `pct`, done by then) run their course."""
        level = self.paths[coin].price(now) * self.scale[coin]
        factor = 1.0 + pct / 100
        for shock in self.shocks[coin]:
            factor *= shock.factor(at)
        return level * factor

    def price(self, coin: str, now: int) -> int:
        """`coin`'s price now, in ticks (at least one tick)."""
        return self._ticks(coin, self._px(coin, now))

    def _px(self, coin: str, now: int) -> float:
        return self.paths[coin].price(now) * self.scale[coin] * self._shock(coin, now)

    def _ticks(self, coin: str, px: float) -> int:
        return max(1, round(px * self.ticks[coin]))

    def tick(self, now: int, only: str | None = None) -> dict[str, int]:
        """Post every coin's price (or `only` one's), changed or not, as the venue's
        validators do every ~3 s: each post is also when the mark is recomputed from the
        book. Returns what was posted."""
        coins = (only,) if only is not None else tuple(self.paths)
        prices, others = {}, {}
        other_venues = self.other_venues
        paths, scale, shocks, ticks = self.paths, self.scale, self.shocks, self.ticks
        for coin in coins:
            if shocks[coin]:
                for s in [s for s in shocks[coin] if s.start_ms + s.duration_ms <= now]:
                    scale[coin] *= 1.0 + s.pct / 100  # done: part of the level now
                    shocks[coin].remove(s)
                px = self._px(coin, now)
            else:
                px = paths[coin].price(now) * scale[coin]
            per_usdc = ticks[coin]
            prices[coin] = max(1, round(px * per_usdc))
            if other_venues is not None:
                others[coin] = max(1, round(other_venues.mid(coin, now, px) * per_usdc))
        if prices:
            self.post(prices, others)
        return prices

    def _shock(self, coin: str, now: int) -> float:
        factor = 1.0
        for shock in self.shocks.get(coin, ()):
            factor *= shock.factor(now)
        return factor

    def _known(self, coin: str) -> None:
        if coin not in self.ticks:
            raise ValueError(f"unknown coin {coin!r}")
