"""Moving USDC and margin settings: deposits, withdrawals, transfers between users and
between the perp and spot balances, leverage and isolated margin.

Every transfer out of the cross pool is limited by `withdrawable` (the venue's rule: what
remains must cover max(initial margin, 10% of the cross notional) and resting orders).
"""

from __future__ import annotations

from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.accounts import Account
from sandbox.core.margin import cross_summary, isolated_value, withdrawable


class FundsMixin:
    """Part of `Exchange`: balances and margin settings."""

    def withdrawable(self, acct: Account) -> int:
        return withdrawable(self.cross_summary(acct), acct.order_margin_total)

    def cross_summary(self, acct: Account):
        leverage = {a: self.leverage_of(acct, a) for a in acct.positions}
        return cross_summary(acct, self.instruments, self.marks, leverage)

    def _ledger(self, acct: Account, kind: str, usdc: int, **extra) -> None:
        self._events.append(ev.Ledger(acct.address, kind, usdc, self.ts, self.action_seq, **extra))

    def _deposit(self, c: cmd.Deposit) -> ev.ActionResult:
        if c.usdc <= 0:
            return ev.ActionResult(c.user, "err", error=errors.INVALID_AMOUNT)
        acct = self.account(c.user)
        acct.raw += c.usdc
        self.net_deposits += c.usdc
        self._ledger(acct, "deposit", c.usdc)
        return ev.ActionResult(acct.address, "default")

    def _withdraw(self, c: cmd.Withdraw, acct: Account) -> ev.ActionResult:
        if c.usdc <= 0 or c.fee < 0 or c.fee > c.usdc:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_AMOUNT)
        if c.usdc > self.withdrawable(acct):
            return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_WITHDRAW)
        acct.raw -= c.usdc
        self.fee_sink.raw += c.fee
        self.net_deposits -= c.usdc - c.fee
        self._touch(acct)
        self._ledger(acct, "withdraw", c.usdc, fee=c.fee, nonce=c.nonce)
        return ev.ActionResult(acct.address, "default")

    def _activation_fee(self, destination: str) -> int:
        """What a transfer to `destination` pays to create its account (0: it exists)."""
        return 0 if destination in self.accounts else self.config.activation_fee

    def _usd_send(self, c: cmd.UsdSend, acct: Account) -> ev.ActionResult:
        if c.usdc <= 0:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_AMOUNT)
        if c.usdc > self.withdrawable(acct):
            return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_TRANSFER)
        fee = 0 if c.sub_account else self._activation_fee(c.destination)
        if fee and c.usdc <= fee:
            return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_ACTIVATION)
        dest = self.account(c.destination)
        acct.raw -= c.usdc
        dest.raw += c.usdc - fee
        self.fee_sink.raw += fee
        self._touch(acct)
        kind = "subAccountTransfer" if c.sub_account else "internalTransfer"
        extra = {"sender": acct.address, "destination": dest.address, "fee": fee}
        self._ledger(acct, kind, c.usdc, **extra)
        if dest is not acct:
            self._ledger(dest, kind, c.usdc, **extra)
        return ev.ActionResult(acct.address, "default")

    def _spot_send(self, c: cmd.SpotSend, acct: Account) -> ev.ActionResult:
        if c.usdc <= 0:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_AMOUNT)
        if c.usdc > acct.spot:
            return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_TRANSFER)
        fee = self._activation_fee(c.destination)
        if fee and c.usdc <= fee:
            return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_ACTIVATION)
        dest = self.account(c.destination)
        acct.spot -= c.usdc
        dest.spot += c.usdc - fee
        self.fee_sink.spot += fee
        extra = {"sender": acct.address, "destination": dest.address, "nonce": c.nonce,
                 "fee": fee}  # fmt: skip
        self._ledger(acct, "spotTransfer", c.usdc, **extra)
        if dest is not acct:
            self._ledger(dest, "spotTransfer", c.usdc, **extra)
        return ev.ActionResult(acct.address, "default")

    def _class_transfer(self, c: cmd.ClassTransfer, acct: Account) -> ev.ActionResult:
        if c.usdc <= 0:
            return ev.ActionResult(acct.address, "err", error=errors.INVALID_AMOUNT)
        if c.to_perp:
            if c.usdc > acct.spot:
                return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_TRANSFER)
            acct.spot -= c.usdc
            acct.raw += c.usdc
        else:
            if c.usdc > self.withdrawable(acct):
                return ev.ActionResult(acct.address, "err", error=errors.INSUFFICIENT_TRANSFER)
            acct.raw -= c.usdc
            acct.spot += c.usdc
            self._touch(acct)
        self._ledger(acct, "accountClassTransfer", c.usdc, to_perp=c.to_perp)
        return ev.ActionResult(acct.address, "default")

    # -- margin settings -------------------------------------------------------------------

    def _update_leverage(self, c: cmd.UpdateLeverage, acct: Account) -> ev.ActionResult:
        asset = c.asset
        user = acct.address
        if not 0 <= asset < len(self.instruments):
            return ev.ActionResult(user, "err", error=errors.UNKNOWN_ASSET_ACTION)
        inst = self.instruments[asset]
        if c.leverage < 1:
            return ev.ActionResult(user, "err", error=errors.LEVERAGE_INVALID)
        if c.leverage > inst.max_leverage:
            return ev.ActionResult(user, "err", error=errors.LEVERAGE_TOO_HIGH)
        if c.is_cross and inst.only_isolated:
            return ev.ActionResult(user, "err", error=errors.CROSS_NOT_ALLOWED)
        pos = acct.positions.get(asset)
        if pos is not None and pos.isolated == c.is_cross:
            return ev.ActionResult(user, "err", error=errors.LEVERAGE_TYPE_SWITCH)
        old_lev = self.leverage_of(acct, asset)
        old_cross = acct.is_cross.get(asset)
        acct.leverage[asset] = c.leverage
        acct.is_cross[asset] = c.is_cross
        if c.leverage < old_lev and not self._leverage_fits(acct, asset, pos, c.leverage):
            acct.leverage[asset] = old_lev
            if old_cross is None:
                del acct.is_cross[asset]
            else:
                acct.is_cross[asset] = old_cross
            self._refresh_order_margin(acct, asset)
            text = (
                errors.CROSS_LEVERAGE_DECREASE if c.is_cross else errors.ISOLATED_LEVERAGE_DECREASE
            )
            return ev.ActionResult(user, "err", error=text)
        self._refresh_order_margin(acct, asset)
        self._events.append(ev.LeverageChanged(user, asset, c.is_cross, c.leverage, self.ts))
        return ev.ActionResult(user, "default")

    def _leverage_fits(self, acct: Account, asset: int, pos, leverage: int) -> bool:
        """With the new (lower) leverage already set: is the margin still there?"""
        if pos is not None and pos.isolated:
            mark = self.marks[asset]
            need = -(-abs(pos.size) * mark // leverage)
            if isolated_value(pos, mark) < need:
                return False
        self._refresh_order_margin(acct, asset)
        return self.available_margin(acct) >= 0

    def _update_isolated_margin(
        self, c: cmd.UpdateIsolatedMargin, acct: Account
    ) -> ev.ActionResult:
        user = acct.address
        if not 0 <= c.asset < len(self.instruments):
            return ev.ActionResult(user, "err", error=errors.UNKNOWN_ASSET_ACTION)
        pos = acct.positions.get(c.asset)
        if pos is None or not pos.isolated:
            return ev.ActionResult(user, "err", error=errors.NOT_ISOLATED)
        amount = c.ntli
        if amount == 0:
            return ev.ActionResult(user, "err", error=errors.INVALID_AMOUNT)
        if amount > 0:
            if amount > self.available_margin(acct):
                return ev.ActionResult(user, "err", error=errors.ISOLATED_MARGIN_ADD)
        else:
            mark = self.marks[c.asset]
            ntl = abs(pos.size) * mark
            need = max(-(-ntl // self.leverage_of(acct, c.asset)), -(-ntl // 10))
            if isolated_value(pos, mark) + amount < need:
                return ev.ActionResult(user, "err", error=errors.ISOLATED_MARGIN_REMOVE)
        acct.raw -= amount
        pos.iso_raw += amount
        self._touch(acct)
        return ev.ActionResult(user, "default")
