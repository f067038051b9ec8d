"""A short, deterministic session on the exchange core, printed step by step.

Three accounts trade BTC against each other; the oracle moves; an hour passes and funding
is paid; then the price gaps and the leveraged whale is liquidated by the backstop vault,
which starts unwinding into the book. Every account's position, PnL and margin is shown at
the end, with the invariant check and the state hash. It is what `python -m sandbox` runs until the server exists.
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.config import LIQUIDATOR_VAULT, ExchangeConfig
from sandbox.core.exchange import Exchange
from sandbox.core.units import fmt_rate, fmt_usdc

START = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR = 3_600_000
NAMES = {
    "0x" + "a1" * 20: "maker",
    "0x" + "b2" * 20: "whale",
    "0x" + "c3" * 20: "hedger",
    LIQUIDATOR_VAULT: "vault",
}
MAKER, WHALE, HEDGER, VAULT = NAMES


def run(out=print) -> Exchange:
    ex = Exchange(ExchangeConfig(vault_capital=1_000_000 * 1_000_000), start_ms=START)
    btc = ex.by_name["BTC"]
    units = btc.units
    now = START

    def step(title: str, command, dt: int = 0) -> list:
        nonlocal now
        now += dt
        events = ex.apply(command, now)
        if title:
            out(f"\n{title}")
        for event in events:
            line = describe(event)
            if line:
                out(f"  {line}")
        ex.validate()
        return events

    def describe_fill(fill: ev.Fill) -> str:
        who = NAMES.get(fill.user, fill.user)
        side = "bought" if fill.is_buy else "sold"
        pnl = f", closed PnL {fmt_usdc(fill.closed_pnl)}" if fill.closed_pnl else ""
        return (
            f"{who} {side} {units.fmt_sz(fill.sz)} BTC at {units.fmt_px(fill.px)} "
            f"({fill.dir}, fee {fmt_usdc(fill.fee)}{pnl})"
        )

    def describe(event) -> str | None:
        who = NAMES.get(getattr(event, "user", ""), getattr(event, "user", ""))
        if isinstance(event, ev.Trade):
            return "\n  ".join(describe_fill(f) for f in event.fills())
        if isinstance(event, ev.ActionResult) and event.kind in ("order", "cancel"):
            return f"{who}: " + ", ".join(status_text(s) for s in event.statuses)
        if isinstance(event, ev.ActionResult) and not event.ok:
            return f"{who}: refused: {event.error}"
        if isinstance(event, ev.Funding):
            return f"funding: {who} {'received' if event.usdc > 0 else 'paid'} {fmt_usdc(abs(event.usdc))}"
        if isinstance(event, ev.FundingRate) and event.asset == btc.asset:
            return f"BTC hourly funding rate {fmt_rate(event.rate)}"
        if isinstance(event, ev.Prices) and event.mark[btc.asset] is not None:
            return f"BTC mark {units.fmt_px(event.mark[btc.asset])}"
        if isinstance(event, ev.WaterfallStep):
            return (
                f"waterfall, stage {event.stage}: {who} {units.fmt_sz(event.closed)} BTC at "
                f"{units.fmt_px(event.price)}, shortfall {fmt_usdc(event.shortfall)}, vault "
                f"{fmt_usdc(event.vault_before)} -> {fmt_usdc(event.vault_after)}"
            )
        if isinstance(event, ev.Notification):
            return f"notification to {who}: {event.text}"
        return None

    def status_text(status) -> str:
        if isinstance(status, ev.Resting):
            return f"resting as order {status.oid}"
        if isinstance(status, ev.Filled):
            return f"filled {units.fmt_sz(status.total_sz)} at {units.fmt_avg_px(status.notional, status.total_sz)}"
        if isinstance(status, ev.Error):
            return f"refused: {status.text}"
        return str(status)

    def px(text: str) -> int:
        return units.parse_px(text)

    def sz(text: str) -> int:
        return units.parse_sz(text)

    def requote(title: str, bid: str, ask: str) -> None:
        """The maker cancels its BTC quotes a second later and quotes 2 BTC at bid and ask."""
        orders = tuple((btc.asset, oid) for oid in sorted(ex.accounts[MAKER].orders))
        step(title, cmd.Cancel(MAKER, orders), dt=1_000)
        quotes = ((True, bid), (False, ask))
        step("", cmd.PlaceOrders(MAKER, tuple(cmd.OrderSpec(btc.asset, b, px(p), sz("2"))
                                              for b, p in quotes)))  # fmt: skip

    out("adl-sandbox core walkthrough: BTC, three accounts and the liquidator vault")
    for address, usd in ((MAKER, 1_000_000), (WHALE, 50_000), (HEDGER, 100_000)):
        ex.apply(cmd.Deposit(address, usd * 1_000_000), now)
    step("The oracle opens BTC at 60,000.", cmd.SetOracle(((btc.asset, px("60000")),)))
    quotes = tuple(
        cmd.OrderSpec(btc.asset, is_buy, px(p), sz("2"))
        for is_buy, p in ((True, "59990"), (True, "59980"), (False, "60010"), (False, "60020"))
    )
    step("The maker quotes two levels each side, 2 BTC each.", cmd.PlaceOrders(MAKER, quotes))
    step(
        "The whale buys 3 BTC at up to 60,100 (IOC), at 20x.",
        cmd.PlaceOrders(WHALE, (cmd.OrderSpec(btc.asset, True, px("60100"), sz("3"), tif="Ioc"),)),
        dt=1_000,
    )
    step(
        "The whale asks for 20 more BTC: more than $50k of margin allows.",
        cmd.PlaceOrders(WHALE, (cmd.OrderSpec(btc.asset, True, px("60100"), sz("20"), tif="Ioc"),)),
        dt=1_000,
    )
    step(
        "The hedger sells 1 BTC into the bids.",
        cmd.PlaceOrders(
            HEDGER, (cmd.OrderSpec(btc.asset, False, px("59900"), sz("1"), tif="Ioc"),)
        ),
        dt=1_000,
    )
    step(
        "The oracle rises to 61,500. The mark is a median that includes the book, so it waits "
        "for the quotes.",
        cmd.SetOracle(((btc.asset, px("61500")),)),
        dt=60_000,
    )
    requote("The maker cancels and quotes around the new price.", "61490", "61510")
    step(
        "The next oracle tick: the mark starts to follow; its EMAs take minutes to catch up.",
        cmd.SetOracle(((btc.asset, px("61500")),)),
        dt=3_000,
    )
    next_hour = (now // HOUR + 1) * HOUR
    step("An hour passes: funding is paid at the oracle price.", cmd.Tick(), dt=next_hour - now)
    requote("A crash: the maker cancels its quotes and quotes again around 43,000.", "42990",
            "43010")  # fmt: skip
    step(
        "The oracle gaps to 43,000 and the mark with it. The whale's 3 BTC long is now worth "
        "less than nothing: the liquidator vault takes it over with its shortfall.",
        cmd.SetOracle(((btc.asset, px("43000")),)),
        dt=1_000,
    )
    step(
        "Ten seconds later the vault sells a tenth of what it inherited into the book.",
        cmd.Tick(),
        dt=10_000,
    )

    out("\nAccounts at the end:")
    for address, name in NAMES.items():
        acct = ex.accounts[address]
        summary = ex.cross_summary(acct)
        pos = acct.positions.get(btc.asset)
        position = "flat"
        if pos is not None:
            entry = units.fmt_avg_px(pos.entry_ntl, abs(pos.size))
            position = (
                f"{units.fmt_sz(pos.size)} BTC from {entry}, "
                f"unrealized {fmt_usdc(pos.unrealized_pnl(ex.marks[btc.asset]))}"
            )
        out(
            f"  {name:7} value {fmt_usdc(summary.account_value):>16}  margin used "
            f"{fmt_usdc(summary.margin_used):>12}  withdrawable {fmt_usdc(ex.withdrawable(acct)):>16}"
            f"  {position}"
        )
    fees = ex.accounts[ex.config.fee_sink].raw
    out(f"  fee sink {fmt_usdc(fees)}")
    ex.validate()
    out("\nInvariants hold: longs == shorts, cash conserved to the micro-USDC, books sound.")
    out(f"State hash {ex.state_hash()}")
    return ex
