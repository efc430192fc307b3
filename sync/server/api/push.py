"""POST /v1/push: a sealed batch (application/octet-stream); per-household results, sent only
after they are committed. The work is in sync/server/ingest.py."""

from __future__ import annotations

import time

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from sync.protocol import ProtocolError
from sync.server.api.deps import AuthDevice, EngineDep, KeysDep
from sync.server.api.errors import ApiError
from sync.server.api.observe import count_ingested
from sync.server.ingest import ingest

router = APIRouter(tags=["push"])


@router.post("/v1/push")
async def push(auth: AuthDevice, engine: EngineDep, keys: KeysDep) -> dict:
    try:
        reply = await run_in_threadpool(ingest, engine, keys, auth.device, auth.body)
    except ProtocolError as exc:
        raise ApiError(400, exc.code) from None
    count_ingested(reply.get("results", []))
    return reply | {"server_time": int(time.time())}
