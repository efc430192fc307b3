"""Size and time limits on requests, applied before the app reads a body (docs/security.md,
"Server limits").

`RequestLimits` is a pure ASGI middleware around the whole app, so every route (and any route
added later) gets the small default body limit; only POST /v1/push and POST
/v1/attachments/chunk (one chunk of a photo, 320 KB) may send more. A declared
Content-Length over the route's limit is answered 413 before any body byte is read; a chunked
body is counted as it arrives and refused as soon as it passes the limit. Each piece of a body
must come within `body_idle_timeout` and the whole body within `body_timeout` (408). All bodies
being received at once share one budget per process (503 with Retry-After when it is spent).
A reply sent before its request body was read to the end carries `Connection: close`, so the
server closes the connection instead of reading the rest.

uvicorn has no timeout for request headers: `HeaderTimeoutH11` adds one, and `uvicorn_options`
gathers it with uvicorn's own limits for `khbs-server serve`.
"""

from __future__ import annotations

import asyncio
import time

import h11
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from sync.server.api.errors import ApiError, refusal
from sync.server.settings import Settings

BUSY_RETRY_AFTER = 10  # seconds a laptop waits when the body budget is spent


class BodyRefused(ApiError, StarletteHTTPException):
    """Raised from receive() when a body passes a limit; answered like any ApiError. An
    HTTPException too, because FastAPI passes those on from its own body parsing instead of
    turning them into a 400."""

    def __init__(self, status: int, code: str, retry_after: int | None = None):
        StarletteHTTPException.__init__(self, status, code)
        self.status, self.code, self.retry_after = status, code, retry_after


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.by_path = {
            "/v1/push": settings.max_push_body,
            "/v1/attachments/chunk": settings.max_chunk_body,
        }
        self.in_flight = 0  # bytes of request bodies received by requests not yet finished

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"], self.settings.max_body)
        headers = dict(scope["headers"])  # h11 has checked Content-Length and its duplicates
        declared = (
            None if b"transfer-encoding" in headers else int(headers.get(b"content-length", b"0"))
        )
        body = LimitedBody(self, limit, receive, send, done=declared == 0)
        try:
            if declared is not None and declared > limit:
                raise BodyRefused(413, "too_large")  # before one byte of it is read
            await self.app(scope, body.receive, body.send)
        except BodyRefused as exc:
            if body.started:
                raise
            await refusal(exc)(scope, receive, body.send)
        finally:
            self.in_flight -= body.counted


class LimitedBody:
    """One request's receive() and send() as the app sees them: the body counted against the
    route's limit and the budget, each piece and the whole timed; the reply closes the
    connection when the body was not read to its end."""

    def __init__(self, limits: RequestLimits, limit: int, receive: Receive, send: Send, done: bool):
        self.limits, self.limit = limits, limit
        self._receive, self._send = receive, send
        self.done = done  # the whole body has been received (or there is none)
        self.started = False  # the reply has begun
        self.counted = 0
        self.deadline = time.monotonic() + limits.settings.body_timeout

    async def receive(self) -> Message:
        if self.done:
            return await self._receive()  # after the body: only the disconnect is left
        settings = self.limits.settings
        wait = min(settings.body_idle_timeout, self.deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            async with asyncio.timeout(wait):
                message = await self._receive()
        except TimeoutError:
            raise BodyRefused(408, "body_timeout") from None
        if message["type"] != "http.request":
            self.done = True
            return message
        size = len(message.get("body", b""))
        self.counted += size
        self.limits.in_flight += size
        if self.counted > self.limit:
            raise BodyRefused(413, "too_large")
        if self.limits.in_flight > settings.max_bodies_in_flight:
            raise BodyRefused(503, "server_busy", retry_after=BUSY_RETRY_AFTER)
        self.done = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if not self.done:
                message = closing(message)  # the rest of the body is not wanted
        await self._send(message)


def closing(start: Message) -> Message:
    """A response start with `Connection: close`: uvicorn then closes the connection after the
    reply instead of reading (and dropping) the rest of the request body."""
    return {**start, "headers": [*start.get("headers", []), (b"connection", b"close")]}


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, plus a limit on the time a request's headers may take:
    counted from the connection's first moment, and from the first byte of each later request
    (between requests the keep-alive timeout applies). When it passes, the connection is
    closed. Without it, a client that sends half a request line keeps its connection forever."""

    header_timeout = 20.0

    def connection_made(self, transport) -> None:
        self.header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.header_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are complete

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self.header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_slow(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn.run() keywords for the transport limits of docs/security.md."""
    protocol = type(
        "HeaderTimeoutH11", (HeaderTimeoutH11,), {"header_timeout": settings.header_timeout}
    )
    return {
        "http": protocol,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
