"""The `/ws` endpoint: subscriptions, pings and `post` requests over a websocket
(hyperliquid-api.md §2).

Client messages are decoded with one decoder; anything it cannot read gets the venue's error
frame, `Error parsing JSON into valid websocket request: <the text received>`, and the
connection stays open. Subscriptions are acknowledged with `subscriptionResponse` (the echo
normalized, as the venue does), then the feed's snapshot where it has one.
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

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        # no compression: every client gets the same frame bytes
        ws = web.WebSocketResponse(max_msg_size=self.max_message, autoping=True, compress=False)
        await ws.prepare(request)
        hub = self.venue.hub
        session = Session(ws, request.transport, hub, self.buffer_limit)
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
        try:
            message = wire.ws_request_decoder.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            self.error(session, PARSE_ERROR.format(text))
            return
        kind = type(message)
        if kind is wire.WsPing:
            session.send(b'{"channel":"pong"}')
        elif kind is wire.WsPost:
            self.post(session, message)
        else:
            self.subscription(session, message, text)

    def subscription(self, session: Session, message, text: str) -> None:
        venue = self.venue
        subscribe = type(message) is wire.WsSubscribe
        try:
            key, echo = feeds.normalize_subscription(venue, message.subscription)
        except KeyError:
            self.error(session, PARSE_ERROR.format(text))
            return
        except feeds.Invalid:
            self.error(session, f"Invalid subscription {_json(message.subscription)}")
            return
        if subscribe:
            if key in session.subscriptions:
                self.error(session, f"Already subscribed: {_json(message.subscription)}")
                return
            if len(session.subscriptions) >= self.max_subscriptions:
                self.error(
                    session, f"Cannot track more than {self.max_subscriptions} subscriptions"
                )
                return
            venue.hub.subscribe(session, key, echo)
        else:
            if key not in session.subscriptions:
                self.error(session, f"Already unsubscribed: {_json(message.subscription)}")
                return
            echo = session.subscriptions[key]
            venue.hub.unsubscribe(session, key)
        method = "subscribe" if subscribe else "unsubscribe"
        session.send_obj(
            {"channel": "subscriptionResponse", "data": {"method": method, "subscription": echo}}
        )
        if subscribe:
            for channel, data in feeds.snapshot(venue, key):
                session.send_obj({"channel": channel, "data": data})

    def post(self, session: Session, message: wire.WsPost) -> None:
        request = message.request
        try:
            if request.type == "info":
                payload = wire.any_decoder.decode(request.payload)
                data = info.answer(self.venue, payload)
                kind = payload.get("type") if isinstance(payload, dict) else None
                response = {"type": "info", "payload": {"type": kind, "data": data}}
            else:
                response = {
                    "type": "action",
                    "payload": self.exchange_api.handle_body(request.payload),
                }
        except info.Unreadable as unreadable:
            response = {"type": "error", "payload": f"422 Unprocessable Entity: {unreadable.text}"}
        session.send_obj({"channel": "post", "data": {"id": message.id, "response": response}})


def _json(value: Any) -> str:
    return wire.encoder.encode(value).decode()
