"""What the API serves about the past, which the core does not keep: fills, order statuses,
funding and ledger entries per user; trades, candles, funding rates and day statistics per
coin. Fed with the core's events, bounded as the venue bounds what it serves.

Nothing recorded costs more as a run grows older: the day's volume is a rolling sum kept
as trades arrive and expire (`RollingDay`), and what is bounded forgets its oldest entry
through a queue of keys (a user's order statuses and cloids, each interval's candles),
never by looking for a dict's first key.
"""

from __future__ import annotations

import calendar
from array import array
from bisect import bisect_left
from collections import deque
from datetime import UTC, datetime

import msgspec

from protocol import wire
from sandbox.core import events as ev
from sandbox.core.ids import ZERO_HASH, tx_hash
from sandbox.core.units import fmt_rate, fmt_usdc
from sandbox.server import packed
from sandbox.server.packed import PackedLog
from sandbox.server.views import Views

DAY_MS = 86_400_000
INTERVALS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": DAY_MS, "3d": 3 * DAY_MS, "1w": 7 * DAY_MS, "1M": 0,
}  # fmt: skip
CANDLES_KEPT = 5_000  # per coin and interval, as the venue keeps
DAYS_OF_VOLUME = 15  # userFees' dailyUserVlm: today and the 14 days before


def interval_start(interval: str, ts: int) -> tuple[int, int]:
    """(open time, close time) of the candle of `interval` holding `ts`."""
    length = INTERVALS[interval]
    if length:
        start = ts - ts % length
        return start, start + length - 1
    day = datetime.fromtimestamp(ts / 1000, tz=UTC)
    start = datetime(day.year, day.month, 1, tzinfo=UTC)
    days = calendar.monthrange(day.year, day.month)[1]
    start_ms = int(start.timestamp() * 1000)
    return start_ms, start_ms + days * DAY_MS - 1


OrderRecord = tuple  # (ev.OrderView, status, status time)
# orderStatus answers for the oids of a user's last 2,000 orders (the venue's
# historicalOrders cap, one latest status each), and for any order still open
STATUSES_PER_ORDER_KEPT = 1
_STATUS = msgspec.msgpack.Encoder()
_STATUS_OF = msgspec.msgpack.Decoder(tuple[list, str, int])
_VIEW_FIELDS = ev.OrderView.__struct_fields__
_CLOID = _VIEW_FIELDS.index("cloid") - 1  # its position in a packed view (no user)


def _pack_status(record: OrderRecord) -> bytes:
    """(view, status, time) as msgpack: the view's fields by position, without its user
    (the history's own), about a third of the size."""
    view, status, ts = record
    fields = msgspec.structs.astuple(view)
    return _STATUS.encode((fields[:1] + fields[2:], status, ts))


def _unpack_status(packed_record: bytes, user: str) -> OrderRecord:
    fields, status, ts = _STATUS_OF.decode(packed_record)
    fields.insert(1, user)
    view = msgspec.convert(dict(zip(_VIEW_FIELDS, fields, strict=True)), ev.OrderView)
    return view, status, ts


class RollingDay:
    """The notional and base volume of the trades of the last 24 hours, exactly, as running
    sums: a trade adds to them as it arrives and subtracts as it expires (`at` drops every
    trade at or before `now - DAY_MS`), so reading them costs O(1) amortized. Trades of the
    same millisecond share one entry. Time only moves forward here (a restored snapshot
    brings its own window back)."""

    __slots__ = ("base", "ntl", "trades")

    def __init__(self) -> None:
        self.trades: deque[list[int]] = deque()  # [ts, notional, size], oldest first
        self.ntl = 0
        self.base = 0

    def add(self, ts: int, ntl: int, size: int) -> None:
        trades = self.trades
        if trades and trades[-1][0] == ts:
            last = trades[-1]
            last[1] += ntl
            last[2] += size
        else:
            trades.append([ts, ntl, size])
        self.ntl += ntl
        self.base += size
        self.expire(ts)

    def expire(self, now: int) -> None:
        """Forget the trades at or before `now - DAY_MS`."""
        trades = self.trades
        cutoff = now - DAY_MS
        while trades and trades[0][0] <= cutoff:
            _, ntl, size = trades.popleft()
            self.ntl -= ntl
            self.base -= size

    def at(self, now: int) -> tuple[int, int]:
        """(notional, base volume) of the trades after `now - DAY_MS`."""
        self.expire(now)
        return self.ntl, self.base


packed.register("fill", ev.Fill)
packed.register("order", tuple[ev.OrderView, str, int])
packed.register("entry", dict)  # funding and ledger entries, as served
packed.register("twap", ev.TwapStatus)


class UserHistory:
    """Kept as the core's events (packed: `sandbox.server.packed`); formatted only when
    asked for."""

    __slots__ = (
        "cloids", "cum_ledger", "daily", "fills", "funding", "ledger", "orders", "status_oids",
        "statuses", "twap_fills", "twaps",
    )  # fmt: skip

    def __init__(self, fills: int, orders: int, ledger: int) -> None:
        self.fills = PackedLog("fill", fills)  # oldest first
        self.orders = PackedLog("order", orders)
        # the latest status of each order kept, packed (`History.status`), and its oid, both
        # in the order the orders came (oids ascending): looked up by bisection
        self.statuses: list[bytes] = []
        self.status_oids = array("q")
        self.cloids: dict[str, int] = {}  # cloid -> oid, for the oids in `statuses`
        self.funding = PackedLog("entry", ledger)
        self.ledger = PackedLog("entry", ledger)
        self.cum_ledger = 0  # USDC in less out (deposits, withdrawals, transfers)
        self.twaps = PackedLog("twap", orders)  # status changes
        self.twap_fills = PackedLog("fill", orders)  # TWAP suborders' fills
        self.daily: dict[int, list[int]] = {}  # day -> [taker, maker] notional, 15 days


class CoinHistory:
    __slots__ = ("candle_starts", "candles", "current", "day", "funding", "marks", "trades")

    def __init__(self) -> None:
        self.trades: deque[ev.Trade] = deque(maxlen=1_000)
        self.candles: dict[str, dict[int, list]] = {i: {} for i in INTERVALS}
        # each interval's candle open times, oldest first (the order `candles` holds them)
        self.candle_starts: dict[str, deque[int]] = {i: deque() for i in INTERVALS}
        self.current: dict[str, tuple[int, list]] = {}  # interval -> (close time, candle)
        self.funding: deque[dict] = deque(maxlen=10_000)
        self.day = RollingDay()
        self.marks: deque[tuple[int, int]] = deque()  # (minute, mark) over 24 h


class History:
    def __init__(self, views: Views, fills: int, orders: int, ledger: int) -> None:
        self.views = views
        self._limits = (fills, orders, ledger)
        self.users: dict[str, UserHistory] = {}
        self.coins = [CoinHistory() for _ in views.coins]
        self.daily: dict[int, int] = {}  # day -> the venue's notional volume, 15 days

    def user(self, address: str) -> UserHistory:
        history = self.users.get(address)
        if history is None:
            history = self.users[address] = UserHistory(*self._limits)
        return history

    # -- recording -------------------------------------------------------------------------

    def record_fill(self, fill: ev.Fill) -> None:
        history = self.user(fill.user)
        history.fills.append(fill)
        day = fill.ts // DAY_MS
        volumes = history.daily.get(day)
        if volumes is None:
            volumes = history.daily[day] = [0, 0]
            for old in [d for d in history.daily if d <= day - DAYS_OF_VOLUME]:
                del history.daily[old]
        volumes[0 if fill.crossed else 1] += fill.px * fill.sz
        if fill.twap_id is not None:
            history.twap_fills.append(fill)

    def record_twap(self, status: ev.TwapStatus) -> dict:
        self.user(status.twap.user).twaps.append(status)
        return self.views.twap_record(status)

    def record_trade(self, trade: ev.Trade) -> None:
        day = trade.ts // DAY_MS
        if day not in self.daily:
            self.daily[day] = 0
            for old in [d for d in self.daily if d <= day - DAYS_OF_VOLUME]:
                del self.daily[old]
        self.daily[day] += trade.px * trade.sz
        coin = self.coins[trade.asset]
        coin.trades.append(trade)
        ts, px, sz = trade.ts, trade.px, trade.sz
        coin.day.add(ts, px * sz, sz)
        current = coin.current
        starts = coin.candle_starts
        for interval, candles in coin.candles.items():
            open_candle = current.get(interval)
            if open_candle is not None and ts <= open_candle[0]:
                candle = open_candle[1]
            else:
                start, end = interval_start(interval, ts)
                candle = candles.get(start)
                if candle is None:
                    candle = candles[start] = [px, px, px, px, 0, 0]  # o c h l v n
                    kept = starts[interval]
                    kept.append(start)
                    if len(kept) > CANDLES_KEPT:
                        del candles[kept.popleft()]
                current[interval] = (end, candle)
            candle[1] = px
            if px > candle[2]:
                candle[2] = px
            if px < candle[3]:
                candle[3] = px
            candle[4] += sz
            candle[5] += 1

    def record_mark(self, asset: int, mark: int, ts: int) -> None:
        marks = self.coins[asset].marks
        minute = ts - ts % 60_000
        if not marks or marks[-1][0] != minute:
            marks.append((minute, mark))
        while len(marks) > 1 and marks[1][0] <= ts - DAY_MS:
            marks.popleft()

    def record_order(self, update: ev.OrderUpdate) -> None:
        view = update.order
        history = self.user(view.user)
        record = (view, update.status, update.ts)
        history.orders.append(record)
        statuses, oids = history.statuses, history.status_oids
        oid = view.oid
        packed_record = _pack_status(record)  # (packed: a user keeps thousands)
        i = bisect_left(oids, oid)
        if i < len(oids) and oids[i] == oid:
            statuses[i] = packed_record
        else:
            oids.insert(i, oid)  # (at the end: a new order has the highest oid)
            statuses.insert(i, packed_record)
            if len(oids) > STATUSES_PER_ORDER_KEPT * history.orders.maxlen:
                self._forget_order(history)
        if view.cloid is not None:
            history.cloids[view.cloid] = oid

    @staticmethod
    def _forget_order(history: UserHistory) -> None:
        """Drop the oldest order status kept, and its cloid unless a later order took it."""
        oid = history.status_oids.pop(0)
        fields = _STATUS_OF.decode(history.statuses.pop(0))[0]
        cloid = fields[_CLOID]  # (the packed view's cloid, without building the view)
        if cloid is not None and history.cloids.get(cloid) == oid:
            del history.cloids[cloid]

    def record_funding(self, funding: ev.Funding) -> dict:
        asset = funding.asset
        entry = {
            "time": funding.ts,
            "coin": self.views.coins[asset],
            "usdc": fmt_usdc(funding.usdc),
            "szi": self.views.sz(asset, funding.szi),
            "fundingRate": fmt_rate(funding.rate),
            "nSamples": None,
        }
        self.user(funding.user).funding.append(entry)
        return entry

    def record_funding_rate(self, rate: ev.FundingRate) -> None:
        self.coins[rate.asset].funding.append(
            {
                "coin": self.views.coins[rate.asset],
                "fundingRate": fmt_rate(rate.rate),
                "premium": fmt_rate(rate.premium),
                "time": rate.ts,
            }
        )

    def record_ledger(self, user: str, ts: int, action: int, delta: dict, net: int = 0) -> dict:
        """Keep a ledger entry; `net` is what it brought into the account (negative: took
        out), for `cumLedger`."""
        entry = {"time": ts, "hash": tx_hash(action) if action else ZERO_HASH, "delta": delta}
        history = self.user(user)
        history.ledger.append(entry)
        history.cum_ledger += net
        return entry

    # -- reading ---------------------------------------------------------------------------

    def status(self, user: str, oid: int | None) -> OrderRecord | None:
        """The latest status kept of `user`'s order `oid`: (view, status, time)."""
        history = self.users.get(user)
        if history is None or oid is None:
            return None
        oids = history.status_oids
        i = bisect_left(oids, oid)
        if i == len(oids) or oids[i] != oid:
            return None
        return _unpack_status(history.statuses[i], user)

    def fills(self, user: str, start: int = 0, end: int | None = None) -> list[wire.WsFill]:
        """A user's fills in time order, formatted."""
        history = self.users.get(user)
        if history is None:
            return []
        fill = self.views.fill
        return [fill(f) for f in history.fills if f.ts >= start and (end is None or f.ts <= end)]

    def daily_volume(self, user: str, now: int) -> list[dict]:
        """`userFees`' dailyUserVlm: today and the 14 days before, oldest first: the user's
        taker (`userCross`) and maker (`userAdd`) notional and the venue's."""
        history = self.users.get(user)
        daily = history.daily if history is not None else {}
        today = now // DAY_MS
        out = []
        for day in range(today - DAYS_OF_VOLUME + 1, today + 1):
            cross, add = daily.get(day, (0, 0))
            date = datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%d")
            out.append({"date": date, "userCross": fmt_usdc(cross), "userAdd": fmt_usdc(add),
                        "exchange": fmt_usdc(self.daily.get(day, 0))})  # fmt: skip
        return out

    def twap_history(self, user: str) -> list[dict]:
        """A user's TWAP status changes, oldest first (`twapHistory`)."""
        history = self.users.get(user)
        if history is None:
            return []
        return [self.views.twap_record(s) for s in history.twaps]

    def twap_slice_fills(self, user: str, start: int = 0, end: int | None = None) -> list[dict]:
        """A user's TWAP suborder fills, newest first, each `{"fill", "twapId"}`."""
        history = self.users.get(user)
        if history is None:
            return []
        return [
            self.views.twap_slice_fill(f) for f in reversed(history.twap_fills)
            if f.ts >= start and (end is None or f.ts <= end)
        ]  # fmt: skip

    def order(self, record: OrderRecord) -> wire.OrderWithStatus:
        view, status, ts = record
        return wire.OrderWithStatus(self.views.frontend_order(view), status, ts)

    def orders(self, user: str) -> list[wire.OrderWithStatus]:
        """A user's order statuses, newest first, formatted."""
        history = self.users.get(user)
        if history is None:
            return []
        return [self.order(r) for r in reversed(history.orders)]

    def trades(self, asset: int) -> list[wire.WsTrade]:
        trade = self.views.trade
        return [trade(t) for t in self.coins[asset].trades]

    def day(self, asset: int, now: int) -> tuple[int, int, int | None]:
        """(notional, base volume, price 24 h ago) of the last 24 hours."""
        coin = self.coins[asset]
        ntl, base = coin.day.at(now)
        prev = coin.marks[0][1] if coin.marks else None
        return ntl, base, prev

    def candles(self, asset: int, interval: str, start: int, end: int) -> list[wire.Candle]:
        return [
            self._candle(asset, interval, open_ts, candle)
            for open_ts, candle in self.coins[asset].candles[interval].items()
            if start <= open_ts <= end
        ]

    def current_candle(self, asset: int, interval: str, now: int) -> wire.Candle | None:
        """The candle of `interval` holding `now`, if it has trades: looked up by its open
        time, not searched for among the candles kept."""
        start, _ = interval_start(interval, now)
        candle = self.coins[asset].candles[interval].get(start)
        return None if candle is None else self._candle(asset, interval, start, candle)

    def _candle(self, asset: int, interval: str, open_ts: int, candle: list) -> wire.Candle:
        views = self.views
        o, c, h, low, v, n = candle
        _, close_ts = interval_start(interval, open_ts)
        return wire.Candle(
            open_ts, close_ts, views.coins[asset], interval, views.px(asset, o),
            views.px(asset, c), views.px(asset, h), views.px(asset, low), views.sz(asset, v), n,
        )  # fmt: skip
