"""Error replies: `{"error": code, "server_time": ...}`. Codes only: request bodies (which may
hold personal data) are never echoed, logged or put in a message."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("khbs.server")


class ApiError(Exception):
    """A refusal with a safe code."""

    def __init__(self, status: int, code: str, retry_after: int | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.retry_after = retry_after


def error_body(code: str) -> dict:
    return {"error": code, "server_time": int(time.time())}


def reply(status: int, code: str) -> JSONResponse:
    return JSONResponse(error_body(code), status_code=status)


def refusal(exc: ApiError) -> JSONResponse:
    log.info("refused %s: %s", exc.status, exc.code)
    if exc.retry_after is None:
        return reply(exc.status, exc.code)
    body = error_body(exc.code) | {"retry_after": exc.retry_after}
    return JSONResponse(body, status_code=exc.status, headers={"Retry-After": str(exc.retry_after)})


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input: not here. A query parameter out of range or
        # malformed is named (the API's own name for it, never the value sent).
        for error in exc.errors():
            where = error.get("loc", ())
            if len(where) >= 2 and where[0] == "query" and isinstance(where[1], str):
                return JSONResponse(
                    error_body("bad_parameter") | {"parameter": where[1]}, status_code=400
                )
        return reply(400, "bad_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return reply(exc.status_code, f"http_{exc.status_code}")

    app.add_middleware(CatchUnexpected)


class CatchUnexpected:
    """One safe answer for anything unexpected. A middleware, not an exception handler:
    Starlette re-raises after its handler runs, and the server would then log the traceback,
    whose messages may quote values. Pure ASGI (not BaseHTTPMiddleware, which runs the app's
    receive() in a task group and so wraps what it raises, such as a body limit's refusal)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # noqa: BLE001 - one safe answer for anything unexpected
            if isinstance(exc, ApiError) and not started:  # raised outside a route handler
                await refusal(exc)(scope, receive, send)
                return
            log.error("unexpected %s on %s", type(exc).__name__, scope["path"])
            if not started:  # else uvicorn closes the connection on the half-sent reply
                await reply(500, "internal")(scope, receive, send)
