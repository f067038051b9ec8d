"""The control plane's routes: `ROUTES`, the one table of them (method, path, handler,
what the body or query takes, what it answers), which `add_routes` serves behind the admin
token and `GET /sandbox/` answers as the index, so the index cannot differ from what is
served.

The index needs the token too: one rule for every route under `/sandbox/`, and a 401
already says how to authenticate. No answer holds the token.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Callable
from typing import NamedTuple

import msgspec
from aiohttp import web

from protocol import wire
from sandbox.server.bodies import BadBody, read_body
from sandbox.server.control import BadRequest, Control


def _json(obj, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=wire.encoder.encode(obj), content_type="application/json"
    )


class Route(NamedTuple):
    method: str
    path: str
    handler: Callable[[Control, dict], dict]
    takes: str  # the body's fields (POST) or the query (GET); "" for nothing
    answers: str


def _index(control: Control, payload: dict) -> dict:
    """Every route of the control plane: what it takes and what it answers."""
    return {
        "auth": "every route: Authorization: Bearer <admin token>",
        "errors": 'a request a route cannot use: 400 {"error": "..."}, and nothing changes',
        "routes": [
            {"method": r.method, "path": r.path, "takes": r.takes, "answers": r.answers}
            for r in ROUTES
        ],
    }


ROUTES: tuple[Route, ...] = (
    Route("GET", "/sandbox/", _index, "", "this index: every route, what it takes and answers"),
    Route("GET", "/sandbox", _index, "", "the same index"),
    Route("POST", "/sandbox/accounts", Control.create_account, '{"usdc"?: "10000"}',
          '{"address", "privateKey"}: a new account, funded'),
    Route("POST", "/sandbox/deposit", Control.deposit, '{"user", "usdc"}',
          '{"user", "accountValue"}'),
    Route("POST", "/sandbox/withdraw", Control.withdraw, '{"user", "usdc"}',
          '{"user", "accountValue"}'),
    Route("POST", "/sandbox/waive", Control.waive,
          '{"user", "scheduleCancelVolume"?: bool, "rateLimits"?: bool} or {"ip", "rateLimits"}',
          "the waivers of venue limits the account (or IP) now has"),
    Route("GET", "/sandbox/rate-limits", Control.rate_limits, "?ip=",
          '{"enabled", "waivedAddresses", "waivedIps", "usage"?}: an IP\'s usage with ?ip='),
    Route("POST", "/sandbox/rate-limits", Control.rate_limits, '{"enabled": bool}',
          "switches the venue's rate limits on or off; the same answer as GET"),
    Route("POST", "/sandbox/oi-cap", Control.oi_cap, '{"coin", "notional": "1000000" or null}',
          '{"coin", "notional", "openInterest", "atCap"}: caps open interest at mark'),
    Route("POST", "/sandbox/delist", Control.delist, '{"coin"}',
          '{"coin", "settledAt", "delisted"}: orders cancelled, positions settled at mark'),
    Route("POST", "/sandbox/oracle", Control.set_oracle, '{"coin", "px": "60000"}',
          '{"coin", "px"}: the oracle (and the mark) at px now'),
    Route("POST", "/sandbox/oracle/shock", Control.shock, '{"coin", "pct": -10, "ms"?: 60000}',
          '{"coin", "px" (now), "target", "at" (ms when reached), "pct", "ms"}'),
    Route("GET", "/sandbox/clock", Control.clock, "", '{"time", "mode"}'),
    Route("POST", "/sandbox/clock/advance", Control.advance, '{"ms": 1000} (virtual time)',
          '{"time", "mode"}: after running what fell due'),
    Route("GET", "/sandbox/liquidity", Control.liquidity, "",
          '{"active", "makers"}: the background market makers'),
    Route("POST", "/sandbox/liquidity/pull", Control.pull_liquidity, "",
          "the makers cancel their quotes and stop quoting; as GET"),
    Route("POST", "/sandbox/liquidity/restore", Control.restore_liquidity, "",
          "the makers quote again; as GET"),
    Route("GET", "/sandbox/invariants", Control.invariants, "",
          '{"ok", "error", "time", "cash", "openInterest", "failuresAfterCommands", "stateHash"}'),
    Route("GET", "/sandbox/vault", Control.vault, "",
          '{"address", "capital", "state"}: the liquidator vault\'s clearinghouseState'),
    Route("GET", "/sandbox/adl", Control.adl, "?coin=BTC",
          '{"coin", "policy", "positions"}: every position\'s ADL rank and queue quantile'),
    Route("GET", "/sandbox/audit", Control.audit, "?since=<lid>",
          '{"steps"}: the waterfall\'s audit records after lid `since`'),
    Route("POST", "/sandbox/adl/force", Control.force_adl, '{"user", "coin", "sz"?}',
          '{"step"}: the position (or sz of it) ADL\'d into the vault at the mark'),
    Route("POST", "/sandbox/liquidate", Control.liquidate,
          '{"user", "coin"?, "stage"?: "market" | "backstop"}',
          '{"steps"}: the position (every one without coin) liquidated now'),
    Route("POST", "/sandbox/pause", Control.pause, '{"coins"?: ["BTC"]}',
          '{"paused"}: matching paused (every coin without coins)'),
    Route("POST", "/sandbox/resume", Control.resume, '{"coins"?: ["BTC"]}',
          '{"paused"}: matching resumed (every coin without coins)'),
    Route("POST", "/sandbox/snapshot", Control.snapshot, "",
          '{"id", "time", "stateHash"}: the whole state, kept in memory'),
    Route("GET", "/sandbox/snapshots", Control.list_snapshots, "", '{"snapshots"}: those kept'),
    Route("POST", "/sandbox/restore", Control.restore, '{"id"}',
          '{"id", "time", "stateHash"}: the venue as it was at snapshot id'),
    Route("POST", "/sandbox/reset", Control.reset, "",
          '{"id": 0, ...}: the venue as it was when it started serving'),
)  # fmt: skip


# The routes that change the venue, as a journal replays them (path -> handler): every POST
# but the clock's advance, whose pieces are journaled as they run.
JOURNALED = {route.path: route.handler for route in ROUTES
             if route.method == "POST" and not inspect.iscoroutinefunction(route.handler)}  # fmt: skip


def add_routes(app: web.Application, venue, token: str) -> None:
    control = Control(venue)

    def authorized(request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )

    def guarded(route: Route):
        handler = route.handler
        journaled = route.path in JOURNALED

        async def wrapper(request: web.Request) -> web.StreamResponse:
            if not authorized(request):
                return _json(
                    {"error": "missing or wrong admin token (Authorization: Bearer <token>)"}, 401
                )
            payload: dict = dict(request.query)
            if request.method == "POST":
                try:
                    body = await read_body(request, venue.config.max_body_bytes)
                    decoded = msgspec.json.decode(body) if body else {}
                except BadBody as bad:
                    return _json({"error": bad.text}, bad.status)
                except (msgspec.DecodeError, RecursionError):
                    return _json({"error": "the body is not JSON"}, 400)
                if not isinstance(decoded, dict):
                    return _json({"error": "the body must be a JSON object"}, 400)
                payload.update(decoded)
            try:
                if journaled:  # written down (with `serve --state-dir`) before it is answered
                    record = msgspec.json.encode({"path": route.path, "payload": payload})
                    answer = venue.journaled("control", record, lambda: handler(control, payload))
                else:
                    answer = handler(control, payload)
                if inspect.isawaitable(answer):  # one that lets the server serve meanwhile
                    answer = await answer
                return _json(answer)
            except BadRequest as bad:
                return _json({"error": str(bad)}, 400)

        return wrapper

    for route in ROUTES:
        app.router.add_route(route.method, route.path, guarded(route))
