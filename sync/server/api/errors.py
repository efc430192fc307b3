"""Error replies: `{"error": code, "server_time": ...}`. Codes only: request bodies (which may
hold personal data) are never echoed, logged or put in a message."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        log.info("refused %s: %s", exc.status, exc.code)
        if exc.retry_after is None:
            return reply(exc.status, exc.code)
        body = error_body(exc.code) | {"retry_after": exc.retry_after}
        return JSONResponse(body, status_code=exc.status,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, _exc: RequestValidationError) -> JSONResponse:
        return reply(400, "bad_request")  # FastAPI's default echoes the input: not here

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return reply(exc.status_code, f"http_{exc.status_code}")

    @app.middleware("http")
    async def _unexpected(request: Request, call_next):
        # A middleware, not an exception handler: Starlette re-raises after its handler runs,
        # and the server would then log the traceback, whose messages may quote values.
        try:
            return await call_next(request)
        except Exception as exc:  # noqa: BLE001 - one safe answer for anything unexpected
            log.error("unexpected %s on %s", type(exc).__name__, request.url.path)
            return reply(500, "internal")
