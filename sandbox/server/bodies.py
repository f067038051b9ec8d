"""Reading a request's body: as sent, or decompressed as its `Content-Encoding` says.

The server does not let aiohttp decompress bodies on its own (`auto_decompress=False`): a
body that does not match its header (a plain JSON body sent with `Content-Encoding: gzip`,
say) would fail inside aiohttp's parser, after the handler, with a traceback and a dropped
connection. Here it is a clear 400 instead, and an encoding the server does not speak is a
415. A compressed body may not grow past the server's body limit when decompressed (413).
"""

from __future__ import annotations

import asyncio
import zlib

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

# zlib's window bits: gzip's header, zlib's header (deflate as HTTP means it), or raw deflate
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BadBody(Exception):
    """A body that cannot be read: `status` (400, 408, 413 or 415) and `text` say why."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.text, content_type="text/plain")


async def read_body(request: web.Request, limit: int, timeout_s: float | None = None) -> bytes:
    """The body, decompressed per `Content-Encoding` (identity, gzip or deflate); `limit`
    bytes at most once decompressed; read within `timeout_s` (else 408)."""
    try:
        async with asyncio.timeout(timeout_s):
            body = await request.read()
    except TimeoutError:
        raise BadBody(408, f"the body was not sent within {timeout_s:g} s") from None
    except web.HTTPRequestEntityTooLarge:
        raise
    except RequestPayloadError as bad:  # (a server left to decompress on its own)
        raise BadBody(400, f"the body could not be read: {str(bad).strip()}") from None
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise BadBody(415, f"unsupported Content-Encoding {encoding!r} (gzip, deflate or none)")
    tries = (wbits, -zlib.MAX_WBITS) if encoding == "deflate" else (wbits,)  # (raw deflate too)
    for bits in tries:
        inflater = zlib.decompressobj(bits)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit or inflater.unconsumed_tail:
            raise BadBody(413, f"the body is larger than {limit} bytes when decompressed")
        if not inflater.eof:
            break  # cut short
        return out
    raise BadBody(400, f"the body is not {encoding} as its Content-Encoding says")
