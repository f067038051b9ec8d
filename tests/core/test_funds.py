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


def test_usd_send_to_a_new_address_pays_its_activation_fee_once():
    s = Scene()
    s.deposit(ALICE, 100)
    fee_sink = s.ex.fee_sink.raw
    s.apply(cmd.UsdSend(ALICE, BOB, usd(30)))
    assert s.result().ok
    # BOB's account is created by the transfer, which pays 1 USDC for it out of what it brings
    assert (s.account(ALICE).raw, s.account(BOB).raw) == (usd(70), usd(29))
    assert s.ex.fee_sink.raw == fee_sink + usd(1)
    ledgers = s.of(ev.Ledger)
    assert [(e.user, e.kind, e.usdc, e.fee, e.sender, e.destination) for e in ledgers] == [
        (ALICE, "internalTransfer", usd(30), usd(1), ALICE, BOB),
        (BOB, "internalTransfer", usd(30), usd(1), ALICE, BOB),
    ]
    s.apply(cmd.UsdSend(ALICE, BOB, usd(10)))  # BOB exists now: no fee
    assert (s.account(ALICE).raw, s.account(BOB).raw) == (usd(60), usd(39))
    assert s.of(ev.Ledger)[0].fee == 0
    s.apply(cmd.UsdSend(ALICE, BOB, usd(61)))
    assert s.result().error == errors.INSUFFICIENT_TRANSFER
    s.ex.validate()  # cash is conserved: the fee stays with the fee sink


def test_a_transfer_that_cannot_pay_the_activation_fee_creates_nothing():
    s = Scene()
    s.deposit(ALICE, 100)
    carol = "0x" + "c0" * 20
    for amount in (usd("0.000001"), usd(1)):
        s.apply(cmd.UsdSend(ALICE, carol, amount))
        assert s.result().error == errors.INSUFFICIENT_ACTIVATION
        s.apply(cmd.ClassTransfer(ALICE, usd(2), to_perp=False))
        s.apply(cmd.SpotSend(ALICE, carol, amount))
        assert s.result().error == errors.INSUFFICIENT_ACTIVATION
    assert carol not in s.ex.accounts
    s.apply(cmd.SpotSend(ALICE, carol, usd("1.5")))  # spot pays it the same way
    assert s.result().ok and s.account(carol).spot == usd("0.5")
    s.ex.validate()


def test_activation_fee_zero_lets_any_amount_create_an_account():
    s = Scene(activation_fee=0)
    s.deposit(ALICE, 100)
    s.apply(cmd.UsdSend(ALICE, BOB, usd("0.000001")))
    assert s.result().ok and s.account(BOB).raw == 1


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
