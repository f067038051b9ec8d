"""Subscriptions and fan-out to websocket clients.

A message for a subscription key is encoded once, framed once (server frames are unmasked
and uncompressed, so the frame is the same for every client) and queued, by reference, on
each subscriber; `deliver()` (called at the end of each command and each block) writes each
session's queued frames into its transport in one write: one system call per client per
block rather than one per message, no per-client task, no per-client copy of a message. The
transport's own buffer is the queue: a client that stops reading lets it grow, and once it passes
`ws_buffer_limit` bytes the connection is dropped, without anybody else waiting (the
approach of websockets' broadcast note).

Subscriptions are keyed by their normalized form, e.g. ("l2Book", "BTC", None, None) or
("userFills", "0xab...").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from protocol.wire import encoder

Key = tuple


def text_frame(payload: bytes) -> bytes:
    """A complete websocket text frame, as a server sends it (FIN, unmasked)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65_536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


class Session:
    """One websocket connection: its subscriptions and its transport."""

    __slots__ = (
        "cut_off", "hub", "ip", "last_sent", "limit", "pending", "subscriptions", "transport",
        "ws",
    )  # fmt: skip

    def __init__(self, ws: web.WebSocketResponse, transport, hub: Hub, limit: int,
                 ip: str = "") -> None:  # fmt: skip
        self.ws = ws
        self.ip = ip
        self.transport = transport
        self.hub = hub
        self.limit = limit
        self.subscriptions: dict[Key, dict] = {}  # key -> the subscription as acknowledged
        self.last_sent = time.monotonic()
        self.cut_off = False
        self.pending: list[bytes] = []  # frames published to it, not yet delivered

    def write(self, frame: bytes, now: float | None = None) -> None:
        """Write a complete frame (after anything still pending); a client too far behind
        is dropped."""
        if self.cut_off:
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            self.drop()
            return
        if transport.get_write_buffer_size() > self.limit:
            self.drop()
            transport.abort()  # too slow: the messages it has not read are given up
            return
        if self.pending:
            self.pending.append(frame)
            frame = b"".join(self.pending)
            self.pending.clear()
        transport.write(frame)
        self.last_sent = time.monotonic() if now is None else now

    def flush(self, now: float | None = None) -> None:
        """Write what was published to it since the last delivery."""
        pending = self.pending
        if pending:
            frame = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            self.write(frame, now)

    def send(self, payload: bytes) -> None:
        self.write(text_frame(payload))

    def send_obj(self, obj: Any) -> None:
        self.write(text_frame(encoder.encode(obj)))

    def drop(self) -> None:
        self.cut_off = True
        self.hub.drop(self)


class Hub:
    def __init__(self) -> None:
        self.sessions: dict[Session, None] = {}
        self.subscribers: dict[Key, dict[Session, None]] = {}
        self.by_kind: dict[str, dict[Key, None]] = {}  # the keys subscribed, by feed
        self.published = 0  # frames published to subscribers (for benchmarks and stats)
        self.published_bytes = 0
        self._pending: dict[Session, None] = {}  # sessions with frames queued
        self.on_drop = None  # called with each session dropped (the rate limits' release)
        self.on_subscribe = None  # called after each subscription (the venue's next block)

    def add(self, session: Session) -> None:
        self.sessions[session] = None

    def drop(self, session: Session) -> None:
        """Forget a session and its subscriptions (once: later calls do nothing)."""
        if session not in self.sessions:
            return
        if self.on_drop is not None:
            self.on_drop(session)
        del self.sessions[session]
        for key in session.subscriptions:
            self._leave(session, key)
        session.subscriptions.clear()
        session.pending.clear()

    def subscribe(self, session: Session, key: Key, echo: dict) -> None:
        if session not in self.sessions:
            raise ValueError("subscribing a session the hub has dropped")
        session.subscriptions[key] = echo
        subs = self.subscribers.get(key)
        if subs is None:
            subs = self.subscribers[key] = {}
            self.by_kind.setdefault(key[0], {})[key] = None
        subs[session] = None
        if self.on_subscribe is not None:
            self.on_subscribe()

    def unsubscribe(self, session: Session, key: Key) -> None:
        session.subscriptions.pop(key, None)
        self._leave(session, key)

    def _leave(self, session: Session, key: Key) -> None:
        subs = self.subscribers.get(key)
        if subs is not None:
            subs.pop(session, None)
            if not subs:
                del self.subscribers[key]
                keys = self.by_kind[key[0]]
                del keys[key]
                if not keys:
                    del self.by_kind[key[0]]

    def wanted(self, key: Key) -> bool:
        return key in self.subscribers

    def publish(self, key: Key, channel: str, data: Any) -> None:
        """Send {"channel", "data"} to every subscriber of `key`: encoded and framed once."""
        subs = self.subscribers.get(key)
        if not subs:
            return
        frame = text_frame(encoder.encode({"channel": channel, "data": data}))
        pending = self._pending
        for session in subs:
            session.pending.append(frame)
            pending[session] = None
        self.published += len(subs)
        self.published_bytes += len(frame) * len(subs)

    def deliver(self) -> None:
        """Write every session's queued frames, one write per session."""
        pending = self._pending
        if not pending:
            return
        self._pending = {}
        now = time.monotonic()
        for session in pending:
            session.flush(now)

    def publish_lazy(self, key: Key, channel: str, build: Callable[[], Any]) -> None:
        """`publish` when someone listens, building the data only then."""
        if key in self.subscribers:
            self.publish(key, channel, build())

    def keys(self, kind: str) -> list[Key]:
        keys = self.by_kind.get(kind)
        return list(keys) if keys else []

    async def close_idle(self, idle_s: float) -> None:
        """Close the connections nothing was sent to for `idle_s` (the venue's timeout)."""
        now = time.monotonic()
        for session in list(self.sessions):
            if now - session.last_sent > idle_s:
                session.drop()
                await session.ws.close(code=1000, message=b"idle")
