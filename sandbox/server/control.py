"""The control plane under `/sandbox/`: what a test or an operator does that a venue
would not let a user do. Every route needs `Authorization: Bearer <admin token>`.

- `POST /sandbox/accounts` `{"usdc": "10000"}`: a new account with a fresh key, funded;
  answers `{"address", "privateKey"}`.
"""

from __future__ import annotations

import hmac
import secrets

import msgspec
from aiohttp import web

from protocol import signing, wire
from protocol.numbers import DecimalSyntaxError
from sandbox.core import commands as cmd
from sandbox.core.units import parse_usdc


def _error(status: int, text: str) -> web.Response:
    return web.Response(
        status=status, body=wire.encoder.encode({"error": text}), content_type="application/json"
    )


def add_routes(app: web.Application, venue, token: str) -> None:
    def authorized(request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )

    def guarded(handler):
        async def wrapper(request: web.Request) -> web.StreamResponse:
            if not authorized(request):
                return _error(401, "missing or wrong admin token (Authorization: Bearer <token>)")
            try:
                body = await request.read()
                payload = msgspec.json.decode(body) if body else {}
            except (msgspec.DecodeError, RecursionError):
                return _error(400, "the body is not JSON")
            if not isinstance(payload, dict):
                return _error(400, "the body must be a JSON object")
            return await handler(payload)

        return wrapper

    async def create_account(payload: dict) -> web.Response:
        usdc = payload.get("usdc", "0")
        try:
            amount = parse_usdc(usdc if isinstance(usdc, str) else str(usdc))
        except (DecimalSyntaxError, ValueError):
            return _error(400, 'usdc must be a decimal amount, e.g. "10000"')
        if amount < 0:
            return _error(400, "usdc must not be negative")
        key = secrets.token_bytes(32)
        address = signing.address_of(key)
        if amount:  # an unfunded account does not exist yet, as on the venue
            venue.apply(cmd.Deposit(address, amount))
        return web.Response(
            body=wire.encoder.encode({"address": address, "privateKey": "0x" + key.hex()}),
            content_type="application/json",
        )

    app.router.add_post("/sandbox/accounts", guarded(create_account))
