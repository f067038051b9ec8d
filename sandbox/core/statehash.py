"""A fingerprint of the whole state: two exchanges that applied the same commands at the
same times have the same `state_hash()`; any difference in money, positions, orders (and
their priority), prices, funding or counters changes it."""

from __future__ import annotations

from hashlib import blake2b


def _order(order) -> tuple:
    parent = order.parent.oid if order.parent is not None else None
    siblings = [o.oid for o in order.siblings] if order.siblings else None
    builder = (order.builder.address, order.builder.fee) if order.builder is not None else None
    return (
        order.oid,
        order.asset,
        order.is_buy,
        order.px,
        order.sz,
        order.orig_sz,
        order.tif,
        order.reduce_only,
        order.cloid,
        order.ts,
        order.trigger_px,
        order.tpsl,
        order.is_market,
        order.is_position_tpsl,
        order.where,
        parent,
        siblings,
        builder,
    )


def _account(acct) -> tuple:
    positions = [
        (a, p.size, p.entry_ntl, p.isolated, p.iso_raw, p.funding_open, p.funding_change)
        for a, p in sorted(acct.positions.items())
    ]
    orders = [_order(o) for _, o in sorted(acct.orders.items())]
    return (
        acct.address,
        acct.raw,
        acct.spot,
        positions,
        sorted(acct.leverage.items()),
        sorted(acct.is_cross.items()),
        orders,
        sorted(acct.funding_all.items()),
        acct.scheduled_cancel,
        acct.scheduled_cancel_count,
        acct.scheduled_cancel_waived,
        acct.volume,
    )


def state_tree(ex) -> tuple:
    books = []
    for book in ex.books:
        sides = []
        for side in (book.bids, book.asks):
            sides.append([(lv.px, list(lv.orders)) for lv in side.iter_levels()])
        books.append(sides)
    triggers = [sorted(o.oid for o in t.orders()) for t in ex.triggers]
    marks = [(m.spread_ema.state(), m.book_ema.state()) for m in ex._mark_state]
    funding = [(f.premium_sum, f.samples) for f in ex._funding]
    return (
        ex.ts,
        ex.next_oid,
        ex.trade_seq,
        ex.action_seq,
        ex.net_deposits,
        list(ex.oracles),
        list(ex.other_venue_mids),
        list(ex.marks),
        list(ex.last_trade_px),
        list(ex.funding_rates),
        marks,
        funding,
        ex._last_sample,
        ex._next_funding,
        sorted(ex._scheduled),
        [_account(a) for _, a in sorted(ex.accounts.items())],
        books,
        triggers,
        sorted(ex.halted),
        sorted(ex.delisted),
        list(ex.open_interest),
        list(ex.oi_caps),
        ex.twap_seq,
        [(t.id, t.account.address, t.asset, t.is_buy, t.sz, t.reduce_only, t.minutes,
          t.randomize, t.start, t.slices_done, t.executed_sz, t.executed_ntl)
         for _, t in sorted(ex.twaps.items())],
    )  # fmt: skip


def state_hash(ex) -> str:
    # The tree holds only tuples, lists, ints (some beyond 64 bits), strings, bools and None,
    # whose repr is canonical.
    return blake2b(repr(state_tree(ex)).encode(), digest_size=32).hexdigest()
