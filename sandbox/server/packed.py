"""A bounded log kept compressed: what the API serves about a user's past (fills, order
statuses, funding, ledger) in a tenth of the memory, and pickled (snapshots, journal
checkpoints) as a few large strings rather than millions of small objects.

The newest items stay as they are (`BLOCK` of them at most); each full block is encoded
(msgpack, by the items' type) and compressed (zlib) once, when it fills. The log keeps at
least `maxlen` items and serves the newest `maxlen`: its oldest block goes once the blocks
after it hold `maxlen` on their own. Reading decodes the blocks it reaches, newest first
when read in reverse.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

import msgspec

BLOCK = 64
LEVEL = 1

_CODECS: dict[str, tuple[msgspec.msgpack.Encoder, msgspec.msgpack.Decoder]] = {}


def register(kind: str, item_type: Any) -> None:
    """Name the type of a log's items (`kind` is what a log, and its pickle, keeps)."""
    _CODECS[kind] = (msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder(list[item_type]))


class PackedLog:
    """A `deque(maxlen=...)` of the items of `kind`, for appending and reading in order."""

    __slots__ = ("_blocks", "_kept", "_tail", "kind", "maxlen")

    def __init__(self, kind: str, maxlen: int) -> None:
        if kind not in _CODECS:
            raise KeyError(f"no codec registered for {kind!r}")
        self.kind = kind
        self.maxlen = maxlen
        self._blocks: deque[bytes] = deque()  # full blocks, oldest first, BLOCK items each
        self._tail: list = []  # the newest items, as they are
        self._kept = 0  # items in the blocks

    def append(self, item) -> None:
        tail = self._tail
        tail.append(item)
        if len(tail) >= BLOCK:
            encoder = _CODECS[self.kind][0]
            self._blocks.append(zlib.compress(encoder.encode(tail), LEVEL))
            self._kept += len(tail)
            self._tail = []
            while self._kept - BLOCK + len(self._tail) >= self.maxlen:  # the rest is enough
                self._blocks.popleft()
                self._kept -= BLOCK

    def __len__(self) -> int:
        return min(self.maxlen, self._kept + len(self._tail))

    def _block(self, blob: bytes) -> list:
        return _CODECS[self.kind][1].decode(zlib.decompress(blob))

    def __iter__(self) -> Iterator:
        """Oldest first (the newest `maxlen`)."""
        skip = self._kept + len(self._tail) - self.maxlen
        for blob in list(self._blocks):
            if skip >= BLOCK:
                skip -= BLOCK
                continue
            items = self._block(blob)
            if skip > 0:
                items, skip = items[skip:], 0
            yield from items
        yield from self._tail[max(0, skip):]

    def __reversed__(self) -> Iterator:
        """Newest first."""
        left = len(self)
        for item in reversed(self._tail):
            if left <= 0:
                return
            yield item
            left -= 1
        for blob in reversed(list(self._blocks)):
            for item in reversed(self._block(blob)):
                if left <= 0:
                    return
                yield item
                left -= 1

    def nbytes(self) -> int:
        """The compressed blocks' size (the tail's items are not counted)."""
        return sum(len(b) for b in self._blocks)

    def __getstate__(self):
        return (self.kind, self.maxlen, self._blocks, self._tail, self._kept)

    def __setstate__(self, state) -> None:
        self.kind, self.maxlen, self._blocks, self._tail, self._kept = state
