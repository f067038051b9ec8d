"""The control plane under `/sandbox/`: what a test or an operator does that a venue would
not let a user do. Every route needs `Authorization: Bearer <admin token>` (401 without
it); a request it cannot use gets 400 and `{"error": "..."}`, and changes nothing.

`Control` holds the handlers: each takes the request's fields and answers a dict, or
raises `BadRequest`. The routes, their index and the token check are in
`sandbox.server.control_routes`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

import msgspec

from protocol import signing
from protocol.numbers import DecimalSyntaxError
from sandbox.core import commands as cmd
from sandbox.core import events as ev
from sandbox.core.adl import quantiles as adl_quantiles
from sandbox.core.errors import InvariantError, Rejected
from sandbox.core.invariants import cash_in_pools
from sandbox.core.units import fmt_usdc, parse_usdc
from sandbox.server.audit import step_json
from sandbox.server.registry import Denied, normalize
from sandbox.sim.oracle import MAX_SHOCK_MS, MAX_SHOCK_PCT, price_error

MAX_ADVANCE_MS = 7 * 86_400_000  # a week of virtual time a call (a few minutes of CPU)


class BadRequest(Exception):
    pass


class Control:
    """The control plane's handlers: each takes the request's fields and answers a dict."""

    def __init__(self, venue, snapshots_kept: int = 32) -> None:
        self.venue = venue
        self.snapshots_kept = snapshots_kept
        # 0: the venue as it started serving, what `reset` returns to; kept whatever happens
        self.snapshots = {0: venue.snapshot(0)}
        self._next_id = 1
        # the keys of the accounts it creates: from a secret of its own and a count, so that
        # a journal replayed creates the same ones
        self._account_secret = secrets.token_bytes(32)
        self._accounts_made = 0
        venue.control = self

    def durable(self) -> dict:
        """What of the control plane a restart must find again (a checkpoint keeps it)."""
        return {"snapshots": self.snapshots, "next_id": self._next_id,
                "secret": self._account_secret, "accounts": self._accounts_made}  # fmt: skip

    def load(self, state: dict) -> None:
        self.snapshots = state["snapshots"]
        self._next_id = state["next_id"]
        self._account_secret, self._accounts_made = state["secret"], state["accounts"]

    # -- reading fields ----------------------------------------------------------------------

    @staticmethod
    def _usdc(payload: dict, field: str = "usdc", default: str | None = None) -> int:
        value = payload.get(field, default)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        try:
            if not isinstance(value, str):
                raise ValueError
            amount = parse_usdc(value)
        except (DecimalSyntaxError, ValueError):
            raise BadRequest(f'{field} must be a decimal amount, e.g. "10000"') from None
        if amount < 0:
            raise BadRequest(f"{field} must not be negative")
        return amount

    @staticmethod
    def _number(payload: dict, field: str) -> Decimal:
        value = payload.get(field)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadRequest(f"{field} must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise BadRequest(f"{field} must be a number") from None
        if not number.is_finite():
            raise BadRequest(f"{field} must be a number")
        return number

    @staticmethod
    def _user(payload: dict) -> str:
        try:
            return normalize(payload.get("user"))
        except Denied:
            raise BadRequest("user must be an address (0x and 40 hex digits)") from None

    def _coin(self, payload: dict) -> str:
        coin = payload.get("coin")
        if not isinstance(coin, str) or coin not in self.venue.exchange.by_name:
            coins = ", ".join(self.venue.exchange.by_name)
            raise BadRequest(f"coin must be one of {coins}")
        return coin

    def _account_value(self, user: str) -> dict:
        state = self.venue.views.clearinghouse(self.venue.exchange.accounts.get(user))
        return {"user": user, "accountValue": state.marginSummary.accountValue}

    def _apply_ok(self, command) -> None:
        for event in self.venue.apply(command):
            if type(event) is ev.ActionResult and event.kind == "err":
                raise BadRequest(event.error)

    # -- accounts and money ------------------------------------------------------------------

    def create_account(self, payload: dict) -> dict:
        amount = self._usdc(payload, default="0")
        self._accounts_made += 1
        key = signing.keccak(self._account_secret + self._accounts_made.to_bytes(8, "big"))
        address = signing.address_of(key)
        if amount:  # an unfunded account does not exist yet, as on the venue
            self.venue.apply(cmd.Deposit(address, amount))
        return {"address": address, "privateKey": "0x" + key.hex()}

    def deposit(self, payload: dict) -> dict:
        user, amount = self._user(payload), self._usdc(payload)
        if not amount:
            raise BadRequest("usdc must be more than 0")
        self._apply_ok(cmd.Deposit(user, amount))
        return self._account_value(user)

    def withdraw(self, payload: dict) -> dict:
        user, amount = self._user(payload), self._usdc(payload)
        if not amount:
            raise BadRequest("usdc must be more than 0")
        if user not in self.venue.exchange.accounts:
            raise BadRequest(f"no account {user}")
        self._apply_ok(cmd.Withdraw(user, amount))
        return self._account_value(user)

    @staticmethod
    def _flag(payload: dict, field: str) -> bool | None:
        value = payload.get(field)
        if value is not None and not isinstance(value, bool):
            raise BadRequest(f"{field} must be true or false")
        return value

    def waive(self, payload: dict) -> dict:
        """Waive (true) or restore (false) a venue limit: for an account (`user`), the
        $1,000,000 of traded volume `scheduleCancel` needs and its request budget; for a
        client (`ip`), every IP and websocket limit."""
        limits = self.venue.limits
        rate_limits = self._flag(payload, "rateLimits")
        if "ip" in payload:
            ip = payload["ip"]
            if not isinstance(ip, str) or not ip:
                raise BadRequest("ip must be an address, e.g. 127.0.0.1")
            if rate_limits is not None:
                limits.waive_ip(ip, rate_limits)
            return {"ip": ip, "rateLimits": ip in limits.waived_ips}
        user = self._user(payload)
        if user not in self.venue.exchange.accounts:
            raise BadRequest(f"no account {user}")
        schedule_cancel = self._flag(payload, "scheduleCancelVolume")
        if schedule_cancel is not None:
            self._apply_ok(cmd.WaiveScheduleCancelGate(user, schedule_cancel))
        if rate_limits is not None:
            limits.waive_address(user, rate_limits)
        acct = self.venue.exchange.accounts[user]
        return {"user": user, "scheduleCancelVolume": acct.scheduled_cancel_waived,
                "rateLimits": user in limits.waived_addresses}  # fmt: skip

    def rate_limits(self, payload: dict) -> dict:
        """Whether the venue's rate limits are on, who is exempt, and (`ip`) what an IP
        has used of its REST weight and websocket limits."""
        limits = self.venue.limits
        enabled = self._flag(payload, "enabled")
        if enabled is not None:
            limits.enabled = enabled
        answer = {"enabled": limits.enabled, "waivedAddresses": sorted(limits.waived_addresses),
                  "waivedIps": sorted(limits.waived_ips)}  # fmt: skip
        ip = payload.get("ip")
        if isinstance(ip, str) and ip:
            answer["usage"] = {"ip": ip, "weightAvailable": limits.ip_available(ip),
                               **limits.ws_usage(ip)}  # fmt: skip
        return answer

    def oi_cap(self, payload: dict) -> dict:
        """Cap a coin's open interest at a notional (at mark), or lift the cap (null)."""
        coin = self._coin(payload)
        notional = None if payload.get("notional") is None else self._usdc(payload, "notional")
        ex = self.venue.exchange
        asset = ex.by_name[coin].asset
        self.venue.apply(cmd.SetOpenInterestCap(asset, notional))
        return {
            "coin": coin, "notional": None if notional is None else fmt_usdc(notional),
            "openInterest": self.venue.views.sz(asset, ex.open_interest[asset]),
            "atCap": ex.at_open_interest_cap(asset),
        }  # fmt: skip

    # -- prices and time ---------------------------------------------------------------------

    def _price_answer(self, coin: str) -> dict:
        inst = self.venue.exchange.by_name[coin]
        return {"coin": coin, "px": inst.units.fmt_px(self.venue.exchange.oracles[inst.asset])}

    def set_oracle(self, payload: dict) -> dict:
        coin, px = self._coin(payload), self._number(payload, "px")
        try:  # refused (nothing changed) unless a price the coin can take
            self.venue.oracle.set_price(coin, float(px), self.venue.now())
        except ValueError as refused:
            raise BadRequest(f"px: {refused}") from None
        return self._price_answer(coin)

    def shock(self, payload: dict) -> dict:
        """Move a coin's oracle by `pct` percent, spread evenly over `ms` (at once without):
        the price now, the `target` the shock takes it to and when (`at`, ms), with the
        path's own moves aside (a random walk keeps walking on top). A shock that would take
        the price out of what the coin can take is refused, and changes nothing."""
        coin, pct = self._coin(payload), self._number(payload, "pct")
        ms = self._number(payload, "ms") if "ms" in payload else Decimal(0)
        if pct <= -100:
            raise BadRequest("pct must be above -100")
        if pct > MAX_SHOCK_PCT:
            raise BadRequest(f"pct must be at most {MAX_SHOCK_PCT:,} (the price 10,000 times)")
        if ms < 0 or ms != int(ms):
            raise BadRequest("ms must be a whole number of milliseconds, not negative")
        if ms > MAX_SHOCK_MS:
            raise BadRequest(f"ms must be at most {MAX_SHOCK_MS} (a year)")
        ms = int(ms)
        venue, oracle = self.venue, self.venue.oracle
        now = venue.now()
        if coin not in oracle.paths:
            inst = venue.exchange.by_name[coin]
            current = venue.exchange.oracles[inst.asset]
            if not current:
                raise BadRequest(f"{coin} has no price yet")
            reason = price_error(current / inst.units.px_one * (1 + float(pct) / 100),
                                 oracle.ticks[coin])  # fmt: skip
            if reason is not None:
                raise BadRequest(f"the shock would take {coin}'s price out of range: it {reason}")
            oracle.set_price(coin, current / inst.units.px_one, now)
        try:
            oracle.shock(coin, float(pct), ms, now)
        except ValueError as refused:
            raise BadRequest(str(refused)) from None
        units = venue.exchange.by_name[coin].units
        target = max(1, round(oracle.target(coin, now, now + ms) * oracle.ticks[coin]))
        return {
            **self._price_answer(coin),
            "target": units.fmt_px(target),
            "at": now + ms,
            "pct": int(pct) if pct == pct.to_integral_value() else float(pct),
            "ms": ms,
        }

    def clock(self, payload: dict) -> dict:
        venue = self.venue
        return {"time": venue.now(), "mode": "virtual" if venue.virtual else "realtime"}

    async def advance(self, payload: dict) -> dict:
        """Virtual time: move the clock `ms` forward, running what falls due; the server
        keeps serving while it does (`Venue.advance_yielding`). Two advances asked at once
        run one after the other."""
        if not self.venue.virtual:
            raise BadRequest("the clock advances on request only in virtual time (--time virtual)")
        ms = self._number(payload, "ms")
        if ms < 0 or ms != int(ms):
            raise BadRequest("ms must be a whole number of milliseconds, not negative")
        if ms > MAX_ADVANCE_MS:
            raise BadRequest(f"ms must be at most {MAX_ADVANCE_MS} (7 days) a call: "
                             "advance again to go further")  # fmt: skip
        await self.venue.advance_yielding(int(ms))
        return self.clock(payload)

    # -- background liquidity --------------------------------------------------------------

    def _liquidity_state(self) -> dict:
        liquidity = self.venue.liquidity
        return {
            "active": liquidity.active,
            "makers": [
                {"address": m.address, "name": m.name, "active": m.active, "coins": list(m.coins)}
                for m in liquidity.makers
            ],
        }

    def liquidity(self, payload: dict) -> dict:
        return self._liquidity_state()

    def pull_liquidity(self, payload: dict) -> dict:
        self.venue.liquidity.pull()
        return self._liquidity_state()

    def restore_liquidity(self, payload: dict) -> dict:
        self.venue.liquidity.restore()
        return self._liquidity_state()

    # -- reading the waterfall ---------------------------------------------------------------

    def invariants(self, payload: dict) -> dict:
        """Every invariant checked now, with the figures behind the two that matter most:
        cash (every pool adds up to deposits less withdrawals) and open interest (longs
        equal shorts in every coin)."""
        venue = self.venue
        ex, views = venue.exchange, venue.views
        try:
            ex.validate()
            error = None
        except InvariantError as broken:
            error = str(broken)
        pools = cash_in_pools(ex)
        interest = {}
        for inst in ex.instruments:
            sizes = [acct.positions[inst.asset].size for acct in ex.holders[inst.asset].values()]
            interest[inst.name] = {
                "longs": views.sz(inst.asset, sum(s for s in sizes if s > 0)),
                "shorts": views.sz(inst.asset, -sum(s for s in sizes if s < 0)),
            }
        return {
            "ok": error is None, "error": error, "time": venue.now(),
            "cash": {"pools": fmt_usdc(pools), "netDeposits": fmt_usdc(ex.net_deposits),
                     "fees": fmt_usdc(ex.fee_sink.raw)},
            "openInterest": interest,
            "failuresAfterCommands": len(venue.invariant_failures),
            "stateHash": ex.state_hash(),
        }  # fmt: skip

    def vault(self, payload: dict) -> dict:
        ex = self.venue.exchange
        state = self.venue.views.clearinghouse(ex.vault)
        return {
            "address": ex.vault.address,
            "capital": fmt_usdc(ex.vault_funding),
            "state": msgspec.to_builtins(state),
        }

    def adl(self, payload: dict) -> dict:
        coin = self._coin(payload)
        ex, views = self.venue.exchange, self.venue.views
        asset = ex.by_name[coin].asset
        out = []
        for longs in (True, False):
            queue = ex.adl_queue(asset, longs)
            quantiles = adl_quantiles(queue)  # from the same ranking, not a second one
            for place, entry in enumerate(queue, 1):
                out.append({
                    "user": entry.user, "side": "long" if longs else "short", "rank": place,
                    "quantile": quantiles.get(entry.user), "score": str(entry.score),
                    "szi": views.sz(asset, entry.size), "unrealizedPnl": fmt_usdc(entry.upnl),
                    "accountValue": fmt_usdc(entry.account_value),
                })  # fmt: skip
        return {"coin": coin, "policy": ex.config.adl_policy, "positions": out}

    def force_adl(self, payload: dict) -> dict:
        user, coin = self._user(payload), self._coin(payload)
        inst = self.venue.exchange.by_name[coin]
        sz = None
        if payload.get("sz") is not None:
            try:
                sz = inst.units.parse_sz(str(self._number(payload, "sz")))
            except (DecimalSyntaxError, ValueError, Rejected):
                raise BadRequest(f'sz must be a size of {coin}, e.g. "0.1"') from None
        if user not in self.venue.exchange.accounts:
            raise BadRequest(f"no account {user}")
        steps = self._steps_of(cmd.ForceAdl(user, inst.asset, sz))
        return {"step": steps[0] if steps else None}

    def _steps_of(self, command) -> list[dict]:
        """Apply `command`; the audit records of what it did (the waterfall's first)."""
        last = self.venue.exchange.liquidation_seq
        self._apply_ok(command)
        return [step_json(self.venue, s) for s in self.venue.audit if s.lid > last]

    def liquidate(self, payload: dict) -> dict:
        user = self._user(payload)
        asset = None
        if payload.get("coin") is not None:
            asset = self.venue.exchange.by_name[self._coin(payload)].asset
        stage = payload.get("stage", "market")
        if stage not in ("market", "backstop"):
            raise BadRequest('stage must be "market" or "backstop"')
        if user not in self.venue.exchange.accounts:
            raise BadRequest(f"no account {user}")
        return {"steps": self._steps_of(cmd.ForceLiquidation(user, asset, stage))}

    def delist(self, payload: dict) -> dict:
        """Delist a coin as the venue does: its orders cancelled (`delistedCanceled`), its
        positions settled at the mark ("Settlement" fills), no order taken after."""
        coin = self._coin(payload)
        ex = self.venue.exchange
        asset = ex.by_name[coin].asset
        self._apply_ok(cmd.Delist(asset))
        return {"coin": coin, "settledAt": self.venue.views.px(asset, ex.marks[asset]),
                "delisted": [i.name for i in ex.instruments if i.asset in ex.delisted]}  # fmt: skip

    # -- matching ----------------------------------------------------------------------------

    def _assets(self, payload: dict) -> tuple[int, ...]:
        coins = payload.get("coins")
        if coins is None:
            return ()
        by_name = self.venue.exchange.by_name
        if (
            not isinstance(coins, list)
            or not coins
            or not all(isinstance(c, str) and c in by_name for c in coins)
        ):
            raise BadRequest(f"coins must be a list of some of {', '.join(by_name)}")
        return tuple(sorted({by_name[c].asset for c in coins}))

    def _halted(self) -> dict:
        ex = self.venue.exchange
        return {"paused": [i.name for i in ex.instruments if i.asset in ex.halted]}

    def pause(self, payload: dict) -> dict:
        self._apply_ok(cmd.SetHalted(True, self._assets(payload)))
        return self._halted()

    def resume(self, payload: dict) -> dict:
        self._apply_ok(cmd.SetHalted(False, self._assets(payload)))
        return self._halted()

    # -- snapshots ---------------------------------------------------------------------------

    @staticmethod
    def _snapshot_json(snapshot) -> dict:
        return {"id": snapshot.id, "time": snapshot.time, "stateHash": snapshot.state_hash}

    def snapshot(self, payload: dict) -> dict:
        snapshot = self.venue.snapshot(self._next_id)
        self._next_id += 1
        self.snapshots[snapshot.id] = snapshot
        if len(self.snapshots) > self.snapshots_kept + 1:  # the oldest goes, never 0
            del self.snapshots[min(i for i in self.snapshots if i)]
        return self._snapshot_json(snapshot)

    def list_snapshots(self, payload: dict) -> dict:
        return {"snapshots": [self._snapshot_json(s) for s in self.snapshots.values()]}

    def restore(self, payload: dict) -> dict:
        snapshot_id = payload.get("id")
        if isinstance(snapshot_id, str) and snapshot_id.isdigit():
            snapshot_id = int(snapshot_id)
        if isinstance(snapshot_id, bool) or not isinstance(snapshot_id, int):
            raise BadRequest("id must be a snapshot id (an integer)")
        snapshot = self.snapshots.get(snapshot_id)
        if snapshot is None:
            raise BadRequest(f"no snapshot {snapshot_id}")
        self.venue.restore(snapshot)
        return self._snapshot_json(snapshot)

    def reset(self, payload: dict) -> dict:
        return self.restore({"id": 0})

    def audit(self, payload: dict) -> dict:
        since = payload.get("since", "0")
        try:
            since = int(since)
        except (TypeError, ValueError):
            raise BadRequest("since must be a liquidation id (an integer)") from None
        steps = [step_json(self.venue, s) for s in self.venue.audit if s.lid > since]
        return {"steps": steps}
