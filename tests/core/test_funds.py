"""Deposits, withdrawals and transfers."""

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from tests.core.scene import ALICE, BOB, Scene, usd


def test_deposit_and_withdraw_with_fee():
    s = Scene()
    s.deposit(ALICE, 100)
    assert s.of(ev.Ledger) == [ev.Ledger(ALICE, "deposit", usd(100), s.now, s.ex.action_seq)]
    s.apply(cmd.Withdraw(ALICE, usd(40), fee=usd(1)))
    assert s.result().ok
    assert s.account(ALICE).raw == usd(60)
    # the $1 fee stays with the fee sink; the vault's capital is a deposit too
    assert s.ex.net_deposits == usd(61) + s.ex.config.vault_capital
    s.apply(cmd.Withdraw(ALICE, usd(61)))
    assert s.result().error == errors.INSUFFICIENT_WITHDRAW
    s.apply(cmd.Deposit(ALICE, 0))
    assert s.result().error == errors.INVALID_AMOUNT


def test_withdrawal_keeps_margin_for_positions_and_orders():
    s = Scene()
    s.deposit(ALICE, 1_000)
    s.deposit(BOB, 10_000)
    s.oracle("ETH", "3000")
    s.order(BOB, "ETH", "A", "3000", "1")
    s.order(ALICE, "ETH", "B", "3000", "1", tif="Ioc")  # $3,000 at 20x: 150 margin, 300 kept
    s.order(ALICE, "ETH", "B", "2000", "1")  # 100 reserved
    assert s.ex.withdrawable(s.account(ALICE)) == usd(1_000) - usd("1.35") - usd(300) - usd(100)


def test_usd_send_between_users_creates_the_destination():
    s = Scene()
    s.deposit(ALICE, 100)
    s.apply(cmd.UsdSend(ALICE, BOB, usd(30)))
    assert s.result().ok
    assert (s.account(ALICE).raw, s.account(BOB).raw) == (usd(70), usd(30))
    ledgers = s.of(ev.Ledger)
    assert [(entry.user, entry.kind, entry.sender, entry.destination) for entry in ledgers] == [
        (ALICE, "internalTransfer", ALICE, BOB),
        (BOB, "internalTransfer", ALICE, BOB),
    ]
    s.apply(cmd.UsdSend(ALICE, BOB, usd(71)))
    assert s.result().error == errors.INSUFFICIENT_TRANSFER


def test_class_transfer_between_perp_and_spot():
    s = Scene()
    s.deposit(ALICE, 100)
    s.apply(cmd.ClassTransfer(ALICE, usd(25), to_perp=False))
    assert (s.account(ALICE).raw, s.account(ALICE).spot) == (usd(75), usd(25))
    s.apply(cmd.ClassTransfer(ALICE, usd(26), to_perp=True))
    assert s.result().error == errors.INSUFFICIENT_TRANSFER
    s.apply(cmd.ClassTransfer(ALICE, usd(25), to_perp=True))
    assert (s.account(ALICE).raw, s.account(ALICE).spot) == (usd(100), 0)


def test_oracle_updates_are_checked_before_anything_changes():
    s = Scene()
    s.apply(cmd.SetOracle(((0, 600000), (7, 1))))
    assert s.result().error == errors.UNKNOWN_ASSET_ACTION
    assert s.ex.oracles[0] == 0
    s.apply(cmd.SetOracle(((0, 0),)))
    assert s.result().error == errors.INVALID_PRICE_UPDATE
