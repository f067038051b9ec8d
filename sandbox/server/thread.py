"""A venue served from a background thread, for synchronous callers: tests driving the
official (blocking) SDK, scripts, notebooks.

The venue is single-threaded: everything that touches it runs on the server's event loop,
through `call()`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.server.app import Server, serve
from sandbox.server.config import ServerConfig
from sandbox.server.venue import Venue

T = TypeVar("T")


class ServerThread:
    def __init__(self, config: ServerConfig | None = None, setup: Callable[[Venue], None] | None = None,
                 *, background: bool = True) -> None:  # fmt: skip
        self.config = config if config is not None else ServerConfig(port=0)
        self._setup = setup
        self._background = background
        self.venue: Venue | None = None
        self.server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> ServerThread:
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self.venue = Venue(self.config)
            if self._setup is not None:
                self._setup(self.venue)
            self.server = loop.run_until_complete(
                serve(self.venue, port=self.config.port, background=self._background)
            )
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.server.close())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def admin_token(self) -> str:
        return self.server.admin_token

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the server's loop, where the venue lives; return its result."""
        future: asyncio.Future = asyncio.run_coroutine_threadsafe(_call(fn, args), self._loop)
        return future.result(timeout=30)

    def apply(self, command) -> list:
        return self.call(self.venue.apply, command)

    def subscribed(self, user: str, channel: str = "userEvents") -> bool:
        """Does a websocket listen to `user`'s `channel` now?"""
        key = (channel, user.lower())
        return self.call(lambda: bool(self.venue.hub.subscribers.get(key)))

    def flush(self) -> None:
        """Publish the current block now instead of waiting for it."""
        self.call(self.venue.flush)

    def control(self, path: str, payload: dict) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            headers={
                "Authorization": f"Bearer {self.admin_token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def create_account(self, usdc: str | int = "10000") -> tuple[str, str]:
        """A funded account: (address, private key)."""
        created = self.control("/sandbox/accounts", {"usdc": str(usdc)})
        return created["address"], created["privateKey"]


async def _call(fn, args):
    result = fn(*args)
    if asyncio.iscoroutine(result):
        result = await result
    return result
