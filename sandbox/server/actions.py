"""`POST /exchange`: the signed actions of the venue, checked and applied.

The envelope's `action` is kept exactly as received (key order included) for the signature;
then, in order: expiry, the signer (L1 or user-signed), the account it acts for (itself,
an agent's owner, a sub-account through `vaultAddress`), the nonce, and the action itself,
converted into core commands once, at this edge. Responses and texts are the venue's
(hyperliquid-api.md §5.4-5.5): per-order statuses for orders and cancels,
`{"type": "default"}` otherwise, `{"status": "err", "response": text}` for a request refused
as a whole. A body that cannot be read at all raises `info.Unreadable` (HTTP 422).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from protocol import signing, wire
from protocol.numbers import DecimalSyntaxError
from sandbox.core import commands as cmd
from sandbox.core import errors
from sandbox.core import events as ev
from sandbox.core.units import USDC, parse_usdc
from sandbox.server.info import Unreadable
from sandbox.server.registry import Denied, normalize
from sandbox.server.views import USDC_TOKEN

CLOID = re.compile(r"0x[0-9a-fA-F]{32}")
WITHDRAW_FEE = USDC  # $1
MAX_BUILDER_FEE = 100  # 0.1% for perps, in tenths of a basis point
INVALID_CLOID = "Invalid cloid."  # not published
INVALID_ORDER_TYPE = "Order has invalid order type."  # not published
BUILDER_NOT_APPROVED = "Builder fee has not been approved."  # not published
BUILDER_FEE_TOO_HIGH = "Builder fee is higher than the maximum allowed."  # not published
WEIGHT_LIMIT = "Signed action over weight limit of {limit}."
EXPIRED = "Action already expired"
UNKNOWN_TOKEN = "Unknown token."  # not published
UNSUPPORTED = "{kind} is not supported by this sandbox."  # not published
WRONG_CHAIN = "Mainnet and testnet require different signature."


PRIORITY_GROUPING = (
    "Priority fees need every order IOC, or every order a post-only order that is not "
    "reduce-only."
)  # not published


class RateLimited(Exception):
    """The IP's REST weight is spent: HTTP 429 with body `null`, as the venue answers."""


def ok(kind: str, data: Any = None) -> dict:
    if data is None:
        return {"status": "ok", "response": {"type": kind}}
    return {"status": "ok", "response": {"type": kind, "data": data}}


def err(text: str) -> dict:
    return {"status": "err", "response": text}


class ExchangeApi:
    def __init__(self, venue) -> None:
        self.venue = venue
        self.max_batch = venue.config.max_batch
        chain = venue.config.chain
        self.chains = {
            "testnet": ("Testnet",),
            "mainnet": ("Mainnet",),
            "auto": ("Testnet", "Mainnet"),
        }[chain]
        self._handlers = {
            wire.OrderAction: self._order,
            wire.CancelAction: self._cancel,
            wire.CancelByCloidAction: self._cancel_by_cloid,
            wire.ModifyAction: self._modify,
            wire.BatchModifyAction: self._batch_modify,
            wire.TwapOrderAction: self._twap_order,
            wire.TwapCancelAction: self._twap_cancel,
            wire.ScheduleCancelAction: self._schedule_cancel,
            wire.UpdateLeverageAction: self._update_leverage,
            wire.UpdateIsolatedMarginAction: self._update_isolated_margin,
            wire.SetReferrerAction: self._set_referrer,
            wire.CreateSubAccountAction: self._create_sub_account,
            wire.SubAccountTransferAction: self._sub_account_transfer,
            wire.NoopAction: self._noop,
            wire.UsdSendAction: self._usd_send,
            wire.SpotSendAction: self._spot_send,
            wire.WithdrawAction: self._withdraw,
            wire.UsdClassTransferAction: self._class_transfer,
            wire.ApproveAgentAction: self._approve_agent,
            wire.ApproveBuilderFeeAction: self._approve_builder_fee,
        }

    # -- the envelope ----------------------------------------------------------------------

    def handle_body(self, body: bytes, ip: str | None = None) -> dict:
        """The answer to an /exchange body; `ip` is charged the action's REST weight (None:
        a websocket post, which is not). Raises `Unreadable` and `RateLimited`."""
        try:
            request = wire.exchange_request_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise Unreadable(str(exc)) from None
        return self.handle(request, ip)

    def handle(self, request: wire.ExchangeRequest, ip: str | None = None) -> dict:
        try:
            action = wire.any_decoder.decode(request.action)  # as received, for the signature
        except (msgspec.DecodeError, RecursionError) as exc:
            raise Unreadable(str(exc)) from None
        try:
            typed = wire.action_decoder.decode(request.action)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            kind = action.get("type") if isinstance(action, dict) else None
            if isinstance(kind, str) and kind in wire.VENUE_ONLY:
                return err(UNSUPPORTED.format(kind=kind))
            raise Unreadable(str(exc)) from None
        limits = self.venue.limits
        n = _batch_length(typed)
        if ip is not None and not limits.charge_ip(ip, limits.exchange_weight(n)):
            raise RateLimited
        try:
            vault = None if request.vaultAddress is None else normalize(request.vaultAddress)
        except Denied as denied:
            raise Unreadable(denied.text) from None
        now = self.venue.now()
        wall = self.venue.wall_clock.now()  # what clients' nonces and expiries are read against
        if request.expiresAfter is not None and request.expiresAfter < wall:
            return err(EXPIRED)
        registry = self.venue.registry
        try:
            signature = signing.parse_signature(request.signature)
        except signing.SignatureError as exc:
            raise Unreadable(f"signature: {exc}") from None
        try:
            if action["type"] in wire.USER_SIGNED:
                if typed.hyperliquidChain not in self.chains:
                    return err(WRONG_CHAIN)
                if getattr(typed, "nonce", getattr(typed, "time", None)) != request.nonce:
                    return err("Invalid nonce: the action's nonce must equal the request's nonce")
                signer = registry.user_signer(action, signature)
                user = registry.account_signer(signer)
            else:
                signer = registry.l1_signer(
                    action, request.nonce, request.vaultAddress, request.expiresAfter, signature,
                    now,
                )  # fmt: skip
                user = registry.acting_account(signer, vault, now)
            registry.check_nonce(signer, request.nonce, wall)
        except signing.SignatureError:
            return err("Unable to recover signer.")
        except Denied as denied:
            return err(denied.text)
        if n > self.max_batch:
            return err(WEIGHT_LIMIT.format(limit=self.max_batch))
        acct = self.venue.exchange.accounts.get(user)
        volume = acct.volume if acct is not None else 0
        is_cancel = type(typed) in (wire.CancelAction, wire.CancelByCloidAction)
        refusal = limits.check_address(user, n, is_cancel, volume)
        if refusal is not None:
            return err(refusal)
        registry.use_nonce(signer, request.nonce)
        try:
            return self._handlers[type(typed)](typed, user)
        except Denied as denied:
            return err(denied.text)

    def _apply(self, command) -> ev.ActionResult:
        for event in self.venue.apply(command):
            if type(event) is ev.ActionResult:
                return event
        raise RuntimeError(f"no result for {command!r}")

    def _default(self, result: ev.ActionResult) -> dict:
        return ok("default") if result.ok else err(result.error)

    # -- orders ----------------------------------------------------------------------------

    def _spec(self, order: wire.OrderWire) -> cmd.OrderSpec | str:
        """The core's order, or the per-order error text."""
        asset = order.a
        if not 0 <= asset < len(self.venue.exchange.instruments):
            return errors.with_asset(errors.UNKNOWN_ASSET, asset)
        units = self.venue.exchange.instruments[asset].units
        limit, trigger_wire = order.t.limit, order.t.trigger
        if (limit is None) == (trigger_wire is None):
            return errors.with_asset(INVALID_ORDER_TYPE, asset)
        try:
            px = units.parse_px(order.p)
        except errors.Rejected as rejection:
            text = errors.BAD_TRIGGER_PX if trigger_wire is not None else rejection.text
            return errors.per_order(text, asset)
        try:
            sz = units.parse_sz(order.s)
        except errors.Rejected as rejection:
            return errors.with_asset(rejection.text, asset)
        trigger = None
        tif = "Gtc"
        if trigger_wire is not None:
            try:
                trigger_px = units.parse_px(trigger_wire.triggerPx)
            except errors.Rejected:
                return errors.with_asset(errors.BAD_TRIGGER_PX, asset)
            if trigger_wire.tpsl not in ("tp", "sl"):
                return errors.with_asset(errors.BAD_TRIGGER_PX, asset)
            trigger = cmd.Trigger(trigger_px, trigger_wire.isMarket, trigger_wire.tpsl)
        else:
            tif = limit.tif
        cloid = order.c
        if cloid is not None:
            if not CLOID.fullmatch(cloid):
                return errors.with_asset(INVALID_CLOID, asset)
            cloid = cloid.lower()
        return cmd.OrderSpec(asset, order.b, px, sz, order.r, tif, trigger, cloid)

    def _status(self, status: ev.Status, asset: int) -> Any:
        kind = type(status)
        if kind is ev.Resting:
            body = {"oid": status.oid}
            if status.cloid is not None:
                body["cloid"] = status.cloid
            return {"resting": body}
        if kind is ev.Filled:
            units = self.venue.exchange.instruments[asset].units
            body = {"totalSz": units.fmt_sz(status.total_sz),
                    "avgPx": units.fmt_avg_px(status.notional, status.total_sz), "oid": status.oid}  # fmt: skip
            if status.cloid is not None:
                body["cloid"] = status.cloid
            return {"filled": body}
        if kind is ev.Error:
            return {"error": status.text}
        return status

    def _place(self, user: str, orders: list[wire.OrderWire], grouping: str, builder) -> dict:
        specs = [self._spec(o) for o in orders]
        assets = [o.a for o in orders]
        valid = [(i, s) for i, s in enumerate(specs) if not isinstance(s, str)]
        statuses: list[Any] = [{"error": s} if isinstance(s, str) else None for s in specs]
        if grouping != "na" and len(valid) != len(specs):
            first = next(s for s in specs if isinstance(s, str))
            return ok("order", {"statuses": [{"error": first} for _ in specs]})
        if valid or not specs:
            result = self._apply(
                cmd.PlaceOrders(user, tuple(s for _, s in valid), grouping, builder)
            )
            if not result.ok:
                return err(result.error)
            for (i, _), status in zip(valid, result.statuses, strict=True):
                statuses[i] = self._status(status, assets[i])
        return ok("order", {"statuses": statuses})

    def _order(self, action: wire.OrderAction, user: str) -> dict:
        builder = None
        if action.builder is not None:
            try:
                address = normalize(action.builder.b)
            except Denied:
                return err(BUILDER_NOT_APPROVED)
            fee = action.builder.f
            if fee < 0 or fee > MAX_BUILDER_FEE:
                return err(BUILDER_FEE_TOO_HIGH)
            if fee > self.venue.registry.builder_allowance(user, address):
                return err(BUILDER_NOT_APPROVED)
            builder = cmd.Builder(address, fee)
        grouping = action.grouping
        if not isinstance(grouping, str):
            if not _priority(grouping):
                return err(errors.INVALID_GROUPING)
            # A priority fee ({"p": n}, n / 1e8 of the notional, paid in staked HYPE) buys a
            # place in the venue's block; here orders are matched as they arrive and nobody
            # stakes HYPE, so the grouping is checked and nothing is charged.
            tifs = {o.t.limit.tif if o.t.limit is not None else None for o in action.orders}
            if not (tifs <= {"Ioc", "FrontendMarket"}
                    or (tifs == {"Alo"} and not any(o.r for o in action.orders))):  # fmt: skip
                return err(PRIORITY_GROUPING)
            grouping = "na"
        return self._place(user, action.orders, grouping, builder)

    def _cancel(self, action: wire.CancelAction, user: str) -> dict:
        result = self._apply(cmd.Cancel(user, tuple((c.a, c.o) for c in action.cancels)))
        return ok("cancel", {"statuses": [self._status(s, 0) for s in result.statuses]})

    def _cancel_by_cloid(self, action: wire.CancelByCloidAction, user: str) -> dict:
        pairs = tuple((c.asset, c.cloid.lower()) for c in action.cancels)
        result = self._apply(cmd.CancelByCloid(user, pairs))
        return ok("cancel", {"statuses": [self._status(s, 0) for s in result.statuses]})

    def _modifies(self, user: str, pairs: list[tuple[Any, wire.OrderWire]], single: bool) -> dict:
        statuses: list[Any] = [None] * len(pairs)
        valid = []
        for i, (oid, order) in enumerate(pairs):
            spec = self._spec(order)
            if isinstance(oid, str):
                oid = oid.lower()
            if isinstance(spec, str):
                if single:
                    return err(spec)
                statuses[i] = {"error": spec}
            else:
                valid.append((i, cmd.Modify(oid, spec)))
        if valid:
            result = self._apply(cmd.ModifyOrders(user, tuple(m for _, m in valid), single))
            if single:
                return self._default(result)
            for (i, modify), status in zip(valid, result.statuses, strict=True):
                statuses[i] = self._status(status, modify.order.asset)
        return ok("order", {"statuses": statuses})

    def _modify(self, action: wire.ModifyAction, user: str) -> dict:
        return self._modifies(user, [(action.oid, action.order)], single=True)

    def _batch_modify(self, action: wire.BatchModifyAction, user: str) -> dict:
        return self._modifies(user, [(m.oid, m.order) for m in action.modifies], single=False)

    def _twap_order(self, action: wire.TwapOrderAction, user: str) -> dict:
        twap = action.twap
        if not 0 <= twap.a < len(self.venue.exchange.instruments):
            return ok("twapOrder", {"status": {"error": errors.with_asset(
                errors.UNKNOWN_ASSET, twap.a)}})  # fmt: skip
        units = self.venue.exchange.instruments[twap.a].units
        try:
            sz = units.parse_sz(twap.s)
        except errors.Rejected as rejection:
            return ok("twapOrder", {"status": {"error": errors.with_asset(rejection.text, twap.a)}})
        result = self._apply(cmd.PlaceTwap(user, twap.a, twap.b, sz, twap.r, twap.m, twap.t))
        (status,) = result.statuses
        if isinstance(status, ev.Error):
            return ok("twapOrder", {"status": {"error": status.text}})
        return ok("twapOrder", {"status": {"running": {"twapId": status.twap_id}}})

    def _twap_cancel(self, action: wire.TwapCancelAction, user: str) -> dict:
        result = self._apply(cmd.CancelTwap(user, action.a, action.t))
        (status,) = result.statuses
        if isinstance(status, ev.Error):
            return ok("twapCancel", {"status": {"error": status.text}})
        return ok("twapCancel", {"status": status})

    def _schedule_cancel(self, action: wire.ScheduleCancelAction, user: str) -> dict:
        return self._default(self._apply(cmd.ScheduleCancel(user, action.time)))

    def _update_leverage(self, action: wire.UpdateLeverageAction, user: str) -> dict:
        return self._default(
            self._apply(cmd.UpdateLeverage(user, action.asset, action.isCross, action.leverage))
        )

    def _update_isolated_margin(self, action: wire.UpdateIsolatedMarginAction, user: str) -> dict:
        return self._default(self._apply(cmd.UpdateIsolatedMargin(user, action.asset, action.ntli)))

    # -- accounts --------------------------------------------------------------------------

    def _set_referrer(self, action: wire.SetReferrerAction, user: str) -> dict:
        if user in self.venue.registry.referrers:
            return err("Referrer already set.")
        self.venue.registry.referrers[user] = action.code
        return ok("default")

    def _create_sub_account(self, action: wire.CreateSubAccountAction, user: str) -> dict:
        if user in self.venue.registry.sub_accounts:
            return err("Sub-accounts cannot create sub-accounts.")
        return ok("createSubAccount", self.venue.registry.create_sub_account(user, action.name))

    def _sub_account_transfer(self, action: wire.SubAccountTransferAction, user: str) -> dict:
        sub = normalize(action.subAccountUser)
        if self.venue.registry.sub_accounts.get(sub, ("",))[0] != user:
            return err(f"Unknown sub-account {sub}.")
        if action.isDeposit:
            return self._default(self._apply(cmd.UsdSend(user, sub, action.usd, True)))
        return self._default(self._apply(cmd.UsdSend(sub, user, action.usd, True)))

    def _noop(self, action: wire.NoopAction, user: str) -> dict:
        return ok("default")

    def _amount(self, text: str) -> int:
        try:
            return parse_usdc(text)
        except (DecimalSyntaxError, ValueError):
            raise Denied(errors.INVALID_AMOUNT) from None

    def _usd_send(self, action: wire.UsdSendAction, user: str) -> dict:
        destination = normalize(action.destination)
        return self._default(
            self._apply(cmd.UsdSend(user, destination, self._amount(action.amount)))
        )

    def _spot_send(self, action: wire.SpotSendAction, user: str) -> dict:
        if action.token not in (USDC_TOKEN, "USDC"):
            return err(UNKNOWN_TOKEN)
        destination = normalize(action.destination)
        return self._default(
            self._apply(cmd.SpotSend(user, destination, self._amount(action.amount), action.time))
        )

    def _withdraw(self, action: wire.WithdrawAction, user: str) -> dict:
        amount = self._amount(action.amount)
        if amount <= WITHDRAW_FEE:
            return err(errors.INSUFFICIENT_WITHDRAW)
        return self._default(self._apply(cmd.Withdraw(user, amount, WITHDRAW_FEE, action.time)))

    def _class_transfer(self, action: wire.UsdClassTransferAction, user: str) -> dict:
        amount_text, _, target = action.amount.partition(" subaccount:")
        if target:
            sub = normalize(target)
            if self.venue.registry.sub_accounts.get(sub, ("",))[0] != user:
                return err(f"Unknown sub-account {sub}.")
            user = sub
        return self._default(
            self._apply(cmd.ClassTransfer(user, self._amount(amount_text), action.toPerp))
        )

    def _approve_agent(self, action: wire.ApproveAgentAction, user: str) -> dict:
        self.venue.registry.approve_agent(user, action.agentAddress, action.agentName or "",
                                          self.venue.now())  # fmt: skip
        return ok("default")

    def _approve_builder_fee(self, action: wire.ApproveBuilderFeeAction, user: str) -> dict:
        self.venue.registry.approve_builder(user, action.builder, action.maxFeeRate)
        return ok("default")


def _batch_length(action) -> int:
    """How many requests an action counts as: its orders, cancels or modifies (the venue
    counts a batch of n as n against the address budget)."""
    kind = type(action)
    if kind is wire.OrderAction:
        return max(1, len(action.orders))
    if kind is wire.CancelAction or kind is wire.CancelByCloidAction:
        return max(1, len(action.cancels))
    if kind is wire.BatchModifyAction:
        return max(1, len(action.modifies))
    return 1


def _priority(grouping: dict) -> bool:
    """Is this the venue's priority grouping, `{"p": n}` with n a whole number >= 0?"""
    p = grouping.get("p")
    return len(grouping) == 1 and type(p) is int and p >= 0
