"""POST /v1/device/box-key: the device's own HPKE public key (ML-KEM-768 + X25519), raw bytes
as the signed body. The province seals pre-filled households to it (docs/sync.md,
"Verification assignments"), so only that laptop can open them, whatever sits between."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app.province_key import load_public
from sync.server.api.deps import AuthDevice, EngineDep
from sync.server.api.errors import ApiError
from sync.server.db import device_box_keys, utc_now

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
            where = device_box_keys.c.device_id == auth.device.id
            if conn.execute(select(device_box_keys.c.device_id).where(where)).first():
                conn.execute(device_box_keys.update().where(where)
                             .values(public_key=key, set_at=utc_now()))
            else:
                conn.execute(device_box_keys.insert().values(
                    device_id=auth.device.id, public_key=key, set_at=utc_now()))

    await run_in_threadpool(store)
    return {"status": "ok"}
