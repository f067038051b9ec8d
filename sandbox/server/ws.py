"""The `/ws` endpoint: subscriptions, pings and `post` requests over a websocket
(hyperliquid-api.md §2).

Client messages are decoded with one decoder; anything the venue would not parse (not
JSON, an unknown method or subscription type, a post whose payload is not a request it
knows) gets the venue's error frame, `Error parsing JSON into valid websocket request:
<the text received>`, on the bare `error` channel (a post's id is not echoed then, as on
the venue); the connection stays open. A post the venue parses answers on `post` with its
id, whatever the answer. Subscriptions are acknowledged with `subscriptionResponse` (the
echo in the venue's canonical form, see `feeds`), then the feed's snapshot where it has one.
No greeting is sent on connect, as the live venue sends none (`ws_greeting` restores it).

Limits (`limits`, when on): connections and new connections per IP refuse the upgrade with
HTTP 429; messages per minute, subscriptions, unique users and in-flight posts answer the
venue's error frames. Websocket posts are not charged to the IP's REST weight (the venue's
docs do not say they are; their own cap is the in-flight one); their actions count against
the address budget like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

from protocol import wire
from sandbox.server import feeds, info
from sandbox.server.hub import Session

GREETING = b"Websocket connection established."
PARSE_ERROR = "Error parsing JSON into valid websocket request: {}"
TOO_MANY_CHANNELS = "Cannot subscribe to more than {n} channels."

log = logging.getLogger("sandbox.server.ws")


class WsEndpoint:
    def __init__(self, venue, exchange_api) -> None:
        self.venue = venue
        self.exchange_api = exchange_api
        config = venue.config
        self.buffer_limit = config.ws_buffer_limit
        self.greeting = config.ws_greeting
        self.max_subscriptions = config.max_subscriptions
        self.max_message = config.max_body_bytes
        self.close_on_unknown_coin = config.ws_unknown_coin == "close"
        venue.hub.on_drop = self._released

    @property
    def limits(self):
        return self.venue.limits

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ip = request.remote or ""
        refusal = self.limits.ws_connect(ip)
        if refusal is not None:
            return web.Response(status=429, text=refusal, content_type="text/plain")
        # no compression: every client gets the same frame bytes
        ws = web.WebSocketResponse(max_msg_size=self.max_message, autoping=True, compress=False)
        hub = self.venue.hub
        try:
            await ws.prepare(request)
        except BaseException:
            self.limits.ws_disconnect(ip)
            raise
        session = Session(ws, request.transport, hub, self.buffer_limit, ip)
        hub.add(session)
        if self.greeting:
            session.send(GREETING)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.receive_safely(session, message.data)
                elif message.type == WSMsgType.BINARY:
                    self.receive_safely(session, message.data.decode("utf-8", "replace"))
                elif message.type == WSMsgType.ERROR:
                    break
                if session.cut_off:
                    break
        finally:
            hub.drop(session)
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 1.0)
        return ws

    def _released(self, session: Session) -> None:
        """A session is gone: what it held of the IP's websocket limits is given back."""
        users = [feeds.user_of(key) for key in session.subscriptions]
        self.limits.ws_disconnect(session.ip, users)

    def error(self, session: Session, text: str) -> None:
        session.send_obj({"channel": "error", "data": text})

    def receive_safely(self, session: Session, text: str) -> None:
        """`receive`; a failure is a bug, logged and answered, and the socket stays open."""
        try:
            self.receive(session, text)
        except Exception:
            log.exception("websocket message failed: %.200s", text)
            self.error(session, f"Internal server error: {text[:200]}")

    def receive(self, session: Session, text: str) -> None:
        if session.cut_off:  # dropped (too slow, idle) with messages still buffered
            return
        refusal = self.limits.ws_message(session.ip)
        if refusal is not None:
            self.error(session, refusal)
            return
        try:
            message = wire.ws_request_decoder.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            self.error(session, PARSE_ERROR.format(text))
            return
        kind = type(message)
        if kind is wire.WsPing:
            session.send(b'{"channel":"pong"}')
        elif kind is wire.WsPost:
            self.post(session, message, text)
        else:
            self.subscription(session, message, text)

    def subscription(self, session: Session, message, text: str) -> None:
        venue = self.venue
        subscribe = type(message) is wire.WsSubscribe
        try:
            key, echo = feeds.normalize_subscription(venue, message.subscription)
        except feeds.Unknown:
            self.error(session, PARSE_ERROR.format(text))
            return
        except feeds.UnknownCoin:
            if self.close_on_unknown_coin:  # the venue drops the connection, no close frame
                session.drop()
                session.transport.abort()
                return
            self.error(session, f"Invalid subscription {_json(message.subscription)}")
            return
        except feeds.Invalid:
            self.error(session, f"Invalid subscription {_json(message.subscription)}")
            return
        user = feeds.user_of(key)
        if subscribe:
            if key in session.subscriptions:
                self.error(session, f"Already subscribed: {_json(echo)}")
                return
            if len(session.subscriptions) >= self.max_subscriptions:
                self.error(session, TOO_MANY_CHANNELS.format(n=self.max_subscriptions))
                return
            refusal = self.limits.ws_subscribe(session.ip, user)
            if refusal is not None:
                self.error(session, refusal)
                return
            venue.hub.subscribe(session, key, echo)
        else:
            if key not in session.subscriptions:
                self.error(session, f"Already unsubscribed: {_json(echo)}")
                return
            echo = session.subscriptions[key]
            venue.hub.unsubscribe(session, key)
            self.limits.ws_unsubscribe(session.ip, user)
        method = "subscribe" if subscribe else "unsubscribe"
        session.send_obj(
            {"channel": "subscriptionResponse", "data": {"method": method, "subscription": echo}}
        )
        if subscribe:
            for channel, data in feeds.snapshot(venue, key):
                session.send_obj({"channel": channel, "data": data})

    def post(self, session: Session, message: wire.WsPost, text: str) -> None:
        refusal = self.limits.post_begin(session.ip, message.id)
        if refusal is not None:
            self.error(session, refusal)
            return
        try:
            request = message.request
            if request.type == "info":
                payload = wire.any_decoder.decode(request.payload)
                data = info.answer(self.venue, payload)
                kind = payload.get("type") if isinstance(payload, dict) else None
                response = {"type": "info", "payload": {"type": kind, "data": data}}
            else:
                payload = bytes(request.payload)
                body = self.venue.journaled(  # (with `serve --state-dir`)
                    "exchange", payload, lambda: self.exchange_api.handle_body(payload, ip=None))
                response = {"type": "action", "payload": body}
        except (info.Unreadable, msgspec.DecodeError, RecursionError):
            # the venue could not parse the request: the bare error channel, no id
            self.error(session, PARSE_ERROR.format(text))
            return
        finally:
            self.limits.post_end(session.ip)
        session.send_obj({"channel": "post", "data": {"id": message.id, "response": response}})


def _json(value: Any) -> str:
    return wire.encoder.encode(value).decode()
