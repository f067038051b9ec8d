"""Margin reserved by resting orders and the settlement of fills into an account."""

from sandbox.core.accounts import Account, reserved_margin
from sandbox.core.settlement import settle


class Settings:
    def __init__(self, isolated=False, leverage=10):
        self.isolated, self.leverage = isolated, leverage

    def is_isolated(self, acct, asset):
        return self.isolated

    def leverage_of(self, acct, asset):
        return self.leverage


def test_reserved_margin_takes_the_side_that_grows_the_position_most():
    # flat: bids worth 1,000 and asks worth 600 at 10x: the bids' 100
    assert reserved_margin(1_000, 10, 600, 6, 0, 10) == 100
    # long 4: of 6 lots of asks, 4 would only close it; 2 lots (200 of 600) would open
    assert reserved_margin(0, 0, 600, 6, 4, 10) == 20
    # short 10: bids of 6 lots could only reduce it
    assert reserved_margin(600, 6, 0, 0, -10, 10) == 0
    # rounding goes up
    assert reserved_margin(1_001, 10, 0, 0, 0, 10) == 101


def test_settle_opens_grows_reduces_and_flips():
    acct = Account("0xa")
    acct.raw = 10_000
    assert settle(acct, 0, True, 100, 10, 5, Settings()) == (0, 0)
    assert (acct.raw, acct.positions[0].size, acct.positions[0].entry_ntl) == (8_995, 10, 1_000)
    assert settle(acct, 0, True, 110, 10, 0, Settings()) == (10, 0)
    assert acct.positions[0].entry_ntl == 2_100  # average entry 105
    start, pnl = settle(acct, 0, False, 120, 5, 0, Settings())
    assert (start, pnl) == (20, 5 * 120 - 525)
    start, pnl = settle(acct, 0, False, 100, 25, 0, Settings())
    assert (start, pnl) == (15, 15 * 100 - 1_575)
    assert (acct.positions[0].size, acct.positions[0].entry_ntl) == (-10, 1_000)
    assert settle(acct, 0, True, 90, 10, 0, Settings()) == (-10, 100)
    assert 0 not in acct.positions
    # the pool holds exactly the trades' cash flows less the fee
    assert acct.raw == 10_000 - 5 - 1_000 - 1_100 + 600 + 2_500 - 900


def test_isolated_settlement_moves_margin_between_pools():
    acct = Account("0xa")
    acct.raw = 1_000
    settle(acct, 0, True, 100, 10, 0, Settings(isolated=True, leverage=5))
    pos = acct.positions[0]
    assert (acct.raw, pos.iso_raw) == (800, 200 - 1_000)
    settle(acct, 0, False, 110, 5, 0, Settings(isolated=True))
    # value at 110 was 200 + 100 = 300; half of it returns
    assert (acct.raw, pos.iso_raw + pos.size * 110) == (950, 150)
    settle(acct, 0, False, 110, 5, 0, Settings(isolated=True))
    assert acct.positions == {} and acct.raw == 1_100
