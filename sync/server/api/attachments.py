"""Photos and signatures from the laptops (docs/sync.md, "Attachments"), signed like every
device request: POST /v1/attachments/chunk takes one chunk of an upload sealed to the province
key; GET /v1/attachments/{id} says how much of it the province holds, so a laptop resumes after
a cut. The work is in sync/server/attachments.py."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from sync.protocol import ProtocolError, read_chunk
from sync.server import attachments
from sync.server.api.deps import AuthDevice, EngineDep, KeysDep
from sync.server.api.errors import ApiError

router = APIRouter(tags=["attachments"])

REFUSALS = {"unknown_household": 404, "attachment_conflict": 409}


@router.post("/v1/attachments/chunk")
async def chunk(auth: AuthDevice, engine: EngineDep, keys: KeysDep, request: Request) -> dict:
    try:
        header, data = read_chunk(auth.body)
    except ProtocolError as exc:
        raise ApiError(400, exc.code) from None
    storage = request.app.state.attachments

    def take() -> attachments.Received:
        return attachments.receive_chunk(engine, keys, storage, auth.device, header, data)

    try:
        received = await run_in_threadpool(take)
    except ProtocolError as exc:
        raise ApiError(REFUSALS.get(exc.code, 400), exc.code) from None
    return received.reply()


@router.get("/v1/attachments/{attachment_id}")
async def held(
    attachment_id: Annotated[str, Path(max_length=36)], auth: AuthDevice, engine: EngineDep
) -> dict:
    try:
        if str(uuid.UUID(attachment_id)) != attachment_id:
            raise ValueError
    except ValueError:
        raise ApiError(400, "bad_parameter") from None

    def look() -> attachments.Received:
        with engine.connect() as conn:
            return attachments.status(conn, auth.device, attachment_id)

    return (await run_in_threadpool(look)).reply()
