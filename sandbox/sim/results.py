"""What a run leaves to look at afterwards: a folder of CSV files an analyst loads in one
line (`pandas.read_csv("fills.csv")`, a spreadsheet, DuckDB), a `summary.json`, the
narration, and who was who.

A `Recorder` is a tap on the venue (`Venue.taps`): it sees every command's events as they
happen and writes them as rows, so a run of days costs no memory for its history and loses
nothing the API would have forgotten. The *subjects* are the accounts a scenario names (its
accounts and bots) and the vault; the market around them (market makers, the taker flow)
shows in `trades.csv` and `market.csv`, and in the other files only with `everyone=True`.

    fills.csv          every fill of a subject, as the venue's userFills (+ time, name)
    orders.csv         every order status of a subject (open, filled, canceled, ...)
    funding.csv        every funding payment of a subject
    ledger.csv         deposits, withdrawals, transfers of a subject (`usdc`), and its
                       liquidations: the account value and the notional they closed
                       (as the venue's ledger entry of type liquidation has them)
    equity.csv         each subject's account value, notional, margin and PnL, sampled
    market.csv         each coin's oracle, mark, mid, funding and open interest, sampled
    trades.csv         every trade on the venue, with who bought and sold and how
    funding_rates.csv  each coin's hourly funding rate and premium
    waterfall.csv      each step of the loss waterfall (liquidations, backstop, ADL)
    adl.csv            each account ADL closed, with its rank in the policy's ranking
    waterfall.json     the waterfall's full audit records (rankings included)
    summary.json       the run: settings, counts, volumes, each subject's result, the vault,
                       the invariants and the state hash
    accounts.json      the URL, the admin token, and each account's address and key
    run.log            the narration

Amounts are USDC and prices as decimal strings, exactly as the venue formats them; times
are milliseconds since the epoch (the virtual clock's) with an ISO column beside them.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterable
from pathlib import Path

from sandbox.core import events as ev
from sandbox.core.units import fmt_rate, fmt_usdc
from sandbox.server.audit import step_json
from sandbox.server.views import side

FILES = {
    "fills": ("time", "iso", "name", "user", "coin", "side", "px", "sz", "dir",
              "startPosition", "closedPnl", "fee", "crossed", "liquidation", "oid", "cloid",
              "tid", "hash"),
    "orders": ("time", "iso", "name", "user", "coin", "side", "limitPx", "sz", "origSz",
               "status", "oid", "cloid", "tif", "reduceOnly", "triggerPx"),
    "funding": ("time", "iso", "name", "user", "coin", "usdc", "szi", "fundingRate"),
    "ledger": ("time", "iso", "name", "user", "type", "usdc", "fee", "counterparty",
               "accountValue", "liquidatedNtlPos"),
    "equity": ("time", "iso", "name", "user", "accountValue", "totalNtlPos", "marginUsed",
               "unrealizedPnl", "withdrawable", "positions", "pnl"),
    "market": ("time", "iso", "coin", "oracle", "mark", "mid", "fundingRate", "openInterest",
               "dayNtlVlm"),
    "trades": ("time", "iso", "coin", "side", "px", "sz", "kind", "buyer", "seller", "tid"),
    "funding_rates": ("time", "iso", "coin", "fundingRate", "premium"),
    "waterfall": ("time", "iso", "stage", "name", "user", "coin", "szi", "closed", "px",
                  "shortfall", "vaultBefore", "vaultAfter", "policy", "counterparties",
                  "reason"),
    "adl": ("time", "iso", "coin", "name", "user", "rank", "ranked", "closed", "px", "against"),
}  # fmt: skip


def iso(ms: int) -> str:
    at = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class _Subject:
    """What the summary says of one account: kept as its events arrive."""

    __slots__ = ("adl", "deposits", "fees", "fills", "funding", "liquidations", "low",
                 "max_drawdown", "peak", "realized", "start", "volume")  # fmt: skip

    def __init__(self, start: int) -> None:
        self.start = start  # account value when the run began, micro-USDC
        self.deposits = 0  # net USDC in since then
        self.fills = self.volume = self.fees = self.funding = self.realized = 0
        self.liquidations = self.adl = 0
        self.peak = self.low = start
        self.max_drawdown = 0


def account_value(ex, acct) -> int:
    """Cross account value plus every isolated position's margin and PnL, micro-USDC."""
    value = ex.cross_summary(acct).account_value
    marks = ex.marks
    for asset, pos in acct.positions.items():
        if pos.isolated:
            value += pos.iso_raw + pos.size * marks[asset]
    return value


class Recorder:
    def __init__(self, venue, folder: str | Path, subjects: dict[str, str], *,
                 everyone: bool = False) -> None:  # fmt: skip
        """`subjects`: address -> name of the accounts to follow (the vault is added)."""
        self.venue = venue
        self.ex = ex = venue.exchange
        self.views = venue.views
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.subjects = dict(subjects)
        self.subjects.setdefault(ex.vault.address, "the vault")
        self.names = venue.names
        self.everyone = everyone
        self._handles = {}
        self.writers = {}
        for name, header in FILES.items():
            handle = open(self.folder / f"{name}.csv", "w", newline="")  # noqa: SIM115
            self._handles[name] = handle
            writer = csv.writer(handle)
            writer.writerow(header)
            self.writers[name] = writer
        self.audit: list[dict] = []
        self.kept: dict[str, _Subject] = {}
        for address in self.subjects:
            acct = ex.accounts.get(address)
            self.kept[address] = _Subject(account_value(ex, acct) if acct is not None else 0)
        self.trades = 0
        self.volume: dict[str, int] = {}  # coin -> notional traded, micro-USDC
        self.stages: dict[str, int] = {"market": 0, "backstop": 0, "adl": 0}
        self.started = venue.now()
        self.sampled_at: int | None = None
        venue.taps.append(self.record)

    def name(self, address: str) -> str:
        return self.subjects.get(address) or self.names.get(address, address)

    def _follows(self, address: str) -> bool:
        return self.everyone or address in self.subjects

    # -- the tap ---------------------------------------------------------------------------

    def record(self, events: list) -> None:
        for event in events:
            kind = type(event)
            if kind is ev.Trade:
                self._trade(event)
            elif kind is ev.Settled:
                for fill in event.fills:
                    self._fill(fill)
            elif kind is ev.OrderUpdate:
                if self._follows(event.order.user):
                    self._order(event)
            elif kind is ev.Funding:
                if self._follows(event.user):
                    self._funding(event)
            elif kind is ev.FundingRate:
                coin = self.views.coins[event.asset]
                self.writers["funding_rates"].writerow(
                    (event.ts, iso(event.ts), coin, fmt_rate(event.rate), fmt_rate(event.premium))
                )
            elif kind is ev.Ledger:
                if self._follows(event.user):
                    self._ledger(event)
            elif kind is ev.Liquidated:
                kept = self.kept.get(event.user)
                if kept is not None:
                    kept.liquidations += 1
                if self._follows(event.user):
                    self.writers["ledger"].writerow(
                        (event.ts, iso(event.ts), self.name(event.user), event.user,
                         f"liquidation ({event.method})", "", "", self.name(event.liquidator),
                         fmt_usdc(event.account_value), fmt_usdc(event.notional))
                    )
            elif kind is ev.WaterfallStep:
                self._step(event)

    def _trade(self, trade: ev.Trade) -> None:
        views = self.views
        asset = trade.asset
        coin = views.coins[asset]
        self.trades += 1
        self.volume[coin] = self.volume.get(coin, 0) + trade.px * trade.sz  # micro-USDC
        self.writers["trades"].writerow(
            (trade.ts, iso(trade.ts), coin, side(trade.taker_is_buy), views.px(asset, trade.px),
             views.sz(asset, trade.sz), trade.kind, self.name(trade.buyer),
             self.name(trade.seller), trade.tid)
        )
        for fill in trade.fills():
            self._fill(fill)

    def _fill(self, fill: ev.Fill) -> None:
        if not self._follows(fill.user):
            return
        wire = self.views.fill(fill)
        liquidation = wire.liquidation.method if wire.liquidation is not None else ""
        if fill.dir == "Auto-Deleveraging":
            liquidation = "adl"
        self.writers["fills"].writerow(
            (fill.ts, iso(fill.ts), self.name(fill.user), fill.user, wire.coin, wire.side,
             wire.px, wire.sz, wire.dir, wire.startPosition, wire.closedPnl, wire.fee,
             wire.crossed, liquidation, wire.oid, wire.cloid or "", wire.tid, wire.hash)
        )
        kept = self.kept.get(fill.user)
        if kept is not None:
            kept.fills += 1
            kept.volume += fill.px * fill.sz  # ticks times lots: micro-USDC
            kept.fees += fill.fee
            kept.realized += fill.closed_pnl
            if fill.dir == "Auto-Deleveraging":
                kept.adl += 1

    def _order(self, update: ev.OrderUpdate) -> None:
        view = update.order
        asset = view.asset
        views = self.views
        self.writers["orders"].writerow(
            (update.ts, iso(update.ts), self.name(view.user), view.user, views.coins[asset],
             side(view.is_buy), views.px(asset, view.limit_px), views.sz(asset, view.sz),
             views.sz(asset, view.orig_sz), update.status, view.oid, view.cloid or "",
             view.tif or "", view.reduce_only,
             views.px(asset, view.trigger_px) if view.trigger_px else "")
        )

    def _funding(self, event: ev.Funding) -> None:
        asset = event.asset
        self.writers["funding"].writerow(
            (event.ts, iso(event.ts), self.name(event.user), event.user, self.views.coins[asset],
             fmt_usdc(event.usdc), self.views.sz(asset, event.szi), fmt_rate(event.rate))
        )
        kept = self.kept.get(event.user)
        if kept is not None:
            kept.funding += event.usdc

    def _ledger(self, event: ev.Ledger) -> None:
        counterparty = event.destination or event.sender or ""
        self.writers["ledger"].writerow(
            (event.ts, iso(event.ts), self.name(event.user), event.user, event.kind,
             fmt_usdc(event.usdc), fmt_usdc(event.fee),
             self.name(counterparty) if counterparty else "", "", "")
        )
        kept = self.kept.get(event.user)
        if kept is not None:
            kept.deposits += _moved_in(event)

    def _step(self, step: ev.WaterfallStep) -> None:
        record = step_json(self.venue, step)
        self.audit.append(record)
        self.stages[step.stage] = self.stages.get(step.stage, 0) + 1
        at = step.ts
        self.writers["waterfall"].writerow(
            (at, iso(at), step.stage, self.name(step.user), step.user, record["coin"],
             record["szi"], record["closed"], record["px"], record["shortfall"],
             record["vaultBefore"], record["vaultAfter"], record.get("policy", ""),
             len(record.get("counterparties", ())), record["reason"] or "")
        )
        if step.stage == "adl":
            ranks = {entry["user"]: i for i, entry in enumerate(record["ranking"], 1)}
            for c in record["counterparties"]:
                self.writers["adl"].writerow(
                    (at, iso(at), record["coin"], self.name(c["user"]), c["user"],
                     ranks.get(c["user"], ""), len(record["ranking"]), c["closed"],
                     record["px"], self.name(step.user))
                )

    # -- samples -----------------------------------------------------------------------------

    def sample(self) -> None:
        """A row per subject in equity.csv and per coin in market.csv, now."""
        ex, views, venue = self.ex, self.views, self.venue
        now = venue.now()
        if now == self.sampled_at:
            return  # (the end of a run that ended on a sample)
        self.sampled_at = now
        stamp = iso(now)
        equity = self.writers["equity"]
        for address, name in self.subjects.items():
            acct = ex.accounts.get(address)
            kept = self.kept[address]
            if acct is None:
                continue
            summary = ex.cross_summary(acct)
            value = account_value(ex, acct)
            upnl = sum(p.unrealized_pnl(ex.marks[a]) for a, p in acct.positions.items())
            positions = " ".join(f"{views.coins[a]}:{views.sz(a, p.size)}"
                                 for a, p in sorted(acct.positions.items()))  # fmt: skip
            pnl = value - kept.start - kept.deposits
            equity.writerow(
                (now, stamp, name, address, fmt_usdc(value), fmt_usdc(summary.notional),
                 fmt_usdc(summary.margin_used), fmt_usdc(upnl),
                 fmt_usdc(ex.withdrawable(acct)), positions, fmt_usdc(pnl))
            )
            kept.peak = max(kept.peak, value - kept.deposits)
            kept.low = min(kept.low, value - kept.deposits)
            kept.max_drawdown = max(kept.max_drawdown, kept.peak - (value - kept.deposits))
        market = self.writers["market"]
        history = venue.history
        for inst in ex.instruments:
            asset = inst.asset
            if not ex.oracles[asset]:
                continue
            day_ntl = history.day(asset, now)[0]
            market.writerow(
                (now, stamp, inst.name, views.px(asset, ex.oracles[asset]),
                 views.px(asset, ex.marks[asset]), views.mid(asset) or "",
                 fmt_rate(ex.predicted_funding_rate(asset)),
                 views.sz(asset, ex.open_interest[asset]), fmt_usdc(day_ntl))
            )

    # -- the end -----------------------------------------------------------------------------

    def close(self, summary: dict | None = None, accounts: dict | None = None,
              log: Iterable[str] = ()) -> dict:  # fmt: skip
        """Write the last samples, waterfall.json, summary.json (`summary` and what the
        recorder kept), accounts.json and run.log; close the files. Returns the summary."""
        self.sample()
        if self.record in self.venue.taps:
            self.venue.taps.remove(self.record)
        for handle in self._handles.values():
            handle.close()
        ex = self.ex
        out = dict(summary or {})
        out["trades"] = self.trades
        out["volume"] = {coin: fmt_usdc(v) for coin, v in sorted(self.volume.items())}
        out["waterfall"] = dict(self.stages)
        out["adlCounterparties"] = len({c["user"] for r in self.audit if r["stage"] == "adl"
                                        for c in r["counterparties"]})  # fmt: skip
        subjects = {}
        for address, name in self.subjects.items():
            kept = self.kept[address]
            acct = ex.accounts.get(address)
            value = account_value(ex, acct) if acct is not None else 0
            subjects[name] = {
                "address": address,
                "startValue": fmt_usdc(kept.start),
                "endValue": fmt_usdc(value),
                "netDeposits": fmt_usdc(kept.deposits),
                "pnl": fmt_usdc(value - kept.start - kept.deposits),
                "realizedPnl": fmt_usdc(kept.realized),
                "fees": fmt_usdc(kept.fees),
                "funding": fmt_usdc(kept.funding),
                "fills": kept.fills,
                "volume": fmt_usdc(kept.volume),
                "maxDrawdown": fmt_usdc(kept.max_drawdown),
                "liquidations": kept.liquidations,
                "adlFills": kept.adl,
                "positions": {self.views.coins[a]: self.views.sz(a, p.size)
                              for a, p in sorted(acct.positions.items())} if acct else {},
            }
        out["accounts"] = subjects
        _write_json(self.folder / "summary.json", out)
        _write_json(self.folder / "waterfall.json", self.audit)
        if accounts is not None:
            _write_json(self.folder / "accounts.json", accounts)
        (self.folder / "run.log").write_text("".join(f"{line}\n" for line in log))
        return out


def _moved_in(event: ev.Ledger) -> int:
    """The USDC a ledger entry moved into the account's perp balance (negative: out of it),
    micro-USDC: deposits and withdrawals, and transfers to and from other accounts and the
    account's spot balance, none of which is profit or loss."""
    kind, usdc, user = event.kind, event.usdc, event.user
    if kind == "deposit":
        return usdc
    if kind == "withdraw":
        return -usdc
    if kind in ("internalTransfer", "subAccountTransfer"):
        if event.sender == event.destination:
            return 0
        return -usdc if user == event.sender else usdc
    if kind == "accountClassTransfer":
        return usdc if event.to_perp else -usdc
    return 0  # spotTransfer: between spot balances


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n")
