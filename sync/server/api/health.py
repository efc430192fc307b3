"""GET /v1/health: the server is up and its database answers. No authentication, no data."""

from __future__ import annotations

import time

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from sync.server import repo
from sync.server.api.deps import EngineDep
from sync.server.api.errors import ApiError

router = APIRouter(tags=["health"])


@router.get("/v1/health")
async def health(engine: EngineDep) -> dict:
    def ping() -> None:
        with engine.connect() as conn:
            repo.ping(conn)

    try:
        await run_in_threadpool(ping)
    except Exception:  # noqa: BLE001 - any failure is "database unavailable"
        raise ApiError(503, "database_unavailable") from None
    return {"status": "ok", "server_time": int(time.time())}
