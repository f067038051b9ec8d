"""The invariants of DESIGN.md, as code. `validate(exchange)` raises `InvariantError`.

1. Per asset, total long size equals total short size.
2. Cash conservation, exactly: the sum of every pool of every account (cross pools,
   isolated pools, spot balances; users and system accounts alike) equals deposits minus
   withdrawals.
3. Every book is well formed and not crossed; every account's open orders, indexes and
   reserved margin agree with the books and trigger books.
4. After the loss waterfall, no account is left with negative equity (the vault
   included; the fee sink, which funds any maker rebates, aside), no account is below
   maintenance margin unless its market liquidation is pending, and no position's mark
   has passed its liquidation trigger unnoticed.
"""

from __future__ import annotations

from sandbox.core.accounts import OrderTotals, order_margin
from sandbox.core.errors import InvariantError
from sandbox.core.liquidation import CROSS
from sandbox.core.matching import RESTING, TRIGGER, WAITING


def validate(ex) -> None:
    _open_interest(ex)
    _cash(ex)
    for book in ex.books:
        book.validate()
    _orders(ex)
    _solvency(ex)


def _solvency(ex) -> None:
    num, den = ex.config.backstop_ratio
    triggers = ex.liq_index.all_triggers()  # one pass over the index, not one per key
    for acct in ex.accounts.values():
        if acct is ex.fee_sink:
            continue
        keys = [(acct.address, CROSS)] + [
            (acct.address, a) for a, p in acct.positions.items() if p.isolated
        ]
        stale = acct.address in ex._stale  # triggers recomputed at the next mark
        for key in keys:
            health = ex.health(key)
            if health is None:
                if acct is not ex.vault and ex.liq_index.indexed(key) and not stale:
                    raise InvariantError(f"{key}: indexed without positions")
                continue
            value, maintenance = health
            if value < 0:
                raise InvariantError(f"{key}: negative equity {value} after the waterfall")
            if acct.address in ex.system_accounts:
                continue
            if value < maintenance and (key not in ex._pending or value * den < maintenance * num):
                raise InvariantError(f"{key}: below maintenance margin and not being liquidated")
            if stale:
                continue  # its triggers are the old position's until the next mark
            for asset, trigger in triggers.get(key, {}).items():
                size = acct.positions[asset].size
                mark = ex.marks[asset]
                # (a trigger at the mark itself is a healthy account exactly at its limit)
                if (mark < trigger) if size > 0 else (mark > trigger):
                    raise InvariantError(f"{key}: mark {mark} passed trigger {trigger} in {asset}")


def _open_interest(ex) -> None:
    n = len(ex.instruments)
    longs, shorts = [0] * n, [0] * n
    holders = [set() for _ in range(n)]
    for acct in ex.accounts.values():
        for asset, pos in acct.positions.items():
            if pos.asset != asset or pos.size == 0:
                raise InvariantError(f"{acct.address}: empty or misfiled position {asset}")
            if pos.entry_ntl < 0:
                raise InvariantError(f"{acct.address}: negative cost basis on {asset}")
            if pos.size > 0:
                longs[asset] += pos.size
            else:
                shorts[asset] -= pos.size
            holders[asset].add(acct.address)
    for asset in range(n):
        if longs[asset] != shorts[asset]:
            raise InvariantError(f"asset {asset}: longs {longs[asset]} != shorts {shorts[asset]}")
        if ex.open_interest[asset] != longs[asset]:
            raise InvariantError(
                f"asset {asset}: open interest kept as {ex.open_interest[asset]}, "
                f"positions hold {longs[asset]}"
            )
        if set(ex.holders[asset]) != holders[asset]:
            raise InvariantError(f"asset {asset}: holder index disagrees with positions")


def cash_in_pools(ex) -> int:
    """Every USDC pool of every account (cross, spot, isolated), fees and the vault included:
    what deposits less withdrawals must equal."""
    total = 0
    for acct in ex.accounts.values():
        total += acct.raw + acct.spot
        for pos in acct.positions.values():
            if pos.isolated:
                total += pos.iso_raw
    return total


def _cash(ex) -> None:
    for acct in ex.accounts.values():
        for pos in acct.positions.values():
            if not pos.isolated and pos.iso_raw:
                raise InvariantError(f"{acct.address}: cross position with an isolated pool")
    total = cash_in_pools(ex)
    if total != ex.net_deposits:
        raise InvariantError(
            f"cash: pools hold {total}, deposits less withdrawals {ex.net_deposits}"
        )


def _orders(ex) -> None:
    in_books = {}
    for book in ex.books:
        for order in book.orders():
            in_books[order.oid] = order
    in_triggers = {}
    for triggers in ex.triggers:
        for order in triggers.orders():
            in_triggers[order.oid] = order
    seen = waiting = 0
    for acct in ex.accounts.values():
        totals: dict[int, OrderTotals] = {}
        reduce_only: dict[int, int] = {}
        for oid, order in acct.orders.items():
            if order.oid != oid or order.account is not acct:
                raise InvariantError(f"{acct.address}: order {oid} misfiled")
            where = order.where
            if where == RESTING:
                if in_books.get(oid) is not order:
                    raise InvariantError(f"{acct.address}: resting order {oid} not in its book")
                if order.reduce_only:
                    reduce_only[order.asset] = reduce_only.get(order.asset, 0) + order.sz
                else:
                    totals.setdefault(order.asset, OrderTotals()).add(
                        order.is_buy, order.px, order.sz
                    )
            elif where == TRIGGER:
                if in_triggers.get(oid) is not order:
                    raise InvariantError(f"{acct.address}: trigger {oid} not in the trigger book")
            elif (
                where != WAITING
                or order.parent is None
                or order not in order.parent.children
                or acct.orders.get(order.parent.oid) is not order.parent
            ):
                raise InvariantError(f"{acct.address}: order {oid} waits for no open parent")
            else:
                waiting += 1
            seen += 1
        for cloid, oid in acct.cloids.items():
            if oid not in acct.orders or acct.orders[oid].cloid != cloid:
                raise InvariantError(f"{acct.address}: cloid {cloid} points nowhere")
        _order_margin(ex, acct, totals)
        for asset, sz in reduce_only.items():
            size = acct.position_size(asset)
            if sz > abs(size):
                raise InvariantError(f"{acct.address}: reduce-only orders exceed position {asset}")
    if seen != len(in_books) + len(in_triggers) + waiting:
        raise InvariantError("orders in books and triggers disagree with accounts' open orders")


def _order_margin(ex, acct, totals: dict[int, OrderTotals]) -> None:
    for asset, t in totals.items():
        mine = acct.order_totals.get(asset)
        if mine is None or (mine.buy_ntl, mine.buy_sz, mine.sell_ntl, mine.sell_sz) != (
            t.buy_ntl,
            t.buy_sz,
            t.sell_ntl,
            t.sell_sz,
        ):
            raise InvariantError(f"{acct.address}: order totals for {asset} are stale")
    if set(acct.order_totals) != set(totals):
        raise InvariantError(f"{acct.address}: order totals for assets without orders")
    expected_total = 0
    for asset, t in totals.items():
        want = order_margin(t, acct.position_size(asset), ex.leverage_of(acct, asset))
        if acct.order_margin.get(asset, 0) != want:
            raise InvariantError(f"{acct.address}: reserved order margin for {asset} is stale")
        expected_total += want
    if acct.order_margin_total != expected_total or len(acct.order_margin) > len(totals):
        raise InvariantError(f"{acct.address}: order margin total is stale")
