"""The loss waterfall told one line per step: what the served sandbox logs as each step
happens, and what the scenario player narrates.

`describe(record, name)` turns a step's audit record (`sandbox.server.audit.step_json`)
into one line; `name(address)` says who an address is ("the vault", a bot's name, or the
address). The venue logs that line on the logger `sandbox.server.waterfall` for every step
as it happens (`Venue.names` says who addresses are; in virtual time the line carries the
step's virtual time). A line never holds a line break.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from decimal import Decimal

from protocol.numbers import price, usd

log = logging.getLogger("sandbox.server.waterfall")


def money(text: str | Decimal) -> str:
    """A USDC amount for reading, as every line of text shows one: $58,735.90."""
    return usd(text)


def describe(record: dict, name: Callable[[str], str]) -> str:
    """One line for one step of the waterfall."""
    who, coin, stage = name(record["user"]), record["coin"], record["stage"]
    side = "long" if not record["szi"].startswith("-") else "short"
    held = record["szi"].lstrip("-")
    if stage == "market":
        line = (f"liquidation, stage 1 (market): {who}'s {held} {coin} {side}: "
                f"{record['closed']} {'sold' if side == 'long' else 'bought'} into the book "
                f"at {price(record['px'])}")  # fmt: skip
    elif stage == "backstop":
        line = (f"liquidation, stage 2 (backstop): the vault takes {who}'s {held} {coin} "
                f"{side} at {price(record['px'])}")  # fmt: skip
        if Decimal(record["shortfall"]):
            line += f", shortfall {usd(record['shortfall'])}"
        line += f"; vault {usd(record['vaultBefore'])} -> {usd(record['vaultAfter'])}"
    else:
        ranks = {entry["user"]: i for i, entry in enumerate(record["ranking"], 1)}
        against = ", ".join(
            f"{name(c['user'])} (rank {ranks.get(c['user'], '?')}) {c['closed']}"
            for c in record["counterparties"]
        )
        line = (f"ADL, stage 3 ({record['policy']}): {record['closed']} {coin} of {who}'s "
                f"{side} closed at {price(record['px'])} against {against}")  # fmt: skip
        if record.get("reason"):
            line += f" [{record['reason']}]"
    return " ".join(line.split())  # one line, whatever a name or a reason holds


def virtual_time(ms: int) -> str:
    at = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"
