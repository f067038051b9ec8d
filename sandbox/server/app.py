"""The aiohttp application: Hyperliquid's `/info`, `/exchange` and `/ws` on one host:port,
and the sandbox's own control plane under `/sandbox/`.

`create_app(venue)` builds it; its background tasks (the block that publishes market data,
the clock's ticks, the idle-connection sweep) live in `cleanup_ctx` and can be switched off
for tests that drive time themselves. `serve()` starts it on a port (0: a free one).

Each HTTP request is logged when it is answered, and each websocket connection when it
closes, one line on the logger `sandbox.server.requests` at INFO (client, method, path as
sent, status, time taken): silent unless that logger is enabled (`--log-requests`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web

from protocol import wire
from sandbox.server import control_routes, info
from sandbox.server.actions import ExchangeApi, RateLimited
from sandbox.server.bodies import BadBody, read_body
from sandbox.server.venue import Venue
from sandbox.server.ws import WsEndpoint

log = logging.getLogger("sandbox.server")
REQUESTS_LOG = logging.getLogger("sandbox.server.requests")
VENUE = web.AppKey("venue", Venue)
TOKEN = web.AppKey("admin_token", str)
EXCHANGE_API = web.AppKey("exchange_api", ExchangeApi)
JSON = "application/json"
CLIENT_GONE = 499  # the request log's status for a client that left before its answer


def _json_response(obj) -> web.Response:
    return web.Response(body=wire.encoder.encode(obj), content_type=JSON)


def _unreadable(text: str) -> web.Response:
    return web.Response(status=422, text=text, content_type="text/plain")


def _rate_limited() -> web.Response:
    """The venue's answer past the IP's REST weight: HTTP 429 with body `null`."""
    return web.Response(status=429, body=b"null", content_type=JSON)


def create_app(
    venue: Venue, *, background: bool = True, admin_token: str | None = None
) -> web.Application:
    config = venue.config
    token = admin_token or config.admin_token or secrets.token_urlsafe(24)
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[_log_request, _errors, _origins(frozenset(config.allowed_origins))],
    )
    app[VENUE] = venue
    app[TOKEN] = token
    exchange_api = ExchangeApi(venue)
    app[EXCHANGE_API] = exchange_api
    ws = WsEndpoint(venue, exchange_api)

    limits = venue.limits

    async def post_info(request: web.Request) -> web.Response:
        try:
            body = await read_body(request, config.max_body_bytes, config.http_body_timeout_s)
        except BadBody as bad:
            return bad.response()
        ip = request.remote or ""
        try:
            payload = wire.any_decoder.decode(body)
        except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError
            payload = None
        kind = payload.get("type") if isinstance(payload, dict) else None
        kind = kind if isinstance(kind, str) else ""
        if not limits.charge_ip(ip, limits.info_base_weight(kind)):
            return _rate_limited()
        if payload is None:
            return _unreadable(info.UNREADABLE)
        try:
            answer = info.answer(venue, payload)
        except info.Unreadable as unreadable:
            return _unreadable(unreadable.text)
        except RecursionError:
            return _unreadable(info.UNREADABLE)
        if isinstance(answer, list):  # the venue charges long answers more
            limits.charge_extra(ip, limits.info_extra_weight(kind, len(answer)))
        return _json_response(answer)

    async def post_exchange(request: web.Request) -> web.Response:
        try:
            body = await read_body(request, config.max_body_bytes, config.http_body_timeout_s)
        except BadBody as bad:
            return bad.response()
        ip = request.remote or ""
        try:
            # written down (with `serve --state-dir`) before it is answered
            answer = venue.journaled("exchange", body, lambda: exchange_api.handle_body(body, ip))
            return _json_response(answer)
        except RateLimited:
            return _rate_limited()
        except info.Unreadable as unreadable:
            if not limits.charge_ip(ip, limits.exchange_weight(1)):
                return _rate_limited()
            return _unreadable(unreadable.text)

    for prefix in ("", "/"):  # a base URL with a trailing slash asks for //info
        app.router.add_post(prefix + "/info", post_info)
        app.router.add_post(prefix + "/exchange", post_exchange)
        app.router.add_get(prefix + "/ws", ws.handle)
    control_routes.add_routes(app, venue, token)
    if background:
        app.cleanup_ctx.append(_background(venue))
    return app


@web.middleware
async def _log_request(request: web.Request, handler):
    """One line per request as it is answered (a websocket: as it closes), when enabled.
    The path is logged as sent, percent-encoded, so that a line never breaks."""
    if not REQUESTS_LOG.isEnabledFor(logging.INFO):
        return await handler(request)
    began = time.perf_counter()
    status: int | str = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = "dropped"  # the client went away before the answer
        raise
    finally:
        took = time.perf_counter() - began
        took_text = f"{took * 1000:.1f} ms" if took < 1 else f"{took:.1f} s"
        REQUESTS_LOG.info("%s %s %s %s %s%s", request.remote or "-", request.method,
                          request.rel_url.raw_path, status, took_text,
                          " (websocket)" if status == 101 else "")  # fmt: skip


@web.middleware
async def _errors(request: web.Request, handler):
    """Whatever goes wrong in a handler is answered, logged, and the server keeps serving."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ConnectionResetError:  # the client went away mid-request: nobody to answer
        return web.Response(status=CLIENT_GONE)
    except Exception:
        log.exception("error handling %s %s", request.method, request.path)
        return web.Response(status=500, text="Internal server error", content_type="text/plain")


LOOPBACK = frozenset(("localhost", "127.0.0.1", "::1"))


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Whether a browser page of `origin` may use the control plane or the websocket of a
    server reached as `host`: a request without an Origin (not a browser's), the server's
    own pages, pages on this machine, and those `--allow-origin` names."""
    if origin is None or origin in allowed:
        return True
    try:
        page = urlsplit(origin)
        hostname = page.hostname
    except ValueError:
        return False
    if page.scheme not in ("http", "https") or hostname is None:
        return False  # "null" (a file, a sandboxed frame) and anything else
    return hostname in LOOPBACK or page.netloc == host


def _origins(allowed: frozenset[str]):
    @web.middleware
    async def guard(request: web.Request, handler):
        """Cross-origin browser requests to the control plane and the websocket are
        refused (403); /info and /exchange answer any page, as the venue's do."""
        path = request.path.lstrip("/")
        if (path.startswith("sandbox") or path == "ws") and not origin_allowed(
            request.headers.get("Origin"), request.host, allowed
        ):
            text = (f"the origin {request.headers.get('Origin')} may not use "
                    f"/{path.split('/')[0]}; start the server with --allow-origin to let it")  # fmt: skip
            if path == "ws":
                return web.Response(status=403, text=text, content_type="text/plain")
            return web.json_response({"error": text}, status=403)
        return await handler(request)

    return guard


def _background(venue: Venue):
    config = venue.config

    async def every(seconds: float, step) -> None:
        """Run `step` at a fixed rate; a step that overruns delays the next one, and the
        ticks missed meanwhile are skipped rather than run in a burst."""
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = max(due + seconds, loop.time())
            try:
                result = step()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("background step failed")

    async def drive(venue: Venue) -> None:
        """Real time: run the timeline's items as the wall clock reaches them."""
        while True:
            due = venue.timeline.next_due()
            wait = 0.05 if due is None else (due - venue.wall_clock.now()) / 1000
            if wait > 0:
                await asyncio.sleep(min(wait, 0.05))  # an item scheduled sooner is seen soon
                continue
            try:
                venue.run_due()
            except Exception:
                log.exception("a scheduled step failed")

    async def ctx(app: web.Application):
        tasks = [
            asyncio.create_task(every(config.block_ms / 1000, venue.flush)),
            asyncio.create_task(every(5.0, lambda: venue.hub.close_idle(config.ws_idle_timeout_s))),
            asyncio.create_task(every(60.0, venue.limits.prune)),  # forget idle clients
        ]
        if not venue.virtual:
            tasks.append(asyncio.create_task(drive(venue)))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return ctx


class Server:
    """A running server: `url`, `admin_token`, and `close()`."""

    def __init__(self, runner: web.AppRunner, site: web.TCPSite, host: str, port: int, token: str):
        self.runner = runner
        self.site = site
        self.host = host
        self.port = port
        self.admin_token = token

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        """Stop serving: an advance under way ends where it is, the connections close."""
        self.runner.app[VENUE].stopping = True
        await self.runner.cleanup()


ACCEPT_ERRORS_EVERY_S = 10.0


def _condense_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Out of file descriptors, the event loop reports each refused connection with a
    traceback (thousands of lines a second under load); the server logs one line every
    `ACCEPT_ERRORS_EVERY_S` instead, with how many there were. Other errors go on as before."""
    previous = loop.get_exception_handler()
    state = {"last": 0.0, "count": 0}

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                                                      errno.ENOMEM):  # fmt: skip
            state["count"] += 1
            now = time.monotonic()
            if now - state["last"] >= ACCEPT_ERRORS_EVERY_S:
                log.error("cannot accept connections: %s (%d times since the last report); "
                          "the server goes on with the connections it has",
                          exc.strerror or exc, state["count"])  # fmt: skip
                state["last"], state["count"] = now, 0
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


async def serve(venue: Venue, host: str | None = None, port: int | None = None, *,
                background: bool = True, admin_token: str | None = None,
                prepare: Callable[[web.Application], None] | None = None) -> Server:  # fmt: skip
    """Start serving `venue`; port 0 picks a free port. `prepare(app)` runs once the
    application exists and before anything runs or is served (a journal's replay)."""
    config = venue.config
    host = config.host if host is None else host
    port = config.port if port is None else port
    app = create_app(venue, background=background, admin_token=admin_token)
    if prepare is not None:
        prepare(app)
    # bodies are decompressed by `read_body`, which answers one that does not match its header
    _condense_accept_errors(asyncio.get_running_loop())
    # aiohttp's keep-alive timer runs from a connection's opening and from each answer, and
    # closes a connection still without a complete request: idle ones, and slow headers
    runner = web.AppRunner(app, access_log=None, handle_signals=False, auto_decompress=False,
                           keepalive_timeout=config.http_idle_timeout_s)  # fmt: skip
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if port == 0 else port
    return Server(runner, site, host, bound, app[TOKEN])
