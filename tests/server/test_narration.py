"""The served sandbox's log of the loss waterfall: one line per step, as the command that
caused it returns, with the step's virtual time in virtual time."""

from __future__ import annotations

import logging

from sandbox.core import commands as cmd
from sandbox.core.config import ExchangeConfig
from sandbox.server.config import ServerConfig
from sandbox.server.narration import describe
from sandbox.server.venue import Venue
from tests.server.conftest import PRICES, set_prices

ALICE, BOB = "0x" + "a1" * 20, "0x" + "b2" * 20


def venue_with_alice_long() -> Venue:
    """Alice long 1 BTC from Bob at 60,000 on $20,000, in virtual time from 2027-01-15 08:00
    UTC: a backstop takeover hands the vault her margin, less the taker fee."""
    config = ServerConfig(port=0, time="virtual", start_ms=1_800_000_000_000,
                          exchange=ExchangeConfig(mark_rule="oracle"))  # fmt: skip
    venue = Venue(config)
    venue.names[ALICE] = "alice"
    set_prices(venue, PRICES)
    btc = venue.exchange.by_name["BTC"]
    px, sz = btc.units.parse_px("60000"), btc.units.parse_sz("1")
    for user, is_buy, tif in ((BOB, False, "Gtc"), (ALICE, True, "Ioc")):
        venue.apply(cmd.Deposit(user, 20_000 * 10**6))
        venue.apply(cmd.PlaceOrders(user, (cmd.OrderSpec(btc.asset, is_buy, px, sz, tif=tif),)))
    return venue


def test_each_step_is_logged_once_in_one_line_with_its_virtual_time(caplog):
    venue = venue_with_alice_long()
    caplog.set_level(logging.INFO, logger="sandbox.server.waterfall")
    snapshot = venue.snapshot(1)
    venue.apply(cmd.ForceLiquidation(ALICE, venue.exchange.by_name["BTC"].asset, "backstop"))
    expected = ("[virtual 2027-01-15 08:00:00.000] liquidation, stage 2 (backstop): the vault "
                "takes alice's 1.0 BTC long at 60,000.0; vault $5,000,000.00 -> $5,019,973.00")  # fmt: skip
    assert [r.getMessage() for r in caplog.records] == [expected]
    # after a restore the venue goes on logging what happens, once
    venue.restore(snapshot)
    venue.apply(cmd.ForceLiquidation(ALICE, venue.exchange.by_name["BTC"].asset, "backstop"))
    assert [r.getMessage() for r in caplog.records] == [expected, expected]


def test_a_line_never_breaks():
    record = {"user": "0xab", "coin": "BTC", "stage": "adl", "szi": "-1.0", "closed": "1.0",
              "px": "50000", "policy": "binance", "reason": "forced\nfrom the control plane",
              "ranking": [{"user": "0xcd"}], "counterparties": [{"user": "0xcd", "closed": "1.0"}]}  # fmt: skip
    line = describe(record, lambda address: {"0xcd": "carol\r\n"}.get(address, address))
    assert line == ("ADL, stage 3 (binance): 1.0 BTC of 0xab's short closed at 50,000 "
                    "against carol (rank 1) 1.0 [forced from the control plane]")  # fmt: skip


def test_money_and_prices_read_one_way():
    """Every line of text shows USDC as dollars and cents and a price with the decimals it
    has on the venue, thousands separated."""
    from protocol.numbers import price, usd

    assert [usd(x) for x in ("58735.9", "-12.5", "0", "1234567.891", "0.005")] == [
        "$58,735.90", "-$12.50", "$0.00", "$1,234,567.89", "$0.00",
    ]  # fmt: skip
    assert [price(x) for x in ("58735.9", "0.006095", "60000.0", "105919")] == [
        "58,735.9", "0.006095", "60,000.0", "105,919",
    ]  # fmt: skip
