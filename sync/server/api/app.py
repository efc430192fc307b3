"""create_app(settings, keys): the FastAPI application. Stateless apart from the database:
several processes may serve one PostgreSQL database."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from sync.server import attachments as attachment_storage
from sync.server.api import (
    attachments,
    device,
    enroll,
    errors,
    export,
    health,
    observe,
    pull,
    push,
)
from sync.server.api.limits import RequestLimits
from sync.server.console import web as console
from sync.server.db import open_database
from sync.server.keys import ServerKeys
from sync.server.ratelimit import RateLimiter
from sync.server.settings import Settings


def create_app(settings: Settings, unlocked_keys: ServerKeys) -> FastAPI:
    engine = open_database(settings.db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        engine.dispose()

    app = FastAPI(
        title="KHBS Enroll province API",
        version="1",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.keys = unlocked_keys
    app.state.engine = engine
    app.state.attachments = attachment_storage.storage_for(settings)  # photos and signatures
    # In the database: every API process and machine spends from one bucket (docs/sync.md).
    app.state.device_limiter = RateLimiter(
        engine, "device", settings.device_per_minute, settings.device_burst
    )
    app.state.enroll_limiter = RateLimiter(
        engine, "enroll", settings.enroll_per_minute, settings.enroll_burst
    )
    app.state.admin_limiter = RateLimiter(
        engine, "admin", settings.admin_per_minute, settings.admin_burst
    )
    errors.install(app)
    for module in (enroll, device, push, pull, health, export, attachments):
        app.include_router(module.router)
    console.install(app)  # the browser console under /console (sync/server/console)
    observe.install(app)  # JSON request lines, /metrics, /v1/ready (docs/operations.md)
    # Added last, so it is the outermost: every route, present and future, gets the limits.
    app.add_middleware(RequestLimits, settings=settings)
    return app
