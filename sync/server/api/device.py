"""POST /v1/device/box-key: the device's own HPKE public key (ML-KEM-768 + X25519), raw bytes
as the signed body. The province seals pre-filled households to it (docs/sync.md,
"Verification assignments"), so only that laptop can open them, whatever sits between."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app.province_key import load_public
from sync.server import repo
from sync.server.api.deps import AuthDevice, EngineDep
from sync.server.api.errors import ApiError

router = APIRouter(tags=["device"])
MAX_KEY = 4096


@router.post("/v1/device/box-key")
async def set_box_key(auth: AuthDevice, engine: EngineDep) -> dict:
    key = auth.body
    try:
        if not 0 < len(key) <= MAX_KEY:
            raise ValueError
        load_public(key)
    except ValueError:
        raise ApiError(400, "bad_box_key") from None

    def store() -> None:
        with engine.begin() as conn:
            repo.set_box_key(conn, auth.device.id, key)

    await run_in_threadpool(store)
    return {"status": "ok"}
