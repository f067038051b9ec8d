"""Subscriptions and fan-out to websocket clients.

Each connection is a `Session` with a bounded queue of encoded frames and one writer task.
A client that stops reading blocks only its own writer; when its queue passes the limit it
is cut off, and nobody else waits (the pattern of websockets' broadcast note).

Subscriptions are keyed by their normalized form, e.g. ("l2Book", "BTC", None, None) or
("userFills", "0xab..."). A message for a key is encoded once and the same bytes go into
every subscriber's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from protocol.wire import encoder

Key = tuple


class Session:
    """One websocket connection: its subscriptions and its outgoing queue."""

    __slots__ = (
        "_event",
        "_writer",
        "cut_off",
        "hub",
        "last_sent",
        "limit",
        "queue",
        "subscriptions",
        "ws",
    )

    def __init__(self, ws: web.WebSocketResponse, hub: Hub, limit: int) -> None:
        self.ws = ws
        self.hub = hub
        self.limit = limit
        self.queue: deque[bytes] = deque()
        self.subscriptions: dict[Key, dict] = {}  # key -> the subscription as acknowledged
        self.last_sent = time.monotonic()
        self.cut_off = False
        self._event = asyncio.Event()
        self._writer: asyncio.Task | None = None

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, frame: bytes) -> None:
        """Queue an encoded frame; a client too far behind is cut off."""
        if self.cut_off:
            return
        if len(self.queue) >= self.limit:
            self.cut_off = True
            self.queue.clear()
            self.hub.drop(self)
            asyncio.get_running_loop().create_task(
                self._close(1008, b"too slow: messages not read")
            )
            return
        self.queue.append(frame)
        self._event.set()

    def send_obj(self, obj: Any) -> None:
        self.send(encoder.encode(obj))

    async def _write(self) -> None:
        ws = self.ws
        queue = self.queue
        try:
            while True:
                await self._event.wait()
                self._event.clear()
                while queue:
                    frame = queue.popleft()
                    await ws.send_frame(frame, WSMsgType.TEXT)
                    self.last_sent = time.monotonic()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    async def _close(self, code: int, message: bytes) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, message=message), 1.0)

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer


class Hub:
    def __init__(self) -> None:
        self.sessions: dict[Session, None] = {}
        self.subscribers: dict[Key, dict[Session, None]] = {}

    def add(self, session: Session) -> None:
        self.sessions[session] = None

    def drop(self, session: Session) -> None:
        self.sessions.pop(session, None)
        for key in session.subscriptions:
            subs = self.subscribers.get(key)
            if subs is not None:
                subs.pop(session, None)
                if not subs:
                    del self.subscribers[key]
        session.subscriptions.clear()

    def subscribe(self, session: Session, key: Key, echo: dict) -> None:
        session.subscriptions[key] = echo
        self.subscribers.setdefault(key, {})[session] = None

    def unsubscribe(self, session: Session, key: Key) -> None:
        session.subscriptions.pop(key, None)
        subs = self.subscribers.get(key)
        if subs is not None:
            subs.pop(session, None)
            if not subs:
                del self.subscribers[key]

    def wanted(self, key: Key) -> bool:
        return key in self.subscribers

    def publish(self, key: Key, channel: str, data: Any) -> None:
        """Send {"channel", "data"} to every subscriber of `key`, encoded once."""
        subs = self.subscribers.get(key)
        if not subs:
            return
        frame = encoder.encode({"channel": channel, "data": data})
        for session in list(subs):
            session.send(frame)

    def publish_lazy(self, key: Key, channel: str, build: Callable[[], Any]) -> None:
        """`publish` when someone listens, building the data only then."""
        if key in self.subscribers:
            self.publish(key, channel, build())

    def keys(self, kind: str) -> list[Key]:
        return [key for key in self.subscribers if key[0] == kind]

    async def close_idle(self, idle_s: float) -> None:
        """Close the connections nothing was sent to for `idle_s` (the venue's timeout)."""
        now = time.monotonic()
        for session in list(self.sessions):
            if now - session.last_sent > idle_s and not session.queue:
                self.drop(session)
                await session._close(1000, b"idle")
